import { describe, expect, it } from 'vitest';
import * as aq from 'arquero';
import type { RunPlan, TraceRow } from '../../../engine/plan.ts';
import {
  parseTraceArrow,
  parseTraceCsv,
  toArrowBytes,
  traceFromTable,
} from '../../../engine/guest/trace.ts';
import { run } from '../../../engine/run.ts';
import { MiB, GiB, migration, plan, smallVm } from '../../helpers/plans.ts';

// ---- tunables ----
/** smallVm's slot starts at 4 GiB: its first gfn. */
const BASE_GFN = (4 * GiB) / 4096;
/**
 * The end-to-end trace: E2E_ROWS rows E2E_SPACING_NS apart over E2E_PAGES pages from
 * BASE_GFN. It ends within 30 ms, well before a 64 MiB migration completes, so every
 * row is replayed whichever clock the replay follows.
 */
const E2E_ROWS = 600;
const E2E_SPACING_NS = 50e3;
const E2E_PAGES = 2048;
/** Rows for the replay-clock check: all before WARMUP_NS, so all after it once shifted. */
const WARMUP_NS = 500e6;

const ROWS: TraceRow[] = [
  { time: 0, vcpu: 0, gfn: 0x100000, op: 'w' },
  { time: 1500, vcpu: 1, gfn: 0x100001, op: 'r' },
  { time: 2e9, vcpu: 3, gfn: 2 ** 40, op: 'w' },
];

/** Parse `text` and return the error message it throws. */
function csvError(text: string): string {
  try {
    parseTraceCsv(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected parseTraceCsv to throw');
}

describe('parseTraceCsv', () => {
  it('reads time, vcpu, gfn and op', () => {
    const text =
      'time,vcpu,gfn,op\n0,0,1048576,w\n1500,1,1048577,r\n2000000000,3,1099511627776,w\n';
    expect(parseTraceCsv(text)).toEqual(ROWS);
  });

  it('round-trips rows written back as CSV', () => {
    const csv = aq.toCSV(aq.from(ROWS));
    expect(parseTraceCsv(csv)).toEqual(ROWS);
  });

  it('reads 0x-hex and decimal gfns alike', () => {
    const rows = parseTraceCsv('time,vcpu,gfn,op\n0,0,0x1A3,w\n1,0,0X1a3,w\n2,0,419,w\n');
    expect(rows.map((r) => r.gfn)).toEqual([0x1a3, 0x1a3, 0x1a3]);
  });

  it('accepts read and write in any case', () => {
    const rows = parseTraceCsv('time,vcpu,gfn,op\n0,0,1,READ\n1,0,1,Write\n2,0,1,R\n3,0,1,w\n');
    expect(rows.map((r) => r.op)).toEqual(['r', 'w', 'r', 'w']);
  });

  it('accepts time_ns as ns', () => {
    expect(parseTraceCsv('time_ns,vcpu,gfn,op\n1234,0,1,w\n')[0].time).toBe(1234);
  });

  it('converts time_ms and time_s to whole ns', () => {
    expect(parseTraceCsv('time_ms,vcpu,gfn,op\n1.5,0,1,w\n')[0].time).toBe(1_500_000);
    // 1.1 * 1e9 is 1100000000.0000002 in binary floating point: rounded to whole ns.
    expect(parseTraceCsv('time_s,vcpu,gfn,op\n1.1,0,1,w\n')[0].time).toBe(1_100_000_000);
  });

  it('matches column names ignoring case and spaces, and ignores other columns', () => {
    const rows = parseTraceCsv('Time , VCPU,comment,GFN,Op\n5,2,hello,0x10,w\n');
    expect(rows).toEqual([{ time: 5, vcpu: 2, gfn: 16, op: 'w' }]);
  });

  it('sorts rows by time, keeping file order among equal times', () => {
    const text = 'time,vcpu,gfn,op\n30,0,1,w\n10,0,2,w\n20,0,3,w\n10,1,4,r\n10,0,5,w\n';
    expect(parseTraceCsv(text).map((r) => r.gfn)).toEqual([2, 4, 5, 3, 1]);
  });

  it('skips blank lines but counts them in row numbers', () => {
    const text = 'time,vcpu,gfn,op\n0,0,1,w\n\n2,0,2,w\n3,0,3,x\n';
    expect(parseTraceCsv(text.replace(',x', ',w'))).toHaveLength(3);
    expect(csvError(text)).toMatch(/^trace row 4: /);
  });

  it('returns no rows for a header alone', () => {
    expect(parseTraceCsv('time,vcpu,gfn,op\n')).toEqual([]);
  });
});

describe('parseTraceCsv errors', () => {
  const HEADER = 'time,vcpu,gfn,op\n';
  const GOOD = '0,0,1,w\n';

  it('names a bad op with its row and the accepted spellings', () => {
    const text = HEADER + GOOD.repeat(6) + '7,0,1,x\n';
    expect(csvError(text)).toBe("trace row 7: op 'x' is not r or w; use r, w, read or write");
  });

  it('names an empty op', () => {
    expect(csvError(HEADER + '0,0,1,\n')).toBe('trace row 1: op is empty; use r, w, read or write');
  });

  it('names a gfn that is not a number', () => {
    expect(csvError(HEADER + GOOD + '1,0,0xZZ,w\n')).toBe(
      "trace row 2: gfn '0xZZ' is not a gfn; use a decimal or 0x-hex page frame number",
    );
  });

  it('names a negative gfn', () => {
    expect(csvError(HEADER + '1,0,-5,w\n')).toBe(
      "trace row 1: gfn '-5' is not a gfn; use a decimal or 0x-hex page frame number",
    );
  });

  it('names a gfn of 2^53 or more', () => {
    expect(csvError(HEADER + '1,0,0x20000000000000,w\n')).toBe(
      "trace row 1: gfn '0x20000000000000' is too large; gfns must stay below 2^53",
    );
  });

  it('names a time that is not a number, in the unit of its column', () => {
    expect(csvError(HEADER + 'soon,0,1,w\n')).toBe(
      "trace row 1: time 'soon' is not a number; give nanoseconds since the start of migration",
    );
    expect(csvError('time_ms,vcpu,gfn,op\n1,0,1,w\nlater,0,1,w\n')).toBe(
      "trace row 2: time_ms 'later' is not a number; give milliseconds since the start of migration",
    );
  });

  it('names a negative time', () => {
    expect(csvError('time_s,vcpu,gfn,op\n-1,0,1,w\n')).toBe(
      "trace row 1: time_s '-1' is negative; give seconds since the start of migration (>= 0)",
    );
  });

  it('names a vcpu that is not a whole number', () => {
    expect(csvError(HEADER + '0,1.5,1,w\n')).toBe(
      "trace row 1: vcpu '1.5' is not a vCPU id; use a whole number >= 0",
    );
  });

  it('names the missing columns and the columns found', () => {
    expect(csvError('time,cpu,page,op\n0,0,1,w\n')).toBe(
      'trace is missing columns vcpu, gfn (found: time, cpu, page, op); name the columns time (or time_ns, time_ms, time_s), vcpu, gfn and op',
    );
  });

  it('rejects two time columns', () => {
    expect(csvError('time_s,time_ms,vcpu,gfn,op\n0,0,0,1,w\n')).toBe(
      'trace has 2 time columns (time_s, time_ms); keep one',
    );
  });

  it('rejects empty text with the header to write', () => {
    expect(csvError(' \n')).toBe(
      'trace CSV is empty; start it with the header line time,vcpu,gfn,op',
    );
  });
});

describe('parseTraceArrow', () => {
  it('round-trips rows through toArrowBytes', () => {
    const bytes = toArrowBytes(ROWS);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(parseTraceArrow(bytes)).toEqual(ROWS);
  });

  it('round-trips large gfns and times exactly', () => {
    const rows: TraceRow[] = [
      { time: 599e9 + 1, vcpu: 7, gfn: Number.MAX_SAFE_INTEGER, op: 'r' },
      { time: 600e9, vcpu: 0, gfn: 2 ** 52 + 1, op: 'w' },
    ];
    expect(parseTraceArrow(toArrowBytes(rows))).toEqual(rows);
  });

  it('round-trips an empty trace', () => {
    expect(parseTraceArrow(toArrowBytes([]))).toEqual([]);
  });

  it('sorts rows by time', () => {
    const bytes = toArrowBytes([...ROWS].reverse());
    expect(parseTraceArrow(bytes)).toEqual(ROWS);
  });

  it('reads hex gfn strings, upper-case ops and time_ms from Arrow', () => {
    const bytes = aq.toArrowIPC(
      aq.table({ time_ms: [2, 1], vcpu: [0, 1], gfn: ['0x10', '17'], op: ['WRITE', 'Read'] }),
    );
    expect(parseTraceArrow(bytes)).toEqual([
      { time: 1e6, vcpu: 1, gfn: 17, op: 'r' },
      { time: 2e6, vcpu: 0, gfn: 16, op: 'w' },
    ]);
  });

  it('names the row of a bad value', () => {
    const bytes = aq.toArrowIPC(
      aq.table({ time: [0, 1, 2], vcpu: [0, 0, -1], gfn: [1, 2, 3], op: ['w', 'w', 'w'] }),
    );
    expect(() => parseTraceArrow(bytes)).toThrow(
      "trace row 3: vcpu '-1' is not a vCPU id; use a whole number >= 0",
    );
  });

  it('rejects bytes that are not Arrow IPC', () => {
    expect(() => parseTraceArrow(new Uint8Array([1, 2, 3]))).toThrow(
      /^trace Arrow data could not be read \(.*\); pass the bytes of an Arrow IPC stream or file$/,
    );
  });
});

describe('traceFromTable', () => {
  it('reads a table in its filtered and ordered view, numbering rows in that view', () => {
    const table = aq
      .table({ time: [3, 1, 2], vcpu: [0, 0, 0], gfn: [3, 1, 2], op: ['w', 'r', 'oops'] })
      .orderby('time');
    expect(() => traceFromTable(table)).toThrow(/^trace row 2: op 'oops'/);
    const filtered = table.filter((d: { op: string }) => d.op !== 'oops');
    expect(traceFromTable(filtered).map((r) => r.gfn)).toEqual([1, 3]);
  });
});

/** An end-to-end trace as CSV: writes and reads on E2E_PAGES pages, both vCPUs, hex gfns. */
function e2eTraceCsv(): string {
  const lines = ['time_ms,vcpu,gfn,op'];
  for (let k = 0; k < E2E_ROWS; k++) {
    const gfn = BASE_GFN + ((k * 37) % E2E_PAGES);
    lines.push(`${(k * E2E_SPACING_NS) / 1e6},${k % 2},0x${gfn.toString(16)},${k % 3 ? 'w' : 'r'}`);
  }
  return lines.join('\n');
}

/** A 2-vCPU, 64 MiB VM with zero pages only (so normal pages are the written ones). */
function tracePlan(rows: TraceRow[], loop = false): RunPlan {
  return plan({
    warmupNs: WARMUP_NS,
    vm: smallVm({ vcpus: 2, ram: 64 * MiB, prefill: 0, workload: { kind: 'trace', rows, loop } }),
    migration: migration({ bandwidth: 100e6 }),
  });
}

describe('a trace workload run end to end', () => {
  it('migrates every page the trace wrote and leaves nothing stale', () => {
    const rows = parseTraceCsv(e2eTraceCsv());
    const written = new Set(rows.filter((r) => r.op === 'w').map((r) => r.gfn));
    const summary = run(tracePlan(rows)).summary.object() as Record<string, unknown>;
    expect(summary.status).toBe('completed');
    expect(summary.stale_pages).toBe(0);
    expect(written.size).toBe(400);
    expect(summary.normal_pages as number).toBeGreaterThanOrEqual(written.size);
  });

  it('leaves the plan rows unchanged when the trace loops, so a re-run is identical', () => {
    const rows = parseTraceCsv(e2eTraceCsv());
    const before = structuredClone(rows);
    const p = tracePlan(rows, true);
    const first = run(p);
    expect(rows).toEqual(before);
    const second = run(p);
    expect(second.provenance.plan_hash).toBe(first.provenance.plan_hash);
    expect(second.summary.objects()).toEqual(first.summary.objects());
  });

  // A trace that ends before WARMUP_NS still plays during migration: row times count
  // from the start of migration (TraceRow.time), not from the start of the run.
  it('replays rows at their time since the start of migration', () => {
    const rows = parseTraceCsv(e2eTraceCsv());
    const summary = run(tracePlan(rows)).summary.object() as Record<string, number>;
    expect(summary.guest_writes_per_s).toBeGreaterThan(0);
  });
});

import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { TraceRow } from '../plan.ts';

/**
 * Trace replay input: tables of guest memory accesses (time, vcpu, gfn, op) parsed
 * from CSV text or Arrow IPC bytes into the TraceRow[] of a `trace` workload. The
 * engine does no I/O: callers read the file and pass its contents.
 */

/** Accepted time columns and their scale to ns. Converted times are rounded to whole ns. */
const TIME_SCALE: Readonly<Record<string, number>> = {
  time: 1,
  time_ns: 1,
  time_ms: 1e6,
  time_s: 1e9,
};

const UNIT_NAME: Readonly<Record<string, string>> = {
  time: 'nanoseconds',
  time_ns: 'nanoseconds',
  time_ms: 'milliseconds',
  time_s: 'seconds',
};

const REQUIRED = 'time (or time_ns, time_ms, time_s), vcpu, gfn and op';

/**
 * Parse a CSV trace with a header line. Values are read as text (no type guessing),
 * so gfns may be decimal or 0x-hex. Returns the rows sorted by time (stable).
 * Throws an Error naming the row (1-based, after the header) and column of bad input.
 */
export function parseTraceCsv(text: string): TraceRow[] {
  if (text.trim() === '') {
    throw new Error('trace CSV is empty; start it with the header line time,vcpu,gfn,op');
  }
  return traceFromTable(aq.fromCSV(text, { autoType: false }));
}

/**
 * Parse a trace from Arrow IPC bytes (stream or file format). Integer columns may be
 * 64-bit; values beyond 2^53 are rejected with the row named. Rows sorted by time.
 */
export function parseTraceArrow(bytes: Uint8Array): TraceRow[] {
  let table: ColumnTable;
  try {
    // useBigInt: int64 values reach traceFromTable intact, so a too-large gfn is
    // reported with its row instead of failing inside the Arrow decoder.
    table = aq.fromArrow(bytes, { useBigInt: true });
  } catch (e) {
    throw new Error(
      `trace Arrow data could not be read (${(e as Error).message}); pass the bytes of an Arrow IPC stream or file`,
    );
  }
  return traceFromTable(table);
}

/**
 * Convert a table with columns time (or time_ns, time_ms, time_s), vcpu, gfn and op
 * into TraceRows sorted by time (stable). Column names are matched ignoring case and
 * surrounding spaces; other columns are ignored, and rows whose trace columns are all
 * empty (blank CSV lines) are skipped. Row numbers in errors are 1-based, in table order.
 */
export function traceFromTable(table: ColumnTable): TraceRow[] {
  const names = table.columnNames();
  const key = (name: string): string => name.trim().toLowerCase();
  const timeCols = names.filter((n) => Object.hasOwn(TIME_SCALE, key(n)));
  const find = (want: string): string | undefined => names.find((n) => key(n) === want);
  const vcpuCol = find('vcpu');
  const gfnCol = find('gfn');
  const opCol = find('op');
  const missing = [
    timeCols.length === 0 ? 'time' : null,
    vcpuCol === undefined ? 'vcpu' : null,
    gfnCol === undefined ? 'gfn' : null,
    opCol === undefined ? 'op' : null,
  ].filter((m) => m !== null);
  if (missing.length > 0) {
    const found = names.length ? names.map((n) => n.trim()).join(', ') : 'none';
    throw new Error(
      `trace is missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found: ${found}); name the columns ${REQUIRED}`,
    );
  }
  if (timeCols.length > 1) {
    throw new Error(
      `trace has ${timeCols.length} time columns (${timeCols.map((n) => n.trim()).join(', ')}); keep one`,
    );
  }
  const timeCol = timeCols[0];
  const cols = [timeCol, vcpuCol!, gfnCol!, opCol!];
  const [times, vcpus, gfns, ops] = cols.map((c) => table.array(c) as unknown[]);
  const labels = cols.map((c) => c.trim());
  const scale = TIME_SCALE[key(timeCol)];
  const unit = UNIT_NAME[key(timeCol)];

  const rows: TraceRow[] = [];
  for (let i = 0; i < times.length; i++) {
    if (isBlank(times[i]) && isBlank(vcpus[i]) && isBlank(gfns[i]) && isBlank(ops[i])) continue;
    const at = { row: i + 1 };
    rows.push({
      time: parseTime(times[i], scale, unit, labels[0], at),
      vcpu: parseVcpu(vcpus[i], labels[1], at),
      gfn: parseGfn(gfns[i], labels[2], at),
      op: parseOp(ops[i], labels[3], at),
    });
  }
  // Array.prototype.sort is stable (ES2019): rows at the same time keep file order.
  return rows.sort((a, b) => a.time - b.time);
}

/**
 * Encode rows as Arrow IPC stream bytes with columns time, vcpu, gfn and op (types
 * inferred by Arquero: float64 for large integers, exact below 2^53). Inverse of
 * parseTraceArrow.
 */
export function toArrowBytes(rows: readonly TraceRow[]): Uint8Array {
  return aq.toArrowIPC(
    aq.table({
      time: rows.map((r) => r.time),
      vcpu: rows.map((r) => r.vcpu),
      gfn: rows.map((r) => r.gfn),
      op: rows.map((r) => r.op),
    }),
  );
}

interface Where {
  /** 1-based data row (the header is not counted). */
  row: number;
}

function fail(at: Where, col: string, value: unknown, problem: string, fix: string): never {
  const shown = isBlank(value) ? 'is empty' : `'${String(value).trim()}' ${problem}`;
  throw new Error(`trace row ${at.row}: ${col} ${shown}; ${fix}`);
}

function isBlank(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Time in ns: non-negative and finite; scaled units are rounded to whole ns. */
function parseTime(v: unknown, scale: number, unit: string, col: string, at: Where): number {
  const fix = `give ${unit} since the start of migration`;
  let x = NaN;
  if (typeof v === 'number') x = v;
  else if (typeof v === 'bigint') x = Number(v);
  else if (typeof v === 'string' && DECIMAL.test(v.trim())) x = Number(v.trim());
  if (!Number.isFinite(x)) fail(at, col, v, 'is not a number', fix);
  if (x < 0) fail(at, col, v, 'is negative', `${fix} (>= 0)`);
  return scale === 1 ? x : Math.round(x * scale);
}

function parseVcpu(v: unknown, col: string, at: Where): number {
  let x = NaN;
  if (typeof v === 'number') x = v;
  else if (typeof v === 'bigint') x = Number(v);
  else if (typeof v === 'string' && /^\d+$/.test(v.trim())) x = Number(v.trim());
  if (!(Number.isSafeInteger(x) && x >= 0)) {
    fail(at, col, v, 'is not a vCPU id', 'use a whole number >= 0');
  }
  return x;
}

/** A gfn: a non-negative integer below 2^53, given as a number or a decimal or 0x-hex string. */
function parseGfn(v: unknown, col: string, at: Where): number {
  const fix = 'use a decimal or 0x-hex page frame number';
  let x = NaN;
  if (typeof v === 'number') x = v;
  else if (typeof v === 'bigint') x = Number(v);
  else if (typeof v === 'string') {
    const s = v.trim();
    if (/^0x[0-9a-f]+$/i.test(s)) x = parseInt(s.slice(2), 16);
    else if (/^\d+$/.test(s)) x = Number(s);
  }
  if (Number.isInteger(x) && x > Number.MAX_SAFE_INTEGER) {
    fail(at, col, v, 'is too large', 'gfns must stay below 2^53');
  }
  if (!(Number.isSafeInteger(x) && x >= 0)) fail(at, col, v, 'is not a gfn', fix);
  return x;
}

function parseOp(v: unknown, col: string, at: Where): 'r' | 'w' {
  const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
  if (s === 'r' || s === 'read') return 'r';
  if (s === 'w' || s === 'write') return 'w';
  return fail(at, col, v, 'is not r or w', 'use r, w, read or write');
}

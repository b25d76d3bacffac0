import { describe, expect, it } from 'vitest';
import { MMULAB_VERSION } from '../../../engine/results.ts';
import { explore } from '../../../engine/races/explore.ts';
import { swimlaneFigure } from '../../../engine/races/figure.ts';
import { builtinProtocol } from '../../../engine/races/protocols/index.ts';
import {
  EXPLORATION_COLUMNS,
  explorationTable,
  exploreProvenanceOf,
  TRACE_COLUMNS,
  traceTable,
} from '../../../engine/races/results.ts';
import type { ExploreOptions } from '../../../engine/races/types.ts';
import { storeBuffering } from '../../helpers/litmus.ts';

/** A clock that advances 1 ms per reading: deterministic time columns. */
function fakeClock(): () => number {
  let t = 0;
  return () => t++;
}

const opts = (o: ExploreOptions = {}): ExploreOptions => ({ clock: fakeClock(), ...o });

describe('explorationTable', () => {
  it('has one row per exploration with the documented columns', () => {
    const rs = [
      explore(builtinProtocol('identification-shared'), opts({ memory: 'sc' })),
      explore(builtinProtocol('identification-unique'), opts({ memory: 'tso' })),
    ];
    const t = explorationTable(rs);
    expect(t.columnNames()).toEqual([...EXPLORATION_COLUMNS]);
    expect(t.objects()).toEqual([
      {
        protocol: 'identification-shared',
        memory_model: 'sc',
        reduction: 'none',
        threads: 3,
        states: 668,
        transitions: 1241,
        interleavings: 161798,
        terminal_states: 38,
        depth: 16,
        violations: 1,
        violated: 'write-protect-holds',
        shortest_trace: 13,
        truncated: false,
        loop_bounds: '',
        time_ms: 1,
      },
      {
        protocol: 'identification-unique',
        memory_model: 'tso',
        reduction: 'none',
        threads: 3,
        states: 1268,
        transitions: 2556,
        interleavings: 10064958,
        terminal_states: 47,
        depth: 20,
        violations: 0,
        violated: '',
        shortest_trace: null,
        truncated: false,
        loop_bounds: '',
        time_ms: 1,
      },
    ]);
  });

  it('carries provenance: the version and a hash of the protocol and options', () => {
    const a = explore(storeBuffering(), opts({ memory: 'tso' }));
    const b = explore(storeBuffering(), opts({ memory: 'sc' }));
    const t = explorationTable([a]);
    expect(exploreProvenanceOf(t)).toEqual({
      mmulab_version: MMULAB_VERSION,
      plan_hash: a.protocolHash,
      seed: 0,
      protocols: ['SB'],
    });
    expect(a.protocolHash).toMatch(/^[0-9a-f]{16}$/);
    expect(a.protocolHash).not.toBe(b.protocolHash);
    expect(exploreProvenanceOf(explorationTable([a, b]))?.plan_hash).not.toBe(a.protocolHash);
    expect(exploreProvenanceOf(t.filter(() => true))).toBeUndefined();
  });

  it('lists the loop bounds the results hold within', () => {
    const r = explore(builtinProtocol('dirty-log'), opts());
    expect(explorationTable([r]).get('loop_bounds', 0)).toBe(
      'vcpu0:#1=2 vcpu0:#2=5 vcpu1:#1=2 vcpu1:#2=5',
    );
  });
});

describe('traceTable', () => {
  it('has one row per step, with locations, accesses and the culprit writes marked', () => {
    const r = explore(builtinProtocol('identification-shared'), opts());
    const t = traceTable(r, r.violations[0]);
    expect(t.columnNames()).toEqual([...TRACE_COLUMNS]);
    expect(t.numRows()).toBe(13);
    const rows = t.objects() as Record<string, unknown>[];
    expect(rows[12]).toMatchObject({
      step: 13,
      thread: 'vcpu0',
      kind: 'step',
      reads: 'spte=0x180 (P|ID=1)',
      writes: 'spte=0x81 (P|W)',
      culprit: true,
    });
    expect(rows.filter((row) => row.culprit).map((row) => row.step)).toEqual([2, 9, 12, 13]);
    expect(exploreProvenanceOf(t)?.plan_hash).toBe(r.protocolHash);
  });
});

describe('determinism', () => {
  it('gives the same table and the same traces for the same protocol and options', () => {
    for (const memory of ['sc', 'tso'] as const) {
      const a = explore(builtinProtocol('two-bit'), opts({ memory }));
      const b = explore(builtinProtocol('two-bit'), opts({ memory }));
      expect(explorationTable([a]).objects()).toEqual(explorationTable([b]).objects());
      expect(JSON.stringify(a.violations)).toBe(JSON.stringify(b.violations));
    }
  });
});

describe('swimlaneFigure', () => {
  const r = explore(builtinProtocol('identification-shared'), opts({ memory: 'tso' }));
  const fig = swimlaneFigure(r.violations[0]);

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(fig))).toEqual(fig);
  });

  it('has a lane for the cell that goes wrong, then one per thread, in protocol order', () => {
    expect((fig.layout.yaxis as { categoryarray: string[] }).categoryarray).toEqual([
      'spte (memory)',
      'vcpu0',
      'vcpu1',
      'vcpu2',
    ]);
  });

  it('draws every step in order in its thread lane, flushes apart, culprit writes in red', () => {
    const steps = fig.data[0] as {
      x: number[];
      y: string[];
      marker: { symbol: string[]; color: string[] };
    };
    expect(steps.x).toEqual(r.violations[0].trace.steps.map((s) => s.index));
    expect(steps.y).toEqual(r.violations[0].trace.steps.map((s) => s.thread));
    const flushes = r.violations[0].trace.steps.filter((s) => s.kind === 'flush').length;
    expect(steps.marker.symbol.filter((s) => s === 'triangle-down')).toHaveLength(flushes);
    // The stores of spte into a buffer (2, 11, 15), the flushes that take them to memory
    // (3, 12, 16) and the cmpxchg (17).
    const red = steps.marker.color.flatMap((c, i) => (c === '#d62728' ? [steps.x[i]] : []));
    expect(red).toEqual([2, 3, 11, 12, 15, 16, 17]);
  });

  it("traces the cell's value in memory from its initial value to the violation", () => {
    const values = fig.data[1] as { x: number[]; text: string[] };
    expect(values.x).toEqual([0, 3, 12, 16, 17]);
    expect(values.text).toEqual([
      '0x80 (P)',
      '0x180 (P|ID=1)',
      '0x80 (P)',
      '0x180 (P|ID=1)',
      '0x81 (P|W)',
    ]);
  });
});

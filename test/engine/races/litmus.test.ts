import { describe, expect, it } from 'vitest';
import { explore } from '../../../engine/races/explore.ts';
import type { ExploreResult } from '../../../engine/races/types.ts';
import {
  counter,
  independentStores,
  lockInversion,
  messagePassing,
  storeBuffering,
  storeForwarding,
} from '../../helpers/litmus.ts';

/** What a small exploration found, for comparison with hand counts. */
function summary(r: ExploreResult): Record<string, unknown> {
  return {
    states: r.states,
    transitions: r.transitions,
    interleavings: r.interleavings,
    terminal: r.terminalStates,
    violated: r.violations.map((v) => v.property),
  };
}

describe('explore: state counts worked out by hand', () => {
  it('SB under SC: 13 states, 14 transitions, the 6 interleavings of 2+2 steps, 3 outcomes', () => {
    // pcs (0..2, 0..2); r0 is known once T0 loaded, 0 or 1 only when T1 stored first or not:
    // (0,0) (1,0) (0,1) (1,1) (2,0) (0,2) (2,1)x2 (1,2)x2 (2,2)x3 (r0,r1 in 01, 11, 10).
    expect(summary(explore(storeBuffering(), { memory: 'sc' }))).toEqual({
      states: 13,
      transitions: 14,
      interleavings: 6,
      terminal: 3,
      violated: [],
    });
  });

  it('two independent stores: a 2x2 grid under SC, 3x3 under TSO (stored, buffered, flushed)', () => {
    expect(summary(explore(independentStores(2), { memory: 'sc' }))).toEqual({
      states: 4,
      transitions: 4,
      interleavings: 2,
      terminal: 1,
      violated: [],
    });
    // Each thread: not stored -> buffered -> flushed; 2 moves each, C(4,2) = 6 orders.
    expect(summary(explore(independentStores(2), { memory: 'tso' }))).toEqual({
      states: 9,
      transitions: 12,
      interleavings: 6,
      terminal: 1,
      violated: [],
    });
  });

  it('a single store under TSO: buffered, then flushed', () => {
    expect(summary(explore(independentStores(1), { memory: 'tso' }))).toEqual({
      states: 3,
      transitions: 2,
      interleavings: 1,
      terminal: 1,
      violated: [],
    });
  });

  it('racy counter under SC: 13 states, of 3 final states one has x = 1', () => {
    const r = explore(counter('plain'), { memory: 'sc' });
    expect(summary(r)).toEqual({
      states: 13,
      transitions: 14,
      interleavings: 6,
      terminal: 3,
      violated: ['counter-is-2'],
    });
    const [v] = r.violations;
    expect(v.count).toBe(1);
    expect(v.trace.final.memory.x).toBe(1);
    // Both load 0 before either stores: four steps.
    expect(v.trace.steps.map((s) => s.label)).toEqual([
      'r = load x',
      'r = load x',
      'store x = r + 1',
      'store x = r + 1',
    ]);
  });
});

describe('explore: litmus tests (herd7 names) under SC and x86-TSO', () => {
  it('SB: r0 = r1 = 0 is reachable under TSO only, and mfence forbids it again', () => {
    expect(explore(storeBuffering(), { memory: 'sc' }).violations).toEqual([]);
    const tso = explore(storeBuffering(), { memory: 'tso' });
    expect(tso.violations.map((v) => v.property)).toEqual(['not-both-zero']);
    expect(tso.violations[0].count).toBe(1);
    expect(explore(storeBuffering(true), { memory: 'tso' }).violations).toEqual([]);
    expect(explore(storeBuffering(true), { memory: 'sc' }).violations).toEqual([]);
  });

  it('SB under TSO: the shortest trace stores into both buffers, loads 0 twice, then flushes', () => {
    const [v] = explore(storeBuffering(), { memory: 'tso' }).violations;
    expect(v.trace.steps.map((s) => `${s.thread} ${s.kind} ${s.text}`)).toEqual([
      'T0 step store x = 1 (into its store buffer)',
      'T0 step r0 = load y → 0',
      'T1 step store y = 1 (into its store buffer)',
      'T1 step r1 = load x → 0',
      'T0 flush flush: x = 1 reaches memory',
      'T1 flush flush: y = 1 reaches memory',
    ]);
  });

  it('MP: the flag is never seen before the data, under SC or TSO (stores stay in order)', () => {
    for (const memory of ['sc', 'tso'] as const)
      expect(explore(messagePassing(), { memory }).violations).toEqual([]);
  });

  it('counter: a lock or a cmpxchg retry loop loses no increment', () => {
    for (const memory of ['sc', 'tso'] as const) {
      expect(explore(counter('locked'), { memory }).violations).toEqual([]);
      expect(explore(counter('cmpxchg'), { memory }).violations).toEqual([]);
      expect(explore(counter('plain'), { memory }).violations).toHaveLength(1);
    }
  });

  it('TSO forwards a thread its own buffered store, and others see it only after the flush', () => {
    const r = explore(storeForwarding(), { memory: 'tso' });
    expect(r.violations).toEqual([]);
    expect(r.terminalStates).toBe(2); // T1 read 0 or 1
  });
});

describe('explore: other properties', () => {
  it('reports a deadlock with the shortest way into it', () => {
    const r = explore(lockInversion());
    expect(r.violations.map((v) => v.property)).toEqual(['deadlock']);
    expect(r.violations[0].trace.steps.map((s) => `${s.thread}: ${s.label}`)).toEqual([
      'T0: lock a',
      'T1: lock b',
    ]);
    expect(r.violations[0].trace.final.locks).toEqual({ a: 'T0', b: 'T1' });
    expect(explore(lockInversion(), { checkDeadlock: false }).violations).toEqual([]);
  });

  it('stops at maxStates and says the result is truncated', () => {
    const r = explore(storeBuffering(), { memory: 'tso', maxStates: 10 });
    expect(r.truncated).toBe(true);
    expect(r.states).toBe(10);
    expect(r.interleavings).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import {
  add,
  assert,
  assign,
  assume,
  atEnd,
  atomic,
  cells,
  eq,
  fence,
  k,
  load,
  lock,
  loop,
  reg,
  store,
  thread,
  threadReg,
  unlock,
} from '../../../engine/races/build.ts';
import { explore } from '../../../engine/races/explore.ts';
import type { Protocol, Stmt } from '../../../engine/races/types.ts';

/** One thread per body, over cells x and y (both 0), registers r and q. */
function threads(...bodies: Stmt[][]): Protocol {
  return {
    name: 'p',
    vars: cells({ x: 0, y: 0 }),
    locks: [{ name: 'm' }],
    threads: bodies.map((body, i) => thread(`T${i}`, ['r', 'q'], body)),
    invariants: [],
  };
}

describe('explore: what is atomic', () => {
  it('runs local statements with the step before them: they add no state', () => {
    const plain = explore(threads([load('r', 'x')], [store('x', k(1))]));
    const withLocals = explore(
      threads(
        [assign('q', k(5)), load('r', 'x'), assign('q', add(reg('r'), k(1)))],
        [store('x', k(1))],
      ),
    );
    expect(withLocals.states).toBe(plain.states);
    expect(withLocals.transitions).toBe(plain.transitions);
  });

  it('runs an atomic block as one step', () => {
    const split = explore(
      threads([load('r', 'x'), store('x', add(reg('r'), k(1)))], [store('x', k(5))]),
    );
    const whole = explore(
      threads([atomic([load('r', 'x'), store('x', add(reg('r'), k(1)))])], [store('x', k(5))]),
    );
    // x = 6 (T1 first), 5 (T0 first) or 1 (T1 stores between T0's load and store).
    expect(split.terminalStates).toBe(3);
    expect(whole.states).toBeLessThan(split.states);
    const finals = explore({
      ...threads([atomic([load('r', 'x'), store('x', add(reg('r'), k(1)))])], [store('x', k(5))]),
      invariants: [atEnd('x-is-6', eq({ kind: 'var', name: 'x' }, k(6)))],
    });
    // T1 after the block: x = 5, the only other outcome.
    expect(finals.violations[0].trace.final.memory.x).toBe(5);
  });

  it('under TSO, a fence waits for the buffer: the trace flushes before it', () => {
    const r = explore(
      {
        ...threads(
          [store('x', k(1)), fence(), load('r', 'y')],
          [store('y', k(1)), fence(), load('r', 'x')],
        ),
        invariants: [atEnd('false', k(0))],
      },
      { memory: 'tso' },
    );
    const steps = r.violations[0].trace.steps.map((s) => `${s.thread} ${s.kind} ${s.label}`);
    expect(steps.slice(0, 3)).toEqual(['T0 step store x = 1', 'T0 flush flush', 'T0 step fence']);
  });

  it('counts loop rounds in registers that reset on exit, and reports the bounds', () => {
    const r = explore(
      threads([loop(3, [store('x', add(reg('r'), k(1))), assign('r', add(reg('r'), k(1)))])]),
    );
    expect(r.states).toBe(4);
    expect(r.loopBounds).toEqual(['T0:#1=3']);
  });
});

describe('explore: asserts, assumes and lock misuse', () => {
  it('records a failing assert per transition and lets the thread go on', () => {
    const r = explore(
      threads([load('r', 'x'), assert(eq(reg('r'), k(0)), 'x is still 0')], [store('x', k(1))]),
    );
    expect(r.violations.map((v) => [v.property, v.kind, v.count])).toEqual([
      ['T0: assert x is still 0', 'assert', 1],
    ]);
    expect(r.violations[0].trace.steps.at(-1)?.locals).toEqual([
      { text: 'assert (x is still 0): FAILS', loc: null },
    ]);
    expect(r.terminalStates).toBe(2);
  });

  it('discards executions where an assume fails: fewer states, no paths through them', () => {
    const free = explore(threads([load('r', 'x')], [store('x', k(1))]));
    const assumed = explore(
      threads([load('r', 'x'), assume(eq(reg('r'), k(1)))], [store('x', k(1))]),
    );
    expect(assumed.states).toBeLessThan(free.states);
    expect(assumed.terminalStates).toBe(1);
    expect(assumed.interleavings).toBe(1);
    expect(
      explore({
        ...threads([load('r', 'x'), assume(eq(reg('r'), k(1)))], [store('x', k(1))]),
        invariants: [atEnd('saw-1', eq(threadReg('T0', 'r'), k(1)))],
      }).violations,
    ).toEqual([]);
  });

  it('reports an unlock by a thread that does not hold the lock', () => {
    const r = explore(threads([lock('m'), unlock('m')], [unlock('m')]));
    expect(r.violations.map((v) => v.property)).toEqual(['lock-misuse']);
    expect(r.violations[0].message).toBe('thread T1 unlocks m without holding it');
  });
});

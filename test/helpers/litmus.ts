import {
  add,
  always,
  and,
  assign,
  atEnd,
  brk,
  cells,
  cmpxchg,
  eq,
  fence,
  k,
  load,
  lock,
  loop,
  ne,
  not,
  reg,
  store,
  thread,
  threadReg,
  unlock,
  when,
} from '../../engine/races/build.ts';
import type { Protocol, Stmt } from '../../engine/races/types.ts';

/**
 * Litmus tests (herd7 / diy names, Alglave, Maranget, Tautschnig, "Herding Cats",
 * TOPLAS 2014) and small protocols whose outcomes are known by hand.
 */

/** SB (store buffering, Dekker): T0: x=1; r0=y. T1: y=1; r1=x. Forbidden: r0=0 ∧ r1=0. */
export function storeBuffering(fences = false): Protocol {
  const side = (me: string, other: string, r: string): Stmt[] => [
    store(me, k(1)),
    ...(fences ? [fence()] : []),
    load(r, other),
  ];
  return {
    name: fences ? 'SB+mfences' : 'SB',
    vars: cells({ x: 0, y: 0 }),
    threads: [
      thread('T0', ['r0'], side('x', 'y', 'r0')),
      thread('T1', ['r1'], side('y', 'x', 'r1')),
    ],
    invariants: [
      atEnd(
        'not-both-zero',
        not(and(eq(threadReg('T0', 'r0'), k(0)), eq(threadReg('T1', 'r1'), k(0)))),
        'both threads read 0',
      ),
    ],
  };
}

/** MP (message passing): T0: x=1; y=1. T1: r0=y; r1=x. Forbidden: r0=1 ∧ r1=0. */
export function messagePassing(): Protocol {
  return {
    name: 'MP',
    vars: cells({ x: 0, y: 0 }),
    threads: [
      thread('T0', [], [store('x', k(1)), store('y', k(1))]),
      thread('T1', ['r0', 'r1'], [load('r0', 'y'), load('r1', 'x')]),
    ],
    invariants: [
      atEnd(
        'flag-implies-data',
        not(and(eq(threadReg('T1', 'r0'), k(1)), eq(threadReg('T1', 'r1'), k(0)))),
        'the flag is seen before the data',
      ),
    ],
  };
}

/**
 * Two threads increment x once: `plain` r=x; x=r+1; `locked` the same under a lock;
 * `cmpxchg` a cmpxchg retry loop (at most 2 tries: the other thread increments once).
 */
export function counter(kind: 'plain' | 'locked' | 'cmpxchg'): Protocol {
  const r = reg('r');
  const body = (): Stmt[] => {
    switch (kind) {
      case 'plain':
        return [load('r', 'x'), store('x', add(r, k(1)))];
      case 'locked':
        return [lock('m'), load('r', 'x'), store('x', add(r, k(1))), unlock('m')];
      case 'cmpxchg':
        return [
          loop(2, [
            load('r', 'x'),
            cmpxchg({ var: 'x', expected: r, desired: add(r, k(1)), ok: 'ok' }),
            when(reg('ok'), [brk()]),
          ]),
        ];
    }
  };
  return {
    name: `counter-${kind}`,
    vars: cells({ x: 0 }),
    locks: kind === 'locked' ? [{ name: 'm' }] : [],
    threads: [thread('T0', ['r', 'ok'], body()), thread('T1', ['r', 'ok'], body())],
    invariants: [
      atEnd('counter-is-2', eq({ kind: 'var', name: 'x' }, k(2)), 'an increment was lost'),
    ],
  };
}

/** One store per thread to its own cell: the smallest TSO state space. */
export function independentStores(threads = 2): Protocol {
  return {
    name: `stores-${threads}`,
    vars: cells(Object.fromEntries(Array.from({ length: threads }, (_, i) => [`x${i}`, 0]))),
    threads: Array.from({ length: threads }, (_, i) => thread(`T${i}`, [], [store(`x${i}`, k(1))])),
    invariants: [always('trivially-true', k(1))],
  };
}

/** Lock order inversion: T0 takes a then b, T1 b then a. */
export function lockInversion(): Protocol {
  return {
    name: 'lock-inversion',
    vars: [],
    locks: [{ name: 'a' }, { name: 'b' }],
    threads: [
      thread('T0', [], [lock('a'), lock('b'), unlock('b'), unlock('a')]),
      thread('T1', [], [lock('b'), lock('a'), unlock('a'), unlock('b')]),
    ],
    invariants: [],
  };
}

/** Forwarding: T0 stores x=1 then reads it back; T1 reads x. */
export function storeForwarding(): Protocol {
  return {
    name: 'forwarding',
    vars: cells({ x: 0 }),
    threads: [
      thread('T0', ['r'], [store('x', k(1)), load('r', 'x'), assign('r', add(reg('r'), k(0)))]),
      thread('T1', ['r'], [load('r', 'x')]),
    ],
    invariants: [atEnd('reads-own-store', ne(threadReg('T0', 'r'), k(0)))],
  };
}

/** The store-buffering litmus test (SB) in the language: both threads may read 0 under TSO. */
export const STORE_BUFFERING_MMU = `protocol sb {
  shared x = 0
  shared y = 0

  thread t0(r0) {
    store x = 1
    load r0 = y
  }

  thread t1(r1) {
    store y = 1
    load r1 = x
  }

  invariant not_both_zero at end not (t0.r0 = 0 and t1.r1 = 0) "both threads read 0"
}
`;

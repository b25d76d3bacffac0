import { describe, expect, it } from 'vitest';
import { always, cell, k, load, reg, store, thread } from '../../../engine/races/build.ts';
import { checkProtocol, ProblemCode, ProtocolError } from '../../../engine/races/check.ts';
import { explore } from '../../../engine/races/explore.ts';
import type { Protocol, Stmt } from '../../../engine/races/types.ts';

const at = { line: 3, col: 5 };

/** A protocol with one thread T (registers r, s) over x, ghost g, lock m. */
function withBody(body: Stmt[], extra: Partial<Protocol> = {}): Protocol {
  return {
    name: 'p',
    vars: [
      { name: 'x', init: 0 },
      { name: 'g', init: 0, ghost: true },
    ],
    locks: [{ name: 'm' }],
    threads: [thread('T', ['r', 's'], body)],
    invariants: [],
    ...extra,
  };
}

/** Each row: a bad protocol, the problem code and words of the message, and its fixed twin. */
const CASES: { name: string; bad: Protocol; code: ProblemCode; says: string; good: Protocol }[] = [
  {
    name: 'a load from an undeclared cell',
    bad: withBody([{ kind: 'load', reg: 'r', var: 'xx', loc: at }]),
    code: ProblemCode.UnknownVar,
    says: 'Variable xx is not declared (did you mean x?)',
    good: withBody([load('r', 'x')]),
  },
  {
    name: 'an undeclared register',
    bad: withBody([{ kind: 'load', reg: 'rr', var: 'x', loc: at }]),
    code: ProblemCode.UnknownRegister,
    says: 'Thread T has no register rr (did you mean r?)',
    good: withBody([load('r', 'x')]),
  },
  {
    name: 'an undeclared lock',
    bad: withBody([{ kind: 'lock', lock: 'mm', loc: at }]),
    code: ProblemCode.UnknownLock,
    says: 'Lock mm is not declared (did you mean m?)',
    good: withBody([
      { kind: 'lock', lock: 'm' },
      { kind: 'unlock', lock: 'm' },
    ]),
  },
  {
    name: 'a memory read inside an expression',
    bad: withBody([{ kind: 'store', var: 'x', value: { kind: 'var', name: 'x' }, loc: at }]),
    code: ProblemCode.MemoryInExpression,
    says: 'load it into a register first',
    good: withBody([load('r', 'x'), store('x', reg('r'))]),
  },
  {
    name: 'a store to a ghost cell',
    bad: withBody([{ kind: 'store', var: 'g', value: k(1), loc: at }]),
    code: ProblemCode.GhostAccess,
    says: 'use a ghost statement',
    good: withBody([{ kind: 'ghost', var: 'g', value: k(1) }]),
  },
  {
    name: 'a ghost update of a memory cell',
    bad: withBody([{ kind: 'ghost', var: 'x', value: k(1), loc: at }]),
    code: ProblemCode.GhostTarget,
    says: 'Variable x is shared memory, not a ghost',
    good: withBody([store('x', k(1))]),
  },
  {
    name: 'break outside a loop',
    bad: withBody([{ kind: 'break', loc: at }]),
    code: ProblemCode.OutsideLoop,
    says: 'break outside a loop in thread T',
    good: withBody([{ kind: 'loop', bound: 2, body: [{ kind: 'break' }] }]),
  },
  {
    name: 'a loop bound of 0',
    bad: withBody([{ kind: 'loop', bound: 0, body: [load('r', 'x')], loc: at }]),
    code: ProblemCode.BadLoopBound,
    says: 'must be an integer from 1 to 64',
    good: withBody([{ kind: 'loop', bound: 1, body: [load('r', 'x')] }]),
  },
  {
    name: 'a fence inside an atomic block',
    bad: withBody([{ kind: 'atomic', body: [{ kind: 'fence', loc: at }] }]),
    code: ProblemCode.NotInAtomic,
    says: 'An atomic block cannot hold a fence',
    good: withBody([{ kind: 'atomic', body: [load('r', 'x')] }, { kind: 'fence' }]),
  },
  {
    name: 'an initial value beyond 32 bits',
    bad: withBody([], { vars: [{ name: 'x', init: 2 ** 40, loc: at }] }),
    code: ProblemCode.NotInt32,
    says: 'values are 32-bit signed integers',
    good: withBody([], { vars: [{ name: 'x', init: 2 ** 31 - 1 }] }),
  },
  {
    name: 'a name declared twice',
    bad: withBody([], {
      vars: [
        { name: 'x', init: 0 },
        { name: 'x', init: 1, loc: at },
      ],
    }),
    code: ProblemCode.DuplicateName,
    says: 'x is declared twice',
    good: withBody([], {
      vars: [
        { name: 'x', init: 0 },
        { name: 'y', init: 1 },
      ],
    }),
  },
  {
    name: 'an invariant reading a register without its thread',
    bad: withBody([], {
      invariants: [{ name: 'i', when: 'always', cond: { kind: 'reg', name: 'r', loc: at } }],
    }),
    code: ProblemCode.RegisterInInvariant,
    says: 'write THREAD.r',
    good: withBody([], {
      invariants: [
        { name: 'i', when: 'always', cond: { kind: 'threadReg', thread: 'T', name: 'r' } },
      ],
    }),
  },
  {
    name: 'an invariant naming an unknown thread',
    bad: withBody([], {
      invariants: [{ name: 'i', when: 'final', cond: { kind: 'done', thread: 'U', loc: at } }],
    }),
    code: ProblemCode.UnknownThread,
    says: 'names thread U, which is not declared (did you mean T?)',
    good: withBody([], {
      invariants: [{ name: 'i', when: 'final', cond: { kind: 'done', thread: 'T' } }],
    }),
  },
  {
    name: 'a thread looking at another thread',
    bad: withBody([{ kind: 'assert', cond: { kind: 'done', thread: 'T' }, loc: at }]),
    code: ProblemCode.ThreadOnlyInInvariant,
    says: 'only invariants may look at other threads',
    good: withBody([{ kind: 'assert', cond: reg('r') }]),
  },
];

describe('checkProtocol', () => {
  for (const c of CASES) {
    it(`reports ${c.name} at its location, and accepts the fixed twin`, () => {
      const problems = checkProtocol(c.bad);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ code: c.code, loc: at });
      expect(problems[0].message).toContain(c.says);
      expect(checkProtocol(c.good)).toEqual([]);
    });
  }

  it('reports a protocol without threads', () => {
    expect(checkProtocol({ name: 'p', vars: [], threads: [], invariants: [] })).toMatchObject([
      { code: ProblemCode.NoThreads },
    ]);
  });
});

describe('explore on a bad protocol', () => {
  it('throws a ProtocolError listing every problem with its location', () => {
    const bad = withBody([{ kind: 'load', reg: 'r', var: 'xx', loc: at }], {
      invariants: [always('i', cell('nope'))],
    });
    expect(() => explore(bad)).toThrow(ProtocolError);
    expect(() => explore(bad)).toThrow(
      /protocol p: 3:5: Variable xx is not declared.*; Variable nope/,
    );
  });
});

import type {
  BinaryOp,
  CmpxchgStmt,
  ConstDecl,
  Expr,
  InvariantDecl,
  RmwOp,
  SharedVar,
  Stmt,
  ThreadDecl,
} from './types.ts';

/**
 * Helpers to write protocol IR by hand in TypeScript (the built-in protocols, tests,
 * a notebook prototyping a protocol before writing it in the language). They build
 * plain IR objects; nothing here is needed by the explorer.
 */

/** A constant; with a name, traces and reports print the name. */
export function k(value: number, name?: string): Expr {
  return name === undefined ? { kind: 'const', value } : { kind: 'const', value, name };
}

/** The named constants of a protocol as expressions, plus their declarations. */
export function constants<T extends Record<string, number>>(
  values: T,
): { [K in keyof T]: Expr } & { decls: ConstDecl[] } {
  const out: Record<string, Expr> = {};
  for (const [name, value] of Object.entries(values)) out[name] = k(value, name);
  return Object.assign(out as { [K in keyof T]: Expr }, {
    decls: Object.entries(values).map(([name, value]) => ({ name, value })),
  });
}

/** A register of the running thread. */
export const reg = (name: string): Expr => ({ kind: 'reg', name });
/** A shared cell (in invariants and ghost statements). */
export const cell = (name: string): Expr => ({ kind: 'var', name });
/** Another thread's register (invariants only). */
export const threadReg = (thread: string, name: string): Expr => ({
  kind: 'threadReg',
  thread,
  name,
});
/** 1 when the thread has finished (invariants only). */
export const done = (thread: string): Expr => ({ kind: 'done', thread });

const bin =
  (op: BinaryOp) =>
  (left: Expr, right: Expr): Expr => ({ kind: 'binary', op, left, right });
export const add = bin('+');
export const sub = bin('-');
export const band = bin('&');
export const bor = bin('|');
export const shl = bin('<<');
export const eq = bin('==');
export const ne = bin('!=');
export const lt = bin('<');
export const and = bin('&&');
export const or = bin('||');
export const not = (arg: Expr): Expr => ({ kind: 'unary', op: '!', arg });
export const bnot = (arg: Expr): Expr => ({ kind: 'unary', op: '~', arg });
/** `a → b` as `!a || b`. */
export const implies = (a: Expr, b: Expr): Expr => or(not(a), b);
/** `x & ~mask`. */
export const clear = (x: Expr, mask: Expr): Expr => band(x, bnot(mask));

const labelled = <S extends Stmt>(s: S, label?: string): S =>
  label === undefined ? s : { ...s, label };

export const load = (r: string, v: string, label?: string): Stmt =>
  labelled({ kind: 'load', reg: r, var: v }, label);
export const store = (v: string, value: Expr, label?: string): Stmt =>
  labelled({ kind: 'store', var: v, value }, label);
export const cmpxchg = (args: Omit<CmpxchgStmt, 'kind' | 'loc' | 'label'>, label?: string): Stmt =>
  labelled({ kind: 'cmpxchg', ...args }, label);
export const rmw = (op: RmwOp, v: string, operand: Expr, old?: string, label?: string): Stmt =>
  labelled(
    old === undefined
      ? { kind: 'rmw', op, var: v, operand }
      : { kind: 'rmw', op, var: v, operand, old },
    label,
  );
export const fence = (label?: string): Stmt => labelled({ kind: 'fence' }, label);
export const lock = (l: string, label?: string): Stmt => labelled({ kind: 'lock', lock: l }, label);
export const unlock = (l: string, label?: string): Stmt =>
  labelled({ kind: 'unlock', lock: l }, label);
export const atomic = (body: Stmt[], label?: string): Stmt =>
  labelled({ kind: 'atomic', body }, label);
export const assign = (r: string, value: Expr, label?: string): Stmt =>
  labelled({ kind: 'assign', reg: r, value }, label);
export const ghost = (v: string, value: Expr, label?: string): Stmt =>
  labelled({ kind: 'ghost', var: v, value }, label);
export const when = (cond: Expr, then: Stmt[], otherwise: Stmt[] = [], label?: string): Stmt =>
  labelled({ kind: 'if', cond, then, else: otherwise }, label);
export const loop = (bound: number, body: Stmt[], cond?: Expr, label?: string): Stmt =>
  labelled(cond ? { kind: 'loop', bound, cond, body } : { kind: 'loop', bound, body }, label);
export const brk = (label?: string): Stmt => labelled({ kind: 'break' }, label);
export const cont = (label?: string): Stmt => labelled({ kind: 'continue' }, label);
export const ret = (label?: string): Stmt => labelled({ kind: 'return' }, label);
export const assert = (cond: Expr, message?: string): Stmt =>
  message === undefined ? { kind: 'assert', cond } : { kind: 'assert', cond, message };
export const assume = (cond: Expr): Stmt => ({ kind: 'assume', cond });

/** A thread; registers as names (initially 0) or a name → initial value map. */
export function thread(
  name: string,
  registers: readonly string[] | Record<string, number>,
  body: Stmt[],
): ThreadDecl {
  const regs = Array.isArray(registers)
    ? registers.map((r) => ({ name: r, init: 0 }))
    : Object.entries(registers).map(([r, init]) => ({ name: r, init }));
  return { name, registers: regs, body };
}

/** Shared cells from a name → initial value map. */
export function cells(values: Record<string, number>, extra: Partial<SharedVar> = {}): SharedVar[] {
  return Object.entries(values).map(([name, init]) => ({ name, init, ...extra }));
}

export const always = (name: string, cond: Expr, message?: string): InvariantDecl =>
  message === undefined ? { name, when: 'always', cond } : { name, when: 'always', cond, message };
export const atEnd = (name: string, cond: Expr, message?: string): InvariantDecl =>
  message === undefined ? { name, when: 'final', cond } : { name, when: 'final', cond, message };

import type { Expr, Protocol, SourceLoc, Stmt, ThreadDecl } from './types.ts';

/**
 * Static checks of a protocol, as data: the language's checker turns each problem into
 * a diagnostic at its location, and `explore` refuses a protocol with problems.
 */

export const ProblemCode = {
  DuplicateName: 'duplicate-name',
  UnknownVar: 'unknown-var',
  UnknownRegister: 'unknown-register',
  UnknownLock: 'unknown-lock',
  UnknownThread: 'unknown-thread',
  GhostAccess: 'ghost-access',
  GhostTarget: 'ghost-target',
  MemoryInExpression: 'memory-in-expression',
  RegisterInInvariant: 'register-in-invariant',
  ThreadOnlyInInvariant: 'thread-only-in-invariant',
  OutsideLoop: 'outside-loop',
  BadLoopBound: 'bad-loop-bound',
  NotInAtomic: 'not-in-atomic',
  NotInt32: 'not-int32',
  NoThreads: 'no-threads',
} as const;
export type ProblemCode = (typeof ProblemCode)[keyof typeof ProblemCode];

export interface ProtocolProblem {
  code: ProblemCode;
  message: string;
  loc: SourceLoc | null;
}

/** Thrown by `explore` for a protocol `checkProtocol` rejects. */
export class ProtocolError extends Error {
  constructor(
    readonly protocol: string,
    readonly problems: ProtocolProblem[],
  ) {
    super(
      `protocol ${protocol}: ${problems
        .map((p) => (p.loc ? `${p.loc.line}:${p.loc.col}: ` : '') + p.message)
        .join('; ')}`,
    );
    this.name = 'ProtocolError';
  }
}

/** Loop bounds above this are refused: state spaces grow with them. */
export const MAX_LOOP_BOUND = 64;

/** Every problem of `p`, in source order within each kind of check; empty when it is fine. */
export function checkProtocol(p: Protocol): ProtocolProblem[] {
  const out: ProtocolProblem[] = [];
  const add = (code: ProblemCode, message: string, loc: SourceLoc | undefined): void => {
    out.push({ code, message, loc: loc ?? null });
  };
  if (p.threads.length === 0)
    add(ProblemCode.NoThreads, `protocol ${p.name} has no thread; add one.`, p.loc);

  const vars = new Map(p.vars.map((v) => [v.name, v]));
  const locks = new Set((p.locks ?? []).map((l) => l.name));
  const threads = new Map(p.threads.map((t) => [t.name, t]));
  checkUnique(
    [...(p.constants ?? []), ...p.vars, ...(p.locks ?? [])],
    'constants, shared variables and locks',
    add,
  );
  checkUnique(p.threads, 'threads', add);
  checkUnique(p.invariants, 'invariants', add);
  for (const v of p.vars) checkInt32(v.init, `initial value of ${v.name}`, v.loc, add);
  for (const c of p.constants ?? []) checkInt32(c.value, `constant ${c.name}`, c.loc, add);

  for (const t of p.threads) {
    checkUnique(t.registers, `registers of ${t.name}`, add);
    for (const r of t.registers)
      checkInt32(r.init, `initial value of ${t.name}.${r.name}`, r.loc, add);
    const regs = new Set(t.registers.map((r) => r.name));
    const ctx: StmtContext = { thread: t, regs, vars, locks, add, loops: 0, atomic: false };
    for (const s of t.body) checkStmt(s, ctx);
  }

  for (const inv of p.invariants) {
    walkExpr(inv.cond, (e) => {
      switch (e.kind) {
        case 'var':
          if (!vars.has(e.name))
            add(ProblemCode.UnknownVar, unknownVar(e.name, vars.keys()), e.loc ?? inv.loc);
          break;
        case 'reg':
          add(
            ProblemCode.RegisterInInvariant,
            `Invariant ${inv.name} reads register ${e.name} without a thread; write THREAD.${e.name}.`,
            e.loc ?? inv.loc,
          );
          break;
        case 'threadReg':
        case 'done': {
          const t = threads.get(e.thread);
          if (!t) {
            add(
              ProblemCode.UnknownThread,
              `Invariant ${inv.name} names thread ${e.thread}, which is not declared${didYouMean(e.thread, threads.keys())}.`,
              e.loc ?? inv.loc,
            );
          } else if (e.kind === 'threadReg' && !t.registers.some((r) => r.name === e.name)) {
            add(
              ProblemCode.UnknownRegister,
              `Thread ${t.name} has no register ${e.name}${didYouMean(
                e.name,
                t.registers.map((r) => r.name),
              )}.`,
              e.loc ?? inv.loc,
            );
          }
          break;
        }
        default:
      }
    });
  }
  return out;
}

type Add = (code: ProblemCode, message: string, loc: SourceLoc | undefined) => void;

interface StmtContext {
  thread: ThreadDecl;
  regs: Set<string>;
  vars: Map<string, Protocol['vars'][number]>;
  locks: Set<string>;
  add: Add;
  loops: number;
  atomic: boolean;
}

function checkStmt(s: Stmt, c: StmtContext): void {
  const t = c.thread.name;
  const reg = (name: string | undefined): void => {
    if (name !== undefined && !c.regs.has(name))
      c.add(
        ProblemCode.UnknownRegister,
        `Thread ${t} has no register ${name}${didYouMean(name, c.regs)}; declare it.`,
        s.loc,
      );
  };
  const memory = (name: string): void => {
    const v = c.vars.get(name);
    if (!v) c.add(ProblemCode.UnknownVar, unknownVar(name, c.vars.keys()), s.loc);
    else if (v.ghost)
      c.add(
        ProblemCode.GhostAccess,
        `Ghost variable ${name} is bookkeeping, not memory: thread ${t} cannot ${s.kind} it; use a ghost statement.`,
        s.loc,
      );
  };
  const expr = (e: Expr, ghostReads = false): void => checkThreadExpr(e, s.loc, c, ghostReads);
  const notInAtomic = (): void => {
    if (c.atomic)
      c.add(
        ProblemCode.NotInAtomic,
        `An atomic block cannot hold a ${s.kind} (thread ${t}); move it out of the block.`,
        s.loc,
      );
  };
  switch (s.kind) {
    case 'load':
      reg(s.reg);
      memory(s.var);
      return;
    case 'store':
      memory(s.var);
      expr(s.value);
      return;
    case 'cmpxchg':
      memory(s.var);
      expr(s.expected);
      expr(s.desired);
      reg(s.old);
      reg(s.ok);
      for (const b of [...(s.onSuccess ?? []), ...(s.onFailure ?? [])]) checkStmt(b, c);
      return;
    case 'rmw':
      memory(s.var);
      expr(s.operand);
      reg(s.old);
      return;
    case 'fence':
      notInAtomic();
      return;
    case 'lock':
    case 'unlock':
      notInAtomic();
      if (!c.locks.has(s.lock))
        c.add(
          ProblemCode.UnknownLock,
          `Lock ${s.lock} is not declared${didYouMean(s.lock, c.locks)}; declare it in the protocol.`,
          s.loc,
        );
      return;
    case 'atomic':
      notInAtomic();
      for (const b of s.body) checkStmt(b, { ...c, atomic: true, loops: 0 });
      return;
    case 'assign':
      reg(s.reg);
      expr(s.value);
      return;
    case 'ghost': {
      const v = c.vars.get(s.var);
      if (!v) c.add(ProblemCode.UnknownVar, unknownVar(s.var, c.vars.keys()), s.loc);
      else if (!v.ghost)
        c.add(
          ProblemCode.GhostTarget,
          `Variable ${s.var} is shared memory, not a ghost: thread ${t} must store to it (or declare it ghost).`,
          s.loc,
        );
      expr(s.value, true);
      return;
    }
    case 'if':
      expr(s.cond);
      for (const b of [...s.then, ...s.else]) checkStmt(b, c);
      return;
    case 'loop':
      if (!Number.isInteger(s.bound) || s.bound < 1 || s.bound > MAX_LOOP_BOUND)
        c.add(
          ProblemCode.BadLoopBound,
          `Loop bound ${s.bound} in thread ${t} must be an integer from 1 to ${MAX_LOOP_BOUND}.`,
          s.loc,
        );
      if (s.cond) expr(s.cond);
      for (const b of s.body) checkStmt(b, { ...c, loops: c.loops + 1 });
      return;
    case 'break':
    case 'continue':
      if (c.loops === 0)
        c.add(
          ProblemCode.OutsideLoop,
          `${s.kind} outside a loop in thread ${t}${c.atomic ? ' (loops do not cross an atomic block)' : ''}; remove it or wrap the steps in a loop.`,
          s.loc,
        );
      return;
    case 'return':
      notInAtomic();
      return;
    case 'assert':
    case 'assume':
      expr(s.cond);
      return;
  }
}

function checkThreadExpr(
  e: Expr,
  loc: SourceLoc | undefined,
  c: StmtContext,
  ghostReads: boolean,
): void {
  walkExpr(e, (x) => {
    const at = x.loc ?? loc;
    switch (x.kind) {
      case 'reg':
        if (!c.regs.has(x.name))
          c.add(
            ProblemCode.UnknownRegister,
            `Thread ${c.thread.name} has no register ${x.name}${didYouMean(x.name, c.regs)}; declare it.`,
            at,
          );
        break;
      case 'var': {
        const v = c.vars.get(x.name);
        if (!v) c.add(ProblemCode.UnknownVar, unknownVar(x.name, c.vars.keys()), at);
        else if (!(ghostReads && v.ghost))
          c.add(
            ProblemCode.MemoryInExpression,
            `Thread ${c.thread.name} reads ${x.name} inside an expression; load it into a register first (each memory access is a step).`,
            at,
          );
        break;
      }
      case 'threadReg':
      case 'done':
        c.add(
          ProblemCode.ThreadOnlyInInvariant,
          `Thread ${c.thread.name} refers to thread ${x.thread}; only invariants may look at other threads.`,
          at,
        );
        break;
      default:
    }
  });
}

/** Calls `f` on `e` and every subexpression. */
export function walkExpr(e: Expr, f: (e: Expr) => void): void {
  f(e);
  if (e.kind === 'unary') walkExpr(e.arg, f);
  else if (e.kind === 'binary') {
    walkExpr(e.left, f);
    walkExpr(e.right, f);
  }
}

function checkUnique(
  items: readonly { name: string; loc?: SourceLoc }[],
  among: string,
  add: Add,
): void {
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.name))
      add(
        ProblemCode.DuplicateName,
        `${it.name} is declared twice among the ${among}; rename one.`,
        it.loc,
      );
    seen.add(it.name);
  }
}

function checkInt32(value: number, what: string, loc: SourceLoc | undefined, add: Add): void {
  if (!Number.isInteger(value) || value !== (value | 0))
    add(
      ProblemCode.NotInt32,
      `The ${what} is ${value}; values are 32-bit signed integers (-2147483648..2147483647).`,
      loc,
    );
}

function unknownVar(name: string, known: Iterable<string>): string {
  return `Variable ${name} is not declared${didYouMean(name, known)}; declare it in the protocol.`;
}

/** ` (did you mean X?)` for the closest known name within edit distance 2, else ''. */
function didYouMean(name: string, known: Iterable<string>): string {
  let best: string | null = null;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best === null ? '' : ` (did you mean ${best}?)`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

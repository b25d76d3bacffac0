import { walkExpr } from './check.ts';
import { renderExpr, renderStmt } from './render.ts';
import type {
  Expr,
  InvariantDecl,
  MemoryModel,
  Protocol,
  RmwOp,
  SharedVar,
  SourceLoc,
  Stmt,
  ThreadDecl,
} from './types.ts';

/**
 * Compiles the structured IR into flat per-thread code (jumps instead of blocks) over
 * one flat state vector, with every expression turned into a closure. The explorer
 * copies and hashes state vectors millions of times; nothing else is allocated per
 * state.
 *
 * State vector layout (Int32Array, `stride` words):
 *   [memory: one word per shared variable, ghost ones included]
 *   [locks: holder thread index + 1, or 0 when free]
 *   per thread: [pc][registers...] and under TSO [buffer length][var, value pairs...]
 * A thread has finished when its pc equals its code length.
 */

/** An expression over a thread's registers (at `st[regBase + i]`) and ghost cells. */
export type ThreadFn = (st: Int32Array, regBase: number) => number;
/** An expression over a whole state (invariants). */
export type StateFn = (st: Int32Array) => number;

interface InstrBase {
  /** The statement it comes from (null for internal jumps). */
  src: Stmt | null;
}

/** Steps: each is one transition of the explorer. */
export type VisibleInstr =
  | (InstrBase & { op: 'load'; reg: number; v: number })
  | (InstrBase & { op: 'store'; v: number; value: ThreadFn })
  | (InstrBase & {
      op: 'cmpxchg';
      v: number;
      expected: ThreadFn;
      desired: ThreadFn;
      old: number;
      ok: number;
    })
  | (InstrBase & { op: 'rmw'; rop: RmwOp; v: number; operand: ThreadFn; old: number })
  | (InstrBase & { op: 'fence' })
  | (InstrBase & { op: 'lock'; l: number })
  | (InstrBase & { op: 'unlock'; l: number })
  | (InstrBase & { op: 'atomic'; body: Instr[] });

/** Local statements: they run with the step before them. */
export type LocalInstr =
  | (InstrBase & { op: 'assign'; reg: number; value: ThreadFn })
  | (InstrBase & { op: 'ghost'; v: number; value: ThreadFn })
  | (InstrBase & { op: 'jump'; to: number; note: string | null })
  | (InstrBase & {
      op: 'branch';
      cond: ThreadFn;
      ifFalse: number;
      /** For traces: what taking (or not) the branch means, given the registers. */
      describe: (st: Int32Array, regBase: number, taken: boolean) => string;
    })
  | (InstrBase & { op: 'assert'; cond: ThreadFn; property: number })
  | (InstrBase & { op: 'assume'; cond: ThreadFn });

export type Instr = VisibleInstr | LocalInstr;

const VISIBLE = new Set(['load', 'store', 'cmpxchg', 'rmw', 'fence', 'lock', 'unlock', 'atomic']);

export function isVisible(i: Instr): i is VisibleInstr {
  return VISIBLE.has(i.op);
}

/** The shared cells an instruction touches, for partial-order reduction. */
export interface Access {
  reads: number[];
  writes: number[];
  locks: number[];
}

export interface CompiledThread {
  name: string;
  index: number;
  /** Declared registers first, then hidden ones (loop counters, cmpxchg results). */
  regs: string[];
  declaredRegs: number;
  code: Instr[];
  pcOff: number;
  regOff: number;
  /** TSO only (else -1). */
  bufLenOff: number;
  bufOff: number;
  /** Most stores the thread can have buffered at once (an upper bound). */
  bufCap: number;
  /** `thread:line:col=K` for each loop. */
  loopBounds: string[];
  decl: ThreadDecl;
}

export interface CompiledInvariant {
  decl: InvariantDecl;
  fn: StateFn;
  /** Shared cells it reads. */
  vars: number[];
  /** Threads whose registers or completion it reads. */
  threads: number[];
}

export interface AssertInfo {
  thread: number;
  stmt: Stmt & { kind: 'assert' };
  name: string;
}

export interface Program {
  protocol: Protocol;
  memory: MemoryModel;
  vars: SharedVar[];
  varIndex: Map<string, number>;
  locks: string[];
  threads: CompiledThread[];
  invariants: CompiledInvariant[];
  asserts: AssertInfo[];
  lockOff: number;
  stride: number;
}

/** Compile `p` (already checked: see checkProtocol) for `memory`. */
export function compileProtocol(p: Protocol, memory: MemoryModel): Program {
  const vars = p.vars;
  const varIndex = new Map(vars.map((v, i) => [v.name, i]));
  const locks = (p.locks ?? []).map((l) => l.name);
  const lockIndex = new Map(locks.map((l, i) => [l, i]));
  const lockOff = vars.length;
  let off = lockOff + locks.length;
  const asserts: AssertInfo[] = [];
  const threads: CompiledThread[] = p.threads.map((t, index) => {
    const c = new ThreadCompiler(t, index, varIndex, lockIndex, asserts);
    c.block(t.body, c.code);
    c.patchReturns();
    const bufCap = memory === 'tso' ? storeBound(t.body) : 0;
    const th: CompiledThread = {
      name: t.name,
      index,
      regs: c.regs,
      declaredRegs: t.registers.length,
      code: c.code,
      pcOff: off,
      regOff: off + 1,
      bufLenOff: -1,
      bufOff: -1,
      bufCap,
      loopBounds: c.loopBounds,
      decl: t,
    };
    off += 1 + c.regs.length;
    if (memory === 'tso') {
      th.bufLenOff = off;
      th.bufOff = off + 1;
      off += 1 + 2 * bufCap;
    }
    return th;
  });
  const threadIndex = new Map(threads.map((t) => [t.name, t]));
  const invariants = p.invariants.map((decl) => compileInvariant(decl, varIndex, threadIndex));
  return {
    protocol: p,
    memory,
    vars,
    varIndex,
    locks,
    threads,
    invariants,
    asserts,
    lockOff,
    stride: off,
  };
}

/** The initial state vector, before any thread ran its leading local statements. */
export function initialVector(prog: Program): Int32Array {
  const st = new Int32Array(prog.stride);
  prog.vars.forEach((v, i) => (st[i] = v.init));
  for (const t of prog.threads) t.decl.registers.forEach((r, i) => (st[t.regOff + i] = r.init));
  return st;
}

/** The cells an instruction reads, writes and locks (an atomic block: its whole body). */
export function accessOf(i: Instr, prog: Program): Access {
  const a: Access = { reads: [], writes: [], locks: [] };
  const add = (instr: Instr): void => {
    switch (instr.op) {
      case 'load':
        a.reads.push(instr.v);
        break;
      case 'store':
        a.writes.push(instr.v);
        break;
      case 'cmpxchg':
      case 'rmw':
        a.reads.push(instr.v);
        a.writes.push(instr.v);
        break;
      case 'lock':
      case 'unlock':
        a.locks.push(instr.l);
        break;
      case 'atomic':
        instr.body.forEach(add);
        break;
      case 'ghost':
        a.writes.push(instr.v);
        if (instr.src?.kind === 'ghost') a.reads.push(...exprVars(instr.src.value, prog.varIndex));
        break;
      default:
    }
  };
  add(i);
  return a;
}

function exprVars(e: Expr, varIndex: Map<string, number>): number[] {
  const out: number[] = [];
  walkExpr(e, (x) => {
    if (x.kind === 'var') {
      const i = varIndex.get(x.name);
      if (i !== undefined && !out.includes(i)) out.push(i);
    }
  });
  return out;
}

/** Upper bound of the stores a thread can have in flight: each store times its loops' bounds. */
function storeBound(stmts: readonly Stmt[]): number {
  let n = 0;
  for (const s of stmts) {
    switch (s.kind) {
      case 'store':
        n += 1;
        break;
      case 'if':
        n += storeBound(s.then) + storeBound(s.else);
        break;
      case 'cmpxchg':
        n += storeBound(s.onSuccess ?? []) + storeBound(s.onFailure ?? []);
        break;
      case 'loop':
        n += s.bound * storeBound(s.body);
        break;
      default:
    }
  }
  return n;
}

interface LoopCtx {
  breaks: LocalInstr[];
  continues: LocalInstr[];
}

class ThreadCompiler {
  readonly code: Instr[] = [];
  readonly regs: string[];
  readonly regIndex: Map<string, number>;
  readonly loopBounds: string[] = [];
  private readonly loops: LoopCtx[] = [];
  private readonly returns: (LocalInstr & { op: 'jump' })[] = [];
  private hidden = 0;

  constructor(
    private readonly t: ThreadDecl,
    private readonly index: number,
    private readonly varIndex: Map<string, number>,
    private readonly lockIndex: Map<string, number>,
    private readonly asserts: AssertInfo[],
  ) {
    this.regs = t.registers.map((r) => r.name);
    this.regIndex = new Map(this.regs.map((r, i) => [r, i]));
  }

  patchReturns(): void {
    for (const j of this.returns) j.to = this.code.length;
  }

  private hiddenReg(what: string): number {
    this.regs.push(`#${what}${++this.hidden}`);
    return this.regs.length - 1;
  }

  private fn(e: Expr): ThreadFn {
    return compileThreadExpr(e, this.regIndex, this.varIndex);
  }

  private reg(name: string | undefined): number {
    return name === undefined ? -1 : (this.regIndex.get(name) ?? -1);
  }

  block(stmts: readonly Stmt[], code: Instr[]): void {
    for (const s of stmts) this.stmt(s, code);
  }

  private stmt(s: Stmt, code: Instr[]): void {
    const v = (name: string): number => this.varIndex.get(name) ?? -1;
    switch (s.kind) {
      case 'load':
        code.push({ op: 'load', src: s, reg: this.reg(s.reg), v: v(s.var) });
        return;
      case 'store':
        code.push({ op: 'store', src: s, v: v(s.var), value: this.fn(s.value) });
        return;
      case 'cmpxchg': {
        const branches = (s.onSuccess?.length ?? 0) + (s.onFailure?.length ?? 0) > 0;
        const ok = s.ok !== undefined ? this.reg(s.ok) : branches ? this.hiddenReg('ok') : -1;
        code.push({
          op: 'cmpxchg',
          src: s,
          v: v(s.var),
          expected: this.fn(s.expected),
          desired: this.fn(s.desired),
          old: this.reg(s.old),
          ok,
        });
        if (branches) {
          const okReg = ok;
          this.ifElse(
            s,
            (st, b) => st[b + okReg],
            (taken) => (taken ? 'cmpxchg succeeded' : 'cmpxchg failed'),
            s.onSuccess ?? [],
            s.onFailure ?? [],
            code,
          );
        }
        return;
      }
      case 'rmw':
        code.push({
          op: 'rmw',
          src: s,
          rop: s.op,
          v: v(s.var),
          operand: this.fn(s.operand),
          old: this.reg(s.old),
        });
        return;
      case 'fence':
        code.push({ op: 'fence', src: s });
        return;
      case 'lock':
      case 'unlock':
        code.push({ op: s.kind, src: s, l: this.lockIndex.get(s.lock) ?? -1 });
        return;
      case 'atomic': {
        const body: Instr[] = [];
        const outer = this.loops.splice(0);
        this.block(s.body, body);
        this.loops.push(...outer);
        code.push({ op: 'atomic', src: s, body });
        return;
      }
      case 'assign':
        code.push({ op: 'assign', src: s, reg: this.reg(s.reg), value: this.fn(s.value) });
        return;
      case 'ghost':
        code.push({ op: 'ghost', src: s, v: v(s.var), value: this.fn(s.value) });
        return;
      case 'if': {
        const text = renderExpr(s.cond);
        this.ifElse(
          s,
          this.fn(s.cond),
          (taken) => `if ${text} → ${taken ? 'then' : 'else'}`,
          s.then,
          s.else,
          code,
        );
        return;
      }
      case 'loop':
        this.loop(s, code);
        return;
      case 'break':
      case 'continue': {
        const j: LocalInstr & { op: 'jump' } = { op: 'jump', src: s, to: -1, note: s.kind };
        const ctx = this.loops[this.loops.length - 1];
        (s.kind === 'break' ? ctx.breaks : ctx.continues).push(j);
        code.push(j);
        return;
      }
      case 'return': {
        const j: LocalInstr & { op: 'jump' } = { op: 'jump', src: s, to: -1, note: 'return' };
        this.returns.push(j);
        code.push(j);
        return;
      }
      case 'assert': {
        const name = `${this.t.name}: assert ${s.message ?? renderExpr(s.cond)}`;
        this.asserts.push({ thread: this.index, stmt: s, name });
        code.push({
          op: 'assert',
          src: s,
          cond: this.fn(s.cond),
          property: this.asserts.length - 1,
        });
        return;
      }
      case 'assume':
        code.push({ op: 'assume', src: s, cond: this.fn(s.cond) });
        return;
    }
  }

  private ifElse(
    src: Stmt,
    cond: ThreadFn,
    note: (taken: boolean) => string,
    thenStmts: readonly Stmt[],
    elseStmts: readonly Stmt[],
    code: Instr[],
  ): void {
    const br: LocalInstr & { op: 'branch' } = {
      op: 'branch',
      src,
      cond,
      ifFalse: -1,
      describe: (_st, _b, taken) => note(taken),
    };
    code.push(br);
    this.block(thenStmts, code);
    if (elseStmts.length > 0) {
      const skip: LocalInstr & { op: 'jump' } = { op: 'jump', src: null, to: -1, note: null };
      code.push(skip);
      br.ifFalse = code.length;
      this.block(elseStmts, code);
      skip.to = code.length;
    } else {
      br.ifFalse = code.length;
    }
  }

  /**
   * `loop at most K [while C] { body }` as
   *   test:  branch (ctr < K && C) else exit
   *          body            (continue → next, break → exit)
   *   next:  ctr = ctr + 1; jump test
   *   exit:  ctr = 0
   * The counter is 0 on entry (initially, and reset on every way out), so states after
   * the loop do not differ by how many rounds it ran.
   */
  private loop(s: Stmt & { kind: 'loop' }, code: Instr[]): void {
    const ctr = this.hiddenReg('loop');
    const bound = s.bound;
    const cond = s.cond ? this.fn(s.cond) : null;
    const condText = s.cond ? renderExpr(s.cond) : null;
    const where = s.loc ? `${s.loc.line}:${s.loc.col}` : `#${this.loopBounds.length + 1}`;
    this.loopBounds.push(`${this.t.name}:${where}=${bound}`);
    const test = code.length;
    const br: LocalInstr & { op: 'branch' } = {
      op: 'branch',
      src: s,
      cond: cond
        ? (st, b) => (st[b + ctr] < bound && cond(st, b) !== 0 ? 1 : 0)
        : (st, b) => (st[b + ctr] < bound ? 1 : 0),
      ifFalse: -1,
      describe: (st, b, taken) => {
        const round = st[b + ctr] + 1;
        if (taken) return `loop round ${round} of at most ${bound}`;
        return round > bound
          ? `loop ends: bound ${bound} reached`
          : `loop ends: ${condText ?? 'condition'} is false`;
      },
    };
    code.push(br);
    const ctx: LoopCtx = { breaks: [], continues: [] };
    this.loops.push(ctx);
    this.block(s.body, code);
    this.loops.pop();
    const next = code.length;
    code.push({ op: 'assign', src: null, reg: ctr, value: (st, b) => (st[b + ctr] + 1) | 0 });
    code.push({ op: 'jump', src: null, to: test, note: null });
    const exit = code.length;
    code.push({ op: 'assign', src: null, reg: ctr, value: () => 0 });
    br.ifFalse = exit;
    for (const j of ctx.continues) if (j.op === 'jump') j.to = next;
    for (const j of ctx.breaks) if (j.op === 'jump') j.to = exit;
  }
}

/** A closure computing `e` over a thread's registers and ghost cells. */
function compileThreadExpr(
  e: Expr,
  regIndex: Map<string, number>,
  varIndex: Map<string, number>,
): ThreadFn {
  const leaf = (x: Expr): ThreadFn | null => {
    switch (x.kind) {
      case 'const': {
        const value = x.value | 0;
        return () => value;
      }
      case 'reg': {
        const i = regIndex.get(x.name) ?? 0;
        return (st, b) => st[b + i];
      }
      case 'var': {
        const i = varIndex.get(x.name) ?? 0;
        return (st) => st[i];
      }
      default:
        return null;
    }
  };
  return compileOps(e, leaf) as ThreadFn;
}

function compileInvariant(
  decl: InvariantDecl,
  varIndex: Map<string, number>,
  threads: Map<string, CompiledThread>,
): CompiledInvariant {
  const vars: number[] = [];
  const ths: number[] = [];
  const leaf = (x: Expr): ThreadFn | null => {
    switch (x.kind) {
      case 'const': {
        const value = x.value | 0;
        return () => value;
      }
      case 'var': {
        const i = varIndex.get(x.name) ?? 0;
        if (!vars.includes(i)) vars.push(i);
        return (st) => st[i];
      }
      case 'threadReg': {
        const t = threads.get(x.thread);
        if (!t) return () => 0;
        if (!ths.includes(t.index)) ths.push(t.index);
        const i = t.regOff + t.regs.indexOf(x.name);
        return (st) => st[i];
      }
      case 'done': {
        const t = threads.get(x.thread);
        if (!t) return () => 0;
        if (!ths.includes(t.index)) ths.push(t.index);
        const pc = t.pcOff;
        const end = t.code.length;
        return (st) => (st[pc] === end ? 1 : 0);
      }
      default:
        return null;
    }
  };
  const fn = compileOps(decl.cond, leaf);
  return { decl, fn: (st) => fn(st, 0), vars, threads: ths };
}

/**
 * The value of an expression of constants (a protocol's `const`, an initial value),
 * with the operators' 32-bit semantics of every other expression.
 */
export function evaluateConstant(e: Expr): number {
  const fn = compileOps(e, (x) => {
    if (x.kind === 'const') {
      const v = x.value | 0;
      return () => v;
    }
    if (x.kind === 'unary' || x.kind === 'binary') return null;
    throw new Error(`a constant expression reads ${x.kind} ${'name' in x ? x.name : ''}`);
  });
  return fn(new Int32Array(0), 0);
}

/** Operators with 32-bit wrap-around, comparisons and logic giving 0 or 1. */
function compileOps(e: Expr, leaf: (x: Expr) => ThreadFn | null): ThreadFn {
  const l = leaf(e);
  if (l) return l;
  if (e.kind === 'unary') {
    const a = compileOps(e.arg, leaf);
    switch (e.op) {
      case '!':
        return (st, b) => (a(st, b) === 0 ? 1 : 0);
      case '-':
        return (st, b) => -a(st, b) | 0;
      case '~':
        return (st, b) => ~a(st, b);
    }
  }
  if (e.kind !== 'binary') throw new Error(`expression kind ${e.kind} is not allowed here`);
  const x = compileOps(e.left, leaf);
  const y = compileOps(e.right, leaf);
  switch (e.op) {
    case '+':
      return (st, b) => (x(st, b) + y(st, b)) | 0;
    case '-':
      return (st, b) => (x(st, b) - y(st, b)) | 0;
    case '*':
      return (st, b) => Math.imul(x(st, b), y(st, b));
    case '&':
      return (st, b) => x(st, b) & y(st, b);
    case '|':
      return (st, b) => x(st, b) | y(st, b);
    case '^':
      return (st, b) => x(st, b) ^ y(st, b);
    case '<<':
      return (st, b) => x(st, b) << (y(st, b) & 31);
    case '>>':
      return (st, b) => x(st, b) >> (y(st, b) & 31);
    case '==':
      return (st, b) => (x(st, b) === y(st, b) ? 1 : 0);
    case '!=':
      return (st, b) => (x(st, b) !== y(st, b) ? 1 : 0);
    case '<':
      return (st, b) => (x(st, b) < y(st, b) ? 1 : 0);
    case '<=':
      return (st, b) => (x(st, b) <= y(st, b) ? 1 : 0);
    case '>':
      return (st, b) => (x(st, b) > y(st, b) ? 1 : 0);
    case '>=':
      return (st, b) => (x(st, b) >= y(st, b) ? 1 : 0);
    case '&&':
      return (st, b) => (x(st, b) !== 0 && y(st, b) !== 0 ? 1 : 0);
    case '||':
      return (st, b) => (x(st, b) !== 0 || y(st, b) !== 0 ? 1 : 0);
  }
}

/** `label` or the rendered statement: how a step is named in traces. */
export function stepLabel(src: Stmt | null): string {
  if (!src) return '';
  return src.label ?? renderStmt(src);
}

export function locOf(src: Stmt | null): SourceLoc | null {
  return src?.loc ?? null;
}

import { initialVector, isVisible } from './compile.ts';
import type { CompiledThread, Instr, Program } from './compile.ts';
import type { SourceLoc } from './types.ts';

/**
 * The operational semantics: which actions a state enables and what each does.
 *
 * What is atomic. A thread moves by *steps*: one load, store, cmpxchg, rmw, fence,
 * lock, unlock or atomic block. The local statements after a step (register
 * arithmetic, branches, loop control, ghost updates, asserts, assumes) run with it, up
 * to the thread's next step: they touch no shared memory, so running them at once
 * changes no outcome and keeps them out of the interleavings. A thread's leading local
 * statements run in the initial state.
 *
 * Sequential consistency (Lamport 1979): every step acts on memory at once; the
 * explorer interleaves steps.
 *
 * x86-TSO (Owens, Sarkar, Sewell, TPHOLs 2009; CACM 2010):
 * - a store goes into the thread's FIFO store buffer;
 * - a load reads the thread's newest buffered store to that cell, else memory
 *   (store forwarding);
 * - a *flush* action writes the oldest buffered store of a thread to memory; it is
 *   enabled whenever the buffer is not empty, so the explorer tries it at every point;
 * - fence (mfence, Linux smp_mb), cmpxchg, rmw (lock-prefixed instructions), lock and
 *   unlock and atomic blocks are enabled only when the thread's buffer is empty (they
 *   drain it first) and then act on memory directly. Linux's spin_unlock on x86 is a
 *   plain store; treating unlock as draining only hides the reordering of loads after
 *   an unlock with the stores before it, which no protocol here depends on.
 *
 * Actions are numbered `2 * thread` (the thread's next step) and `2 * thread + 1` (a
 * flush of its buffer), and always enumerated in that order, so exploration is
 * deterministic.
 */

/** What a step did besides changing the state. Reused between steps: call `reset`. */
export class StepEffects {
  /** Indexes into `program.asserts` of the asserts that failed. */
  readonly failedAsserts: number[] = [];
  /** The lock a thread unlocked without holding it (-1: none). */
  lockMisuse = -1;
  /** An `assume` was false: the execution is discarded. */
  pruned = false;

  reset(): void {
    this.failedAsserts.length = 0;
    this.lockMisuse = -1;
    this.pruned = false;
  }
}

/** Receives the details of a step while a trace is replayed (never while exploring). */
export interface Recorder {
  read(v: number, value: number, via: 'memory' | 'buffer'): void;
  write(v: number, value: number, via: 'memory' | 'buffer'): void;
  reg(reg: number, value: number): void;
  local(text: string, loc: SourceLoc | null): void;
  /** The outcome of a cmpxchg (or other detail worth a word in the trace). */
  note(text: string): void;
}

/** Local statements per step beyond this mean a loop with no step in it runs away. */
const MAX_LOCAL_STEPS = 1_000_000;

export class Machine {
  readonly tso: boolean;

  constructor(readonly prog: Program) {
    this.tso = prog.memory === 'tso';
  }

  /** The initial state, or null when a thread's leading `assume` already fails. */
  initial(fx: StepEffects, rec: Recorder | null = null): Int32Array | null {
    const st = initialVector(this.prog);
    fx.reset();
    for (const t of this.prog.threads) {
      st[t.pcOff] = this.exec(t, t.code, 0, st, fx, rec, false);
      if (fx.pruned) return null;
    }
    return st;
  }

  isDone(st: Int32Array, t: CompiledThread): boolean {
    return st[t.pcOff] === t.code.length;
  }

  /** All threads finished (and, under TSO, every buffer drained). */
  allDone(st: Int32Array): boolean {
    for (const t of this.prog.threads) {
      if (st[t.pcOff] !== t.code.length) return false;
      if (this.tso && st[t.bufLenOff] !== 0) return false;
    }
    return true;
  }

  /** Writes the enabled actions of `st` into `out`, returns how many. */
  enabled(st: Int32Array, out: Int32Array): number {
    let n = 0;
    const threads = this.prog.threads;
    for (let t = 0; t < threads.length; t++) {
      if (this.stepEnabled(st, threads[t])) out[n++] = 2 * t;
      if (this.tso && st[threads[t].bufLenOff] > 0) out[n++] = 2 * t + 1;
    }
    return n;
  }

  /** The thread's next step can run now. */
  stepEnabled(st: Int32Array, th: CompiledThread): boolean {
    const pc = st[th.pcOff];
    if (pc >= th.code.length) return false;
    const ins = th.code[pc];
    switch (ins.op) {
      case 'load':
      case 'store':
        return true;
      case 'lock':
        if (st[this.prog.lockOff + ins.l] !== 0) return false;
        return !this.tso || st[th.bufLenOff] === 0;
      default:
        // fence, cmpxchg, rmw, unlock, atomic: drain the store buffer first.
        return !this.tso || st[th.bufLenOff] === 0;
    }
  }

  /** Applies `action` to `st` in place. */
  apply(st: Int32Array, action: number, fx: StepEffects, rec: Recorder | null = null): void {
    fx.reset();
    const th = this.prog.threads[action >> 1];
    if (action & 1) {
      this.flush(st, th, rec);
      return;
    }
    const pc = st[th.pcOff];
    st[th.pcOff] = this.exec(th, th.code, pc, st, fx, rec, false, true);
  }

  /** Writes the oldest buffered store of `th` to memory. */
  private flush(st: Int32Array, th: CompiledThread, rec: Recorder | null): void {
    const len = st[th.bufLenOff];
    const b = th.bufOff;
    const v = st[b];
    const value = st[b + 1];
    st[v] = value;
    st.copyWithin(b, b + 2, b + 2 * len);
    st[b + 2 * len - 2] = 0;
    st[b + 2 * len - 1] = 0;
    st[th.bufLenOff] = len - 1;
    rec?.write(v, value, 'memory');
  }

  /**
   * Runs `code` from `pc`: the step at `pc` when `step` is set, then local statements up
   * to the next step (or, inside an atomic block, everything). Returns the new pc.
   */
  private exec(
    th: CompiledThread,
    code: readonly Instr[],
    pc: number,
    st: Int32Array,
    fx: StepEffects,
    rec: Recorder | null,
    atomic: boolean,
    step = false,
  ): number {
    const rb = th.regOff;
    let budget = MAX_LOCAL_STEPS;
    while (pc < code.length) {
      const ins = code[pc];
      if (isVisible(ins)) {
        if (!step && !atomic) return pc;
        step = false;
        this.step(th, ins, st, fx, rec, atomic);
        pc++;
        continue;
      }
      if (--budget === 0)
        throw new Error(
          `thread ${th.name} runs ${MAX_LOCAL_STEPS} local statements without a step: a loop without a step in it?`,
        );
      switch (ins.op) {
        case 'assign': {
          const value = ins.value(st, rb);
          st[rb + ins.reg] = value;
          if (rec && ins.src) {
            rec.reg(ins.reg, value);
            rec.local(`${th.regs[ins.reg]} = ${value}`, ins.src.loc ?? null);
          }
          pc++;
          break;
        }
        case 'ghost': {
          const value = ins.value(st, rb);
          st[ins.v] = value;
          if (rec) {
            rec.local(`ghost ${this.prog.vars[ins.v].name} = ${value}`, ins.src?.loc ?? null);
          }
          pc++;
          break;
        }
        case 'jump':
          if (rec && ins.note) rec.local(ins.note, ins.src?.loc ?? null);
          pc = ins.to;
          break;
        case 'branch': {
          const taken = ins.cond(st, rb) !== 0;
          if (rec) rec.local(ins.describe(st, rb, taken), ins.src?.loc ?? null);
          pc = taken ? pc + 1 : ins.ifFalse;
          break;
        }
        case 'assert': {
          const holds = ins.cond(st, rb) !== 0;
          if (!holds) fx.failedAsserts.push(ins.property);
          if (rec)
            rec.local(`${stepText(ins)}: ${holds ? 'holds' : 'FAILS'}`, ins.src?.loc ?? null);
          pc++;
          break;
        }
        case 'assume':
          if (ins.cond(st, rb) === 0) {
            fx.pruned = true;
            return pc;
          }
          pc++;
          break;
      }
    }
    return pc;
  }

  /** One step on memory (or, for a store under TSO outside an atomic block, the buffer). */
  private step(
    th: CompiledThread,
    ins: Instr,
    st: Int32Array,
    fx: StepEffects,
    rec: Recorder | null,
    atomic: boolean,
  ): void {
    const rb = th.regOff;
    switch (ins.op) {
      case 'load': {
        let value = st[ins.v];
        let via: 'memory' | 'buffer' = 'memory';
        if (this.tso && !atomic) {
          const b = th.bufOff;
          for (let k = st[th.bufLenOff] - 1; k >= 0; k--) {
            if (st[b + 2 * k] === ins.v) {
              value = st[b + 2 * k + 1];
              via = 'buffer';
              break;
            }
          }
        }
        st[rb + ins.reg] = value;
        if (rec) {
          rec.read(ins.v, value, via);
          rec.reg(ins.reg, value);
        }
        return;
      }
      case 'store': {
        const value = ins.value(st, rb);
        if (this.tso && !atomic) {
          const len = st[th.bufLenOff];
          if (len >= th.bufCap)
            throw new Error(
              `thread ${th.name}: store buffer overflow (${th.bufCap} entries); this is a bug in the store bound`,
            );
          st[th.bufOff + 2 * len] = ins.v;
          st[th.bufOff + 2 * len + 1] = value;
          st[th.bufLenOff] = len + 1;
          rec?.write(ins.v, value, 'buffer');
        } else {
          st[ins.v] = value;
          rec?.write(ins.v, value, 'memory');
        }
        return;
      }
      case 'cmpxchg': {
        const expected = ins.expected(st, rb);
        const desired = ins.desired(st, rb);
        const found = st[ins.v];
        const ok = found === expected;
        rec?.read(ins.v, found, 'memory');
        if (ok) {
          st[ins.v] = desired;
          rec?.write(ins.v, desired, 'memory');
        }
        rec?.note(ok ? 'succeeded' : `failed: expected ${expected}`);
        if (ins.old >= 0) {
          st[rb + ins.old] = found;
          rec?.reg(ins.old, found);
        }
        if (ins.ok >= 0) {
          st[rb + ins.ok] = ok ? 1 : 0;
          rec?.reg(ins.ok, ok ? 1 : 0);
        }
        return;
      }
      case 'rmw': {
        const operand = ins.operand(st, rb);
        const old = st[ins.v];
        let value: number;
        switch (ins.rop) {
          case 'xchg':
            value = operand;
            break;
          case 'add':
            value = (old + operand) | 0;
            break;
          case 'or':
            value = old | operand;
            break;
          case 'and':
            value = old & operand;
            break;
          case 'andnot':
            value = old & ~operand;
            break;
        }
        st[ins.v] = value;
        if (ins.old >= 0) st[rb + ins.old] = old;
        if (rec) {
          rec.read(ins.v, old, 'memory');
          rec.write(ins.v, value, 'memory');
          if (ins.old >= 0) rec.reg(ins.old, old);
        }
        return;
      }
      case 'fence':
        return;
      case 'lock':
        st[this.prog.lockOff + ins.l] = th.index + 1;
        return;
      case 'unlock':
        if (st[this.prog.lockOff + ins.l] !== th.index + 1) fx.lockMisuse = ins.l;
        st[this.prog.lockOff + ins.l] = 0;
        return;
      case 'atomic':
        this.exec(th, ins.body, 0, st, fx, rec, true);
        return;
      default:
    }
  }
}

function stepText(ins: Instr): string {
  const s = ins.src;
  if (s?.kind === 'assert') return s.message ? `assert (${s.message})` : 'assert';
  return ins.op;
}

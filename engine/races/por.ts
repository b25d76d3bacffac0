import { accessOf, isVisible } from './compile.ts';
import type { Instr, Program } from './compile.ts';

/**
 * Partial-order reduction by persistent (ample) sets, as SPIN does it (Peled 1993;
 * Godefroid 1996), with a static look-ahead: in a state, one transition alone is
 * explored instead of all enabled ones when nothing any other thread can still do
 * depends on it. Then every interleaving that runs it later is equivalent to one that
 * runs it now.
 *
 * A transition α of thread t is taken alone when:
 * C1 (independence) no other thread u can, from its current pc on, touch what α
 *    touches: α's reads against u's future writes (its buffered stores included), α's
 *    writes against u's future reads and writes, α's lock against u's future locks.
 *    α's own thread cannot interfere either: a flush of t and t's next step commute
 *    (store forwarding makes a load read the same value before and after the flush),
 *    and t's draining steps are disabled until its flushes ran.
 * C2 (invisibility) α changes nothing a property looks at: no cell an `always`
 *    invariant reads, no register or completion of a thread such an invariant names,
 *    and no ghost update, assert or assume among the local statements that run with it.
 * C3 (cycles) holds trivially: every loop is bounded and every step or flush makes
 *    progress, so the state graph has no cycle.
 * Under these conditions the reduced graph keeps every terminal state (so every
 * `final` invariant verdict and deadlock) and every violation of an `always`
 * invariant or assert. It may find longer traces than the full search, which the
 * results say (`reduction: 'por'`).
 */
export class AmpleSets {
  private readonly words: number;
  /** Per thread, per pc (code length included, empty): cells read / written, locks taken from pc on. */
  private readonly futReads: Uint32Array[][];
  private readonly futWrites: Uint32Array[][];
  private readonly futLocks: Uint32Array[][];
  /** Per thread, per pc: what the step reads/writes on memory, its locks, and whether it is visible. */
  private readonly stepReads: Uint32Array[][];
  private readonly stepWrites: Uint32Array[][];
  private readonly stepLocks: Uint32Array[][];
  private readonly stepVisible: boolean[][];
  /** Cells `always` invariants read: a flush writing one is visible. */
  private readonly invariantVars: Uint32Array;

  constructor(private readonly prog: Program) {
    const nVars = prog.vars.length;
    const nLocks = Math.max(1, prog.locks.length);
    this.words = Math.max(1, Math.ceil(nVars / 32));
    const lockWords = Math.ceil(nLocks / 32);
    const always = prog.invariants.filter((i) => i.decl.when === 'always');
    this.invariantVars = this.bits(always.flatMap((i) => i.vars));
    const watchedThreads = new Set(always.flatMap((i) => i.threads));
    const tso = prog.memory === 'tso';

    this.futReads = [];
    this.futWrites = [];
    this.futLocks = [];
    this.stepReads = [];
    this.stepWrites = [];
    this.stepLocks = [];
    this.stepVisible = [];
    for (const th of prog.threads) {
      const n = th.code.length;
      const acc = th.code.map((i) => accessOf(i, prog));
      const fr = Array.from({ length: n + 1 }, () => new Uint32Array(this.words));
      const fw = Array.from({ length: n + 1 }, () => new Uint32Array(this.words));
      const fl = Array.from({ length: n + 1 }, () => new Uint32Array(lockWords));
      acc.forEach((a, pc) => {
        setBits(fr[pc], a.reads);
        setBits(fw[pc], a.writes);
        setBits(fl[pc], a.locks);
      });
      // Backward fixpoint over the control-flow graph (loops make it cyclic).
      for (let changed = true; changed;) {
        changed = false;
        for (let pc = n - 1; pc >= 0; pc--) {
          for (const s of successors(th.code[pc], pc)) {
            changed = orInto(fr[pc], fr[s]) || changed;
            changed = orInto(fw[pc], fw[s]) || changed;
            changed = orInto(fl[pc], fl[s]) || changed;
          }
        }
      }
      this.futReads.push(fr);
      this.futWrites.push(fw);
      this.futLocks.push(fl);

      const sr: Uint32Array[] = [];
      const sw: Uint32Array[] = [];
      const sl: Uint32Array[] = [];
      const vis: boolean[] = [];
      th.code.forEach((ins, pc) => {
        // A store under TSO only fills the buffer; its flush is what touches memory.
        const bufferOnly = tso && ins.op === 'store';
        const reads = bufferOnly ? [] : acc[pc].reads;
        const writes = bufferOnly ? [] : acc[pc].writes;
        sr.push(this.bits(reads));
        sw.push(this.bits(writes));
        const l = new Uint32Array(lockWords);
        setBits(l, acc[pc].locks);
        sl.push(l);
        vis.push(
          watchedThreads.has(th.index) ||
            writes.some((v) => hasBit(this.invariantVars, v)) ||
            (isVisible(ins) && tailIsVisible(th.code, pc)),
        );
      });
      this.stepReads.push(sr);
      this.stepWrites.push(sw);
      this.stepLocks.push(sl);
      this.stepVisible.push(vis);
    }
  }

  /**
   * Reduces the `n` enabled actions in `actions` (as Machine.enabled wrote them) in
   * place; returns how many remain: 1 when an ample transition exists, else `n`.
   */
  reduce(st: Int32Array, actions: Int32Array, n: number): number {
    if (n <= 1) return n;
    for (let k = 0; k < n; k++) {
      const a = actions[k];
      if (this.alone(st, a)) {
        actions[0] = a;
        return 1;
      }
    }
    return n;
  }

  private alone(st: Int32Array, action: number): boolean {
    const t = action >> 1;
    const th = this.prog.threads[t];
    let reads: Uint32Array;
    let writes: Uint32Array;
    let locks: Uint32Array | null = null;
    if (action & 1) {
      const v = st[th.bufOff];
      if (hasBit(this.invariantVars, v)) return false;
      reads = EMPTY;
      writes = this.bits([v]);
    } else {
      const pc = st[th.pcOff];
      if (this.stepVisible[t][pc]) return false;
      reads = this.stepReads[t][pc];
      writes = this.stepWrites[t][pc];
      locks = this.stepLocks[t][pc];
    }
    const threads = this.prog.threads;
    for (let u = 0; u < threads.length; u++) {
      if (u === t) continue;
      const tu = threads[u];
      const pcu = st[tu.pcOff];
      const fr = this.futReads[u][pcu];
      const fw = this.futWrites[u][pcu];
      if (intersects(reads, fw) || intersects(writes, fw) || intersects(writes, fr)) return false;
      if (locks && intersects(locks, this.futLocks[u][pcu])) return false;
      if (tu.bufLenOff >= 0) {
        // Buffered stores of u are future writes to memory.
        for (let k = st[tu.bufLenOff] - 1; k >= 0; k--) {
          const v = st[tu.bufOff + 2 * k];
          if (hasBit(reads, v) || hasBit(writes, v)) return false;
        }
      }
    }
    return true;
  }

  private bits(vars: readonly number[]): Uint32Array {
    const b = new Uint32Array(this.words);
    setBits(b, vars);
    return b;
  }
}

const EMPTY = new Uint32Array(1);

/** Where control goes after `ins` at `pc` (an assume may also end the execution). */
function successors(ins: Instr, pc: number): number[] {
  switch (ins.op) {
    case 'jump':
      return [ins.to];
    case 'branch':
      return [pc + 1, ins.ifFalse];
    default:
      return [pc + 1];
  }
}

/** The local statements after the step at `pc` (or inside it) update ghosts, assert or assume. */
function tailIsVisible(code: readonly Instr[], pc: number): boolean {
  const ins = code[pc];
  if (ins.op === 'atomic' && blockIsVisible(ins.body)) return true;
  const seen = new Set<number>();
  const todo = [pc + 1];
  while (todo.length) {
    const p = todo.pop() as number;
    if (p >= code.length || seen.has(p)) continue;
    seen.add(p);
    const i = code[p];
    if (isVisible(i)) continue;
    if (i.op === 'ghost' || i.op === 'assert' || i.op === 'assume') return true;
    todo.push(...successors(i, p));
  }
  return false;
}

function blockIsVisible(code: readonly Instr[]): boolean {
  return code.some(
    (i) =>
      i.op === 'ghost' ||
      i.op === 'assert' ||
      i.op === 'assume' ||
      (i.op === 'atomic' && blockIsVisible(i.body)),
  );
}

function setBits(b: Uint32Array, vs: readonly number[]): void {
  for (const v of vs) b[v >>> 5] |= 1 << (v & 31);
}

function hasBit(b: Uint32Array, v: number): boolean {
  return v >>> 5 < b.length && (b[v >>> 5] & (1 << (v & 31))) !== 0;
}

function intersects(a: Uint32Array, b: Uint32Array): boolean {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) if ((a[k] & b[k]) !== 0) return true;
  return false;
}

/** a |= b; true if a changed. */
function orInto(a: Uint32Array, b: Uint32Array): boolean {
  let changed = false;
  for (let k = 0; k < a.length; k++) {
    const v = a[k] | b[k];
    if (v !== a[k]) {
      a[k] = v;
      changed = true;
    }
  }
  return changed;
}

/**
 * The protocol IR of the race explorer: what a `protocol NAME { ... }` block of the
 * mmulab language compiles to, one node per source construct, each keeping its source
 * location so that traces point back at the text.
 *
 * A protocol is a handful of threads (vCPUs, the write-protect path, GET_DIRTY_LOG)
 * over named shared cells (SPTE bits, rmap flags, dirty bitmap bits, TLB entries).
 * Values are 32-bit signed integers; booleans are 0 and 1. Steps are the atomic
 * operations lockless kernel code is made of: load, store, cmpxchg, locked
 * read-modify-writes, a full barrier, lock and unlock. Everything else (register
 * arithmetic, branches, loop control, asserts, ghost updates) is local to a thread and
 * runs together with the step before it (see semantics.ts).
 */

/** 1-based line and column in the protocol's source text. */
export interface SourceLoc {
  line: number;
  col: number;
}

/**
 * Named bits of a shared cell, for traces: `0x5 (W|MMU_W)`. A mask of several bits is
 * a field and prints with its value (`ID=2`).
 */
export interface FlagDecl {
  name: string;
  mask: number;
}

/**
 * A shared cell. Ghost cells are the model's bookkeeping (TLA+'s auxiliary
 * variables): never buffered, written only by `ghost` statements, read by ghost
 * statements and invariants. They let an invariant speak of history ("the
 * write-protect has completed").
 */
export interface SharedVar {
  name: string;
  /** Initial value. */
  init: number;
  ghost?: boolean;
  /** Named bits, to print values as flags in traces. */
  flags?: FlagDecl[];
  loc?: SourceLoc;
}

/** A mutual-exclusion lock (`spin_lock(&kvm->mmu_lock)` and friends); initially free. */
export interface LockDecl {
  name: string;
  loc?: SourceLoc;
}

/** A thread-local register. Loop counters and cmpxchg results are registers too. */
export interface RegisterDecl {
  name: string;
  init: number;
  loc?: SourceLoc;
}

export type UnaryOp = '!' | '-' | '~';
export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '&'
  | '|'
  | '^'
  | '<<'
  | '>>'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '&&'
  | '||';

/**
 * A pure expression. Thread code reads only its registers and constants (every
 * memory access is an explicit step, so what is atomic is visible in the text); ghost
 * statements may also read ghost cells; invariants read shared cells, other threads'
 * registers and whether a thread has finished.
 */
export type Expr =
  | {
      kind: 'const';
      value: number;
      /** The protocol constant it came from, if any. */ name?: string;
      loc?: SourceLoc;
    }
  | { kind: 'reg'; name: string; loc?: SourceLoc }
  | { kind: 'var'; name: string; loc?: SourceLoc }
  | { kind: 'threadReg'; thread: string; name: string; loc?: SourceLoc }
  | { kind: 'done'; thread: string; loc?: SourceLoc }
  | { kind: 'unary'; op: UnaryOp; arg: Expr; loc?: SourceLoc }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; loc?: SourceLoc };

/** What every statement carries: where it is and, optionally, a label for traces. */
export interface StmtBase {
  loc?: SourceLoc;
  /** A short name for traces (`wp1: set WRITE_PROTECT`); defaults to the rendered step. */
  label?: string;
}

/** `reg = load var`: reads the thread's newest buffered store to `var`, else memory. */
export interface LoadStmt extends StmtBase {
  kind: 'load';
  reg: string;
  var: string;
}

/** `store var = value`: a plain store (`WRITE_ONCE`, `mov`); buffered under TSO. */
export interface StoreStmt extends StmtBase {
  kind: 'store';
  var: string;
  value: Expr;
}

/**
 * `cmpxchg var, expected, desired` (Linux `cmpxchg()`, x86 `lock cmpxchg`): a locked
 * operation. `old` receives the value found, `ok` 1 on success; `onSuccess` and
 * `onFailure` run after it (locally).
 */
export interface CmpxchgStmt extends StmtBase {
  kind: 'cmpxchg';
  var: string;
  expected: Expr;
  desired: Expr;
  old?: string;
  ok?: string;
  onSuccess?: Stmt[];
  onFailure?: Stmt[];
}

/**
 * A locked read-modify-write returning the old value: `xchg` (Linux `xchg()`), and
 * the fetch-and-op family (`atomic_fetch_add`, `set_bit` = `or`, `clear_bit` =
 * `andnot`, `atomic_long_fetch_andnot` in KVM_CLEAR_DIRTY_LOG).
 */
export interface RmwStmt extends StmtBase {
  kind: 'rmw';
  op: RmwOp;
  var: string;
  operand: Expr;
  old?: string;
}
export type RmwOp = 'xchg' | 'add' | 'or' | 'and' | 'andnot';

/** A full barrier (`smp_mb()`, x86 `mfence`): waits until the store buffer is empty. */
export interface FenceStmt extends StmtBase {
  kind: 'fence';
}

/** Acquire a lock; blocks while another thread holds it. A locked operation. */
export interface LockStmt extends StmtBase {
  kind: 'lock';
  lock: string;
}

/** Release a lock the thread holds. A locked operation (drains the store buffer). */
export interface UnlockStmt extends StmtBase {
  kind: 'unlock';
  lock: string;
}

/**
 * A block that runs as one indivisible step on memory: for hardware actions that no
 * thread can interleave with (a guest write through the TLB, a remote TLB flush that
 * waits for every vCPU to leave guest mode). Stronger than any instruction sequence;
 * under TSO it drains the store buffer first, like a locked operation. Its body holds
 * loads, stores, cmpxchg, rmw and local statements, not locks, fences or atomics.
 */
export interface AtomicStmt extends StmtBase {
  kind: 'atomic';
  body: Stmt[];
}

/** `reg = value`: local. */
export interface AssignStmt extends StmtBase {
  kind: 'assign';
  reg: string;
  value: Expr;
}

/** `ghost var = value`: updates a ghost cell together with the step before it. */
export interface GhostStmt extends StmtBase {
  kind: 'ghost';
  var: string;
  value: Expr;
}

export interface IfStmt extends StmtBase {
  kind: 'if';
  cond: Expr;
  then: Stmt[];
  else: Stmt[];
}

/**
 * `loop at most BOUND [while COND] { ... }`: runs the body while COND holds (always,
 * without COND), at most BOUND times, then goes on after the loop. KVM's retry
 * loops are bounded the same way (fast_page_fault gives up after 4 retries).
 */
export interface LoopStmt extends StmtBase {
  kind: 'loop';
  bound: number;
  cond?: Expr;
  body: Stmt[];
}

export interface BreakStmt extends StmtBase {
  kind: 'break';
}

export interface ContinueStmt extends StmtBase {
  kind: 'continue';
}

/** The thread ends here (e.g. "fall back to the slow path", which is not modelled). */
export interface ReturnStmt extends StmtBase {
  kind: 'return';
}

/** Records a violation when COND is false (over registers); the thread goes on. */
export interface AssertStmt extends StmtBase {
  kind: 'assert';
  cond: Expr;
  message?: string;
}

/** Executions where COND is false are discarded (not explored further, not counted). */
export interface AssumeStmt extends StmtBase {
  kind: 'assume';
  cond: Expr;
}

export type Stmt =
  | LoadStmt
  | StoreStmt
  | CmpxchgStmt
  | RmwStmt
  | FenceStmt
  | LockStmt
  | UnlockStmt
  | AtomicStmt
  | AssignStmt
  | GhostStmt
  | IfStmt
  | LoopStmt
  | BreakStmt
  | ContinueStmt
  | ReturnStmt
  | AssertStmt
  | AssumeStmt;

export interface ThreadDecl {
  name: string;
  registers: RegisterDecl[];
  body: Stmt[];
  loc?: SourceLoc;
}

/**
 * A property. `always`: holds in every reachable state; `final`: holds in every state
 * where all threads have finished (and, under TSO, every store buffer has drained).
 */
export interface InvariantDecl {
  name: string;
  when: 'always' | 'final';
  cond: Expr;
  /** Says in words what the invariant means, for reports. */
  message?: string;
  loc?: SourceLoc;
}

/** A named constant (`W = 1 << 1`), kept for reports; expressions hold its value. */
export interface ConstDecl {
  name: string;
  value: number;
  loc?: SourceLoc;
}

export interface Protocol {
  name: string;
  description?: string;
  constants?: ConstDecl[];
  vars: SharedVar[];
  locks?: LockDecl[];
  threads: ThreadDecl[];
  invariants: InvariantDecl[];
  loc?: SourceLoc;
}

/** `sc`: sequential consistency; `tso`: x86-TSO with per-thread FIFO store buffers. */
export type MemoryModel = 'sc' | 'tso';

/** `none`: every interleaving; `por`: partial-order reduction (see por.ts). */
export type Reduction = 'none' | 'por';

export interface ExploreOptions {
  /** Default `sc`. */
  memory?: MemoryModel;
  /** Default `none`. */
  reduction?: Reduction;
  /** Stop after this many distinct states (the result says `truncated`). Default 5 M. */
  maxStates?: number;
  /** Report a state where no thread can move but some has not finished. Default true. */
  checkDeadlock?: boolean;
  /** Milliseconds since some origin, for `timeMs`; default `performance.now`. */
  clock?: () => number;
}

/** A shared cell read or written by one trace step. */
export interface TraceAccess {
  var: string;
  value: number;
  /** The value as traces print it (`0x81 (P|W)` for a cell with named bits). */
  shown: string;
  /** `buffer`: forwarded from (load) or put into (store) the thread's store buffer. */
  via: 'memory' | 'buffer';
}

/** One step of a trace: a thread's step (with the local statements it ran) or a flush. */
export interface TraceStep {
  /** 1-based position in the trace. */
  index: number;
  thread: string;
  kind: 'step' | 'flush';
  /** The statement's label, or the rendered step. */
  label: string;
  /** What happened, values included: `cmpxchg spte: found 0x5 = expected → 0x7 (ok)`. */
  text: string;
  loc: SourceLoc | null;
  reads: TraceAccess[];
  writes: TraceAccess[];
  /** Registers the step and its local statements set, in order. */
  registers: { reg: string; value: number }[];
  /** The local statements that ran with the step (branches taken, ghost updates). */
  locals: { text: string; loc: SourceLoc | null }[];
}

/** The state a trace ends in. */
export interface StateSnapshot {
  memory: Record<string, number>;
  /** The memory values as traces print them. */
  shown: Record<string, string>;
  threads: {
    name: string;
    done: boolean;
    at: string;
    loc: SourceLoc | null;
    registers: Record<string, number>;
    buffer: { var: string; value: number }[];
  }[];
  locks: Record<string, string | null>;
}

export interface Trace {
  /** The state before the first step (threads' leading local statements done). */
  initial: StateSnapshot;
  steps: TraceStep[];
  final: StateSnapshot;
}

export type ViolationKind = 'invariant' | 'assert' | 'deadlock' | 'lock-misuse';

/** A property that fails somewhere, with the shortest execution that shows it. */
export interface Violation {
  /** The invariant's name, `assert@T:line:col`, `deadlock` or `lock-misuse`. */
  property: string;
  kind: ViolationKind;
  message: string;
  loc: SourceLoc | null;
  /**
   * How many reachable states (invariants, deadlock) or transitions (asserts, lock
   * misuse) show it.
   */
  count: number;
  /** Shared cells the property reads (highlighted in the swimlane chart). */
  culprits: string[];
  /** Breadth-first, hence shortest under `reduction: 'none'`. */
  trace: Trace;
}

export interface ExploreResult {
  protocol: string;
  /**
   * FNV-1a 64 (hex) of the protocol IR and the options that change the result
   * (memory model, reduction, state limit, deadlock check): the run's identity.
   */
  protocolHash: string;
  memory: MemoryModel;
  reduction: Reduction;
  threads: number;
  /** Distinct reachable states (pruned `assume` states excluded). */
  states: number;
  /** Transitions explored, including those to states already seen. */
  transitions: number;
  /**
   * Distinct maximal executions (paths from the initial state to a terminal state) of
   * the explored graph; null when truncated.
   */
  interleavings: number | null;
  /** States with no successor (finished or deadlocked). */
  terminalStates: number;
  /** Length of the longest shortest path (BFS depth). */
  depth: number;
  /** True when `maxStates` stopped the search: then absence of violations proves nothing. */
  truncated: boolean;
  timeMs: number;
  /** One entry per violated property, in order of discovery. */
  violations: Violation[];
  /** The loop bounds in force, `thread:line:col=K`, since results hold only within them. */
  loopBounds: string[];
}

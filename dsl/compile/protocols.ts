/**
 * `protocol NAME { ... }` to the race explorer's IR (engine/races/types.ts), and
 * `explore NAME [memory sc|tso] [reduction none|por] [max_states N]` to what the
 * experiment layer runs. Names in a thread's expressions resolve to its registers,
 * then the constants, then shared variables; in an invariant to constants, shared
 * variables, `THREAD.reg` and `done(THREAD)`. What the IR cannot say (an unknown bit,
 * a store to a constant, an unlock before any lock, a loop without a bound) is
 * reported here; the rest by the explorer's own checker (engine/races/check.ts), each
 * problem at the line:col the IR node kept.
 */
import { checkProtocol, MAX_LOOP_BOUND } from '../../engine/races/check.ts';
import type { ProblemCode } from '../../engine/races/check.ts';
import { evaluateConstant } from '../../engine/races/compile.ts';
import type {
  BinaryOp,
  ConstDecl,
  Expr,
  FlagDecl,
  InvariantDecl,
  MemoryModel,
  Protocol,
  Reduction,
  RmwOp,
  SharedVar,
  SourceLoc,
  Stmt,
  ThreadDecl,
} from '../../engine/races/types.ts';
import type { ColumnType } from '../../engine/results.ts';
import { compileExpr } from './expr.ts';
import type { ExprNames } from './expr.ts';
import type { ExpectOutput } from './experiment-types.ts';
import type {
  ExpectStatement,
  ExploreStatement,
  Name,
  ProtoBinaryOp,
  ProtoDecl,
  ProtocolDefinition,
  ProtoExpr,
  ProtoRmwWord,
  ProtoStmt,
  QuantityValue,
  Span,
} from '../ast.ts';
import { diagnostic, DiagnosticCode, didYouMean, oneOf } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';

/** The most states `max_states` may ask for: the explorer keeps every state in memory. */
export const MAX_EXPLORE_STATES = 10_000_000;

/** The options of `explore`, with their values and docs (completion, hover, reference). */
export const EXPLORE_OPTIONS = {
  memory: {
    values: ['sc', 'tso'] as const satisfies readonly MemoryModel[],
    doc: '`memory sc|tso`: sequential consistency (default) or x86-TSO, with a FIFO store buffer per thread drained by `fence` and locked operations.',
  },
  reduction: {
    values: ['none', 'por'] as const satisfies readonly Reduction[],
    doc: '`reduction none|por`: every interleaving (default; traces are the shortest) or partial-order reduction (same verdicts, fewer states).',
  },
  max_states: {
    values: [] as const,
    doc: `\`max_states N\`: stop after N distinct states (1 to ${MAX_EXPLORE_STATES}; default 2000000); a truncated search proves nothing.`,
  },
} as const;
export type ExploreOptionKey = keyof typeof EXPLORE_OPTIONS;

/** The docs of the words an `explore` option takes. */
export const EXPLORE_VALUE_DOCS: Readonly<Record<string, string>> = {
  sc: 'Sequential consistency: every step acts on memory at once, in one global order.',
  tso: 'x86-TSO: each thread has a FIFO store buffer; loads see their own buffered stores; `fence` and locked operations (cmpxchg, xchg, fetch_*, lock, unlock) drain it.',
  none: 'Explore every interleaving; counterexamples are the shortest.',
  por: 'Partial-order reduction: explore one order of independent steps; the same verdicts, fewer states, traces may be longer.',
};

/** `explore`, compiled: the protocol's IR and the explorer's options. */
export interface CompiledExplore {
  protocol: Protocol;
  memory: MemoryModel;
  reduction: Reduction;
  maxStates?: number;
  line: number;
}

/** What compiling a text's protocols gives: its protocols by name (earlier texts' too). */
export type ProtocolScope = ReadonlyMap<string, Protocol>;

const RMW_OPS: Readonly<Record<ProtoRmwWord, RmwOp>> = {
  xchg: 'xchg',
  fetch_add: 'add',
  fetch_or: 'or',
  fetch_and: 'and',
  fetch_andnot: 'andnot',
};

const BINARY: Readonly<Record<ProtoBinaryOp, BinaryOp>> = {
  or: '||',
  and: '&&',
  '=': '==',
  '!=': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  '|': '|',
  '^': '^',
  '&': '&',
  '<<': '<<',
  '>>': '>>',
  '+': '+',
  '-': '-',
  '*': '*',
};

/** The words of a thread that take nothing: `fence`, `break`, `continue`, `return`. */
const BARE_WORDS = ['fence', 'break', 'continue', 'return'] as const;
/** Every word a thread statement starts with, for "did you mean" and completion. */
export const PROTOCOL_STATEMENT_WORDS = [
  'load',
  'store',
  'cmpxchg',
  ...Object.keys(RMW_OPS),
  'lock',
  'unlock',
  'atomic',
  'ghost',
  'if',
  'loop',
  'assert',
  'assume',
  ...BARE_WORDS,
];

/** The read-modify-write words of a thread (`xchg`, `fetch_add`, ...). */
export const PROTOCOL_RMW_WORDS: readonly string[] = Object.keys(RMW_OPS);

/** One entry per kind of ProtoDecl: a kind missing here fails to compile. */
const DECLARATION_KINDS: Readonly<Record<ProtoDecl['kind'], true>> = {
  const: true,
  shared: true,
  ghost: true,
  lock: true,
  thread: true,
  invariant: true,
};
/** The words a protocol's declarations start with, for completion. */
export const PROTOCOL_DECLARATION_WORDS: readonly string[] = Object.keys(DECLARATION_KINDS);

/** How to fix each problem the explorer's checker finds. */
const PROBLEM_HINTS: Readonly<Record<ProblemCode, string>> = {
  'duplicate-name': 'Rename one of them: each name of a protocol means one thing.',
  'unknown-var': 'Declare it: `shared NAME = INIT` (memory) or `ghost NAME = INIT` (bookkeeping).',
  'unknown-register': "List it among the thread's registers: `thread NAME(REG, ...)`.",
  'unknown-lock': 'Declare it in the protocol: `lock NAME`.',
  'unknown-thread': 'Name a thread of this protocol.',
  'ghost-access':
    'Update a ghost with `ghost VAR = EXPR`; only shared variables are loaded and stored.',
  'ghost-target': 'Use `store VAR = EXPR` for shared memory, or declare the variable `ghost`.',
  'memory-in-expression': 'Write `load REG = VAR` before it and use REG.',
  'register-in-invariant': 'Write `THREAD.REG` in an invariant.',
  'thread-only-in-invariant': 'Only invariants may read `THREAD.REG` and `done(THREAD)`.',
  'outside-loop': 'Remove it, or put the steps in `loop at most K { ... }`.',
  'bad-loop-bound': `Bound the loop with a whole number from 1 to ${MAX_LOOP_BOUND}.`,
  'not-in-atomic':
    'An atomic block holds loads, stores, cmpxchg, xchg, fetch_* and local statements.',
  'not-int32': 'Protocol values are 32-bit integers.',
  'no-threads': 'Add a thread: `thread NAME(REG, ...) { ... }`.',
};

const locOf = (s: Span): SourceLoc => ({ line: s.line, col: s.column });
const locKey = (l: SourceLoc): string => `${l.line}:${l.col}`;

/** Compiles one protocol definition; reports its problems into `diagnostics`. */
export function compileProtocol(def: ProtocolDefinition, diagnostics: Diagnostic[]): Protocol {
  return new ProtocolCompiler(def, diagnostics).compile();
}

class ProtocolCompiler {
  /** The span of each IR node by its loc, to report the checker's problems with a length. */
  private readonly spans = new Map<string, Span>();
  private readonly constants = new Map<string, number>();
  private readonly vars = new Map<string, SharedVar>();
  private readonly errors: Diagnostic[] = [];

  constructor(
    private readonly def: ProtocolDefinition,
    private readonly diagnostics: Diagnostic[],
  ) {}

  private loc(span: Span): SourceLoc {
    const l = locOf(span);
    if (!this.spans.has(locKey(l))) this.spans.set(locKey(l), span);
    return l;
  }

  private error(code: DiagnosticCode, span: Span, message: string, hint = ''): void {
    this.errors.push(diagnostic('error', code, span, message, hint));
  }

  compile(): Protocol {
    const constants: ConstDecl[] = [];
    const locks: { name: string; loc: SourceLoc }[] = [];
    const threads: ThreadDecl[] = [];
    const invariants: InvariantDecl[] = [];
    // Constants and shared variables first: threads may name any of them.
    for (const d of this.def.decls) {
      switch (d.kind) {
        case 'const': {
          const value = this.constant(d.value);
          this.constants.set(d.name.text, value);
          constants.push({ name: d.name.text, value, loc: this.loc(d.name.span) });
          break;
        }
        case 'shared':
        case 'ghost': {
          const v: SharedVar = {
            name: d.name.text,
            init: this.constant(d.value),
            loc: this.loc(d.name.span),
          };
          if (d.kind === 'ghost') v.ghost = true;
          const flags = this.bits(d.bits);
          if (flags.length > 0) v.flags = flags;
          this.vars.set(v.name, v);
          break;
        }
        case 'lock':
          locks.push({ name: d.name.text, loc: this.loc(d.name.span) });
          break;
        default:
      }
    }
    for (const d of this.def.decls) {
      if (d.kind === 'thread') {
        const regs = new Set(d.registers.map((r) => r.name.text));
        const body = this.block(d.body, regs);
        this.checkUnlocks(d.body, new Set());
        threads.push({
          name: d.name.text,
          registers: d.registers.map((r) => ({
            name: r.name.text,
            init: r.init ? this.constant(r.init) : 0,
            loc: this.loc(r.name.span),
          })),
          body,
          loc: this.loc(d.name.span),
        });
      } else if (d.kind === 'invariant') {
        const inv: InvariantDecl = {
          name: d.name.text,
          when: d.when,
          cond: this.expr(d.cond, 'invariant'),
          loc: this.loc(d.name.span),
        };
        if (d.message !== undefined) inv.message = d.message;
        invariants.push(inv);
      }
    }
    const protocol: Protocol = {
      name: this.def.name.text,
      constants,
      vars: [...this.vars.values()],
      locks,
      threads,
      invariants,
      loc: this.loc(this.def.name.span),
    };
    // The checker's problems are reported on lines where this compiler found none, so
    // one mistake gets one diagnostic.
    const reported = new Set(this.errors.map((e) => e.line));
    for (const p of checkProtocol(protocol)) {
      const span = (p.loc && this.spans.get(locKey(p.loc))) ?? this.def.name.span;
      if (reported.has(span.line)) continue;
      const code = p.code.startsWith('unknown-')
        ? DiagnosticCode.UnknownName
        : DiagnosticCode.InvalidProtocol;
      this.error(code, span, p.message, PROBLEM_HINTS[p.code]);
    }
    this.diagnostics.push(...this.errors);
    return protocol;
  }

  /** `bits [A, B]`: each a constant, its value the mask. */
  private bits(names: readonly Name[]): FlagDecl[] {
    const out: FlagDecl[] = [];
    for (const n of names) {
      const mask = this.constants.get(n.text);
      if (mask === undefined)
        this.error(
          DiagnosticCode.UnknownBit,
          n.span,
          `Bit ${n.text} is not a constant of protocol ${this.def.name.text}.${didYouMean(n.text, this.constants.keys())}`,
          `Declare it first, e.g. \`const ${n.text} = 1 << 0\`; bits name constants.`,
        );
      else out.push({ name: n.text, mask });
    }
    return out;
  }

  /** A constant expression: numbers and earlier constants. */
  private constant(e: ProtoExpr): number {
    const ir = this.expr(e, 'constant');
    try {
      return evaluateConstant(ir);
    } catch {
      this.error(
        DiagnosticCode.InvalidProtocol,
        e.span,
        'A constant or an initial value is made of numbers and earlier constants only.',
      );
      return 0;
    }
  }

  private number(q: QuantityValue): number {
    const v = q.quantity;
    if (!v || v.dim !== 'count' || v.den !== 1n) {
      this.error(
        DiagnosticCode.WrongUnit,
        q.span,
        `${q.text || 'This'} is not a whole number; protocol values are 32-bit integers.`,
        'Write a whole number without a unit, e.g. `4` or `0x80`.',
      );
      return 0;
    }
    if (v.num < -(2n ** 31n) || v.num >= 2n ** 32n) {
      this.error(
        DiagnosticCode.OutOfRange,
        q.span,
        `${q.text} does not fit in 32 bits.`,
        'Protocol values are 32-bit integers.',
      );
      return 0;
    }
    return Number(BigInt.asIntN(32, v.num));
  }

  /**
   * An expression in one of three places: `constant` (numbers and constants),
   * `invariant` (constants, shared variables, THREAD.reg, done(THREAD)) or a thread
   * (its registers first).
   */
  private expr(e: ProtoExpr, where: 'constant' | 'invariant' | ReadonlySet<string>): Expr {
    const loc = this.loc(e.span);
    switch (e.kind) {
      case 'quantity':
        return { kind: 'const', value: this.number(e), loc };
      case 'name': {
        if (where !== 'constant' && where !== 'invariant' && where.has(e.text))
          return { kind: 'reg', name: e.text, loc };
        const c = this.constants.get(e.text);
        if (c !== undefined) return { kind: 'const', value: c, name: e.text, loc };
        if (where === 'constant') {
          this.error(
            DiagnosticCode.UnknownName,
            e.span,
            `${e.text} is not a constant declared before this one.${didYouMean(e.text, this.constants.keys())}`,
            'A constant or an initial value is made of numbers and earlier constants.',
          );
          return { kind: 'const', value: 0, loc };
        }
        if (this.vars.has(e.text) || where === 'invariant')
          return { kind: 'var', name: e.text, loc };
        return { kind: 'reg', name: e.text, loc };
      }
      case 'member':
        return { kind: 'threadReg', thread: e.thread.text, name: e.member.text, loc };
      case 'call':
        if (e.fn.text !== 'done') {
          this.error(
            DiagnosticCode.UnknownFunction,
            e.fn.span,
            `${e.fn.text}(...) is not a function of protocol expressions; the one there is done(THREAD).`,
          );
          return { kind: 'const', value: 0, loc };
        }
        return { kind: 'done', thread: e.arg.text, loc };
      case 'unary':
        return {
          kind: 'unary',
          op: e.op === 'not' ? '!' : e.op,
          arg: this.expr(e.arg, where),
          loc,
        };
      case 'binary':
        return {
          kind: 'binary',
          op: BINARY[e.op],
          left: this.expr(e.left, where),
          right: this.expr(e.right, where),
          loc,
        };
    }
  }

  private block(stmts: readonly ProtoStmt[], regs: ReadonlySet<string>): Stmt[] {
    return stmts.flatMap((s) => {
      const ir = this.stmt(s, regs);
      if (!ir) return [];
      ir.loc = this.loc(s.span);
      if (s.label !== undefined) ir.label = s.label;
      return [ir];
    });
  }

  /** A register a statement writes: not a constant. */
  private target(n: Name, what: string): string {
    if (this.constants.has(n.text))
      this.error(
        DiagnosticCode.AssignToConstant,
        n.span,
        `${n.text} is a constant; ${what} cannot change it.`,
        'Write to a register or a shared variable, or rename the constant.',
      );
    return n.text;
  }

  private stmt(s: ProtoStmt, regs: ReadonlySet<string>): Stmt | undefined {
    const e = (x: ProtoExpr): Expr => this.expr(x, regs);
    switch (s.kind) {
      case 'assign':
        return { kind: 'assign', reg: this.target(s.reg, 'an assignment'), value: e(s.value) };
      case 'load':
        return { kind: 'load', reg: this.target(s.reg, 'a load'), var: s.var.text };
      case 'store':
        return { kind: 'store', var: this.target(s.var, 'a store'), value: e(s.value) };
      case 'ghost':
        return { kind: 'ghost', var: this.target(s.var, 'a ghost update'), value: e(s.value) };
      case 'cmpxchg': {
        if (s.args.length !== 2) {
          this.error(
            DiagnosticCode.MissingArgument,
            s.span,
            `cmpxchg takes a variable, the value expected and the new value; this one has ${s.args.length} value${s.args.length === 1 ? '' : 's'}.`,
            'Write `cmpxchg ok = VAR, EXPECTED, NEW [old REG]`.',
          );
          return undefined;
        }
        const c: Stmt = {
          kind: 'cmpxchg',
          var: this.target(s.var, 'a cmpxchg'),
          expected: e(s.args[0]),
          desired: e(s.args[1]),
        };
        if (s.ok) c.ok = this.target(s.ok, 'a cmpxchg');
        if (s.old) c.old = this.target(s.old, 'a cmpxchg');
        return c;
      }
      case 'rmw': {
        if (s.args.length !== 1) {
          this.error(
            DiagnosticCode.MissingArgument,
            s.span,
            `${s.word.text} takes a variable and one value; this one has ${s.args.length}.`,
            `Write \`${s.word.text} [old =] VAR, VALUE\`.`,
          );
          return undefined;
        }
        const r: Stmt = {
          kind: 'rmw',
          op: RMW_OPS[s.word.text],
          var: this.target(s.var, s.word.text),
          operand: e(s.args[0]),
        };
        if (s.old) r.old = this.target(s.old, s.word.text);
        return r;
      }
      case 'lock':
      case 'unlock':
        return { kind: s.kind, lock: s.lock.text };
      case 'atomic':
        return { kind: 'atomic', body: this.block(s.body, regs) };
      case 'if':
        return {
          kind: 'if',
          cond: e(s.cond),
          then: this.block(s.then, regs),
          else: this.block(s.else, regs),
        };
      case 'loop': {
        const body = this.block(s.body, regs);
        if (!s.bound) {
          this.error(
            DiagnosticCode.UnboundedLoop,
            s.span,
            'A loop needs a bound: the explorer only covers executions of bounded length.',
            `Write \`loop at most K { ... }\` (K from 1 to ${MAX_LOOP_BOUND}); KVM's retry loops give up the same way.`,
          );
          return undefined;
        }
        const loop: Stmt = { kind: 'loop', bound: this.number(s.bound), body };
        if (s.cond) loop.cond = e(s.cond);
        return loop;
      }
      case 'assert':
      case 'assume':
        return { kind: s.kind, cond: e(s.cond) };
      case 'word': {
        const bare = BARE_WORDS.find((w) => w === s.word.text);
        if (bare) return { kind: bare };
        this.error(
          DiagnosticCode.UnknownStatement,
          s.word.span,
          `${s.word.text} does not start a thread statement.${didYouMean(s.word.text, PROTOCOL_STATEMENT_WORDS)}`,
          `A statement is \`REG = EXPR\` or starts with ${oneOf(PROTOCOL_STATEMENT_WORDS)}.`,
        );
        return undefined;
      }
    }
  }

  /**
   * An `unlock L` with no `lock L` before it in the thread's text: it can only release
   * a lock the thread does not hold (the explorer would report lock misuse).
   */
  private checkUnlocks(stmts: readonly ProtoStmt[], locked: Set<string>): void {
    for (const s of stmts) {
      switch (s.kind) {
        case 'lock':
          locked.add(s.lock.text);
          break;
        case 'unlock':
          if (!locked.has(s.lock.text))
            this.error(
              DiagnosticCode.UnlockWithoutLock,
              s.span,
              `unlock ${s.lock.text} comes before any \`lock ${s.lock.text}\` in this thread: it cannot hold the lock.`,
              `Write \`lock ${s.lock.text}\` before it, or remove the unlock.`,
            );
          break;
        case 'atomic':
        case 'loop':
          this.checkUnlocks(s.body, locked);
          break;
        case 'if':
          this.checkUnlocks(s.then, locked);
          this.checkUnlocks(s.else, locked);
          break;
        default:
      }
    }
  }
}

/** Compiles an `explore` statement, or reports why it cannot run. */
export function compileExplore(
  s: ExploreStatement,
  protocols: ProtocolScope,
  invalid: ReadonlySet<string>,
  diagnostics: Diagnostic[],
): CompiledExplore | undefined {
  const protocol = protocols.get(s.protocol.text);
  let ok = true;
  if (!protocol) {
    ok = false;
    if (!invalid.has(s.protocol.text))
      diagnostics.push(
        diagnostic(
          'error',
          DiagnosticCode.UnknownName,
          s.protocol.span,
          `There is no protocol ${s.protocol.text}.${didYouMean(s.protocol.text, protocols.keys())}`,
          protocols.size > 0
            ? `Protocols defined so far: ${oneOf([...protocols.keys()])}.`
            : 'Define it first: `protocol NAME { shared ..., thread ... { ... }, invariant ... }`.',
        ),
      );
  }
  const out: Omit<CompiledExplore, 'protocol'> = {
    memory: 'sc',
    reduction: 'none',
    line: s.span.line,
  };
  const seen = new Set<string>();
  for (const o of s.options) {
    const key = o.key.text;
    if (!(key in EXPLORE_OPTIONS)) {
      ok = false;
      diagnostics.push(
        diagnostic(
          'error',
          DiagnosticCode.UnknownField,
          o.key.span,
          `${key} is not an option of explore.${didYouMean(key, Object.keys(EXPLORE_OPTIONS))}`,
          `The options are ${oneOf(Object.keys(EXPLORE_OPTIONS))}.`,
        ),
      );
      continue;
    }
    if (seen.has(key)) {
      ok = false;
      diagnostics.push(
        diagnostic(
          'error',
          DiagnosticCode.DuplicateField,
          o.key.span,
          `${key} is given twice; keep one.`,
        ),
      );
      continue;
    }
    seen.add(key);
    const arg = o.arg;
    if (key === 'max_states') {
      const q = arg.kind === 'quantity' ? arg.quantity : undefined;
      const n = q && q.dim === 'count' && q.den === 1n ? q.num : undefined;
      if (n === undefined || n < 1n || n > BigInt(MAX_EXPLORE_STATES)) {
        ok = false;
        diagnostics.push(
          diagnostic(
            'error',
            DiagnosticCode.OutOfRange,
            arg.span,
            `max_states ${arg.text} is out of range: it must be a whole number from 1 to ${MAX_EXPLORE_STATES}.`,
            'The explorer keeps every state in memory; the default, 2000000, fits every shipped protocol.',
          ),
        );
      } else out.maxStates = Number(n);
      continue;
    }
    const values: readonly string[] = EXPLORE_OPTIONS[key as 'memory' | 'reduction'].values;
    if (arg.kind !== 'name' || !values.includes(arg.text)) {
      ok = false;
      diagnostics.push(
        diagnostic(
          'error',
          DiagnosticCode.UnknownValue,
          arg.span,
          `${arg.text} is not a value of ${key}.${didYouMean(arg.text, values)}`,
          `${key} is ${oneOf(values)}.`,
        ),
      );
      continue;
    }
    if (key === 'memory') out.memory = arg.text as MemoryModel;
    else out.reduction = arg.text as Reduction;
  }
  return ok && protocol ? { ...out, protocol } : undefined;
}

/** The view `expect` names to check the table of the `explore` statements. */
export const EXPLORE_VIEW = 'explore';

/**
 * The columns of that table and their types (kernel/experiment/explorations.ts shows
 * engine/races/results.ts's `explorationTable` without its wall time).
 */
export const EXPLORE_COLUMN_TYPES: Readonly<Record<string, ColumnType>> = {
  protocol: 'text',
  memory_model: 'text',
  reduction: 'text',
  threads: 'number',
  states: 'number',
  transitions: 'number',
  interleavings: 'number',
  terminal_states: 'number',
  depth: 'number',
  violations: 'number',
  violated: 'text',
  shortest_trace: 'number',
  truncated: 'boolean',
  loop_bounds: 'text',
};

/** `expect [all|any] explore [where EXPR]: CONDITION` over the explorations' table. */
export function compileExploreExpect(
  s: ExpectStatement,
  text: string,
  diagnostics: Diagnostic[],
): ExpectOutput | undefined {
  const names: ExprNames = {
    lookup: (n) => {
      const type = EXPLORE_COLUMN_TYPES[n];
      return type === undefined ? undefined : { name: n, type };
    },
    names: () => Object.keys(EXPLORE_COLUMN_TYPES),
    place: 'the explore table',
  };
  if (s.by || s.aggregates) {
    diagnostics.push(
      diagnostic(
        'error',
        DiagnosticCode.UnexpectedArgument,
        (s.by?.[0] ?? s.aggregates?.[0])?.span ?? s.view.span,
        'An expect on the explore table checks its rows as they are: it takes no `by` or aggregate.',
        'Write `expect [all|any] explore [where EXPR]: CONDITION`, e.g. `expect explore where protocol = p: violations = 0`.',
      ),
    );
    return undefined;
  }
  const before = diagnostics.length;
  const where = s.where
    ? compileExpr(s.where, names, diagnostics, { type: 'boolean', what: 'A where condition' })
    : undefined;
  const condition = compileExpr(s.condition, names, diagnostics, {
    type: 'boolean',
    what: 'The condition of an expect',
  });
  if (diagnostics.length > before || !condition || (s.where && !where)) return undefined;
  return {
    kind: 'expect',
    quantifier: s.quantifier ?? 'all',
    view: EXPLORE_VIEW,
    ...(where ? { where: where.expr } : {}),
    condition: condition.expr,
    text: text.slice(s.span.offset, s.span.offset + s.span.length),
    line: s.span.line,
  };
}

/**
 * The typed AST of the mmulab language. Every node is plain data tagged with `kind`
 * and keeps the source span it came from, so diagnostics point at the exact text.
 */
import type { BinaryOp } from './compile/experiment-types.ts';
import type { Quantity } from './units.ts';

/** Where a node is in the source: 1-based line and column, 0-based offset, length in chars. */
export interface Span {
  line: number;
  column: number;
  offset: number;
  length: number;
}

/** The kinds of definition, as their keywords are spelt. */
export const DEFINITION_KINDS = ['vm', 'tracking', 'costs', 'migration'] as const;
export type DefinitionKind = (typeof DEFINITION_KINDS)[number];

/** An identifier or keyword as written. */
export interface Name {
  kind: 'name';
  text: string;
  span: Span;
}

/** A bare word used as a value: a reference (`ram0`, `fast`) or an option (`thp`, `on`). */
export interface WordValue {
  kind: 'word';
  text: string;
  span: Span;
}

/** A number with or without a unit. `quantity` is undefined when the literal is malformed. */
export interface QuantityValue {
  kind: 'quantity';
  text: string;
  quantity: Quantity | undefined;
  span: Span;
}

/** `"trace.csv"`: `text` is the contents without the quotes. */
export interface StringValue {
  kind: 'string';
  text: string;
  span: Span;
}

export type Atom = WordValue | QuantityValue | StringValue;

/**
 * `from..to`, both ends included for counts (`vcpus 0..3`, `seeds 1..5`); in a field
 * that takes one value, a sweep: `1Gbit/s..25Gbit/s step 4Gbit/s`, `1..64 x2`.
 */
export interface RangeValue {
  kind: 'range';
  from: Atom;
  to: Atom;
  /** `step 4Gbit/s`: the values are from + i*step. */
  step?: Atom;
  /** `x2`: the values are from * 2^i. `text` is the word as written. */
  factor?: { text: string; span: Span };
  /** `vary A..B`: one of the values, picked by the variant number, instead of a sweep. */
  vary?: Span;
  span: Span;
}

/** `[a, b, c]`: in an experiment, one run per item (cartesian product). */
export interface ListValue {
  kind: 'list';
  items: Value[];
  /** `vary [a, b]`: one of the items, picked by the variant number, instead of a sweep. */
  vary?: Span;
  span: Span;
}

export type Value = Atom | RangeValue | ListValue;

/** `key arg arg ... { nested }`, one item of a block. */
export interface Property {
  kind: 'property';
  key: Name;
  args: Value[];
  body: Block | undefined;
  span: Span;
}

export interface Block {
  kind: 'block';
  properties: Property[];
  span: Span;
}

/** `vm db { ... }`, `tracking b extends a { ... }`. */
export interface Definition {
  kind: 'definition';
  defKind: DefinitionKind;
  name: Name;
  base: Name | undefined;
  body: Block;
  span: Span;
}

/** `run VM with TRACKING, MIGRATION options` or `sweep ...` with lists. */
export interface Experiment {
  kind: 'experiment';
  mode: 'run' | 'sweep';
  vm: Value;
  tracking: Value;
  migration: Value;
  /** `seed 7`, `seeds 1..5`, `costs slow`, `warmup 1s`, ... */
  options: Property[];
  /** Every `where EXPR` over the axes, in order: more than one is reported. */
  where: ExprNode[];
  span: Span;
}

/**
 * An expression as written (`let`, `where`, `expect`): numbers, "strings" and bare
 * words are the atoms of values; parentheses are kept so `mmulab fmt` prints them back.
 */
export type ExprNode =
  | QuantityValue
  | StringValue
  /** A column, a `let`, a text value or `on`/`off`: the checker decides. */
  | WordValue
  | { kind: 'call'; fn: Name; args: ExprNode[]; span: Span }
  | { kind: 'unary'; op: '-' | 'not'; arg: ExprNode; span: Span }
  | { kind: 'binary'; op: BinaryOp; left: ExprNode; right: ExprNode; span: Span }
  | { kind: 'paren'; inner: ExprNode; span: Span };

/** `mean downtime_ms`, `p95 total_ms`, `n`. */
export interface AggregateNode {
  op: Name;
  /** Absent for `n`. */
  column: Name | undefined;
  span: Span;
}

/** The rows kept and how they are grouped: `where EXPR`, `by A, B`, `mean X, n`. */
export interface RowQueryNode {
  where?: ExprNode;
  by?: Name[];
  aggregates?: AggregateNode[];
}

/** `table summary, iterations`; `table summary by tracking mean downtime_ms`. */
export interface TableOutput extends RowQueryNode {
  kind: 'table';
  views: Name[];
  /** `with a, b`: only these columns (a sweep's `label` always leads); all when absent. */
  columns?: Name[];
  /** `table summary all`: every column, not only the headline ones. */
  all?: Span;
  span: Span;
}

/**
 * A clause of a plot that takes one word (`facet vcpus`, `as bar`, `error ci95`, `log y`),
 * a text (`title "..."`, `xtitle "..."`, `ytitle "..."`: the arg is the text between the
 * quotes) or a size (`size 600x400`).
 */
export type PlotOption = 'facet' | 'as' | 'error' | 'log' | 'title' | 'xtitle' | 'ytitle' | 'size';

/**
 * `plot remaining over time`, `plot downtime_ms over bandwidth by tracking error ci95`;
 * `plot progress` has no `over`.
 */
export interface PlotOutput {
  kind: 'plot';
  /** `plot NAME = ...`: the name `export plot NAME` refers to. */
  name?: Name;
  /** The Y columns, at least one. */
  ys: Name[];
  /** After `over`; undefined for `plot progress`. */
  x: Name | undefined;
  /** Every `by`, in order: more than one is reported. */
  by: Name[][];
  where: ExprNode[];
  /** The one-word clauses as written, keyword and word, in order. */
  options: { key: PlotOption; keySpan: Span; arg: Name }[];
  span: Span;
}

/** `let fault_us = stall_fast_fault_ms * 1000 / pf_fast`: a derived column. */
export interface LetStatement {
  kind: 'let';
  name: Name;
  expr: ExprNode;
  span: Span;
}

/**
 * `predict downtime_ms for ring < bitmap`, `predict total_ms for 1Gbit/s > 10Gbit/s`,
 * `predict total_ms for pml on < off`: a student's expectation, checked after the run.
 */
export interface PredictStatement {
  kind: 'predict';
  column: Name;
  /** The parameter A and B are values of, when written (`pml`). */
  axis?: Name;
  /** A word or a number with its unit. */
  left: Atom;
  /** The comparison as written: `<`, `<=`, `>`, `>=`, `=`, `!=`. */
  op: Name;
  right: Atom;
  span: Span;
}

/** `expect [all|any] VIEW [where EXPR] [by ... AGG ...] : EXPR`. */
export interface ExpectStatement extends RowQueryNode {
  kind: 'expect';
  quantifier: 'all' | 'any' | undefined;
  view: Name;
  condition: ExprNode;
  span: Span;
}

/** `export summary, iterations to "results/" as arrow`. */
export interface ExportOutput extends RowQueryNode {
  kind: 'export';
  /** `export plot NAME to "FILE"`: the plot's name (then `views` is empty). */
  plot?: Name;
  views: Name[];
  /** The directory (a file for a plot, `latex` or `markdown`) as written, without the quotes. */
  dir: string;
  dirSpan: Span;
  /** The format word, or undefined when omitted (csv). */
  format: Name | undefined;
  span: Span;
}

/** `use "common.mmu"`: the definitions of another file enter this one's scope. */
export interface UseStatement {
  kind: 'use';
  /** The path as written, without the quotes. */
  path: string;
  span: Span;
}

/** The binary operators of protocol expressions, as written. */
export type ProtoBinaryOp =
  | 'or'
  | 'and'
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '|'
  | '^'
  | '&'
  | '<<'
  | '>>'
  | '+'
  | '-'
  | '*';

/**
 * An expression of a protocol: a number, a name (a register, a constant or a shared
 * variable: the compiler resolves it), `THREAD.reg` and `done(THREAD)` (invariants).
 */
export type ProtoExpr =
  | QuantityValue
  | { kind: 'name'; text: string; span: Span }
  | { kind: 'member'; thread: Name; member: Name; span: Span }
  | { kind: 'call'; fn: Name; arg: Name; span: Span }
  | { kind: 'unary'; op: '-' | '~' | 'not'; arg: ProtoExpr; span: Span }
  | { kind: 'binary'; op: ProtoBinaryOp; left: ProtoExpr; right: ProtoExpr; span: Span };

/** A read-modify-write word of a protocol, as written. */
export type ProtoRmwWord = 'xchg' | 'fetch_add' | 'fetch_or' | 'fetch_and' | 'fetch_andnot';

/** What every statement of a thread carries: its span and an optional "label" for traces. */
interface ProtoStmtBase {
  span: Span;
  label?: string;
}

/** One statement of a protocol thread (engine/races/types.ts `Stmt`, as written). */
export type ProtoStmt = ProtoStmtBase &
  (
    | { kind: 'assign'; reg: Name; value: ProtoExpr }
    | { kind: 'load'; reg: Name; var: Name }
    | { kind: 'store' | 'ghost'; var: Name; value: ProtoExpr }
    | {
        kind: 'cmpxchg';
        ok: Name | undefined;
        var: Name;
        args: ProtoExpr[];
        old: Name | undefined;
      }
    | {
        kind: 'rmw';
        word: Name & { text: ProtoRmwWord };
        old: Name | undefined;
        var: Name;
        args: ProtoExpr[];
      }
    | { kind: 'lock' | 'unlock'; lock: Name }
    | { kind: 'atomic'; body: ProtoStmt[] }
    | { kind: 'if'; cond: ProtoExpr; then: ProtoStmt[]; else: ProtoStmt[] }
    | {
        kind: 'loop';
        bound: QuantityValue | undefined;
        cond: ProtoExpr | undefined;
        body: ProtoStmt[];
      }
    | { kind: 'assert' | 'assume'; cond: ProtoExpr }
    /** `fence`, `break`, `continue`, `return`, or an unknown word (the compiler says so). */
    | { kind: 'word'; word: Name }
  );

/** One declaration of a protocol. */
export type ProtoDecl =
  | {
      kind: 'const' | 'shared' | 'ghost';
      name: Name;
      /** `bits [A, B]`: constants naming the bits, for traces. */
      bits: Name[];
      value: ProtoExpr;
      span: Span;
    }
  | { kind: 'lock'; name: Name; span: Span }
  | {
      kind: 'thread';
      name: Name;
      registers: { name: Name; init: ProtoExpr | undefined }[];
      body: ProtoStmt[];
      span: Span;
    }
  | {
      kind: 'invariant';
      name: Name;
      when: 'always' | 'final';
      cond: ProtoExpr;
      message: string | undefined;
      span: Span;
    };

/** `protocol NAME { shared ..., thread ... { ... }, invariant ... }`: for `explore`. */
export interface ProtocolDefinition {
  kind: 'protocol';
  name: Name;
  decls: ProtoDecl[];
  span: Span;
}

/** `explore NAME [memory sc|tso] [reduction none|por] [max_states N]`. */
export interface ExploreStatement {
  kind: 'explore';
  protocol: Name;
  /** The options as written, key and value. */
  options: { key: Name; arg: Name | QuantityValue; span: Span }[];
  span: Span;
}

export type Statement =
  | Definition
  | Experiment
  | TableOutput
  | PlotOutput
  | ExportOutput
  | UseStatement
  | LetStatement
  | ExpectStatement
  | PredictStatement
  | ProtocolDefinition
  | ExploreStatement;

export interface Program {
  kind: 'program';
  statements: Statement[];
  span: Span;
}

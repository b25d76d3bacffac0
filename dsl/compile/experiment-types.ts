/**
 * The compiled shapes of the experiment layer (issue 12): families and axes, parameter
 * values, expressions, aggregates, and the outputs that read runs across an experiment
 * (`table ... by ... mean ...`, `plot ... over X by G`, `plot progress`, `expect`,
 * `let`). The language produces them as plain data; the front-end library (kernel/)
 * evaluates them. Types, their constants, and how a flag is written.
 */
import type { Span } from '../ast.ts';
import type { Dimension } from '../units.ts';
import type { TableView } from './outputs.ts';

/** A parameter's value in one plan: a number in its axis's unit, an enum as text, a flag. */
export type ParamValue = number | string | boolean | null;

/**
 * A flag (a boolean value) as the language writes it, `on` or `off`: what tables,
 * labels and charts show, so the value read is the value to type (`where pml = on`).
 */
export function flagWord(value: boolean): 'on' | 'off' {
  return value ? 'on' : 'off';
}

/**
 * One axis of an experiment: what varies between its plans besides the seed, and the
 * column that carries it in every result table.
 */
export interface Axis {
  /** The column: `bandwidth`, `ring_entries`, `tracking`. */
  column: string;
  /**
   * A quantity's dimension (dsl/units.ts), or `enum` (a word from a closed set), `flag`
   * (on/off), `name` (a definition chosen by name: `tracking` of `[bitmap, ring]`).
   */
  dim: Dimension | 'enum' | 'flag' | 'name';
  /** The unit every value is stored in (`Gbit/s`); quantities only. */
  unit?: string;
  /** The values in that unit, in the order they are expanded. */
  values: ParamValue[];
  /**
   * A swept field of a family, a run option with a list, a field that differs between
   * named definitions, or a field or run option whose one value `vary` picked for the
   * variant compiled (dsl/compile/variant.ts).
   */
  source: 'family' | 'option' | 'differs' | 'vary';
}

/** An operator of a binary expression. */
export type BinaryOp =
  '+' | '-' | '*' | '/' | '%' | '=' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

/** The functions an expression may call; `if(cond, a, b)` picks a or b. */
export const EXPR_FUNCTIONS = [
  'min',
  'max',
  'abs',
  'sqrt',
  'log',
  'log2',
  'log10',
  'exp',
  'round',
  'floor',
  'ceil',
  'if',
] as const;
export type ExprFunction = (typeof EXPR_FUNCTIONS)[number];

/**
 * A compiled expression (`let`, every `where`, `expect`'s condition): plain data, every
 * node with its span. Null rules, as the library evaluates them: arithmetic with null
 * gives null, a division (or `%`) by zero gives null, a comparison with null is false.
 */
export type Expr =
  /**
   * `value` is already in the unit of the column it is compared with or combined with
   * (the compiler converts `10Gbit/s` to the column's unit); `unit` is as written, for messages.
   */
  | { kind: 'number'; value: number; unit?: string; span: Span }
  /** A quoted string, or a bare word compared with a text column that names no column. */
  | { kind: 'text'; value: string; span: Span }
  /** `on`/`off` compared with a flag column. */
  | { kind: 'boolean'; value: boolean; span: Span }
  /** A result column, a parameter column or a `let`. */
  | { kind: 'column'; name: string; span: Span }
  | { kind: 'unary'; op: '-' | 'not'; arg: Expr; span: Span }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; span: Span }
  | { kind: 'call'; fn: ExprFunction; args: Expr[]; span: Span };

/** `let NAME = EXPR`: a derived column. */
export interface LetDefinition {
  name: string;
  expr: Expr;
  /** Line of the statement (of the cell or file that defined it). */
  line: number;
}

/** The aggregates that take a column (`pN` is `percentile`). */
export const AGGREGATE_OPS = [
  'mean',
  'median',
  'stdev',
  'var',
  'min',
  'max',
  'sum',
  'se',
  'ci95',
] as const;
export type AggregateOp = (typeof AGGREGATE_OPS)[number];

/**
 * One aggregate of a grouped table or expect. `name` is the output column:
 * `mean_downtime_ms`, `p95_total_ms`, `ci95_downtime_ms` (the half-width), `n`.
 */
export type Aggregate =
  | { op: AggregateOp; column: string; name: string; span: Span }
  /** `pN`, N in 1..99 (`p50` is the median). */
  | { op: 'percentile'; p: number; column: string; name: string; span: Span }
  /** `n`: the number of rows aggregated. */
  | { op: 'n'; name: 'n'; span: Span };

/** Rows kept and how they are grouped: shared by `table`, `expect` and the summary a plot draws. */
export interface RowQuery {
  /** `where EXPR`: the rows kept (boolean). */
  where?: Expr;
  /** `by COL, ...`: the group columns. A query with `by` or `aggregates` is aggregated. */
  by?: string[];
  /** The aggregates after the by-list; aggregated with none of them, a group shows `n`. */
  aggregates?: Aggregate[];
}

/** The marks of a plot (`as line|bar|scatter`). */
export const PLOT_MARKS = ['line', 'bar', 'scatter'] as const;
export type PlotMark = (typeof PLOT_MARKS)[number];

/** What the error bars of a plot show (`error sd|se|ci95|none`). */
export const PLOT_ERRORS = ['sd', 'se', 'ci95', 'none'] as const;
export type PlotError = (typeof PLOT_ERRORS)[number];

/** Which axes are logarithmic (`log x|y|xy`). */
export type PlotLog = 'x' | 'y' | 'xy';

/**
 * What issue 12 adds to a `plot`. Every field is optional, so the plot of a timeline
 * or the iterations (`plot remaining over time`) keeps its shape; the library reads
 * the plot as across runs when `table` is neither `timeline` nor `iterations`.
 */
export interface PlotExtension {
  /** Every Y column, in order (`plot downtime_ms, total_ms over ...`); absent: [yColumn]. */
  yColumns?: string[];
  /** `by COL[, COL]`: one trace per group. */
  by?: string[];
  /** `facet COL`: one subplot per value. */
  facet?: string;
  where?: Expr;
  /** Default `line`. */
  mark?: PlotMark;
  /** Default `sd` where some point averages more than one row, else `none`. */
  error?: PlotError;
  log?: PlotLog;
}

/** `plot progress`: QEMU guestperf's chart for every plan in scope, only when asked for. */
export interface ProgressOutput {
  kind: 'progress';
  line: number;
}

/**
 * `expect [all|any] VIEW [where EXPR] [by ... AGG ...] : EXPR`. Passes when the
 * condition holds for every row (`all`, the default) or one row (`any`) of the view
 * after `where` (and the aggregation, if any); no row after `where` is a failure.
 */
export interface ExpectOutput extends RowQuery {
  kind: 'expect';
  quantifier: 'all' | 'any';
  /** A result table of the runs, or `explore`: the table of the `explore` statements. */
  view: TableView | 'explore';
  condition: Expr;
  /** The statement as written, for the pass line and the failure message. */
  text: string;
  line: number;
}

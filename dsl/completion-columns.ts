/**
 * The names an expression slot may use at the cursor, for completion: in a `let`,
 * `table`, `plot` or `expect`, the columns of the runs in scope (earlier cells' and
 * those above the cursor), their axes, `label`, `seed` and the lets; in a run's
 * `where`, the axes of that run only (its points are chosen before anything runs).
 * Both come from compiling the text before the cursor's statement, so they are the
 * names the checker will accept, never a second list.
 */
import type { IToken } from 'chevrotain';
import { compile } from './compile.ts';
import type { Scope } from './compile.ts';
import {
  anyRunColumns,
  axesOfExperiments,
  experimentAxes,
  viewColumns,
} from './compile/columns.ts';
import type { Axis } from './compile/experiment-types.ts';
import { experimentGroups, groupOfOutput } from './compile/output-groups.ts';
import { axisValueText, PREDICT_OPS } from './compile/predict.ts';
import { EMPTY_SCOPE } from './compile/scope.ts';
import { TABLE_VIEWS } from './schema.ts';

/** A table a statement reads: the word after `table` or `expect [all|any]`. */
function viewOf(stmt: readonly IToken[]): (typeof TABLE_VIEWS)[number] | undefined {
  const words = stmt.map((t) => t.image);
  const at = words[0] === 'table' ? 1 : words[0] === 'expect' ? 1 : -1;
  if (at < 0) return undefined;
  const word = words[at] === 'all' || words[at] === 'any' ? words[at + 1] : words[at];
  return TABLE_VIEWS.find((v) => v === word);
}

/**
 * The column, axis and let names a word in an expression slot of `stmt` (the tokens of
 * the cursor's statement, offsets into `text`) may take.
 */
export function expressionNames(
  text: string,
  stmt: readonly IToken[],
  scope: Scope | undefined,
  /** Only when some run is above or in scope (a plot's X: `time` alone otherwise). */
  runsOnly = false,
): string[] {
  const first = stmt[0];
  if (!first) return [];
  if (first.image === 'run' || first.image === 'sweep') return axisNames(text, stmt, scope);
  const r = compile(text.slice(0, first.startOffset), { scope: scope ?? EMPTY_SCOPE });
  if (runsOnly && !r.scope.runs) return [];
  const runs = r.scope.runs ?? anyRunColumns();
  const view = viewOf(stmt);
  const columns = (view ? [view] : TABLE_VIEWS).flatMap((v) => [...viewColumns(runs, v).keys()]);
  return [...columns, ...(r.scope.lets?.keys() ?? [])];
}

/**
 * The axes a slot of `stmt` may name: in a run's `where`, that run's (compiled up to
 * the `where`); elsewhere (`predict ... for AXIS`), those of the runs the prediction is
 * about that have more than one value (`predictAxes`).
 */
export function axisNames(
  text: string,
  stmt: readonly IToken[],
  scope: Scope | undefined,
): string[] {
  const first = stmt[0];
  if (!first) return [];
  if (first.image === 'run' || first.image === 'sweep') {
    const where = stmt.find((t) => t.image === 'where');
    if (!where) return [];
    const r = compile(text.slice(0, where.startOffset), { scope: scope ?? EMPTY_SCOPE });
    const run = r.program.experiments[r.program.experiments.length - 1];
    return run ? experimentAxes(run).map((a) => a.column) : [];
  }
  return predictAxes(text, stmt, scope).map((a) => a.column);
}

/**
 * After `AXIS =` or `AXIS !=` in an expression, the values of that axis as the language
 * writes them (`on`, `off` of a flag, the names of `tracking`, `10Gbit/s`): in a run's
 * `where`, of that run; elsewhere, of the runs above and in scope.
 */
export function comparedValues(
  text: string,
  stmt: readonly IToken[],
  scope: Scope | undefined,
): string[] {
  const first = stmt[0];
  const op = stmt[stmt.length - 1]?.image;
  const column = stmt[stmt.length - 2]?.image;
  if (!first || (op !== '=' && op !== '!=') || column === undefined) return [];
  let axes: readonly Axis[];
  if (first.image === 'run' || first.image === 'sweep') {
    const where = stmt.find((t) => t.image === 'where');
    if (!where) return [];
    const r = compile(text.slice(0, where.startOffset), { scope: scope ?? EMPTY_SCOPE });
    const run = r.program.experiments[r.program.experiments.length - 1];
    axes = run ? experimentAxes(run) : [];
  } else {
    const r = compile(text.slice(0, first.startOffset), { scope: scope ?? EMPTY_SCOPE });
    axes = r.scope.runs?.axes ?? [];
  }
  const axis = axes.find((a) => a.column === column);
  return axis ? axis.values.flatMap((v) => (v === null ? [] : [axisValueText(axis, v)])) : [];
}

/** The statements that end a group of experiments (as compile.ts's OUTPUT_KINDS). */
const OUTPUT_KINDS: ReadonlySet<string> = new Set(['table', 'plot', 'expect', 'predict', 'export']);

/**
 * The axes with more than one value of the runs the `predict` statement `stmt` is about,
 * as the compiler finds them (output-groups.ts): the first group of experiments after
 * it, else the last before it, else the runs of earlier cells. The text is compiled
 * whole, the cursor's statement left out, since a prediction comes before its runs.
 */
export function predictAxes(
  text: string,
  stmt: readonly IToken[],
  scope: Scope | undefined,
): Axis[] {
  const first = stmt[0];
  if (!first) return [];
  const lineEnd = text.slice(first.startOffset).search(/\r?\n|\r/);
  const rest = lineEnd < 0 ? '' : text.slice(first.startOffset + lineEnd);
  const r = compile(text.slice(0, first.startOffset) + rest, { scope: scope ?? EMPTY_SCOPE });
  const line = first.startLine ?? 1;
  const outputs = r.ast.statements.filter((s) => OUTPUT_KINDS.has(s.kind)).map((s) => s.span.line);
  const groups = experimentGroups(r.program.experiments, [...outputs, line]);
  const axes =
    groups.length > 0
      ? axesOfExperiments(groups[groupOfOutput('predict', line, groups)])
      : (r.scope.runs?.axes ?? []);
  return axes.filter((a) => a.values.length > 1);
}

/**
 * The values a side of `predict COLUMN for [AXIS] A < B` may take, as the language
 * writes them (`ring`, `on`, `10Gbit/s`): for A, the named axis's, or every axis's;
 * for B, those of the axis named or holding A, A itself left out.
 */
export function predictValues(axes: readonly Axis[], stmt: readonly IToken[]): string[] {
  const words = stmt.slice(3).map((t) => t.image);
  const texts = (a: Axis): string[] =>
    a.values.flatMap((v) => (v === null ? [] : [axisValueText(a, v)]));
  const op = words.findIndex((w) => PREDICT_OPS.some((o) => o === w));
  if (op < 0) {
    if (words.length === 0) return axes.flatMap(texts);
    const named = words.length === 1 ? axes.find((a) => a.column === words[0]) : undefined;
    return named ? texts(named) : [];
  }
  const left = words[op - 1];
  const named = op === 2 ? axes.find((a) => a.column === words[0]) : undefined;
  const holding = named ? [named] : axes.filter((a) => texts(a).includes(left ?? ''));
  return holding.flatMap(texts).filter((w) => w !== left);
}

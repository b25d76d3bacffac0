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
import { anyRunColumns, experimentAxes, viewColumns } from './compile/columns.ts';
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
 * the `where`); elsewhere (`predict ... for AXIS`), those of the runs in scope that have
 * more than one value.
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
  const r = compile(text.slice(0, first.startOffset), { scope: scope ?? EMPTY_SCOPE });
  return (r.scope.runs?.axes ?? []).filter((a) => a.values.length > 1).map((a) => a.column);
}

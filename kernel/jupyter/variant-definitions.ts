import type { Scope } from '../../dsl/compile.ts';
import type { VariantPick } from '../../dsl/compile/variant.ts';
import type { CellCompiler } from './cell-compile.ts';

/**
 * `%variant N` in a session that already ran cells: their definitions compiled again,
 * in the order the cells ran, with the new variant (CompileOptions.definitionsOnly), so
 * a definition with `vary` bounds takes variant N's values and one that `extends` it
 * follows, without the user rerunning the cells. Each cell sees the names as it did
 * when it ran: a name it used was defined by an earlier cell, which was compiled again
 * just before it. Runs, outputs and lets are not touched; results already shown stay
 * those of the variant they ran with.
 */

/** A cell of the session that compiled: its number (`cell 3` in the provenance) and text. */
export interface SessionCell {
  n: number;
  text: string;
}

/** A definition whose value the new variant changed, and the cell that last defines it. */
export interface ChangedDefinition {
  /** `vm web`. */
  name: string;
  cell: number;
}

export type VariantDefinitions =
  | {
      status: 'ok';
      /** The session's scope with every definition compiled for the new variant. */
      scope: Scope;
      /** What the `vary` bounds of the definitions took, in the order compiled. */
      picks: VariantPick[];
      changed: ChangedDefinition[];
    }
  /** A cell that no longer compiles (a `use`d file edited since): the scope is left as it was. */
  | { status: 'error'; cell: number; evalue: string; traceback: string[] };

const KINDS = ['vm', 'tracking', 'costs', 'migration'] as const;

/** A definition's value as text, to tell whether it changed (bigints as digits). */
function valueKey(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? '';
}

/** Compile the definitions of `cells` again for `variant`, starting from `scope`. */
export async function definitionsForVariant(
  cells: readonly SessionCell[],
  scope: Scope,
  variant: number,
  compiler: CellCompiler,
  cwd: string,
  signal?: AbortSignal,
): Promise<VariantDefinitions> {
  let now = scope;
  const picks: VariantPick[] = [];
  const lastChanged = new Map<string, number>();
  for (const cell of cells) {
    const compiled = await compiler.compile(
      { text: cell.text, scope: now, cwd, variant, definitionsOnly: true },
      signal,
    );
    if (compiled.status === 'error') {
      const { evalue, traceback } = compiled;
      return { status: 'error', cell: cell.n, evalue, traceback };
    }
    picks.push(...(compiled.program.variant?.picks ?? []));
    for (const kind of KINDS)
      for (const [name, value] of compiled.scope[kind])
        if (valueKey(value) !== valueKey(now[kind].get(name)))
          lastChanged.set(`${kind} ${name}`, cell.n);
    now = compiled.scope;
  }
  // Changed against the scope before: a name defined again later without `vary` is not.
  const changed = KINDS.flatMap((kind) =>
    [...now[kind]].flatMap(([name, value]) => {
      const key = `${kind} ${name}`;
      const cell = lastChanged.get(key);
      return cell !== undefined && valueKey(value) !== valueKey(scope[kind].get(name))
        ? [{ name: key, cell }]
        : [];
    }),
  ).sort((a, b) => a.cell - b.cell || a.name.localeCompare(b.name));
  return { status: 'ok', scope: now, picks, changed };
}

/**
 * What a definition compiles to, by kind, and the scope of a text: the definitions it
 * can name, from earlier texts (Jupyter cells), used files and itself. The kind of a
 * definition indexes every table here, so a value is always the one of its kind.
 */
import type { Costs } from '../../engine/kvm/costs.ts';
import type { MigrationPolicy, TrackingPolicy, VmSpec } from '../../engine/plan.ts';
import type { Protocol } from '../../engine/races/types.ts';
import type { ColumnType } from '../../engine/results.ts';
import type { DefinitionKind } from '../ast.ts';
import { mergeRunColumns } from './columns.ts';
import type { RunColumns } from './columns.ts';
import type { LetDefinition } from './experiment-types.ts';
import type { Family } from './family.ts';

/** The engine's value of each kind of definition. */
export interface DefinitionValues {
  vm: VmSpec;
  tracking: TrackingPolicy;
  costs: Partial<Costs>;
  migration: MigrationPolicy;
}

/** Definitions visible to a text, by kind and name; a family with all its variants. */
export type DefinitionScope = {
  readonly [K in DefinitionKind]: ReadonlyMap<string, Family<DefinitionValues[K]>>;
};

/** A `let` of an earlier text, compiled: what it yields and the names it uses. */
export interface ScopeLet {
  def: LetDefinition;
  type: ColumnType;
  unit?: string;
  /** The columns and lets its expression names. */
  uses: readonly string[];
  /** Its expression as written (`pages_sent / total_ms`), for `%who`. */
  text: string;
}

/**
 * Definitions visible to a text, by kind and name; the `let`s of earlier texts, by name;
 * and the columns of the runs they made (what later texts' outputs can name).
 */
export type Scope = DefinitionScope & {
  readonly lets?: ReadonlyMap<string, ScopeLet>;
  readonly runs?: RunColumns;
  /** The protocols of earlier texts, for `explore` (compile/protocols.ts). */
  readonly protocols?: ReadonlyMap<string, Protocol>;
};

export const EMPTY_SCOPE: Scope = Object.freeze({
  vm: new Map(),
  tracking: new Map(),
  costs: new Map(),
  migration: new Map(),
  lets: new Map(),
});

/** `a` with the definitions and lets of `b` added (b wins on a name clash), and its runs. */
export function mergeScopes(a: Scope, b: Scope): Scope {
  const runs = mergeRunColumns(a.runs, b.runs);
  return {
    vm: new Map([...a.vm, ...b.vm]),
    tracking: new Map([...a.tracking, ...b.tracking]),
    costs: new Map([...a.costs, ...b.costs]),
    migration: new Map([...a.migration, ...b.migration]),
    lets: new Map([...(a.lets ?? []), ...(b.lets ?? [])]),
    ...(runs ? { runs } : {}),
    ...(a.protocols || b.protocols
      ? { protocols: new Map([...(a.protocols ?? []), ...(b.protocols ?? [])]) }
      : {}),
  };
}

/** What messages call a definition of each kind. */
export const KIND_NOUN: Readonly<Record<DefinitionKind, string>> = {
  vm: 'vm',
  tracking: 'tracking policy',
  costs: 'costs table',
  migration: 'migration policy',
};

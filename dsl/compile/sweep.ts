/**
 * Sweep expansion: the plans of a `run` or `sweep`, one per combination of the values
 * of its lists (the cartesian product, the first list outermost), each labelled by what
 * it chose: `db/ring/fast/costs=slow/seed=1`. Pure: names are already resolved.
 */
import type { RunPlan } from '../../engine/plan.ts';
import type { ParamValue } from './experiment-types.ts';
import type { DefinitionValues } from './scope.ts';

/** One plan of an experiment, with a label naming what varies: `db/ring/fast/seed=1`. */
export interface LabelledPlan {
  label: string;
  plan: RunPlan;
  /**
   * The plan's value of every axis of its experiment, by column (`bandwidth: 9` in the
   * axis's unit), null where the plan has none; the seed is not a parameter.
   */
  params?: Record<string, ParamValue>;
}

/** A definition chosen by name. */
export interface Named<T> {
  name: string;
  value: T;
}

/** The plan fields a run option sets with a number (`warmup 1s` sets warmupNs). */
export type PlanNumber = 'warmupNs' | 'maxTimeNs' | 'samplePeriodNs' | 'sliceNs';

/** What an experiment varies: each list is one axis of the product. */
export interface SweepAxes {
  vms: Named<DefinitionValues['vm']>[];
  trackings: Named<DefinitionValues['tracking']>[];
  migrations: Named<DefinitionValues['migration']>[];
  /** Cost overrides by name; the name '' stands for none (the engine's defaults). */
  costs: Named<DefinitionValues['costs']>[];
  seeds: number[];
  /** Further plan fields, in the order written; one with several values is labelled. */
  options: { key: PlanNumber; values: number[] }[];
}

/** Every list of `lists` picked once each, in every combination, the first list outermost. */
export function product<T>(lists: readonly (readonly T[])[]): T[][] {
  let out: T[][] = [[]];
  for (const list of lists) out = out.flatMap((c) => list.map((x) => [...c, x]));
  return out;
}

/** Repetitions: each seed s becomes s, s+1, ..., s+repeat-1, and each seed runs once. */
export function repeatSeeds(seeds: readonly number[], repeat: number): number[] {
  if (repeat <= 1) return [...seeds];
  return [...new Set(seeds.flatMap((s) => Array.from({ length: repeat }, (_, k) => s + k)))];
}

/** The plans of every combination of the axes, labelled. */
export function expandSweep(axes: SweepAxes): LabelledPlan[] {
  const options = product(axes.options.map((o) => o.values.map((value) => ({ ...o, value }))));
  const plans: LabelledPlan[] = [];
  for (const vm of axes.vms)
    for (const tracking of axes.trackings)
      for (const migration of axes.migrations)
        for (const costs of axes.costs)
          for (const seed of axes.seeds)
            for (const chosen of options) {
              const plan: RunPlan = {
                vm: vm.value,
                tracking: tracking.value,
                migration: migration.value,
                ...(costs.name ? { costs: costs.value } : {}),
                seed,
              };
              for (const o of chosen) plan[o.key] = o.value;
              const label = [
                vm.name,
                tracking.name,
                migration.name,
                costs.name ? `costs=${costs.name}` : '',
                `seed=${seed}`,
                ...chosen.map((o) => (o.values.length > 1 ? `${o.key}=${o.value}` : '')),
              ];
              plans.push({ label: label.filter(Boolean).join('/'), plan });
            }
  return plans;
}

/**
 * Sweep expansion: the points of a `run` or `sweep`, one per combination of what it
 * chooses (the cartesian product, the VM outermost, then tracking, migration, costs and
 * the run options), each run with every seed and labelled by its choices:
 * `web/ring/qemu/bandwidth=10Gbit/s/seed=1`. Pure: names are already resolved, and a
 * family arrives as one choice per variant.
 */
import type { Costs } from '../../engine/kvm/costs.ts';
import type { MigrationPolicy, RunPlan, TrackingPolicy, VmSpec } from '../../engine/plan.ts';
import type { ParamValue } from './experiment-types.ts';
import type { Param } from './family.ts';

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

/** A definition chosen by name; for a family, one of its variants and the values it has. */
export interface Choice<T> {
  name: string;
  value: T;
  /** The values of the family's swept fields (none for a plain definition). */
  params: Param[];
}

/** The plan fields a run option sets with a number (`warmup 1s` sets warmupNs). */
export type PlanNumber = 'warmupNs' | 'maxTimeNs' | 'samplePeriodNs' | 'sliceNs';

/** One value of a run option. */
export interface OptionValue {
  /** In the plan's unit (ns). */
  value: number;
  /** In the axis unit. */
  param: ParamValue;
  /** As written: `1s`. */
  text: string;
}

/** A run option that sets a plan number: one value, or a list (an axis). */
export interface OptionAxis {
  key: PlanNumber;
  /** The option's name, its column when it is a list: `warmup`. */
  column: string;
  /** The unit the column's values are in. */
  unit?: string;
  values: OptionValue[];
  /** Written as a list or a range: a column, and part of every label. */
  listed: boolean;
  /** Written as `vary` bounds: one value picked, a column but not part of the label. */
  vary?: true;
}

/** What an experiment combines: each list is one factor of the product. */
export interface SweepAxes {
  vms: Choice<VmSpec>[];
  trackings: Choice<TrackingPolicy>[];
  migrations: Choice<MigrationPolicy>[];
  /** Cost overrides by name; the name '' stands for none (the engine's defaults). */
  costs: Choice<Partial<Costs>>[];
  seeds: number[];
  /** Further plan fields, in the order written. */
  options: OptionAxis[];
}

/** One combination of the product, before seeds. */
export interface SweepPoint {
  vm: Choice<VmSpec>;
  tracking: Choice<TrackingPolicy>;
  migration: Choice<MigrationPolicy>;
  costs: Choice<Partial<Costs>>;
  options: (OptionValue & { option: OptionAxis })[];
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

/** How many points the product has (without building them). */
export function countPoints(axes: SweepAxes): number {
  return [
    axes.vms.length,
    axes.trackings.length,
    axes.migrations.length,
    axes.costs.length,
    ...axes.options.map((o) => o.values.length),
  ].reduce((n, k) => n * k, 1);
}

/** Every point of the product, the VM outermost and the last option innermost. */
export function sweepPoints(axes: SweepAxes): SweepPoint[] {
  const options = product(axes.options.map((o) => o.values.map((v) => ({ ...v, option: o }))));
  const points: SweepPoint[] = [];
  for (const vm of axes.vms)
    for (const tracking of axes.trackings)
      for (const migration of axes.migrations)
        for (const costs of axes.costs)
          for (const chosen of options)
            points.push({ vm, tracking, migration, costs, options: chosen });
  return points;
}

/** The plan of a point with a seed. */
export function planOf(point: SweepPoint, seed: number): RunPlan {
  const plan: RunPlan = {
    vm: point.vm.value,
    tracking: point.tracking.value,
    migration: point.migration.value,
    ...(point.costs.name ? { costs: point.costs.value } : {}),
    seed,
  };
  for (const o of point.options) plan[o.option.key] = o.value;
  return plan;
}

/**
 * The label of a point with a seed: the names chosen, `costs=NAME`, each swept value
 * and listed option as `column=value` (as written), then `seed=N`. A value `vary`
 * picked is left out: it is the same in every plan of the variant.
 */
export function labelOf(point: SweepPoint, seed: number): string {
  const { vm, tracking, migration, costs } = point;
  const swept = [vm, tracking, migration, costs].flatMap((c) =>
    c.params.filter((p) => !p.vary).map((p) => `${p.column}=${p.text}`),
  );
  return [
    vm.name,
    tracking.name,
    migration.name,
    costs.name ? `costs=${costs.name}` : '',
    ...swept,
    ...point.options.filter((o) => o.option.listed).map((o) => `${o.option.column}=${o.text}`),
    `seed=${seed}`,
  ]
    .filter(Boolean)
    .join('/');
}

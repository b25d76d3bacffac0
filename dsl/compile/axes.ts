/**
 * The axes of an experiment: what varies between its plans besides the seed, one
 * column each, and each point's value of every axis (its params). In the order of the
 * run statement: for the VM, then the tracking, migration and costs, a list of names
 * (column `vm`, `tracking`, ...), the swept fields of the families chosen there, the
 * fields that differ between the names listed; then the run options given as lists.
 */
import { inUnit } from './ranges.ts';
import type { Axis, ParamValue } from './experiment-types.ts';
import type { Family } from './family.ts';
import { fromBaseUnit, PLAN_COLUMNS } from './plan-columns.ts';
import type { PlanColumn } from './plan-columns.ts';
import type { DefinitionValues } from './scope.ts';
import type { Choice, OptionAxis, SweepPoint } from './sweep.ts';

/** The kinds of the run statement's slots, in the order of the product. */
export const SLOT_KINDS = ['vm', 'tracking', 'migration', 'costs'] as const;
type SlotKind = (typeof SLOT_KINDS)[number];

/** What a slot of the run statement chose: names (a list when `listed`), each a family. */
export interface Slot<V> {
  listed: boolean;
  chosen: { name: string; family: Family<V> }[];
}

export type Slots = { [K in SlotKind]: Slot<DefinitionValues[K]> };

/** An axis, and where a point's value of it comes from. */
export interface AxisSource extends Axis {
  /** The point's value of the axis. */
  valueAt: (point: SweepPoint) => ParamValue;
}

/** The choices of a slot: every variant of every family named there. */
export function choicesOf<V>(slot: Slot<V>): Choice<V>[] {
  return slot.chosen.flatMap(({ name, family }) =>
    family.variants.map((v) => ({ name, value: v.value, params: v.params })),
  );
}

/** A choice's value of an axis of its slot: a swept value, else the plan field's, else null. */
function slotParam<V>(
  axis: Pick<Axis, 'column' | 'dim' | 'unit'>,
  columns: readonly PlanColumn<V>[],
  choice: Choice<V>,
): ParamValue {
  if (axis.dim === 'name') return choice.name === '' ? null : choice.name;
  const p = choice.params.find((x) => x.column === axis.column);
  if (p) return p.q !== undefined ? inUnit(p.q, axis.unit) : p.value;
  const v = columns.find((c) => c.column === axis.column)?.read(choice.value);
  if (v === undefined) return null;
  return typeof v === 'number' ? fromBaseUnit(v, axis.unit) : v;
}

/** A point's value of every axis, by column. */
export function paramsOf(
  axes: readonly AxisSource[],
  point: SweepPoint,
): Record<string, ParamValue> {
  return Object.fromEntries(axes.map((a) => [a.column, a.valueAt(point)]));
}

/** The distinct values of `values` that are not null, in order of first appearance. */
function distinct(values: readonly ParamValue[]): ParamValue[] {
  const seen = new Set<ParamValue>();
  const out: ParamValue[] = [];
  for (const v of values) {
    if (v === null || seen.has(v)) continue;
    seen.add(v);
    out.push(v);
  }
  return out;
}

/**
 * The axes of one slot: its list of names, the swept fields of the families named
 * there (one axis per column), and the plan fields that differ between the names.
 */
function slotAxes<V>(
  column: SlotKind,
  slot: Slot<V>,
  columns: readonly PlanColumn<V>[],
  pick: (point: SweepPoint) => Choice<V>,
): AxisSource[] {
  const choices = choicesOf(slot);
  const listed = slot.listed && slot.chosen.length > 1;
  const axes: Pick<Axis, 'column' | 'dim' | 'unit' | 'source'>[] = [];
  if (listed) axes.push({ column, dim: 'name', source: 'option' });
  for (const { family } of slot.chosen)
    for (const a of family.axes)
      if (!axes.some((x) => x.column === a.column))
        axes.push({
          column: a.column,
          dim: a.dim,
          ...(a.unit === undefined ? {} : { unit: a.unit }),
          source: a.vary ? 'vary' : 'family',
        });
  if (listed)
    for (const c of columns) {
      if (axes.some((x) => x.column === c.column)) continue;
      const axis = {
        column: c.column,
        dim: c.dim,
        ...(c.unit === undefined ? {} : { unit: c.unit }),
        source: 'differs' as const,
      };
      if (new Set(choices.map((x) => slotParam(axis, columns, x))).size > 1) axes.push(axis);
    }
  return axes.map((a) => ({
    ...a,
    values: distinct(choices.map((x) => slotParam(a, columns, x))),
    valueAt: (point) => slotParam(a, columns, pick(point)),
  }));
}

/**
 * Every axis of an experiment, its values those of every choice (before any filter).
 * Columns may repeat here; the caller reports that.
 */
export function experimentAxes(slots: Slots, options: readonly OptionAxis[]): AxisSource[] {
  const axes = [
    ...slotAxes('vm', slots.vm, PLAN_COLUMNS.vm, (p) => p.vm),
    ...slotAxes('tracking', slots.tracking, PLAN_COLUMNS.tracking, (p) => p.tracking),
    ...slotAxes('migration', slots.migration, PLAN_COLUMNS.migration, (p) => p.migration),
    ...slotAxes('costs', slots.costs, PLAN_COLUMNS.costs, (p) => p.costs),
  ];
  for (const o of options)
    if (o.listed || o.vary)
      axes.push({
        column: o.column,
        dim: 'time',
        ...(o.unit === undefined ? {} : { unit: o.unit }),
        values: distinct(o.values.map((v) => v.param)),
        source: o.vary ? 'vary' : 'option',
        valueAt: (point) => point.options.find((x) => x.option === o)?.param ?? null,
      });
  return axes;
}

/**
 * The axes with the values the kept points have (a filter may leave some out), in the
 * order the axis lists them (a `where` may keep a later value of one name first).
 */
export function axesOfPoints(
  axes: readonly AxisSource[],
  params: readonly Record<string, ParamValue>[],
): Axis[] {
  return axes.map((a) => {
    const kept = new Set(params.map((p) => p[a.column] ?? null));
    const values = [...a.values.filter((v) => kept.has(v))];
    for (const v of distinct([...kept])) if (!values.includes(v)) values.push(v);
    const axis: Axis = {
      column: a.column,
      dim: a.dim,
      ...(a.unit === undefined ? {} : { unit: a.unit }),
      values,
      source: a.source,
    };
    return axis;
  });
}

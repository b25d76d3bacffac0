/**
 * `run` and `sweep`: the VM, tracking and migration names (or lists of them), the
 * options after them (seed, seeds, repeat, costs, warmup, zip, ...) checked against
 * the run options of the schema, then the plans of every combination (sweep.ts) with
 * their axes and params (axes.ts), each combination checked for what KVM or QEMU
 * would reject. A family named in the statement takes part with all its variants.
 */
import type { DefinitionKind, Experiment, Property, Span, Value } from '../ast.ts';
import { DiagnosticCode as C, diagnostic, didYouMean, oneOf } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { FIELDS } from '../schema.ts';
import { everyResultColumn } from '../../engine/results.ts';
import { axesOfPoints, choicesOf, experimentAxes, paramsOf } from './axes.ts';
import type { AxisSource, Slot, Slots } from './axes.ts';
import { bindSweep, bindValue } from './bind.ts';
import { checkCombination } from './checks.ts';
import { axisColumn } from './columns.ts';
import { evaluator, truthy } from './evaluate.ts';
import type { RowFunction } from './evaluate.ts';
import { compileExpr } from './expr.ts';
import type { ExprNames } from './expr.ts';
import type { Definitions } from './definitions.ts';
import type { Axis, ParamValue } from './experiment-types.ts';
import { single } from './family.ts';
import type { Family } from './family.ts';
import { KIND_NOUN } from './scope.ts';
import type { DefinitionValues } from './scope.ts';
import { countPoints, labelOf, planOf, repeatSeeds, sweepPoints } from './sweep.ts';
import type { LabelledPlan, OptionAxis, PlanNumber, SweepAxes, SweepPoint } from './sweep.ts';
import { axisUnit, inUnit, unitOf } from './ranges.ts';
import { VariantPicker } from './variant.ts';

export interface CompiledExperiment {
  mode: 'run' | 'sweep';
  line: number;
  /** Every point of the product (after `zip`) with every seed, the seeds innermost. */
  plans: LabelledPlan[];
  /** What varies between the plans besides the seed: one parameter column each. */
  axes?: Axis[];
  /** The seeds every point of the product runs with. */
  seeds?: number[];
}

/** The most plans one experiment may make. */
export const MAX_PLANS = 10_000;
/** The most points a product may have before `zip` pairs its axes (or `where` keeps some). */
export const MAX_POINTS_BEFORE_ZIP = 100_000;

/** The run options that set a number of the plan, by option name. */
const PLAN_NUMBERS: Readonly<Record<string, PlanNumber>> = {
  warmup: 'warmupNs',
  max_time: 'maxTimeNs',
  sample: 'samplePeriodNs',
  slice: 'sliceNs',
};

/** What messages call several definitions of a kind. */
const KIND_PLURAL: Readonly<Record<DefinitionKind, string>> = {
  vm: 'vms',
  tracking: 'tracking policies',
  costs: 'costs tables',
  migration: 'migration policies',
};

/** An experiment's plans, or undefined when it has an error (reported). */
export function compileExperiment(
  e: Experiment,
  defs: Definitions,
  diags: Diagnostic[],
  picker: VariantPicker = new VariantPicker(0),
): CompiledExperiment | undefined {
  const before = diags.length;
  const hasError = (): boolean => diags.slice(before).some((d) => d.severity === 'error');
  const vm = slot(e.vm, 'vm', defs, diags);
  const tracking = slot(e.tracking, 'tracking', defs, diags);
  const migration = slot(e.migration, 'migration', defs, diags);
  const options = runOptions(e, defs, diags, picker);
  if (!vm || !tracking || !migration || hasError()) return undefined;
  const slots: Slots = { vm, tracking, migration, costs: options.costs };
  if (e.mode === 'run') checkRunHasNoList(e, slots, options, diags);
  if (hasError()) return undefined;
  const sweep: SweepAxes = {
    vms: choicesOf(vm),
    trackings: choicesOf(tracking),
    migrations: choicesOf(migration),
    costs: choicesOf(options.costs),
    seeds: options.seeds,
    options: options.numbers,
  };
  const axes = experimentAxes(slots, options.numbers);
  if (!checkColumnsUnique(axes, e.span, diags)) return undefined;
  const zip = options.zip && zipAxes(options.zip, axes, diags);
  if (options.zip && !zip) return undefined;
  const where = e.where.length > 0 ? pointCondition(e, axes, diags) : undefined;
  if (e.where.length > 0 && !where) return undefined;
  const points = countPoints(sweep);
  const limit = zip || where ? MAX_POINTS_BEFORE_ZIP : Math.floor(MAX_PLANS / sweep.seeds.length);
  if (points > limit) {
    tooMany(e, axes, points, sweep.seeds.length, diags);
    return undefined;
  }
  let kept = sweepPoints(sweep).map((point) => ({ point, params: paramsOf(axes, point) }));
  if (zip) kept = kept.filter(({ params }) => paired(zip, params));
  if (where) {
    const before = kept.length;
    kept = kept.filter(({ params }) => truthy(where.keeps(params)));
    if (kept.length === 0) {
      noPointKept(e, where.span, before, diags);
      return undefined;
    }
  }
  if (kept.length * sweep.seeds.length > MAX_PLANS) {
    tooMany(e, axes, kept.length, sweep.seeds.length, diags);
    return undefined;
  }
  checkCombinations(
    kept.map((k) => k.point),
    e.span,
    diags,
  );
  if (hasError()) return undefined;
  const plans = kept.flatMap(({ point, params }) =>
    sweep.seeds.map((seed) => ({ label: labelOf(point, seed), plan: planOf(point, seed), params })),
  );
  return {
    mode: e.mode,
    line: e.span.line,
    plans,
    axes: axesOfPoints(
      axes,
      kept.map((k) => k.params),
    ),
    seeds: sweep.seeds,
  };
}

/** What KVM or QEMU would reject, once per combination of definitions (and variants). */
function checkCombinations(points: readonly SweepPoint[], span: Span, diags: Diagnostic[]): void {
  const checked = new Set<string>();
  const reported = new Set<string>();
  const ids = new Map<object, number>();
  const id = (o: object): number => {
    if (!ids.has(o)) ids.set(o, ids.size);
    return ids.get(o) ?? 0;
  };
  for (const { vm, tracking, migration } of points) {
    const combo = `${id(vm.value)}/${id(tracking.value)}/${id(migration.value)}`;
    if (checked.has(combo)) continue;
    checked.add(combo);
    const found: Diagnostic[] = [];
    checkCombination(vm.value, tracking.value, migration.value, span, found);
    // A family's variants share their names: each problem is told once.
    for (const d of found) {
      if (reported.has(d.message)) continue;
      reported.add(d.message);
      diags.push(d);
    }
  }
}

/**
 * `run` takes one name in each place, one seed and one value per option: a list there
 * is `sweep`'s. (A family's lists and ranges are expanded by both.)
 */
function checkRunHasNoList(
  e: Experiment,
  slots: Slots,
  options: RunOptions,
  diags: Diagnostic[],
): void {
  const hint =
    'Use `sweep` to run every combination of the lists; `run` expands only the lists and ranges inside definitions.';
  const lists: [Value, number, string][] = [
    [e.vm, slots.vm.chosen.length, KIND_PLURAL.vm],
    [e.tracking, slots.tracking.chosen.length, KIND_PLURAL.tracking],
    [e.migration, slots.migration.chosen.length, KIND_PLURAL.migration],
  ];
  for (const [v, n, what] of lists) {
    if (n <= 1) continue;
    diags.push(
      diagnostic(
        'error',
        C.RunWithList,
        v.span,
        `This run lists ${n} ${what}; \`run\` takes one.`,
        hint,
      ),
    );
    return;
  }
  const many = options.written.find((o) => o.count > 1);
  if (many)
    diags.push(
      diagnostic(
        'error',
        C.RunWithList,
        many.node.span,
        many.key === 'seed' || many.key === 'seeds' || many.key === 'repeat'
          ? `This run has ${many.count} seeds; \`run\` takes one.`
          : `This run lists ${many.count} ${many.key === 'costs' ? KIND_PLURAL.costs : `values of '${many.key}'`}; \`run\` takes one.`,
        hint,
      ),
    );
}

/** Two axes may not fill one column. */
function checkColumnsUnique(axes: readonly Axis[], span: Span, diags: Diagnostic[]): boolean {
  const seen = new Set<string>();
  for (const a of axes) {
    if (!seen.has(a.column)) {
      seen.add(a.column);
      continue;
    }
    diags.push(
      diagnostic(
        'error',
        C.DuplicateAxis,
        span,
        `Two things this experiment varies are both called '${a.column}'; each needs a column of its own.`,
        `Sweep '${a.column}' in one place only.`,
      ),
    );
    return false;
  }
  return true;
}

/** "bandwidth (7) × vcpus (8) × 3 seeds = 168 plans", or with the points counted. */
export function describePlans(axes: readonly Axis[], points: number, seeds: number): string {
  const free = axes.filter((a) => a.source !== 'differs' && a.source !== 'vary');
  const sizes = free.map((a) => `${a.column} (${a.values.length})`);
  const seedText = `${seeds} seed${seeds === 1 ? '' : 's'}`;
  const plans = (points * seeds).toLocaleString('en-US');
  const product = free.reduce((n, a) => n * a.values.length, 1);
  if (free.length > 0 && product === points)
    return `${sizes.join(' × ')} × ${seedText} = ${plans} plans`;
  const pointText = `${points.toLocaleString('en-US')} point${points === 1 ? '' : 's'}`;
  return `${pointText}${sizes.length ? ` (${sizes.join(', ')})` : ''} × ${seedText} = ${plans} plans`;
}

function tooMany(
  e: Experiment,
  axes: readonly Axis[],
  points: number,
  seeds: number,
  diags: Diagnostic[],
): void {
  diags.push(
    diagnostic(
      'error',
      C.TooManyPlans,
      e.span,
      `This ${e.mode} makes ${describePlans(axes, points, seeds)}; one experiment runs at most ${MAX_PLANS.toLocaleString('en-US')}.`,
      'Sweep fewer values (a larger step, fewer seeds), pair axes with `zip`, keep some points with `where`, or split it into several experiments.',
    ),
  );
}

/** The names of `zip A, B, ...` as axes of the experiment; undefined after reporting. */
function zipAxes(
  zip: Property,
  axes: readonly AxisSource[],
  diags: Diagnostic[],
): AxisSource[] | undefined {
  const out: AxisSource[] = [];
  const columns = axes.map((a) => a.column);
  for (const v of zip.args) {
    const axis = v.kind === 'word' ? axes.find((a) => a.column === v.text) : undefined;
    if (!axis) {
      const name = v.kind === 'word' ? `'${v.text}'` : 'this';
      diags.push(
        diagnostic(
          'error',
          C.UnknownAxis,
          v.span,
          `zip pairs what the experiment varies, and ${name} is not one of them.${v.kind === 'word' ? didYouMean(v.text, columns) : ''}`,
          columns.length
            ? `Name two of ${oneOf(columns)}.`
            : 'Sweep two fields first: a list or a range in a definition, or a list in the statement.',
        ),
      );
      return undefined;
    }
    out.push(axis);
  }
  if (out.length < 2) {
    diags.push(
      diagnostic(
        'error',
        C.MissingArgument,
        zip.span,
        "'zip' pairs two axes or more; it names one.",
        'Write `zip A, B`: the first value of A runs with the first of B, and so on.',
      ),
    );
    return undefined;
  }
  const [first, ...rest] = out;
  const other = rest.find((a) => a.values.length !== first.values.length);
  if (other) {
    diags.push(
      diagnostic(
        'error',
        C.ZipLengths,
        zip.span,
        `zip pairs ${first.column} (${first.values.length} values) with ${other.column} (${other.values.length} values); paired axes need as many values each.`,
        `Give ${first.column} and ${other.column} the same number of values, or drop the zip for every combination.`,
      ),
    );
    return undefined;
  }
  return out;
}

/** A run's `where`, compiled over the axes: true for the points it keeps. */
interface PointCondition {
  keeps: RowFunction;
  span: Span;
}

/**
 * `where EXPR` of a run or sweep, over the axis columns (one value per point, in the
 * axis's unit); undefined after reporting. Results and `seed` are not known yet when
 * the points are chosen, so a condition naming them is an error that says where it goes.
 */
function pointCondition(
  e: Experiment,
  axes: readonly AxisSource[],
  diags: Diagnostic[],
): PointCondition | undefined {
  const [node, twice] = e.where;
  if (twice) {
    diags.push(
      diagnostic(
        'error',
        C.DuplicateField,
        twice.span,
        `This ${e.mode} has two \`where\` conditions.`,
        'Join them into one with `and`: `where A and B`.',
      ),
    );
    return undefined;
  }
  const columns = new Map(axes.map((a) => [a.column, axisColumn(a)]));
  const listed = oneOf([...columns.keys()]);
  const names: ExprNames = {
    lookup: (name) => columns.get(name),
    names: () => columns.keys(),
    why: (name) => {
      if (name === 'seed')
        return ' The seeds are not an axis: every point kept runs with each seed (`seeds 1..3`).';
      const results = Object.values(everyResultColumn()).flat();
      if (name === 'label' || results.some((c) => c.name === name))
        return ` '${name}' is a result of the runs, known only after they run; a ${e.mode}'s \`where\` chooses the points before.`;
      return undefined;
    },
    place: `the axes of this ${e.mode}`,
    hint:
      columns.size > 0
        ? `A ${e.mode}'s \`where\` names its axes: ${listed}. To filter results, write \`table summary where ...\`.`
        : `This ${e.mode} varies nothing for \`where\` to choose from: sweep a field (a list or a range in a definition) or list names in the statement.`,
  };
  const typed = compileExpr(node, names, diags, {
    type: 'boolean',
    what: `The condition of a ${e.mode}'s \`where\``,
  });
  return typed && { keeps: evaluator(typed.expr), span: node.span };
}

/** `where` left none of the points of the product. */
function noPointKept(e: Experiment, span: Span, points: number, diags: Diagnostic[]): void {
  diags.push(
    diagnostic(
      'error',
      C.NoPointKept,
      span,
      `This condition keeps none of the ${points.toLocaleString('en-US')} point${points === 1 ? '' : 's'} of the ${e.mode}: it would run nothing.`,
      'Loosen the condition, or check the values of the axes it names (`mmulab run --dry-run` lists them without it).',
    ),
  );
}

/** A point of zipped axes keeps the i-th value of each (the same i for all). */
function paired(zip: readonly AxisSource[], params: Record<string, ParamValue>): boolean {
  const at = zip.map((a) => a.values.indexOf(params[a.column] ?? null));
  return at.every((i) => i === at[0]);
}

/** The definitions named by `NAME` or `[A, B]`; undefined after reporting a bad one. */
function slot<K extends DefinitionKind>(
  v: Value,
  kind: K,
  defs: Definitions,
  diags: Diagnostic[],
): Slot<DefinitionValues[K]> | undefined {
  if ((v.kind === 'list' || v.kind === 'range') && v.vary) {
    diags.push(
      diagnostic(
        'error',
        C.MisplacedVary,
        v.vary,
        `\`vary\` picks a field's value, not which ${KIND_NOUN[kind]} runs.`,
        `Name one ${KIND_NOUN[kind]} here and put \`vary\` in a field of its definition, e.g. \`workload hotset { rate vary 10k/s..40k/s step 10k/s }\`.`,
      ),
    );
    return undefined;
  }
  const items = v.kind === 'list' ? v.items : [v];
  const chosen: { name: string; family: Family<DefinitionValues[K]> }[] = [];
  let ok = items.length > 0;
  for (const item of items) {
    if (item.kind !== 'word') {
      diags.push(
        diagnostic(
          'error',
          C.UnexpectedArgument,
          item.span,
          `Expected the name of a ${KIND_NOUN[kind]}, got ${item.kind === 'quantity' ? `'${item.text}'` : `a ${item.kind}`}.`,
          'Write a name, or a list of names in [ ].',
        ),
      );
      ok = false;
      continue;
    }
    const family = defs.lookup(kind, item.text, item.span);
    if (family === undefined) ok = false;
    else chosen.push({ name: item.text, family });
  }
  return ok ? { listed: v.kind === 'list', chosen } : undefined;
}

/** The run options, checked: costs, seeds (with repetitions), plan numbers, zip. */
interface RunOptions {
  costs: Slot<DefinitionValues['costs']>;
  seeds: number[];
  numbers: OptionAxis[];
  zip?: Property;
  /** Each option as written, with how many values it gives, for `run`'s check. */
  written: { key: string; count: number; node: Value }[];
}

function runOptions(
  e: Experiment,
  defs: Definitions,
  diags: Diagnostic[],
  picker: VariantPicker,
): RunOptions {
  const out: RunOptions = {
    costs: { listed: false, chosen: [{ name: '', family: single({}) }] },
    seeds: [1],
    numbers: [],
    written: [],
  };
  let repeat = 1;
  const seen = new Set<string>();
  for (const opt of e.options) {
    const key = opt.key.text;
    const spec = FIELDS.run[key];
    if (!spec) {
      diags.push(
        diagnostic(
          'error',
          C.UnknownField,
          opt.key.span,
          `Unknown ${e.mode} option '${key}'.${didYouMean(key, Object.keys(FIELDS.run))}`,
          `After the migration, ${e.mode} takes ${oneOf(Object.keys(FIELDS.run))}.`,
        ),
      );
      continue;
    }
    const seedKey = key === 'seeds' ? 'seed' : key;
    if (seen.has(seedKey)) {
      diags.push(
        diagnostic(
          'error',
          C.DuplicateField,
          opt.key.span,
          `'${key}' is given twice.`,
          'Keep one; use a list [a, b] to vary it.',
        ),
      );
      continue;
    }
    seen.add(seedKey);
    if (key === 'zip') {
      out.zip = opt;
      continue;
    }
    const v = opt.args[0];
    if (!v) continue;
    if (opt.args.length > 1) {
      diags.push(
        diagnostic(
          'error',
          C.UnexpectedArgument,
          opt.args[1].span,
          `'${key}' takes one value; only \`zip\` takes several, separated by commas.`,
          `Give several values of '${key}' as a list: [a, b].`,
        ),
      );
      continue;
    }
    if (key === 'costs') {
      const costs = slot(v, 'costs', defs, diags);
      if (costs) {
        out.costs = costs;
        out.written.push({ key, count: costs.chosen.length, node: v });
      }
      continue;
    }
    const values = optionValues(v, key, diags, picker);
    if (!values) continue;
    // `seeds 3` reads as "three seeds" but is the one seed 3: mean ± sd over one run.
    if (key === 'seeds' && v.kind === 'quantity' && values.length === 1 && values[0].value > 1) {
      const n = values[0].value;
      diags.push(
        diagnostic(
          'warning',
          C.OneSeed,
          v.span,
          `\`seeds ${v.text}\` is the one seed ${n}: each point runs once.`,
          `For ${n} seeds write \`seeds 1..${n}\` (or \`repeat ${n}\`); for the seed ${n} alone, \`seed ${n}\`.`,
        ),
      );
    }
    out.written.push({ key, count: key === 'repeat' ? values[0].value : values.length, node: v });
    const planKey = PLAN_NUMBERS[key];
    if (seedKey === 'seed') out.seeds = values.map((x) => x.value);
    else if (key === 'repeat') repeat = values[0].value;
    else if (planKey) {
      const unit = axisUnit('time', writtenUnits(v));
      out.numbers.push({
        key: planKey,
        column: key,
        ...(unit === undefined ? {} : { unit }),
        values: values.map((x) => ({
          ...x,
          param: inUnit({ dim: 'time', num: BigInt(x.value), den: 1n }, unit),
        })),
        listed: (v.kind === 'list' || v.kind === 'range') && !v.vary,
        ...((v.kind === 'list' || v.kind === 'range') && v.vary ? { vary: true as const } : {}),
      });
    }
  }
  out.seeds = repeatSeeds(out.seeds, repeat);
  return out;
}

/** The units written in a value: `[1s, 500ms]` has s and ms. */
function writtenUnits(v: Value): string[] {
  if (v.kind === 'quantity') return [unitOf(v.text)];
  if (v.kind === 'list') return v.items.flatMap(writtenUnits);
  if (v.kind === 'range') return [v.from, v.to, ...(v.step ? [v.step] : [])].flatMap(writtenUnits);
  return [];
}

/**
 * A run option's value or values: `7`, `1..5` (inclusive), `[1s, 2s]`, `1s..3s step 1s`;
 * each checked as the option's single value.
 */
function optionValues(
  v: Value,
  key: string,
  diags: Diagnostic[],
  picker: VariantPicker,
): { value: number; text: string }[] | undefined {
  const spec = FIELDS.run[key].args[0];
  if (v.kind === 'list' || v.kind === 'range') {
    if (spec.type !== 'quantity') {
      bindValue(v, spec, key, diags);
      return undefined;
    }
    const swept = bindSweep(v, spec, key, key, diags);
    if (swept?.type !== 'sweep') return undefined;
    const out: { value: number; text: string }[] = [];
    // `seed vary 1..1000`: one seed per student, the same in every experiment.
    const values = swept.sweep.vary ? [picker.pick('run option', swept.sweep)] : swept.sweep.values;
    for (const x of values)
      if (x.bound.type === 'quantity') out.push({ value: x.bound.n, text: x.text });
    return out;
  }
  const b = bindValue(v, spec, key, diags);
  if (b?.type !== 'quantity') return undefined;
  return [{ value: b.n, text: v.kind === 'quantity' ? v.text : String(b.n) }];
}

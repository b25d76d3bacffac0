/**
 * `run` and `sweep`: the VM, tracking and migration names (or lists of them), the
 * options after them (seed, seeds, repeat, costs, warmup, ...) checked against the run
 * options of the schema, then the plans of every combination (sweep.ts), each
 * combination checked for what KVM or QEMU would reject.
 */
import type { DefinitionKind, Experiment, Value } from '../ast.ts';
import { DiagnosticCode as C, diagnostic, didYouMean, oneOf } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { FIELDS } from '../schema.ts';
import { bindValue } from './bind.ts';
import { checkCombination } from './checks.ts';
import type { Definitions } from './definitions.ts';
import type { Axis } from './experiment-types.ts';
import { KIND_NOUN } from './scope.ts';
import type { DefinitionValues } from './scope.ts';
import { expandSweep, repeatSeeds } from './sweep.ts';
import type { LabelledPlan, Named, PlanNumber, SweepAxes } from './sweep.ts';

export interface CompiledExperiment {
  mode: 'run' | 'sweep';
  line: number;
  /** One plan for `run`; the cartesian product of every list for `sweep`. */
  plans: LabelledPlan[];
  /** What varies between the plans besides the seed: one parameter column each. */
  axes?: Axis[];
  /** The seeds every point of the product runs with. */
  seeds?: number[];
}

/** The run options that set a number of the plan, by option name. */
const PLAN_NUMBERS: Readonly<Record<string, PlanNumber>> = {
  warmup: 'warmupNs',
  max_time: 'maxTimeNs',
  sample: 'samplePeriodNs',
  slice: 'sliceNs',
};

/** An experiment's plans, or undefined when it has an error (reported). */
export function compileExperiment(
  e: Experiment,
  defs: Definitions,
  diags: Diagnostic[],
): CompiledExperiment | undefined {
  const before = diags.length;
  const hasError = (): boolean => diags.slice(before).some((d) => d.severity === 'error');
  const vms = names(e.vm, 'vm', defs, diags);
  const trackings = names(e.tracking, 'tracking', defs, diags);
  const migrations = names(e.migration, 'migration', defs, diags);
  const options = runOptions(e, defs, diags);
  if (!vms || !trackings || !migrations || hasError()) return undefined;
  const axes: SweepAxes = { vms, trackings, migrations, ...options };
  const plans = expandSweep(axes);
  const checked = new Set<string>();
  for (const { plan } of plans) {
    const combo = `${plan.vm.name}/${plan.tracking.name}/${plan.migration.name}`;
    if (checked.has(combo)) continue;
    checked.add(combo);
    checkCombination(plan.vm, plan.tracking, plan.migration, e.span, diags);
  }
  if (e.mode === 'run' && plans.length > 1) {
    diags.push(
      diagnostic(
        'error',
        C.RunWithList,
        e.span,
        `This run makes ${plans.length} plans; \`run\` makes one.`,
        'Use `sweep` to run every combination of the lists.',
      ),
    );
  }
  if (hasError()) return undefined;
  return { mode: e.mode, line: e.span.line, plans };
}

/** The definitions named by `NAME` or `[A, B]`; undefined after reporting a bad one. */
function names<K extends DefinitionKind>(
  v: Value,
  kind: K,
  defs: Definitions,
  diags: Diagnostic[],
): Named<DefinitionValues[K]>[] | undefined {
  const items = v.kind === 'list' ? v.items : [v];
  const out: Named<DefinitionValues[K]>[] = [];
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
    const value = defs.lookup(kind, item.text, item.span);
    if (value === undefined) ok = false;
    else out.push({ name: item.text, value });
  }
  return ok ? out : undefined;
}

/** The axes an experiment's options add: costs, seeds (with repetitions), plan numbers. */
function runOptions(
  e: Experiment,
  defs: Definitions,
  diags: Diagnostic[],
): Pick<SweepAxes, 'costs' | 'seeds' | 'options'> {
  let costs: SweepAxes['costs'] = [{ name: '', value: {} }];
  let seeds = [1];
  let repeat = 1;
  const options: SweepAxes['options'] = [];
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
    const v = opt.args[0];
    if (!v) continue;
    if (key === 'costs') {
      costs = names(v, 'costs', defs, diags) ?? costs;
      continue;
    }
    const values = numbers(v, key, diags);
    if (!values) continue;
    const planKey = PLAN_NUMBERS[key];
    if (seedKey === 'seed') seeds = values;
    else if (key === 'repeat') repeat = values[0];
    else if (planKey) options.push({ key: planKey, values });
  }
  return { costs, seeds: repeatSeeds(seeds, repeat), options };
}

/** A run option's value or values: `7`, `1..5` (inclusive), `[1s, 2s]`. */
function numbers(v: Value, key: string, diags: Diagnostic[]): number[] | undefined {
  const spec = FIELDS.run[key].args[0];
  if (v.kind === 'range' && spec.type === 'quantity' && spec.dim === 'count') {
    const from = bindValue(v.from, spec, key, diags);
    const to = bindValue(v.to, spec, key, diags);
    if (from?.type !== 'quantity' || to?.type !== 'quantity') return undefined;
    if (to.n < from.n || to.n - from.n > 10_000) {
      diags.push(
        diagnostic(
          'error',
          C.OutOfRange,
          v.span,
          `The range ${v.from.text}..${v.to.text} must go up and hold at most 10001 values.`,
          'Write the first and the last value, smallest first.',
        ),
      );
      return undefined;
    }
    return Array.from({ length: to.n - from.n + 1 }, (_, i) => from.n + i);
  }
  const items = v.kind === 'list' ? v.items : [v];
  const out: number[] = [];
  for (const item of items) {
    const b = bindValue(item, spec, key, diags);
    if (b?.type !== 'quantity') return undefined;
    out.push(b.n);
  }
  return out;
}

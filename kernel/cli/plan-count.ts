import type { Axis, CompiledExperiment, CompiledProgram } from '../../dsl/compile.ts';
import { flagWord } from '../../dsl/compile/experiment-types.ts';
import { plansOf } from '../experiment/plans.ts';

/**
 * How many plans each experiment makes, as `mmulab check` and `mmulab run --dry-run`
 * print it: the points of its product (after `zip`) times its seeds, and its axes.
 */

/** An experiment's size: its points, each run with every seed. */
export interface PlanCount {
  points: number;
  seeds: number;
  plans: number;
}

/** The size of an experiment whose plans are `plans` (fewer with `--seed`: one seed each). */
export function planCount(e: CompiledExperiment, plans: number, oneSeed: boolean): PlanCount {
  const seeds = oneSeed ? 1 : Math.max(1, e.seeds?.length ?? 1);
  return { points: Math.round(plans / seeds), seeds, plans };
}

const plural = (n: number, word: string): string =>
  `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** "6 points × 2 seeds = 12 plans". */
export function describePlanCount(c: PlanCount): string {
  return `${plural(c.points, 'point')} × ${plural(c.seeds, 'seed')} = ${plural(c.plans, 'plan')}`;
}

/** The most values an axis line shows: the first ones, `...`, and the last two. */
const SHOWN_VALUES = 12;

/** "bandwidth (3 values, Gbit/s): 1, 10, 25"; a column that differs between names says so. */
export function describeAxis(a: Axis): string {
  const all = a.values.map((v) =>
    v === null ? '-' : typeof v === 'boolean' ? flagWord(v) : String(v),
  );
  const shown =
    all.length <= SHOWN_VALUES ? all : [...all.slice(0, SHOWN_VALUES - 3), '...', ...all.slice(-2)];
  const about = [
    plural(a.values.length, 'value'),
    ...(a.unit === undefined ? [] : [a.unit]),
    ...(a.source === 'differs' ? ['differs between the names'] : []),
    ...(a.source === 'vary' ? ['picked by vary'] : []),
  ];
  return `${a.column} (${about.join(', ')}): ${shown.join(', ')}`;
}

/**
 * Per experiment of a program: its line, its size and (with `axes`) one line per axis.
 * `seed` is `--seed`: every point then runs once, with that seed.
 */
export function describeExperiments(
  program: CompiledProgram,
  text: string,
  seed: number | undefined,
  axes: boolean,
): string[] {
  const lines = text.split(/\r?\n|\r/);
  const byExperiment = plansOf(program, seed);
  return program.experiments.flatMap((e, i) => {
    const count = planCount(e, byExperiment[i].plans.length, seed !== undefined);
    const head = `line ${e.line}: ${(lines[e.line - 1] ?? '').trim()}`;
    const out = [head, `  ${describePlanCount(count)}`];
    if (axes) out.push(...(e.axes ?? []).map((a) => `  ${describeAxis(a)}`));
    return out;
  });
}

import type { ColumnTable } from 'arquero';
import type { CompiledExplore, ExpectOutput } from '../../dsl/compile.ts';
import { explore, exploreHash } from '../../engine/races/explore.ts';
import { swimlaneFigure } from '../../engine/races/figure.ts';
import {
  EXPLORATION_COLUMNS,
  explorationTable,
  exploreProvenanceOf,
} from '../../engine/races/results.ts';
import type { ExploreProvenance } from '../../engine/races/results.ts';
import type { ExploreResult, Violation } from '../../engine/races/types.ts';
import type { PlotlyFigure } from '../../engine/races/figure.ts';
import { queryRows } from './aggregate.ts';
import { evaluateExpectRows } from './expect.ts';
import type { ExpectResult } from './expect.ts';
import type { ResultCache } from './result-cache.ts';

/**
 * The `explore` statements of a program, run and shown like its experiments: one
 * results table for all of them (protocol, memory model, states, interleavings,
 * violations, shortest trace length, ...) and, for each exploration that finds a
 * violation, its shortest counterexample as a swimlane chart. The front ends (CLI,
 * report, kernel, tslab) render these; nothing here knows which one.
 */

/** One `explore` statement and what the explorer found. */
export interface Exploration {
  explore: CompiledExplore;
  result: ExploreResult;
}

/**
 * The columns of the table the front ends show: every column but the wall time, so the
 * same program shows the same bytes (`time_ms` stays in the engine's table).
 */
export const SHOWN_EXPLORATION_COLUMNS = EXPLORATION_COLUMNS.filter((c) => c !== 'time_ms');

/**
 * Runs each `explore`, in order; deterministic (the explorer draws no random numbers).
 * With a cache, an exploration it holds (same protocol text, same options) is not run
 * again, and one it does not hold is stored.
 */
export function runExplorations(
  explores: readonly CompiledExplore[],
  cache?: ResultCache,
): Exploration[] {
  return explores.map((e) => {
    const options = {
      memory: e.memory,
      reduction: e.reduction,
      ...(e.maxStates === undefined ? {} : { maxStates: e.maxStates }),
    };
    const stored = cache?.getExploration(exploreHash(e.protocol, options));
    if (stored) return { explore: e, result: stored };
    const result = explore(e.protocol, options);
    cache?.setExploration(result);
    return { explore: e, result };
  });
}

/** The results table of the explorations, one row each, without the wall time. */
export function explorationsTable(list: readonly Exploration[]): ColumnTable {
  return explorationTable(list.map((x) => x.result)).select(...SHOWN_EXPLORATION_COLUMNS);
}

/** The shortest counterexample of an exploration (the first found on a tie), if any. */
export function shortestViolation(r: ExploreResult): Violation | undefined {
  let best: Violation | undefined;
  for (const v of r.violations)
    if (!best || v.trace.steps.length < best.trace.steps.length) best = v;
  return best;
}

/** The swimlane chart of each exploration's shortest counterexample, with its title. */
export function explorationFigures(
  list: readonly Exploration[],
): { title: string; figure: PlotlyFigure }[] {
  return list.flatMap(({ result: r }) => {
    const v = shortestViolation(r);
    if (!v) return [];
    const title = `${r.protocol} (${r.memory.toUpperCase()}): ${v.property}, ${v.trace.steps.length} steps`;
    return [{ title, figure: swimlaneFigure(v, title) }];
  });
}

/** `expect explore ...` over the explorations table. */
export function evaluateExploreExpect(
  list: readonly Exploration[],
  output: ExpectOutput,
): ExpectResult {
  const rows = queryRows(explorationsTable(list), output, output.view);
  return evaluateExpectRows(rows, output, ['protocol', 'memory_model', 'reduction']);
}

/** What a text's `explore` statements show: the table, the charts, the expectations. */
export interface ExplorationsShown {
  table: ColumnTable;
  /** What identifies the explorations: the hash of their protocols and options. */
  provenance: ExploreProvenance;
  figures: { title: string; figure: PlotlyFigure }[];
  expects: ExpectResult[];
}

/**
 * Runs a program's explorations (those `cache` holds are not run again) and evaluates
 * its `expect explore`; undefined without either.
 */
export function showExplorations(
  program: {
    explores?: readonly CompiledExplore[];
    exploreExpects?: readonly ExpectOutput[];
  },
  cache?: ResultCache,
): ExplorationsShown | undefined {
  const explores = program.explores ?? [];
  const expects = program.exploreExpects ?? [];
  if (explores.length === 0 && expects.length === 0) return undefined;
  const list = runExplorations(explores, cache);
  const full = explorationTable(list.map((x) => x.result));
  const provenance = exploreProvenanceOf(full);
  if (!provenance) throw new Error('explorationTable made a table without its provenance');
  return {
    table: full.select(...SHOWN_EXPLORATION_COLUMNS),
    provenance,
    figures: explorationFigures(list),
    expects: expects.map((o) => evaluateExploreExpect(list, o)),
  };
}

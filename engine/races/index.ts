/**
 * The race explorer: protocols of lockless MMU code as small programs (the IR in
 * types.ts), every interleaving explored under sequential consistency or x86-TSO,
 * violations with their shortest traces, Arquero tables and swimlane figures.
 *
 * ```ts
 * const r = explore(builtinProtocol('identification-shared'), { memory: 'tso' });
 * explorationTable([r]);                 // protocol, memory_model, states, ... violations
 * swimlaneFigure(r.violations[0]);       // the OOPS interleaving as a Plotly spec
 * ```
 */
export type * from './types.ts';
export { checkProtocol, ProblemCode, ProtocolError, MAX_LOOP_BOUND } from './check.ts';
export type { ProtocolProblem } from './check.ts';
export { explore, exploreHash, DEFAULT_MAX_STATES } from './explore.ts';
export { renderExpr, renderStmt, renderValue } from './render.ts';
export {
  explorationTable,
  traceTable,
  exploreProvenanceOf,
  EXPLORATION_COLUMNS,
  TRACE_COLUMNS,
} from './results.ts';
export type { ExploreProvenance } from './results.ts';
export { swimlaneFigure } from './figure.ts';
export type { PlotlyFigure, PlotlyJson } from './figure.ts';
export * as build from './build.ts';
export * from './protocols/index.ts';

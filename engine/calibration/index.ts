export type { CalibrationRow, FigureUnit, PublishedFigure } from './types.ts';
export { PUBLISHED_FIGURES, figure } from './figures.ts';
export { SCENARIOS, NOT_MODELLED, calibrate } from './scenarios.ts';
export type { Scenario } from './scenarios.ts';

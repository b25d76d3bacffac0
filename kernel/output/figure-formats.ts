/** The image formats a chart can be written in (`mmulab figure --format`, `export plot`). */
export { FIGURE_FORMATS } from '../../dsl/schema.ts';
import type { FIGURE_FORMATS } from '../../dsl/schema.ts';
export type FigureFormat = (typeof FIGURE_FORMATS)[number];

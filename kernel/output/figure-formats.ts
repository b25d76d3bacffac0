/** The image formats a chart can be written in (`mmulab figure --format`, `export plot`). */
export const FIGURE_FORMATS = ['svg', 'pdf', 'png'] as const;
export type FigureFormat = (typeof FIGURE_FORMATS)[number];

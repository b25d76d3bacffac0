// The notebook display layer: MIME bundles for tables, Plotly charts and progress.
export { METADATA_KEY, mmulabMetadata, provenanceRecord } from './mime.ts';
export type { MimeBundle, ProvenanceRecord } from './mime.ts';
export { DEFAULT_MAX_ROWS, MISSING, formatCell, tableBundle } from './table.ts';
export type { TableBundleOptions } from './table.ts';
export {
  DEFAULT_HEIGHT,
  PLOTLY_MIME,
  figureJson,
  plotlyFigureBundle,
  plotlyJs,
  plotlyLoaderBundle,
} from './plotly.ts';
export type { PlotlyFigureOptions } from './plotly.ts';
export { progressBundle } from './progress.ts';
export type { ProgressInfo } from './progress.ts';
export { NotebookDisplay, experimentProvenance } from './notebook-display.ts';
export type { NotebookDisplayOptions } from './notebook-display.ts';

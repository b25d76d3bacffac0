import type { ColumnTable } from 'arquero';
import { provenanceOf } from '../../engine/results.ts';
import { tableCaption } from '../output/cells.ts';
import { htmlTable } from '../output/html-table.ts';
import { textTable } from '../output/text-table.ts';
import { mmulabMetadata, provenanceRecord } from './mime.ts';
import type { MimeBundle, ProvenanceRecord } from './mime.ts';

/**
 * An Arquero table as a notebook output: `text/html` (inline styles) and a
 * fixed-width `text/plain`, both captioned with the table's size and cut after
 * `maxRows` rows, and the provenance of the rows in metadata.
 */

export { MISSING, formatCell } from '../output/format.ts';

export interface TableBundleOptions {
  /** Shown before the size in the caption (escaped). */
  title?: string;
  /** Rows shown before "… N more rows" (default 20). */
  maxRows?: number;
  /**
   * Provenance of the rows. Default: the provenance of the run that made `table`
   * (`provenanceOf`), if any. A sweep's stacked table has none of its own, so its
   * caller passes one record per plan.
   */
  provenance?: readonly ProvenanceRecord[];
  /** The columns each block of a wide `text/plain` table repeats (default: `label`). */
  keys?: readonly string[];
}

export const DEFAULT_MAX_ROWS = 20;
/** Longest cell text, in characters, before it is cut with "…" (keeps payloads bounded). */
const MAX_CELL_HTML = 120;
const MAX_CELL_TEXT = 40;
/**
 * The widest line of a `text/plain` table: a console's width is not sent to the kernel,
 * so the text wraps for a common terminal (its blocks repeat the run's label).
 */
export const TEXT_WIDTH = 100;

/** The bundle of `table`: its head as HTML and text, and its provenance in metadata. */
export function tableBundle(table: ColumnTable, options: TableBundleOptions = {}): MimeBundle {
  const maxRows = Math.max(0, Math.floor(options.maxRows ?? DEFAULT_MAX_ROWS));
  const caption = tableCaption(table, options.title);
  const own = provenanceOf(table);
  const provenance = options.provenance
    ? options.provenance.map((p) => provenanceRecord(p, p.label))
    : own
      ? [provenanceRecord(own)]
      : [];
  return {
    data: {
      'text/plain': textTable(table, {
        caption,
        maxRows,
        maxCell: MAX_CELL_TEXT,
        width: TEXT_WIDTH,
        ...(options.keys?.length ? { keys: options.keys } : {}),
      }),
      'text/html': htmlTable(table, { caption, maxRows, maxCell: MAX_CELL_HTML }),
    },
    metadata: mmulabMetadata({ rows: table.numRows(), columns: table.numCols() }, provenance),
  };
}

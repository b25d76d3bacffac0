import type { ExpectResult } from '../experiment/expect.ts';
import { textTable } from './text-table.ts';

/**
 * How an `expect` reads in every front end: a passing one is one line; a failing one
 * says which rows failed, with what names them and the values the condition read.
 */

/** Rows of a failure listed before "… N more rows". */
const MAX_FAILING_ROWS = 20;

/** `✓ expect summary: stale_pages = 0  (all 6 rows pass)`. */
export function expectLine(r: ExpectResult): string {
  return `${r.pass ? '✓' : '✗'} ${r.output.text}  (${r.summary})`;
}

/** The failure as text: the line, where it is, then the failing rows. */
export function expectFailureText(r: ExpectResult): string {
  const head = `${expectLine(r)}  [line ${r.output.line}]`;
  if (r.failing.numRows() === 0) return head;
  return `${head}\n${textTable(r.failing, { maxRows: MAX_FAILING_ROWS, maxCell: 60 })}`;
}

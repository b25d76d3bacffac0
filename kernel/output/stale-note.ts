import { STALE_LIST_LIMIT } from '../../engine/sim/verify.ts';
import { formatNumber } from './format.ts';

/**
 * "listing 1,000 of 10,794 stale pages: ..." when the `stale` table lists fewer pages
 * than the summary counts (engine/sim/verify.ts lists at most STALE_LIST_LIMIT a run),
 * so that a cut table never passes for a complete one: under a shown table and in the
 * header of an exported file alike. Undefined when every page is listed.
 */
export function staleListText(listed: number, found: number): string | undefined {
  if (found <= listed) return undefined;
  return `listing ${formatNumber(listed)} of ${formatNumber(found)} stale pages: each run lists its first ${formatNumber(STALE_LIST_LIMIT)} by gfn; the summary's stale_pages counts them all`;
}

/** The stale pages a run's summary counts (0 without a summary row). */
export function staleFound(summary: {
  numRows(): number;
  get(column: string, row: number): unknown;
}): number {
  const pages = summary.numRows() ? summary.get('stale_pages', 0) : null;
  return typeof pages === 'number' ? pages : 0;
}

import type { RunResult } from '../../engine/results.ts';

/**
 * Whether a run completed its migration, as the charts draw it: a run that stopped
 * at its time cap (`not-converged`, QEMU's migration still active), was cancelled or
 * was interrupted is not a completed migration, and a chart must not draw its
 * figures (`total_ms` is the cap, the downtime never happened) as if it were.
 */

/** The status of a run whose migration completed (QAPI MigrationStatus). */
export const COMPLETED = 'completed';

/** Why a run did not complete (`not-converged`, `interrupted`), or undefined when it did. */
export function incompleteReason(result: RunResult): string | undefined {
  if (result.interrupted) return 'interrupted';
  if (result.summary.numRows() === 0) return 'no result';
  // A summary without a status (a table made by hand) says nothing against the run.
  const status: unknown = result.summary.columnNames().includes('status')
    ? result.summary.get('status', 0)
    : COMPLETED;
  return typeof status === 'string' && status !== COMPLETED ? status : undefined;
}

/** The legend's note for a chart that has runs which did not complete. */
export const INCOMPLETE_NOTE =
  'hollow, faded, ✕: did not complete (stopped at its cap or interrupted)';

import { unitFromName } from '../../engine/results.ts';

/**
 * An axis title with its unit: `downtime (ms)` for `downtime_ms`, `remaining (pages)`
 * for `remaining_pages`, `bandwidth (Gbit/s)` for a `bandwidth` axis in Gbit/s. The
 * suffix that states the unit (unitFromName's rule) is dropped from the name, since
 * the parenthesis says it; a column without a unit is its name.
 */
export function axisTitle(column: string, unit: string | undefined): string {
  if (unit === undefined) return column;
  return `${stripUnitSuffix(column, unit)} (${unit})`;
}

/** `column` without the `_suffix` that gives `unit`, if its name ends with one. */
function stripUnitSuffix(column: string, unit: string): string {
  for (let i = column.lastIndexOf('_'); i > 0; i = column.lastIndexOf('_', i - 1)) {
    if (unitFromName(column.slice(i)) === unit && unitFromName(column.slice(i)) !== undefined) {
      // `_per_s` is one suffix: the loop reaches it after `_s` (which names another unit).
      return column.slice(0, i);
    }
  }
  return column;
}

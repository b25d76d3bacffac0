/**
 * Throws a RangeError unless [start, end) is a range of whole numbers inside
 * [0, length): the check every per-page structure makes on a range argument.
 */
export function checkRange(start: number, end: number, length: number): void {
  if (
    !Number.isInteger(start) ||
    !Number.isInteger(end) ||
    start < 0 ||
    start > end ||
    end > length
  ) {
    throw new RangeError(`range [${start}, ${end}) is outside [0, ${length})`);
  }
}

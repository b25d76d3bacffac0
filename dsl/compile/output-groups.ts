/**
 * Which runs an output statement reads. A text's experiments (`run`, `sweep`) fall
 * into groups in text order, a group ending where an output statement comes before the
 * next experiment: `run a ...`, `run b ...`, outputs, `run c ...`, outputs — the first
 * outputs read a and b, the last c, as a notebook cell's outputs read that cell's runs.
 * Outputs written before any experiment read the first group. A `predict` is written
 * before the runs it is about ("predict, then run"): it reads the first group after it,
 * or the last before it when none follows. The compiler checks each
 * output against its group's axes, and the front ends show it with that group's runs
 * (kernel/output/shown.ts), so the two cannot disagree.
 */

/** The experiments in groups, in text order (by their `line`). */
export function experimentGroups<E extends { line: number }>(
  experiments: readonly E[],
  outputLines: readonly number[],
): E[][] {
  const groups: E[][] = [];
  let last: number | undefined;
  for (const e of [...experiments].sort((a, b) => a.line - b.line)) {
    const split =
      last === undefined || outputLines.some((line) => line > (last ?? 0) && line < e.line);
    if (split) groups.push([e]);
    else groups[groups.length - 1].push(e);
    last = e.line;
  }
  return groups;
}

/** The group an output on `line` reads: the last that starts before it, else the first. */
export function groupOfLine<E extends { line: number }>(
  line: number,
  groups: readonly (readonly E[])[],
): number {
  let at = 0;
  groups.forEach((g, i) => {
    if (g[0].line < line) at = i;
  });
  return at;
}

/** The group an output of `kind` on `line` reads (a `predict` looks ahead, see above). */
export function groupOfOutput<E extends { line: number }>(
  kind: string,
  line: number,
  groups: readonly (readonly E[])[],
): number {
  if (kind === 'predict') {
    const ahead = groups.findIndex((g) => g[0].line > line);
    if (ahead >= 0) return ahead;
    return Math.max(0, groups.length - 1);
  }
  return groupOfLine(line, groups);
}

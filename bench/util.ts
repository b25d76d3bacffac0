/** Helpers shared by the benchmarks. */

export const GiB = 2 ** 30;
export const TiB = 2 ** 40;

/** Wall time of `fn` in ms (best of `repeat`). */
export function timeMs(fn: () => void, repeat = 1): number {
  let best = Infinity;
  for (let k = 0; k < repeat; k++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

export function row(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(58)} ${value}\n`);
}

export function fmt(n: number, digits = 1): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(digits)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(digits)} k`;
  return n.toFixed(digits);
}

import { readFileSync } from 'node:fs';

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

/**
 * CPU seconds (user + system) of this process's children that have ended and been
 * waited for (Linux: /proc/self/stat's cutime and cstime, in clock ticks of 1/100 s):
 * what a spawnSync'd command tree used. On a loaded machine its wall time says little
 * and its CPU time still says what it costs; undefined where /proc is not there.
 */
export function childrenCpuS(): number | undefined {
  // cutime and cstime are fields 16 and 17 of proc(5).
  return statTicksS('/proc/self/stat', 16, 17);
}

/**
 * CPU seconds (user + system) of the calling thread so far (Linux: /proc/thread-self/stat's
 * utime and stime, in ticks of 1/100 s): a thread's share of a process whose other
 * threads (V8's compiler and garbage collector, worker threads) also run; undefined
 * where /proc is not there.
 */
export function threadCpuS(): number | undefined {
  // utime and stime are fields 14 and 15 of proc(5).
  return statTicksS('/proc/thread-self/stat', 14, 15);
}

/**
 * Fields `a` and `b` (1-based, as proc(5) numbers them) of a /proc stat file, summed and
 * read as clock ticks of 1/100 s; undefined where the file is not there.
 */
function statTicksS(path: string, a: number, b: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  // The fields after the command name (field 2), which is in parentheses and may hold
  // spaces: fields[0] is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[a - 3]) + Number(fields[b - 3])) / 100;
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

import type { PlanProgress } from '../experiment/runner.ts';
import { textBar } from '../output/format.ts';

/**
 * A one-line progress bar on a terminal, redrawn in place with `\r`. On anything
 * that is not a TTY (a pipe, a file, CI logs) it writes nothing at all.
 */

/** What the bar writes to: `process.stderr` or a test double. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Redraw at most this often (wall ms): a run reports every simulated 100 ms. */
const REDRAW_MS = 80;
/** ANSI "erase entire line" (ECMA-48 EL with parameter 2). */
const ERASE_LINE = '\x1b[2K';

export class ProgressBar {
  private readonly enabled: boolean;
  private lastDraw = -Infinity;
  private drawn = false;

  /** `total`: the number of plans that will run. */
  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.enabled = stream.isTTY === true;
  }

  /** Plan `index` (0-based) named `label` reports `info`; redraws unless it just did. */
  update(index: number, label: string, info: PlanProgress, force = false): void {
    if (!this.enabled) return;
    const t = this.now();
    if (!force && t - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = t;
    const f = Math.min(1, Math.max(0, info.fraction));
    const overall = (index + f) / this.total;
    const bar = textBar(overall);
    const pct = `${Math.floor(overall * 100)}%`.padStart(4);
    let line = `[${index + 1}/${this.total}] ${bar} ${pct}  ${label}  ${info.state} t=${info.timeS.toFixed(1)}s`;
    // A line longer than the terminal wraps, and `\r` then redraws only its last part.
    const columns = this.stream.columns || 80;
    if (line.length > columns - 1) line = `${line.slice(0, Math.max(0, columns - 2))}…`;
    this.stream.write(`\r${ERASE_LINE}${line}`);
    this.drawn = true;
  }

  /** Erase the bar so that what follows starts on a clean line. */
  clear(): void {
    if (!this.enabled || !this.drawn) return;
    this.stream.write(`\r${ERASE_LINE}`);
    this.drawn = false;
    this.lastDraw = -Infinity;
  }
}

/**
 * The migration stream's link and QEMU's rate limiter (migration-stats.c): bytes
 * are budgeted per 100 ms window (`BUFFER_DELAY`), max-bandwidth / 10 per window;
 * the bandwidth estimate is bytes sent in the last window / its length, as
 * `migration_update_counters` computes it, so anything that stalls the migration
 * thread (syncs, zero-page scans) depresses the estimate.
 *
 * Bytes always cross the wire at the link's own speed; max-bandwidth only limits how
 * many go per window (the thread sleeps out the rest of a spent window). Completion
 * runs with the limit disabled (`migration_rate_set(RATE_LIMIT_DISABLED)`), and so
 * does postcopy with max-postcopy-bandwidth 0, QEMU's default: a capped link still
 * sends the final pages at full speed.
 */
export const BUFFER_DELAY_NS = 100_000_000;

export class Link {
  /** Link capacity, bytes per second. */
  readonly bandwidth: number;
  /** QEMU max-bandwidth cap, bytes per second. */
  readonly maxBandwidth: number;
  /** Start of the current window, ns. */
  windowStart = 0;
  /** Bytes sent in the current window. */
  windowBytes = 0;
  /** The last window's estimate, bytes per second (0 until a window closes). */
  estimate = 0;
  /** Total bytes sent (QEMU `transferred`). */
  transferred = 0;
  /** Bytes sent in the last closed window (`transferred` in migration_update_counters). */
  lastWindowBytes = 0;

  constructor(bandwidth: number, maxBandwidth: number) {
    if (!(bandwidth > 0)) throw new Error(`link bandwidth must be > 0 bytes/s, got ${bandwidth}`);
    this.bandwidth = bandwidth;
    this.maxBandwidth = Math.min(maxBandwidth, bandwidth);
  }

  /** Bytes the rate limiter still allows in this window. */
  get windowAllowance(): number {
    return Math.max(0, (this.maxBandwidth * BUFFER_DELAY_NS) / 1e9 - this.windowBytes);
  }

  /** ns to put `bytes` on the wire, at the link's speed. */
  wireNs(bytes: number): number {
    return (bytes / this.bandwidth) * 1e9;
  }

  send(bytes: number): void {
    this.windowBytes += bytes;
    this.transferred += bytes;
  }

  /** Close the window if `now` is past it; returns true when a new estimate was made. */
  updateCounters(now: number): boolean {
    const elapsed = now - this.windowStart;
    if (elapsed < BUFFER_DELAY_NS) return false;
    this.estimate = (this.windowBytes / elapsed) * 1e9;
    this.lastWindowBytes = this.windowBytes;
    this.windowStart = now;
    this.windowBytes = 0;
    return true;
  }
}

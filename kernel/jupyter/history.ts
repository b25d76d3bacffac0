import { globMatcher } from './glob.ts';
import type { HistoryEntry, HistoryRequest } from './protocol.ts';

/**
 * The inputs (and text outputs) of this kernel session, for history_request
 * (messaging.rst "History"): consoles use `tail`, search uses globs like IPython's
 * (`*` any run, `?` one character; glob.ts, linear in the text), and `unique` keeps
 * the last of equal inputs.
 * Kept in memory only: one session number, 1.
 */

interface Entry {
  line: number;
  input: string;
  output: string | null;
}

const SESSION = 1;

/** Characters a history search reads between two yields to the event loop (a few ms of work). */
const SEARCH_SLICE = 1 << 20;

export class History {
  private readonly entries: Entry[] = [];

  add(line: number, input: string): void {
    this.entries.push({ line, input, output: null });
  }

  /** Record the text output of the cell run as `line`. */
  setOutput(line: number, output: string): void {
    const e = this.entries.find((x) => x.line === line);
    if (e) e.output = output;
  }

  async query(request: HistoryRequest): Promise<HistoryEntry[]> {
    let picked: Entry[];
    switch (request.hist_access_type) {
      case 'tail':
        picked = this.entries.slice(-Math.max(0, request.n ?? 10));
        break;
      case 'range': {
        // `stop` is exclusive, as in IPython's HistoryManager.get_range.
        const start = request.start ?? 1;
        const stop = request.stop ?? Number.POSITIVE_INFINITY;
        picked = this.entries.filter((e) => e.line >= start && e.line < stop);
        break;
      }
      case 'search': {
        picked = await this.search(typeof request.pattern === 'string' ? request.pattern : '*');
        if (request.unique) {
          const seen = new Set<string>();
          picked = picked
            .reverse()
            .filter((e) => !seen.has(e.input) && seen.add(e.input))
            .reverse();
        }
        if (request.n !== undefined && request.n !== null) picked = picked.slice(-request.n);
        break;
      }
      default:
        picked = [];
    }
    return picked.map((e): HistoryEntry =>
      request.output ? [SESSION, e.line, [e.input, e.output]] : [SESSION, e.line, e.input],
    );
  }

  /**
   * The entries whose input `pattern` matches. The search yields to the event loop
   * every SEARCH_SLICE characters, so heartbeats and control requests are answered
   * however long the history is.
   */
  private async search(pattern: string): Promise<Entry[]> {
    const matches = globMatcher(pattern);
    const found: Entry[] = [];
    let searched = 0;
    for (const e of [...this.entries]) {
      if (searched >= SEARCH_SLICE) {
        await new Promise((resolve) => setImmediate(resolve));
        searched = 0;
      }
      searched += e.input.length;
      if (matches(e.input)) found.push(e);
    }
    return found;
  }
}

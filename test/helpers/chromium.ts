import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/**
 * Headless Chromium (Debian's `chromium` package) for the tests that check a page as a
 * reader sees it: the DOM after the page's own scripts ran, offline. Every browser
 * test starts Chromium through here, with the same flags.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/**
 * Starting Chromium and parsing plotly.js on a loaded machine takes a while: the time
 * a browser test is given.
 */
export const BROWSER_MS = 240_000;

/**
 * The DOM of the HTML file `page` after its scripts ran. Virtual time lets the page's
 * timers (plotly.js's loader polls every 100 ms) pass at once; no network is used.
 * `flags` go to Chromium first (`--window-size=800,600`).
 */
export async function renderedDom(page: string, flags: readonly string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)(
    CHROMIUM,
    [
      ...flags,
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--virtual-time-budget=10000',
      '--dump-dom',
      pathToFileURL(page).href,
    ],
    { cwd: dirname(page), maxBuffer: 256 * 2 ** 20 },
  );
  return stdout;
}

/** How many times `pattern` (a global RegExp, or a literal text) occurs in `dom`. */
export function occurrences(dom: string, pattern: RegExp | string): number {
  if (typeof pattern === 'string') return dom.split(pattern).length - 1;
  return dom.match(pattern)?.length ?? 0;
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** plotly.js as a page carries it: the library's text and its version. */
export interface PlotlyJs {
  version: string;
  source: string;
}

let cached: PlotlyJs | undefined;

/**
 * The plotly.js bundle of the plotly.js-dist package, ready to sit in a `<script>`
 * (the report inlines it, a notebook session sends it once). Read once per process:
 * ~10 MB of text is not re-read for every session or report.
 */
export function plotlyJs(): PlotlyJs {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const path = require.resolve('plotly.js-dist');
  const { version } = require('plotly.js-dist/package.json') as { version: string };
  // `</script` inside the bundle would end the element early; `<\/` means the same in JS.
  const source = readFileSync(path, 'utf8').replace(/<\/script/gi, '<\\/script');
  cached = { version, source };
  return cached;
}

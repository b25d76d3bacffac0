import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { transformSync } from 'esbuild';
import { scriptJson } from './format.ts';

/**
 * plotly.js as a page carries it. plotly.js-dist ships one unminified bundle (10 MB);
 * pages get it minified by esbuild (4.8 MB) and gzipped into base64 (1.9 MB), unpacked
 * in the browser by DecompressionStream: a report stays near 2 MB and still works
 * offline. The first use keeps the minified text in dist/, so it is made once per
 * install and version, not per process.
 */
export interface PlotlyJs {
  version: string;
  /** The minified library, ready to sit in a `<script>` (no `</script` inside). */
  source: string;
}

/** What a page inlines: the minified library gzipped, in base64. */
export interface PackedPlotlyJs {
  version: string;
  gzipBase64: string;
}

let cached: PlotlyJs | undefined;
let packed: PackedPlotlyJs | undefined;

/** The mmulab package's dist/, found from this module in kernel/output/ or in a bundle in dist/. */
function distDir(): string {
  // import.meta.url, not .dirname: the CommonJS bundle (mmulab/tslab) defines only the URL.
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; dirname(dir) !== dir; dir = dirname(dir))
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist');
  return join(here, 'dist');
}

/** Where the minified library of `version` is kept. */
export function minifiedPlotlyPath(version: string): string {
  return join(distDir(), `plotly-${version}.min.js`);
}

/** Minify plotly.js-dist's bundle, keeping its license header and legal comments. */
export function minifyPlotly(source: string): string {
  // The header (`/** plotly.js vX ... MIT license */`) is a plain block comment, which
  // esbuild drops; the license asks for it to stay.
  const header = /^\/\*\*[\s\S]*?\*\//.exec(source)?.[0] ?? '';
  const { code } = transformSync(source, { minify: true, legalComments: 'inline' });
  // `</script` inside the bundle would end the element early; `<\/` means the same in JS.
  return `${header}\n${code}`.replace(/<\/script/gi, '<\\/script');
}

/** The minified plotly.js of the plotly.js-dist package. Read (or made) once per process. */
export function plotlyJs(): PlotlyJs {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const { version } = require('plotly.js-dist/package.json') as { version: string };
  const path = minifiedPlotlyPath(version);
  let source: string;
  if (existsSync(path)) source = readFileSync(path, 'utf8');
  else {
    source = minifyPlotly(readFileSync(require.resolve('plotly.js-dist'), 'utf8'));
    try {
      // Written whole or not at all: another process may be reading the same path.
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.${process.pid}`, source);
      renameSync(`${path}.${process.pid}`, path);
    } catch {
      // A read-only install minifies again next time; nothing is lost.
    }
  }
  cached = { version, source };
  return cached;
}

/** plotlyJs(), gzipped (level 9) and in base64, as a page inlines it. */
export function packedPlotlyJs(): PackedPlotlyJs {
  if (packed) return packed;
  const { version, source } = plotlyJs();
  packed = { version, gzipBase64: gzipSync(source, { level: 9 }).toString('base64') };
  return packed;
}

/**
 * The script that puts plotly.js on a page: nothing when the page has it already,
 * else the packed library unpacked by DecompressionStream (Chrome 80, Firefox 113,
 * Safari 16.4) and run as a script element; then `readyEvent` is fired on window. A
 * browser without DecompressionStream gets a message in place of each chart.
 */
export function plotlyLoaderScript(readyEvent: string): string {
  const { version, gzipBase64 } = packedPlotlyJs();
  return `/* plotly.js-dist ${version} (MIT license), minified and gzipped by mmulab so the page works offline */
(function () {
  var ready = function () { window.dispatchEvent(new Event(${scriptJson(readyEvent)})); };
  if (!window.Plotly) {
    if (typeof DecompressionStream === 'undefined') {
      window.mmulabPlotlyMissing = 'this browser cannot unpack the charts\\' plotly.js (it needs DecompressionStream: Chrome 80, Firefox 113, Safari 16.4 or later)';
      return ready();
    }
    var packed = ${JSON.stringify(gzipBase64)};
    var bytes = Uint8Array.from(atob(packed), function (c) { return c.charCodeAt(0); });
    new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text().then(function (code) {
      var s = document.createElement('script');
      s.textContent = code;
      document.head.appendChild(s);
      ready();
    });
    return;
  }
  ready();
})();`;
}

/** The event plotlyLoaderScript fires in a report. */
export const REPORT_READY_EVENT = 'mmulab-plotly-ready';

/**
 * A script that draws into the element `id` with `newPlot` arguments once plotly.js is
 * on the page (at once, or when the loader fires REPORT_READY_EVENT), or says why not.
 */
export function drawWhenReadyScript(
  id: string,
  data: unknown,
  layout: unknown,
  config: unknown,
): string {
  return `(function () {
  var draw = function () {
    var el = document.getElementById(${scriptJson(id)});
    if (window.Plotly) window.Plotly.newPlot(el, ${scriptJson(data)}, ${scriptJson(layout)}, ${scriptJson(config)});
    else if (window.mmulabPlotlyMissing) el.textContent = window.mmulabPlotlyMissing;
  };
  if (window.Plotly) draw();
  else window.addEventListener(${scriptJson(REPORT_READY_EVENT)}, draw, { once: true });
})();`;
}

/** The options every chart is drawn with (Plotly's `config`). */
export interface PlotlyConfig {
  responsive: true;
  displaylogo: false;
  /** The toolbar's camera button: a vector figure a paper can use, named after the chart. */
  toImageButtonOptions: { format: 'svg'; filename: string };
}

/** The config of a chart titled `title`: the toolbar downloads `<title>.svg`. */
export function plotlyConfig(title: unknown): PlotlyConfig {
  const text = typeof title === 'string' ? title : '';
  const filename =
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'mmulab-chart';
  return {
    responsive: true,
    displaylogo: false,
    toImageButtonOptions: { format: 'svg', filename },
  };
}

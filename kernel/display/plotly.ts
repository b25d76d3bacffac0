import type { PlotlyFigure, PlotlyJson } from '../output/figures.ts';
import { escapeHtml, scriptJson } from '../output/format.ts';
import { plotlyConfig, plotlyJs, plotlyLoaderScript } from '../output/plotly-js.ts';
// Notebook code asks the display layer for the library it sends (tslab re-exports it).
export { plotlyJs } from '../output/plotly-js.ts';
import { mmulabMetadata, provenanceRecord } from './mime.ts';
import type { MimeBundle, ProvenanceRecord } from './mime.ts';

/**
 * Plotly figures as notebook outputs (https://plotly.com/python/renderers/): the Plotly MIME type
 * for frontends with a Plotly renderer (JupyterLab with jupyterlab-plotly, VS Code,
 * nteract), an HTML fallback that draws with the plotly.js a loader output put on the
 * page (nbconvert HTML, nbviewer, Lab without the extension), and a one-line text.
 */

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
/** JupyterLab's Plotly renderer uses 360 px when the layout has no height; ours is fixed. */
export const DEFAULT_HEIGHT = 420;
/** Fired on `window` by the loader output once plotly.js is there. */
const READY_EVENT = 'mmulab-plotly-ready';

export interface PlotlyFigureOptions {
  /** Provenance of the runs drawn. */
  provenance?: readonly ProvenanceRecord[];
  /**
   * The element id of the HTML fallback. Default: `mmulab-plot-N` from a counter of
   * this process, so the same notebook run from the start gives the same outputs.
   */
  id?: string;
}

let defaultIds = 0;

/** The three-part bundle of `figure` (Plotly JSON, HTML fallback, one-line text). */
export function plotlyFigureBundle(
  figure: PlotlyFigure,
  options: PlotlyFigureOptions = {},
): MimeBundle {
  const id = options.id ?? `mmulab-plot-${++defaultIds}`;
  const json = figureJson(figure);
  const height = json.layout.height as number;
  const config = plotlyConfig(figureTitle(json.layout));
  // The script finds its own div first (the element before it): ids restart at 1 in
  // every kernel session, so two notebooks open in one JupyterLab page share them.
  const script = `(function () {
  var id = ${scriptJson(id)}, fig = ${scriptJson(json)}, config = ${scriptJson(config)};
  var s = document.currentScript, el = s && s.previousElementSibling;
  if (!el || el.id !== id) el = document.getElementById(id);
  var drawn = false;
  function draw() {
    if (drawn || !window.Plotly || !el) return;
    drawn = true;
    window.Plotly.newPlot(el, fig.data, fig.layout, config);
  }
  if (window.Plotly) return draw();
  // plotly.js is not there yet: the loader output fires an event when it is, and a
  // poll covers pages where the loader ran in another way (a saved notebook's order).
  window.addEventListener(${scriptJson(READY_EVENT)}, draw);
  var tries = 0, timer = setInterval(function () {
    if (window.Plotly || ++tries > 600) { clearInterval(timer); draw(); }
  }, 100);
})();`;
  return {
    data: {
      'text/plain': figureSummary(json),
      'text/html': `<div id="${escapeHtml(id)}" style="width:100%;height:${height}px"></div>\n<script>\n${script}\n</script>`,
      [PLOTLY_MIME]: json,
    },
    metadata: mmulabMetadata(
      {},
      (options.provenance ?? []).map((p) => provenanceRecord(p, p.label)),
    ),
  };
}

/**
 * The figure as plain JSON (NaN and ±Infinity become null, typed arrays become
 * arrays, exactly what the wire will carry) with an explicit `layout.height`.
 */
export function figureJson(figure: PlotlyFigure): { data: PlotlyJson[]; layout: PlotlyJson } {
  const plain = JSON.parse(
    JSON.stringify(figure, (_k, v: unknown) =>
      ArrayBuffer.isView(v) && !(v instanceof DataView)
        ? Array.from(v as unknown as ArrayLike<number>)
        : v,
    ),
  ) as { data: PlotlyJson[]; layout?: PlotlyJson };
  // A hand-made figure (`show({ data })` in tslab) may have no layout at all.
  const layout = plain.layout ?? {};
  if (typeof layout.height !== 'number') layout.height = DEFAULT_HEIGHT;
  return { ...plain, layout };
}

/** The title text of a layout (`title` may be a string or `{ text }`). */
function figureTitle(layout: PlotlyJson): unknown {
  const title = layout.title as unknown;
  return typeof title === 'object' && title !== null ? (title as { text?: unknown }).text : title;
}

/** `Plotly figure: "remaining over time", 2 scatter traces (bitmap, ring)`. */
function figureSummary(figure: { data: PlotlyJson[]; layout: PlotlyJson }): string {
  const title = (figure.layout.title as { text?: unknown } | undefined)?.text;
  const types = [...new Set(figure.data.map((t) => String(t.type ?? 'scatter')))].join('/');
  const names = figure.data
    .filter((t) => t.showlegend !== false && typeof t.name === 'string')
    .map((t) => t.name as string);
  const traces = `${figure.data.length} ${types || 'scatter'} trace${figure.data.length === 1 ? '' : 's'}`;
  const named = names.length ? ` (${names.join(', ')})` : '';
  return `Plotly figure${typeof title === 'string' ? `: "${title}"` : ''}, ${traces}${named}`;
}

/**
 * The output that puts plotly.js on the page: the whole library inlined, minified and
 * gzipped (so exports work offline and a notebook stays small), run only when no
 * plotly.js is there yet, then the ready event that figures drawn before it wait for.
 */
export function plotlyLoaderBundle(): MimeBundle {
  const { version } = plotlyJs();
  const html = `<script>\n${plotlyLoaderScript(READY_EVENT)}\n</script>`;
  return {
    data: { 'text/plain': `plotly.js ${version} (loaded for the charts below)`, 'text/html': html },
    metadata: mmulabMetadata({ plotly_js_version: version }),
  };
}

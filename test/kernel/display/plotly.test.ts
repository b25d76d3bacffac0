import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { PlotlyFigure } from '../../../kernel/output/figures.ts';
import {
  DEFAULT_HEIGHT,
  PLOTLY_MIME,
  plotlyFigureBundle,
  plotlyJs,
  plotlyLoaderBundle,
} from '../../../kernel/display/plotly.ts';
import { packedPlotlyJs, plotlyConfig } from '../../../kernel/output/plotly-js.ts';

const HOSTILE = '</script><script>alert(1)</script> <!-- \u2028';

function figure(title = 'remaining over time'): PlotlyFigure {
  return {
    data: [
      { type: 'scatter', name: 'bitmap', x: [0, 0.1, 0.2], y: [10, NaN, 3] },
      { type: 'scatter', name: 'ring', x: new Float64Array([0, 0.1]), y: [5, 1] },
    ],
    layout: { title: { text: title } },
  };
}

/** The figure JSON embedded in the HTML fallback's script, parsed back. */
function embeddedFigure(html: string): unknown {
  const m = /fig = (\{.*?\}), config = /.exec(html);
  if (!m) throw new Error('no figure JSON in the HTML fallback');
  return JSON.parse(m[1]);
}

describe('plotlyFigureBundle', () => {
  it('carries the Plotly JSON, an HTML fallback and a one-line text', () => {
    const b = plotlyFigureBundle(figure(), { id: 'p1' });
    expect(Object.keys(b.data).sort()).toEqual([PLOTLY_MIME, 'text/html', 'text/plain'].sort());
    expect(b.data['text/plain']).toBe(
      'Plotly figure: "remaining over time", 2 scatter traces (bitmap, ring)',
    );
    expect(b.data['text/html']).toContain('<div id="p1" style="width:100%;height:420px"></div>');
  });

  it('gives the layout an explicit height and keeps one that is set', () => {
    const b = plotlyFigureBundle(figure(), { id: 'p' });
    expect(b.data[PLOTLY_MIME]).toMatchObject({ layout: { height: DEFAULT_HEIGHT } });
    const tall = { ...figure(), layout: { height: 700 } };
    expect(plotlyFigureBundle(tall, { id: 'p' }).data[PLOTLY_MIME]).toMatchObject({
      layout: { height: 700 },
    });
  });

  it('gives a figure without a layout one, with the height', () => {
    const bare = { data: [{ type: 'bar', y: [1] }] } as unknown as PlotlyFigure;
    expect(plotlyFigureBundle(bare, { id: 'p' }).data[PLOTLY_MIME]).toEqual({
      data: [{ type: 'bar', y: [1] }],
      layout: { height: DEFAULT_HEIGHT },
    });
  });

  it('holds plain JSON: NaN becomes null and typed arrays become arrays', () => {
    const json = plotlyFigureBundle(figure(), { id: 'p' }).data[PLOTLY_MIME];
    expect(json).toEqual(JSON.parse(JSON.stringify(json)));
    expect(json).toMatchObject({
      data: [{ y: [10, null, 3] }, { x: [0, 0.1] }],
    });
  });

  it('embeds the same figure in the HTML fallback, safe inside <script>', () => {
    const b = plotlyFigureBundle(figure(HOSTILE), { id: 'p' });
    const html = String(b.data['text/html']);
    // One script element: the title cannot close it or open a comment.
    expect(html.match(/<\/script/gi)).toHaveLength(1);
    expect(html.match(/<script/gi)).toHaveLength(1);
    expect(html).not.toContain('<!--');
    expect(html).not.toContain('\u2028');
    expect(embeddedFigure(html)).toEqual(b.data[PLOTLY_MIME]);
    expect(b.data[PLOTLY_MIME]).toMatchObject({ layout: { title: { text: HOSTILE } } });
  });

  it('draws when plotly.js is there and otherwise waits for the loader', () => {
    const html = String(plotlyFigureBundle(figure(), { id: 'p' }).data['text/html']);
    expect(html).toContain('if (window.Plotly) return draw();');
    expect(html).toContain('window.addEventListener("mmulab-plotly-ready", draw)');
  });

  it('escapes the element id in the div and in the script', () => {
    const html = String(plotlyFigureBundle(figure(), { id: '"><b>' }).data['text/html']);
    expect(html).toContain('<div id="&quot;&gt;&lt;b&gt;"');
    expect(html).toContain('var id = "\\"\\u003e\\u003cb\\u003e"');
  });

  it('numbers default ids with a counter, not at random', () => {
    const ids = [plotlyFigureBundle(figure()), plotlyFigureBundle(figure())].map(
      (b) => /<div id="mmulab-plot-(\d+)"/.exec(String(b.data['text/html']))?.[1],
    );
    expect(Number(ids[1])).toBe(Number(ids[0]) + 1);
  });

  it('gives the toolbar an SVG download named after the chart, for papers', () => {
    const html = String(
      plotlyFigureBundle(figure('Downtime vs. bandwidth (ms)')).data['text/html'],
    );
    expect(html).toContain(
      '"toImageButtonOptions":{"format":"svg","filename":"downtime-vs-bandwidth-ms"}',
    );
    expect(plotlyConfig(undefined).toImageButtonOptions.filename).toBe('mmulab-chart');
  });

  it('puts the provenance it is given in metadata', () => {
    const provenance = [{ label: 'x', mmulab_version: '0.1.0', plan_hash: 'ab', seed: 3 }];
    expect(plotlyFigureBundle(figure(), { provenance, id: 'p' }).metadata).toEqual({
      mmulab: { provenance },
    });
  });
});

describe('plotlyLoaderBundle', () => {
  it('inlines plotly.js once, minified and gzipped, guarded so a page that has it does not run it again', () => {
    const b = plotlyLoaderBundle();
    const html = String(b.data['text/html']);
    const { source, version } = plotlyJs();
    const { gzipBase64 } = packedPlotlyJs();
    expect(html).toContain('if (!window.Plotly) {');
    expect(html.split(gzipBase64)).toHaveLength(2);
    // What the page unpacks is the library itself.
    expect(gunzipSync(Buffer.from(gzipBase64, 'base64')).toString('utf8') === source).toBe(true);
    // Booleans: a failure must not print megabytes.
    expect(source.includes('plotly.js v') && source.length < 5_000_000).toBe(true);
    expect(html.length < 2_100_000).toBe(true);
    expect(html.match(/<\/script/gi)).toHaveLength(1);
    expect(html).toMatch(/<\/script>$/);
    expect(b.metadata).toEqual({ mmulab: { plotly_js_version: version } });
    expect(b.data['text/plain']).toContain(`plotly.js ${version}`);
  });

  it('reads plotly.js once per process', () => {
    expect(plotlyJs()).toBe(plotlyJs());
  });
});

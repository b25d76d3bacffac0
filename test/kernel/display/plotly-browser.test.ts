import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PlotlyFigure } from '../../../kernel/output/figures.ts';
import type { MimeBundle } from '../../../kernel/display/mime.ts';
import { plotlyFigureBundle, plotlyLoaderBundle } from '../../../kernel/display/plotly.ts';
import { BROWSER_MS, CHROMIUM, HAVE_CHROMIUM, renderedDom } from '../../helpers/chromium.ts';

/**
 * The HTML fallbacks in a real browser (headless Chromium, offline): pages made of
 * output HTML in the order a notebook export would have them.
 */

if (!HAVE_CHROMIUM) console.warn(`plotly browser test skipped: ${CHROMIUM} not installed`);
const TMP = mkdtempSync(join(tmpdir(), 'mmulab-plotly-'));

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const figure: PlotlyFigure = {
  data: [{ type: 'scatter', name: '</script>', x: [0, 1, 2], y: [3, 1, 2] }],
  layout: { title: { text: '<b>x</b> </script>' } },
};

/** The DOM after the page's scripts ran (virtual time lets the 100 ms polls pass at once). */
async function pageDom(name: string, bundles: readonly MimeBundle[]): Promise<string> {
  const page = join(TMP, `${name}.html`);
  const body = bundles.map((b) => String(b.data['text/html'])).join('\n');
  writeFileSync(
    page,
    `<!doctype html><html><head><meta charset="utf-8"></head><body>\n${body}\n</body></html>`,
  );
  return renderedDom(page);
}

/** Whether plotly.js drew into the div with this id. */
const drawn = (dom: string, id: string): boolean =>
  new RegExp(`<div id="${id}"[^>]*class="js-plotly-plot"><div class="plot-container plotly"`).test(
    dom,
  );

describe.skipIf(!HAVE_CHROMIUM).concurrent('plotly HTML fallback in a browser', () => {
  it(
    'draws a chart that follows the loader',
    async () => {
      const dom = await pageDom('after', [
        plotlyLoaderBundle(),
        plotlyFigureBundle(figure, { id: 'a1' }),
      ]);
      expect(drawn(dom, 'a1')).toBe(true);
    },
    BROWSER_MS,
  );

  it(
    'draws a chart that comes before the loader once plotly.js arrives',
    async () => {
      const dom = await pageDom('before', [
        plotlyFigureBundle(figure, { id: 'b1' }),
        plotlyLoaderBundle(),
        plotlyFigureBundle(figure, { id: 'b2' }),
      ]);
      expect(drawn(dom, 'b1')).toBe(true);
      expect(drawn(dom, 'b2')).toBe(true);
    },
    BROWSER_MS,
  );

  it(
    'leaves the div empty when plotly.js never comes',
    async () => {
      const dom = await pageDom('none', [plotlyFigureBundle(figure, { id: 'c1' })]);
      expect(dom).toContain('<div id="c1" style="width:100%;height:420px"></div>');
      expect(drawn(dom, 'c1')).toBe(false);
    },
    BROWSER_MS,
  );
});

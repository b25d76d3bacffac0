import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompiledOutput } from '../../../dsl/compile.ts';
import { renderReport } from '../../../kernel/output/report.ts';
import {
  BROWSER_MS,
  CHROMIUM,
  HAVE_CHROMIUM,
  occurrences,
  renderedDom,
} from '../../helpers/chromium.ts';
import { handExperiment, nameAxis, quantityAxis } from '../../helpers/experiments.ts';
import type { HandRun } from '../../helpers/experiments.ts';

/**
 * A cross-run chart of the HTML report in a real browser (headless Chromium, offline):
 * plotly.js draws one trace per group and an error bar at every point.
 */

if (!HAVE_CHROMIUM) console.warn(`report browser test skipped: ${CHROMIUM} not installed`);
const TMP = mkdtempSync(join(tmpdir(), 'mmulab-report-browser-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const runs: HandRun[] = [];
for (const tracking of ['bitmap', 'ring'])
  for (const bandwidth of [1, 5, 10])
    for (const seed of [1, 2, 3])
      runs.push({
        params: { tracking, bandwidth },
        seed,
        summary: { tracking, downtime_ms: 1000 / bandwidth + seed * 10 },
      });
const e = handExperiment(
  [nameAxis('tracking', ['bitmap', 'ring']), quantityAxis('bandwidth', 'Gbit/s', [1, 5, 10])],
  runs,
);
const plot: CompiledOutput = {
  kind: 'plot',
  y: 'downtime',
  x: 'bandwidth',
  table: 'summary',
  xColumn: 'bandwidth',
  yColumn: 'downtime_ms',
  by: ['tracking'],
  line: 1,
};

describe.skipIf(!HAVE_CHROMIUM)('a cross-run chart of the report in a browser', () => {
  it(
    'draws a trace per group with an error bar at each point',
    async () => {
      const page = join(TMP, 'report.html');
      writeFileSync(page, renderReport({ title: 'bandwidth', experiments: [e], outputs: [plot] }));
      const dom = await renderedDom(page);
      const count = (re: RegExp): number => occurrences(dom, re);
      expect(count(/class="mmulab-plot js-plotly-plot"/g)).toBe(1);
      expect(count(/<g class="trace scatter/g)).toBe(2);
      // Plotly draws each point's bar as a path of class yerror inside g.errorbar.
      expect(count(/<path class="yerror"/g)).toBe(6);
      expect(dom.includes('bandwidth (Gbit/s)')).toBe(true);
      expect(dom.includes('tracking · mean ± sd, n=3')).toBe(true);
    },
    BROWSER_MS,
  );

  it(
    'opens with the headline chart, axes in units; a long statement wraps and a wide table scrolls in its box, not the page',
    async () => {
      const long = handExperiment(e.axes, runs);
      long.statement = `sweep ${'a_very_long_vm_name_'.repeat(12)}with [bitmap, ring], fam seeds 1..3`;
      const wide: CompiledOutput = { kind: 'table', views: ['summary'], all: true, line: 2 };
      const wideRuns = runs.map((r) => ({
        ...r,
        summary: {
          ...r.summary,
          ...Object.fromEntries(
            Array.from({ length: 40 }, (_v, i) => [`some_wide_column_${i}_ms`, i * 1000.25]),
          ),
        },
      }));
      const withWide = { ...handExperiment(e.axes, wideRuns), statement: long.statement };
      const page = join(TMP, 'layout.html');
      const measure = `<script>addEventListener('load', () => setTimeout(() => {
        const root = document.documentElement;
        const wraps = [...document.querySelectorAll('.table-wrap')];
        document.body.setAttribute('data-layout', JSON.stringify({
          page: root.scrollWidth, view: root.clientWidth,
          scrolls: wraps.some((w) => w.scrollWidth > w.clientWidth),
        }));
      }, 500));</script>`;
      writeFileSync(
        page,
        renderReport({ title: 'layout', experiments: [withWide], outputs: [plot, wide] }).replace(
          '</body>',
          `${measure}\n</body>`,
        ),
      );
      const dom = await renderedDom(page, ['--window-size=800,900']);
      expect(occurrences(dom, /class="mmulab-headline js-plotly-plot"/g)).toBe(1);
      expect(dom.includes('total (ms)')).toBe(true);
      expect(dom.includes('downtime (ms)')).toBe(true);
      const layout = /data-layout="([^"]*)"/.exec(dom)?.[1].replace(/&quot;/g, '"');
      const {
        page: pageWidth,
        view,
        scrolls,
      } = JSON.parse(layout ?? '{}') as {
        page: number;
        view: number;
        scrolls: boolean;
      };
      expect(view).toBeGreaterThan(0);
      expect(pageWidth).toBeLessThanOrEqual(view);
      expect(scrolls).toBe(true);
    },
    BROWSER_MS,
  );
});

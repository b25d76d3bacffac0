import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MimeBundle } from '../../kernel/display/mime.ts';
import { PLOTLY_MIME } from '../../kernel/display/plotly.ts';
import { InThreadRunner } from '../../kernel/experiment/in-thread.ts';
import { MmulabSession } from '../../kernel/jupyter/session.ts';
import { mmu } from '../../kernel/tslab.ts';
import { HAVE_CHROMIUM, occurrences, renderedDom } from '../helpers/chromium.ts';
import { runMmulab } from '../helpers/cli.ts';

/**
 * One program, three front ends: the CLI's HTML report, the Jupyter kernel's session
 * and tslab's `mmu` show the same tables (cell by cell) and the same figures (the
 * Plotly data and layout), since all three render what kernel/output makes once. Two
 * programs: a small sweep with a timeline chart, and examples/bandwidth.mmu (a let, a
 * grouped table, a chart across runs with error bars, an expect), whose report is
 * also opened in headless Chromium.
 */

const PROGRAM = `vm tiny { vcpus 1, slot ram at 0 size 64MiB, workload uniform { rate 1k/s } }
tracking bm { dirty_log manual }
tracking rg { dirty_log ring 4096 }
migration fast { bandwidth 10Gbit/s, downtime 300ms }
sweep tiny with [bm, rg], fast seeds 1..2 max_time 2s
table summary with status, downtime_ms, pages_sent
table vcpu_stats with guest_progress, vm_exits, ring_full_exits
plot remaining over time
`;

const BANDWIDTH = readFileSync(
  join(import.meta.dirname, '..', '..', 'examples', 'bandwidth.mmu'),
  'utf8',
);

const TMP = mkdtempSync(join(tmpdir(), 'mmulab-front-ends-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

interface Shown {
  tables: string[][];
  figures: { data: unknown; layout: Record<string, unknown> }[];
}

/** The cells of every table (header and body) in `html`, in order. */
function tableCells(html: string): string[][] {
  return [...html.matchAll(/<table[^>]*>([\s\S]*?)<\/table>/g)].map((m) =>
    [...m[1].matchAll(/<t[hd](?:\s[^>]*)?>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]),
  );
}

/** The report's draw call: `Plotly.newPlot(el, DATA, LAYOUT, CONFIG)` (plotly-js.ts). */
const NEW_PLOT = 'Plotly.newPlot(el, ';

/** The JSON arguments after the element of every draw call in `html`. */
function newPlotArguments(html: string): unknown[][] {
  const out: unknown[][] = [];
  for (let at = html.indexOf(NEW_PLOT); at >= 0; at = html.indexOf(NEW_PLOT, at + 1)) {
    const args: unknown[] = [];
    let i = at + NEW_PLOT.length;
    while (html[i] !== ')') {
      const start = i;
      let depth = 0;
      let inString = false;
      for (; ; i++) {
        const ch = html[i];
        if (inString) {
          if (ch === '\\') i++;
          else if (ch === '"') inString = false;
        } else if (ch === '"') inString = true;
        else if (ch === '[' || ch === '{') depth++;
        else if (ch === ']' || ch === '}') depth--;
        else if ((ch === ',' || ch === ')') && depth === 0) break;
      }
      args.push(JSON.parse(html.slice(start, i)));
      if (html[i] === ',') i += 2;
    }
    out.push(args);
  }
  return out;
}

function fromBundles(bundles: readonly MimeBundle[]): Shown {
  const shown: Shown = { tables: [], figures: [] };
  for (const b of bundles) {
    if (PLOTLY_MIME in b.data) {
      const { data, layout } = b.data[PLOTLY_MIME] as Shown['figures'][number];
      shown.figures.push({ data, layout: { ...layout, height: undefined } });
    } else if (String(b.data['text/html']).includes('<table'))
      shown.tables.push(...tableCells(String(b.data['text/html'])));
  }
  return shown;
}

/** What the three front ends show for `program`, and the CLI report's rendered DOM. */
interface FrontEnds {
  cli: Shown;
  kernel: Shown;
  tslab: Shown;
  /** The report's path. */
  report: string;
}

async function frontEnds(name: string, program: string): Promise<FrontEnds> {
  writeFileSync(join(TMP, `${name}.mmu`), program);
  const report = join(TMP, `${name}.html`);
  const r = await runMmulab(TMP, 'run', `${name}.mmu`, '--html', report, '--jobs', '1');
  expect(r.code, r.stderr).toBe(0);
  const html = readFileSync(report, 'utf8');
  // The page's own scripts and tables: after plotly.js (in the head) and the report's
  // headline chart (the report's alone), before the footer.
  const headline = html.indexOf('<section class="headline">');
  expect(headline).toBeGreaterThan(0);
  const body = html.slice(html.indexOf('</section>', headline), html.indexOf('<footer>'));
  const cli = {
    tables: tableCells(body),
    figures: newPlotArguments(body).map(([data, layout]) => ({
      data,
      layout: { ...(layout as Record<string, unknown>), height: undefined },
    })),
  };
  const bundles: MimeBundle[] = [];
  const outcome = await new MmulabSession(new InThreadRunner(), TMP).execute(program, {
    stream: () => {},
    display: (b) => bundles.push(b),
    updateDisplay: () => {},
    clear: () => {},
  });
  expect(outcome.status).toBe('ok');
  const sent: MimeBundle[] = [];
  await mmu(program, { sink: (b) => sent.push(b) });
  return { cli, kernel: fromBundles(bundles), tslab: fromBundles(sent), report };
}

describe('a sweep: the CLI report, the kernel and tslab', () => {
  let shown: FrontEnds;
  beforeAll(async () => {
    shown = await frontEnds('sweep', PROGRAM);
  }, 300_000);

  it('show the same tables', () => {
    const { cli, kernel, tslab } = shown;
    expect(cli.tables).toHaveLength(2);
    expect(cli.tables[0].slice(0, 4)).toEqual(['label', 'status', 'downtime_ms', 'pages_sent']);
    expect(cli.tables[1].slice(0, 4)).toEqual([
      'label',
      'guest_progress',
      'vm_exits',
      'ring_full_exits',
    ]);
    expect(kernel.tables).toEqual(cli.tables);
    expect(tslab.tables).toEqual(cli.tables);
  });

  it('draw the same figures', () => {
    const { cli, kernel, tslab } = shown;
    expect(cli.figures).toHaveLength(1);
    expect((cli.figures[0].data as unknown[]).length).toBe(4);
    expect(kernel.figures).toEqual(cli.figures);
    expect(tslab.figures).toEqual(cli.figures);
  });
});

describe('examples/bandwidth.mmu: the CLI report, the kernel and tslab', () => {
  let shown: FrontEnds;
  beforeAll(async () => {
    shown = await frontEnds('bandwidth', BANDWIDTH);
  }, 600_000);

  it('show the same grouped table, with the derived column and the units', () => {
    const { cli, kernel, tslab } = shown;
    expect(cli.tables).toHaveLength(1);
    expect(cli.tables[0].slice(0, 6)).toEqual([
      'tracking',
      'bandwidth (Gbit/s)',
      'mean_downtime_ms',
      'stdev_downtime_ms',
      'mean_sent_per_ms',
      'n',
    ]);
    // 2 trackings × 4 bandwidths, 6 cells each after the header.
    expect(cli.tables[0]).toHaveLength(6 + 8 * 6);
    expect(kernel.tables).toEqual(cli.tables);
    expect(tslab.tables).toEqual(cli.tables);
  });

  it('draw the same chart across runs', () => {
    const { cli, kernel, tslab } = shown;
    expect(cli.figures).toHaveLength(1);
    expect(kernel.figures).toEqual(cli.figures);
    expect(tslab.figures).toEqual(cli.figures);
  });

  it.skipIf(!HAVE_CHROMIUM)(
    'draws one trace per tracking mode with error bars in the browser',
    async () => {
      const dom = await renderedDom(shown.report);
      expect(occurrences(dom, /class="mmulab-plot js-plotly-plot"/g)).toBe(1);
      expect(occurrences(dom, /<g class="trace scatter/g)).toBe(2);
      // A bar at each of the 4 bandwidths of both traces, every point the mean of 3
      // completed runs (the 1 Gbit/s ones forced past the downtime limit).
      expect(occurrences(dom, /<path class="yerror"/g)).toBe(8);
      expect(dom).toContain('bandwidth (Gbit/s)');
      expect(dom).toContain('downtime (ms)');
      expect(dom).toContain('mean ± sd, n=3');
      expect(dom).not.toContain('⚠');
    },
    240_000,
  );
});

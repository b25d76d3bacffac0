import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { occurrences, renderedDom } from '../../helpers/chromium.ts';
import {
  hasPythonModule,
  installKernelForTest,
  pythonTestsMustRun,
  SYSTEM_PYTHON,
} from '../../helpers/jupyter-python.ts';
import { startKernel } from '../../helpers/jupyter-client.ts';

/**
 * A notebook executed and exported by nbconvert (what CI, nbviewer and "Download as
 * HTML" do) shows live Plotly charts: the exported page, opened in headless Chromium,
 * holds Plotly's SVG with the traces, and inlines plotly.js once however many charts
 * it has. Skipped only without nbconvert and outside CI.
 */

const run = promisify(execFile);

/** A migration small enough to run in a moment: a 64 MiB VM over 10 Gbit/s. */
const MIGRATION_CELL = `# a small migration, and the pages left to send over time
vm tiny { vcpus 1, slot ram at 0 size 64MiB, workload uniform { rate 1k/s } }
tracking bm { dirty_log manual }
migration fast { bandwidth 10Gbit/s, downtime 300ms }
run tiny with bm, fast seed 1
plot remaining over time`;

/** A second chart, from the first cell's run: plotly.js must not come twice. */
const SECOND_PLOT_CELL = 'plot dirty over iteration';

/**
 * A notebook as Jupyter saves it: `language_info` is the kernel's kernel_info reply
 * (nbconvert's HTML exporter picks its Pygments lexer from the input's metadata,
 * before --execute asks the kernel).
 */
function notebook(cells: readonly string[], languageInfo: Record<string, unknown>): string {
  return JSON.stringify({
    cells: cells.map((source, i) => ({
      cell_type: 'code',
      execution_count: null,
      id: `cell-${i + 1}`,
      metadata: {},
      outputs: [],
      source,
    })),
    metadata: {
      kernelspec: { name: 'mmulab', display_name: 'mmulab', language: 'mmulab' },
      language_info: languageInfo,
    },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

const count = occurrences;

/** language_info of the installed kernel's kernel_info reply. */
async function kernelLanguageInfo(
  jupyterPath: string,
  dir: string,
): Promise<Record<string, unknown>> {
  const spec = JSON.parse(
    readFileSync(join(jupyterPath, 'kernels', 'mmulab', 'kernel.json'), 'utf8'),
  ) as { argv: string[] };
  const kernel = await startKernel(spec.argv, dir);
  try {
    const info = await kernel.client.waitForReady(60_000);
    return info.content.language_info as Record<string, unknown>;
  } finally {
    await kernel.stop();
  }
}

const available = hasPythonModule('nbconvert') && hasPythonModule('nbclient');

describe.skipIf(!available && !pythonTestsMustRun())('nbconvert --execute --to html', () => {
  let dir: string;
  let html: string;
  let dom: string;
  let nbconvertLog: string;

  beforeAll(async () => {
    if (!available)
      throw new Error(
        `CI is set but ${SYSTEM_PYTHON} cannot import nbconvert and nbclient; install Debian's jupyter-nbconvert and python3-nbclient (.ci/run does).`,
      );
    dir = mkdtempSync(join(tmpdir(), 'mmulab-nbconvert-'));
    const jupyterPath = await installKernelForTest(dir);
    const input = join(dir, 'chart.ipynb');
    writeFileSync(
      input,
      notebook([MIGRATION_CELL, SECOND_PLOT_CELL], await kernelLanguageInfo(jupyterPath, dir)),
    );
    const converted = await run(
      SYSTEM_PYTHON,
      [
        '-m',
        'nbconvert',
        '--to',
        'html',
        '--execute',
        '--ExecutePreprocessor.timeout=120',
        '--output-dir',
        dir,
        input,
      ],
      { cwd: dir, env: { ...process.env, JUPYTER_PATH: jupyterPath }, maxBuffer: 64 * 2 ** 20 },
    );
    nbconvertLog = converted.stderr;
    const output = join(dir, 'chart.html');
    html = readFileSync(output, 'utf8');
    dom = await renderedDom(output);
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('draws every figure of the notebook as Plotly SVG with its scatter traces', () => {
    const figures = count(html, 'id="mmulab-plot-');
    // Each cell's plot (guest-progress charts come only with `plot progress`).
    expect(figures).toBeGreaterThanOrEqual(2);
    expect(count(dom, 'class="plot-container plotly"')).toBe(figures);
    expect(count(dom, 'class="main-svg"')).toBeGreaterThanOrEqual(figures);
    expect(count(dom, 'class="scatterlayer')).toBeGreaterThanOrEqual(figures);
    expect(count(dom, '<g class="trace scatter')).toBeGreaterThanOrEqual(figures);
  });

  it('titles the charts as the cells asked: remaining over time, dirty over iteration', () => {
    expect(dom).toContain('data-unformatted="remaining over time"');
    expect(dom).toContain('data-unformatted="dirty over iteration"');
  });

  it('inlines plotly.js exactly once for two charts', () => {
    const { version } = JSON.parse(
      readFileSync(
        join(import.meta.dirname, '../../../node_modules/plotly.js-dist/package.json'),
        'utf8',
      ),
    ) as { version: string };
    expect(count(html, `plotly.js-dist ${version} (MIT license), minified and gzipped`)).toBe(1);
    // The executed notebook's export stays small: plotly.js goes in once, packed.
    expect(html.length < 5_000_000).toBe(true);
  });

  it('highlights the cell with the kernel’s Pygments lexer (comments are marked)', () => {
    expect(nbconvertLog).not.toContain('No lexer found');
    expect(html).toContain('<span class="c1"># a small migration');
  });
});

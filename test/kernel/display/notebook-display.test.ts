import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../../dsl/compile.ts';
import type { CompiledOutput } from '../../../dsl/compile.ts';
import { runProgram } from '../../../kernel/experiment/experiments.ts';
import type { ExperimentRun } from '../../../kernel/experiment/experiments.ts';
import type { MimeBundle } from '../../../kernel/display/mime.ts';
import { NotebookDisplay } from '../../../kernel/display/notebook-display.ts';
import type { CellDisplay } from '../../../kernel/display/notebook-display.ts';
import { PLOTLY_MIME } from '../../../kernel/display/plotly.ts';

/** Two small experiments: a sweep of two plans and a single run (well under a second). */
const CELL = `vm tiny {
  vcpus 2
  slot ram0 at 0 size 64MiB backing thp
  workload hotset { rate 20k/s per vcpu, set 8MiB, hot 90% }
}
tracking bitmap { dirty_log manual }
tracking ring { dirty_log ring 4096 }
migration m { bandwidth 1Gbit/s, downtime 300ms }
sweep tiny with [bitmap, ring], m seed 1 warmup 200ms max_time 3s
run tiny with ring, m seed 2 warmup 200ms max_time 3s
`;

let experiments: ExperimentRun[];

beforeAll(async () => {
  const compiled = compile(CELL);
  expect(compiled.diagnostics).toEqual([]);
  ({ experiments } = await runProgram(compiled.program, CELL));
});

const table = (...views: ('summary' | 'iterations')[]): CompiledOutput => ({
  kind: 'table',
  views,
  line: 1,
});
const plot: CompiledOutput = {
  kind: 'plot',
  y: 'remaining',
  x: 'time',
  table: 'timeline',
  xColumn: 'time_s',
  yColumn: 'remaining_pages',
  line: 2,
};

const progress: CompiledOutput = { kind: 'progress', line: 3 };

/** The note under a summary cut to its headline columns. */
const HEADLINE_NOTE = '\\d+ of \\d+ columns: `table summary all` shows every one';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What each bundle is, in order: table:<caption start>, loader, chart:<text>. */
function kinds(cell: readonly MimeBundle[] | CellDisplay): string[] {
  const bundles = 'bundles' in cell ? cell.bundles : cell;
  return bundles.map((b) => {
    const text = String(b.data['text/plain']);
    if (PLOTLY_MIME in b.data) return `chart:${text}`;
    if (text.startsWith('plotly.js')) return 'loader';
    return `table:${text.split('\n')[0]}`;
  });
}

describe('NotebookDisplay.render', () => {
  it('renders each experiment: tables and plots in order, a guestperf chart per run for plot progress', () => {
    const out = kinds(
      new NotebookDisplay().render([table('summary'), plot, progress], experiments),
    );
    const sweep = 'sweep tiny with [bitmap, ring], m seed 1 warmup 200ms max_time 3s';
    const single = 'run tiny with ring, m seed 2 warmup 200ms max_time 3s';
    expect(out).toEqual([
      // The column count follows the engine's summary; only the rows are this test's.
      expect.stringMatching(
        new RegExp(
          `^table:${escape(sweep)} — summary \\(${HEADLINE_NOTE}\\) · 2 rows × \\d+ columns$`,
        ),
      ),
      'loader',
      'chart:Plotly figure: "remaining over time", 2 scatter traces (tiny/bitmap/m/seed=1, tiny/ring/m/seed=1)',
      expect.stringMatching(/^chart:.*"tiny\/bitmap\/m\/seed=1: guest progress/),
      expect.stringMatching(/^chart:.*"tiny\/ring\/m\/seed=1: guest progress/),
      expect.stringMatching(
        new RegExp(
          `^table:${escape(single)} — summary \\(${HEADLINE_NOTE}\\) · 1 row × \\d+ columns$`,
        ),
      ),
      'chart:Plotly figure: "remaining over time", 1 scatter trace (tiny/ring/m/seed=2)',
      expect.stringMatching(/^chart:.*"tiny\/ring\/m\/seed=2: guest progress/),
    ]);
  });

  it('sends plotly.js once per session, before the first chart', () => {
    const display = new NotebookDisplay();
    const first = kinds(display.render([table('summary'), progress], experiments.slice(1)));
    expect(first.filter((k) => k === 'loader')).toHaveLength(1);
    expect(first.indexOf('loader')).toBe(first.findIndex((k) => k.startsWith('chart:')) - 1);
    const second = kinds(display.render([plot], experiments));
    expect(second).not.toContain('loader');
    expect(second.filter((k) => k.startsWith('chart:'))).toHaveLength(2);
  });

  it('sends plotly.js again after reset (a restarted kernel)', () => {
    const display = new NotebookDisplay();
    display.render([plot], experiments);
    display.reset();
    expect(kinds(display.render([plot], experiments))[0]).toBe('loader');
  });

  it('does not send plotly.js for a cell with no chart', () => {
    const display = new NotebookDisplay();
    expect(kinds(display.render([table('summary')], experiments))).not.toContain('loader');
    expect(kinds(display.render([plot], experiments))[0]).toBe('loader');
  });

  it('leaves out export outputs', () => {
    const exp: CompiledOutput = {
      kind: 'export',
      views: ['summary'],
      dir: 'out',
      format: 'csv',
      line: 3,
    };
    const out = kinds(new NotebookDisplay().render([exp, plot], experiments));
    expect(out.filter((k) => k.startsWith('table:'))).toEqual([]);
  });

  it('shows a prediction as one line with its verdict and both means, never as a failure', () => {
    const predict: CompiledOutput = {
      kind: 'predict',
      column: 'stale_pages',
      axis: 'tracking',
      left: { text: 'ring', value: 'ring' },
      op: '!=',
      right: { text: 'bitmap', value: 'bitmap' },
      text: 'predict stale_pages for ring != bitmap',
      line: 4,
    };
    const cell = new NotebookDisplay().render([predict], experiments.slice(0, 1));
    expect(cell.failed).toEqual([]);
    expect(cell.bundles.map((b) => b.data['text/plain'])).toEqual([
      '✗ wrong: predict stale_pages for ring != bitmap  (mean stale_pages: ring 0 pages, n=1 = bitmap 0 pages, n=1)',
    ]);
    expect(String(cell.bundles[0].data['text/html'])).toContain('color:#b42318');
  });

  it('draws no guestperf chart unless the cell asks for plot progress', () => {
    const out = kinds(new NotebookDisplay().render([table('summary'), plot], experiments));
    expect(out.filter((k) => k.includes('guest progress'))).toEqual([]);
  });

  it("shows each experiment's summary when the cell asks for no table or plot", () => {
    const out = kinds(new NotebookDisplay().render([], experiments));
    expect(out).toEqual([
      expect.stringMatching(/^table:sweep .* — summary \(.*\) · 2 rows/),
      expect.stringMatching(/^table:run .* — summary \(.*\) · 1 row /),
    ]);
  });

  it('renders nothing for a cell that ran no experiment', () => {
    expect(new NotebookDisplay().render([table('summary'), plot], [])).toEqual({
      bundles: [],
      failed: [],
    });
  });

  it('puts the provenance of the runs shown in every table and chart', () => {
    const { bundles } = new NotebookDisplay().render(
      [table('iterations'), plot, progress],
      experiments,
    );
    const hashes = (b: MimeBundle): unknown =>
      (
        b.metadata.mmulab as { provenance?: { label: string; plan_hash: string }[] } | undefined
      )?.provenance?.map((p) => p.label);
    expect(bundles.map(hashes)).toEqual([
      ['tiny/bitmap/m/seed=1', 'tiny/ring/m/seed=1'],
      undefined, // the plotly.js loader shows no run
      ['tiny/bitmap/m/seed=1', 'tiny/ring/m/seed=1'],
      ['tiny/bitmap/m/seed=1'],
      ['tiny/ring/m/seed=1'],
      ['tiny/ring/m/seed=2'],
      ['tiny/ring/m/seed=2'],
      ['tiny/ring/m/seed=2'],
    ]);
    const record = (bundles[0].metadata.mmulab as { provenance: object[] }).provenance[0];
    expect(record).toEqual({
      label: 'tiny/bitmap/m/seed=1',
      mmulab_version: experiments[0].runs[0].result.provenance.mmulab_version,
      plan_hash: experiments[0].runs[0].result.provenance.plan_hash,
      seed: 1,
    });
  });

  it('gives the same outputs for the same cells in a new session (ids are a counter)', () => {
    const cells = (): MimeBundle[] => {
      const display = new NotebookDisplay();
      return [
        ...display.render([plot, progress], experiments).bundles,
        ...display.render([plot, progress], experiments).bundles,
      ];
    };
    const a = cells();
    expect(a).toEqual(cells());
    const ids = a.map((b) => /<div id="([^"]+)"/.exec(String(b.data['text/html']))?.[1]);
    expect(ids.filter((id) => id !== undefined)).toEqual(
      Array.from({ length: 10 }, (_, i) => `mmulab-plot-${i + 1}`),
    );
  });
});

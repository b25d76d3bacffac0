import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MimeBundle } from '../../kernel/display/mime.ts';
import { aq, mmu, show } from '../../kernel/tslab.ts';
import type { ProgressSink } from '../../kernel/tslab.ts';
import { InThreadRunner } from '../../kernel/experiment/in-thread.ts';
import { HAVE_CHROMIUM, renderedDom } from '../helpers/chromium.ts';

/**
 * mmulab/tslab end to end: build dist/ (scripts/build.mjs), install the kernelspecs with
 * `mmulab kernel install --prefix` into a temporary JUPYTER_PATH, execute a TypeScript
 * notebook with nbconvert, and read the outputs it saved. The notebook's folder has no
 * node_modules: the tslab kernelspec alone makes 'mmulab/tslab' importable.
 */

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NBCONVERT = '/usr/bin/jupyter-nbconvert';
const TSLAB = join(ROOT, 'node_modules', 'tslab', 'bin', 'tslab');
const MISSING = [NBCONVERT, TSLAB].filter((p) => !existsSync(p));
const SKIP_REASON = `skipped: ${MISSING.join(' and ')} not installed (CI has them)`;
if (MISSING.length) console.warn(`mmulab/tslab notebook test ${SKIP_REASON}`);

/** Builds, starts a TypeScript kernel, runs 4 small plans, exports HTML: tens of seconds. */
const SLOW_MS = 300_000;

const MMU = `
vm tiny {
  vcpus 2
  slot ram0 at 0 size 64MiB backing thp
  workload hotset { rate 20k/s per vcpu, set 8MiB, hot 90% }
}
tracking ring { dirty_log ring 4096 }
migration m { bandwidth 1Gbit/s, downtime 300ms }
run tiny with ring, m seed 1 warmup 200ms max_time 3s
table summary
plot remaining over time
plot dirty over iteration
`;

const CELLS = [
  "import { mmu, show, experimentTable, plotFigure } from 'mmulab/tslab';",
  `const runs = await mmu(\`${MMU}\`);`,
  [
    "await show(experimentTable(runs[0], 'iterations').select('iteration', 'pages_sent'));",
    // The types come from dist/types: with them, this line is an error tslab expects;
    // without them (any), the directive itself would be the error and the cell would fail.
    '// @ts-expect-error: a label is a string',
    'const wrong: number = runs[0].runs[0].label;',
    "console.log('typed', typeof wrong);",
  ].join('\n'),
  // A later call sees the definitions of an earlier one.
  "const again = await mmu('run tiny with ring, m seed 2 warmup 200ms max_time 3s', { display: false });\nconsole.log('again', again[0].runs[0].label);",
  "try { await mmu('vm bad { vcpus 2, slot ram0 at 0 size 300ms }'); } catch (e) { console.log((e as Error).message); }",
];

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

const joined = (v: unknown): string => (Array.isArray(v) ? v.join('') : String(v ?? ''));

let tmp = '';
let jupyterPath = '';
let cells: Output[][] = [];
let html = '';

describe.skipIf(MISSING.length > 0)(
  MISSING.length ? `mmulab/tslab (${SKIP_REASON})` : 'mmulab/tslab in a tslab notebook',
  () => {
    beforeAll(async () => {
      await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT });
      tmp = mkdtempSync(join(tmpdir(), 'mmulab-tslab-'));
      // As a user would: `mmulab kernel install --prefix`, and a notebook in a folder with
      // no node_modules: the kernelspec alone makes 'mmulab/tslab' importable.
      const installed = await run(
        process.execPath,
        [join(ROOT, 'bin', 'mmulab.js'), 'kernel', 'install', '--prefix', join(tmp, 'prefix')],
        { cwd: tmp },
      );
      jupyterPath = join(tmp, 'prefix', 'share', 'jupyter');
      expect(installed.stdout).toContain(`export JUPYTER_PATH=${jupyterPath}\n`);
      mkdirSync(join(tmp, 'work'));
      const notebook = {
        cells: CELLS.map((source, i) => ({
          cell_type: 'code',
          id: `cell-${i}`,
          execution_count: null,
          metadata: {},
          outputs: [],
          source,
        })),
        metadata: {
          kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' },
        },
        nbformat: 4,
        nbformat_minor: 5,
      };
      writeFileSync(join(tmp, 'work', 'lab.ipynb'), JSON.stringify(notebook));
      const env = { ...process.env, JUPYTER_PATH: jupyterPath };
      await run(
        NBCONVERT,
        [
          '--to',
          'notebook',
          '--execute',
          '--ExecutePreprocessor.timeout=120',
          'lab.ipynb',
          '--output',
          'done.ipynb',
        ],
        { cwd: join(tmp, 'work'), env, maxBuffer: 1 << 24 },
      );
      const done = JSON.parse(readFileSync(join(tmp, 'work', 'done.ipynb'), 'utf8')) as {
        cells: { outputs: Output[] }[];
      };
      cells = done.cells.map((c) => c.outputs);
      await run(NBCONVERT, ['--to', 'html', 'done.ipynb', '--output', 'done.html'], {
        cwd: join(tmp, 'work'),
        env,
        maxBuffer: 1 << 24,
      });
      html = readFileSync(join(tmp, 'work', 'done.html'), 'utf8');
    }, SLOW_MS);

    afterAll(() => {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    // The progress line: its bar, emptied when the run ended (the notebook keeps a
    // display's last state), and the final line.
    const isProgress = (o: Output): boolean =>
      Object.keys(o.data ?? {}).length === 0 ||
      (o.metadata?.mmulab as { progress?: unknown } | undefined)?.progress !== undefined;
    const displays = (cell: number): Output[] =>
      cells[cell].filter((o) => o.output_type === 'display_data' && !isProgress(o));
    const progressLines = (cell: number): string[] =>
      cells[cell]
        .filter((o) => o.output_type === 'display_data' && isProgress(o))
        .map((o) => joined(o.data?.['text/plain']));
    const stdout = (cell: number): string =>
      cells[cell]
        .filter((o) => o.output_type === 'stream' && o.name === 'stdout')
        .map((o) => joined(o.text))
        .join('');

    it('displays the tables of an mmu text as HTML with a text/plain grid', () => {
      const [table] = displays(1);
      expect(joined(table.data?.['text/html'])).toMatch(
        /<table[^>]*>[\s\S]*<th[^>]*>total_ms<\/th>/,
      );
      expect(joined(table.data?.['text/plain'])).toMatch(
        /^run tiny with ring, m seed 1 .* — summary \(\d+ of \d+ columns: `table summary all` shows every one\) · 1 row × \d+ columns\n/,
      );
    });

    it('sends plotly.js once, then each chart as Plotly JSON with an HTML fallback', () => {
      const kinds = displays(1).map((o) =>
        Object.keys(o.data ?? {})
          .sort()
          .join(','),
      );
      expect(kinds).toEqual([
        'text/html,text/plain',
        'text/html,text/plain',
        'application/vnd.plotly.v1+json,text/html,text/plain',
        'application/vnd.plotly.v1+json,text/html,text/plain',
      ]);
      expect(joined(displays(1)[1].data?.['text/html'])).toContain('if (!window.Plotly) {');
      expect(displays(1)[2].data?.['application/vnd.plotly.v1+json']).toMatchObject({
        layout: { title: { text: 'remaining over time' }, height: 420 },
      });
    });

    it("shows the progress of a call's plans, and in the end how many finished", () => {
      // The bar was replaced by an empty output when the run ended (nbconvert keeps the
      // last state of a display id), then the final line was shown.
      expect(progressLines(1)).toEqual(['', 'finished: 1/1 plan']);
      expect(progressLines(3)).toEqual([]);
    });

    it('puts the provenance of the run in the output metadata', () => {
      expect(displays(1)[0].metadata).toMatchObject({
        mmulab: { provenance: [{ label: 'tiny/ring/m/seed=1', seed: 1 }] },
      });
    });

    it('shows an Arquero table passed to show()', () => {
      const [table] = displays(2);
      expect(joined(table.data?.['text/plain']).split('\n')[1]).toBe('iteration  pages_sent');
    });

    it('gives notebook code the types of the engine', () => {
      expect(stdout(2)).toBe('typed string\n');
    });

    it('keeps the definitions of earlier calls for later ones', () => {
      expect(stdout(3)).toBe('again tiny/ring/m/seed=2\n');
      expect(displays(3)).toEqual([]);
    });

    it('throws an Error with the diagnostics and a caret for text with errors', () => {
      expect(stdout(4)).toMatch(/^<input>:1:\d+: error: .*300ms/m);
      expect(stdout(4)).toMatch(/\nvm bad \{.*\n\s*\^+\n/);
    });

    // Optional: the browser check of the HTML export runs where Chromium is installed.
    it.skipIf(!HAVE_CHROMIUM)(
      'draws the charts when the HTML export is opened offline in a browser',
      async () => {
        const dom = await renderedDom(join(tmp, 'work', 'done.html'));
        for (const id of ['mmulab-plot-1', 'mmulab-plot-2'])
          expect(dom).toMatch(
            new RegExp(
              `<div id="${id}"[^>]*class="js-plotly-plot"><div class="plot-container plotly"`,
            ),
          );
      },
      SLOW_MS,
    );

    it('exports to HTML with the chart divs and one copy of plotly.js', () => {
      expect(
        html.match(/plotly\.js-dist \d+\.\d+\.\d+ \(MIT license\), minified and gzipped/g),
      ).toHaveLength(1);
      expect(html).toContain('<div id="mmulab-plot-1"');
      expect(html).toContain('<div id="mmulab-plot-2"');
      expect(html).toContain('total_ms</th>');
    });
  },
);

describe('mmu and show (with a sink instead of tslab)', () => {
  const sent: MimeBundle[] = [];
  const sink = (b: MimeBundle): void => void sent.push(b);
  const texts = (): string[] => sent.map((b) => String(b.data['text/plain']).split('\n')[0]);

  it('compiles, runs and displays a text, and returns its experiments', async () => {
    sent.length = 0;
    const runs = await mmu(MMU, { sink });
    expect(runs.map((e) => e.runs.map((r) => r.label))).toEqual([['tiny/ring/m/seed=1']]);
    expect(texts()).toEqual([
      expect.stringMatching(/^run tiny .* — summary \(.*\) · 1 row × \d+ columns$/),
      expect.stringMatching(/^plotly\.js /),
      'Plotly figure: "remaining over time", 1 scatter trace (tiny/ring/m/seed=1)',
      // Guest-progress charts come only with `plot progress`.
      'Plotly figure: "dirty over iteration", 1 scatter trace (tiny/ring/m/seed=1)',
    ]);
  });

  it('keeps definitions across calls and sends plotly.js only once', async () => {
    sent.length = 0;
    await mmu('run tiny with ring, m seed 3 warmup 200ms max_time 3s\nplot dirty over iteration', {
      sink,
    });
    expect(texts().filter((t) => t.startsWith('plotly.js'))).toEqual([]);
    expect(texts()[0]).toMatch(/^Plotly figure: "dirty over iteration"/);
  });

  it('throws the diagnostics, with the source line and a caret, for text with errors', async () => {
    await expect(mmu('vm bad { vcpus 2, slot ram0 at 0 size 300ms }', { sink })).rejects.toThrow(
      /^<input>:1:\d+: error: .*\nvm bad \{.*\n\s*\^+/,
    );
  });

  describe('the progress line', () => {
    const SWEEP = [
      'vm progress_vm { vcpus 1, slot ram0 at 0 size 16MiB backing thp, workload uniform { rate 5k/s per vcpu } }',
      'tracking progress_log { dirty_log manual }',
      'migration progress_link { bandwidth 1Gbit/s, downtime 300ms }',
      'sweep progress_vm with progress_log, progress_link seeds 1..3 warmup 100ms max_time 1s',
    ].join('\n');
    type Shown = { text: string; id: string; update: boolean };
    const progressOf = (): { shown: Shown[]; progress: ProgressSink } => {
      const shown: Shown[] = [];
      return {
        shown,
        progress: (b, id, update) =>
          void shown.push({ text: String(b.data['text/plain'] ?? ''), id, update }),
      };
    };

    it('shows a bar when the plans start, replaces it, and ends on how many finished', async () => {
      const { shown, progress } = progressOf();
      await mmu(SWEEP, { sink, progress, runner: new InThreadRunner() });
      const id = shown[0]!.id;
      expect(shown[0]).toEqual({
        text: expect.stringMatching(/ 0% {2}0\/3 plans {2}progress_vm\//),
        id,
        update: false,
      });
      // Every update replaces the first line in place; the last takes it away.
      const updates = shown.slice(1, -1);
      expect(updates.every((s) => s.id === id && s.update)).toBe(true);
      expect(updates.at(-1)!.text).toBe('');
      expect(shown.at(-1)).toMatchObject({ text: 'finished: 3/3 plans', update: false });
      expect(shown.at(-1)!.id).not.toBe(id);
    });

    it('says where a run stopped when it is interrupted', async () => {
      const { shown, progress } = progressOf();
      const stop = new AbortController();
      let reports = 0;
      await mmu(SWEEP, {
        sink,
        progress,
        runner: new InThreadRunner(),
        signal: stop.signal,
        onProgress: () => {
          if (++reports === 1) stop.abort();
        },
      });
      expect(shown.at(-1)!.text).toMatch(
        /^interrupted: [0-2]\/3 plans finished, stopped during progress_vm\//,
      );
    });

    it('is not shown with a sink of our own, with display: false, or with progress: false', async () => {
      const { shown, progress } = progressOf();
      sent.length = 0;
      await mmu(SWEEP, { sink, runner: new InThreadRunner() });
      await mmu(SWEEP, { sink, display: false, progress, runner: new InThreadRunner() });
      await mmu(SWEEP, { sink, progress: false, runner: new InThreadRunner() });
      expect(shown).toEqual([]);
      // Nor does it go to the sink with the tables.
      const progressIn = (b: MimeBundle): boolean =>
        (b.metadata.mmulab as { progress?: unknown } | undefined)?.progress !== undefined;
      expect(sent.filter(progressIn)).toEqual([]);
    });
  });

  it('shows tables and figures and rejects anything else', async () => {
    sent.length = 0;
    await show(aq.table({ '<b>': [1] }), { sink, title: 't' });
    await show({ data: [{ type: 'bar', x: [1], y: [2] }], layout: {} }, { sink });
    expect(texts()).toEqual(['t · 1 row × 1 column', 'Plotly figure, 1 bar trace']);
    expect(String(sent[0].data['text/html'])).toContain('&lt;b&gt;');
    await expect(show(42 as never, { sink })).rejects.toThrow(/^show: expected an Arquero table/);
  });
});

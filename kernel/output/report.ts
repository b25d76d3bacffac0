import type { CompiledOutput, LetDefinition } from '../../dsl/compile.ts';
import { snakeCase } from '../../dsl/schema.ts';
import type { Costs } from '../../engine/kvm/costs.ts';
import { expectFailureText, expectLine } from './expect-text.ts';
import { predictLine } from './predict-text.ts';
import type { PlotlyFigure } from './figures.ts';
import { environmentEntries } from './environment.ts';
import type { RunEnvironment } from './environment.ts';
import { escapeHtml, formatNumber } from './format.ts';
import { htmlTable, TABLE_STYLESHEET } from './html-table.ts';
import {
  drawWhenReadyScript,
  plotlyConfig,
  plotlyLoaderScript,
  REPORT_READY_EVENT,
} from './plotly-js.ts';
import { headlineFigure } from './headline-figure.ts';
import { shownByExperiment } from './shown.ts';
import type { ExperimentRun } from '../experiment/experiments.ts';
import type { ExplorationsShown } from '../experiment/explorations.ts';

/**
 * The self-contained HTML report of `mmulab run --html`: the requested tables, the
 * Plotly charts, and the provenance of every run in the footer. plotly.js is inlined
 * once, so the file works offline. The output depends only on the results (no date),
 * so the same plans give the same bytes.
 */

export interface ReportInput {
  /** Shown as the title: the .mmu file as given. */
  title: string;
  experiments: readonly ExperimentRun[];
  outputs: readonly CompiledOutput[];
  /** The program's lets (derived columns). */
  lets?: readonly LetDefinition[];
  /** Shown in the provenance footer: the sources' hash, the checkout, Node. */
  environment?: RunEnvironment;
  /** The program's `explore` statements: their table, counterexamples and expects. */
  explorations?: ExplorationsShown;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1rem; margin: 1.5rem 0 0.5rem; }
code { font-size: 0.95em; white-space: pre-wrap; overflow-wrap: anywhere; }
.meta { color: #666; margin-top: 0; overflow-wrap: anywhere; }
${TABLE_STYLESHEET}
.mmulab-plot, .mmulab-guestperf { width: 100%; height: 420px; }
.mmulab-headline { width: 100%; }
.expect { font-family: ui-monospace, monospace; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.5rem 0; }
.expect.fail { white-space: pre; overflow-x: auto; }
.expect.pass { color: #1a7f37; } .expect.fail { color: #b42318; }
footer { margin-top: 3rem; border-top: 1px solid #ddd; color: #444; font-size: 0.9em; }
`;

/** Render the report, with plotly.js inlined once (minified and gzipped). */
export function renderReport(input: ReportInput): string {
  const parts: string[] = [];
  let chartId = 0;
  const chart = (cls: string, figure: PlotlyFigure): string => {
    const id = `chart-${++chartId}`;
    const { title } = figure.layout as { title?: { text?: unknown } | string };
    const config = plotlyConfig(typeof title === 'object' ? title.text : title);
    return (
      `<div class="${cls}" id="${id}"></div>\n` +
      `<script>${drawWhenReadyScript(id, figure.data, figure.layout, config)}</script>`
    );
  };
  const plans = input.experiments.reduce((n, e) => n + e.runs.length, 0);
  parts.push(
    `<header><h1>${escapeHtml(input.title)}</h1>`,
    `<p class="meta">${input.experiments.length} experiment(s), ${plans} plan(s), simulated by mmulab ${escapeHtml(
      input.experiments[0]?.runs[0]?.result.provenance.mmulab_version ?? '',
    )}</p></header>`,
  );
  // The one chart a reader sees first: every plan's total time and downtime.
  const headline = headlineFigure(input.experiments);
  if (headline)
    parts.push(
      `<section class="headline">`,
      `<h2>Headline</h2>`,
      chart('mmulab-headline', headline),
      `</section>`,
    );
  for (const { experiment: e, items } of shownByExperiment(
    input.experiments,
    input.outputs,
    input.lets,
  )) {
    parts.push(
      `<section class="experiment">`,
      `<h2><code>${escapeHtml(e.statement)}</code></h2>`,
      `<p class="meta">line ${e.line} · ${planList(e.runs.map((r) => r.label))}</p>`,
    );
    for (const shown of items) {
      if (shown.kind === 'table')
        parts.push(
          `<h3>${escapeHtml(shown.view)}</h3>`,
          ...(shown.note === undefined ? [] : [`<p class="meta">${escapeHtml(shown.note)}</p>`]),
          htmlTable(shown.table, { look: 'classes' }),
        );
      else if (shown.kind === 'predict')
        parts.push(
          `<p class="expect ${shown.result.right === false ? 'fail' : 'pass'}">${escapeHtml(predictLine(shown.result))}</p>`,
        );
      else if (shown.kind === 'expect')
        parts.push(
          shown.result.pass
            ? `<p class="expect pass">${escapeHtml(expectLine(shown.result))}</p>`
            : `<p class="expect fail">${escapeHtml(expectFailureText(shown.result))}</p>`,
        );
      else {
        const cls = shown.label === undefined ? 'mmulab-plot' : 'mmulab-guestperf';
        parts.push(`<h3>${escapeHtml(shown.title)}</h3>`, chart(cls, shown.figure));
      }
    }
    parts.push(`</section>`);
  }
  const x = input.explorations;
  if (x) {
    parts.push(
      `<section class="experiment">`,
      `<h2>explore</h2>`,
      `<p class="meta">every interleaving · plan_hash <code>${escapeHtml(x.provenance.plan_hash)}</code></p>`,
      htmlTable(x.table, { look: 'classes' }),
    );
    for (const f of x.figures)
      parts.push(`<h3>${escapeHtml(f.title)}</h3>`, chart('mmulab-plot', f.figure));
    for (const r of x.expects)
      parts.push(
        r.pass
          ? `<p class="expect pass">${escapeHtml(expectLine(r))}</p>`
          : `<p class="expect fail">${escapeHtml(expectFailureText(r))}</p>`,
      );
    parts.push(`</section>`);
  }
  parts.push(footer(input.experiments, input.environment));
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`mmulab: ${input.title}`)}</title>`,
    `<style>${STYLE}</style>`,
    `<script id="plotly-js">\n${plotlyLoaderScript(REPORT_READY_EVENT)}\n</script>`,
    '</head>',
    '<body>',
    ...parts,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** An experiment with more plans than this names none of them in its heading. */
const HEADING_LABELS_MAX = 4;

/**
 * The plans under an experiment's heading: their labels when there are a few; a sweep's
 * dozens would bury its tables, so past HEADING_LABELS_MAX only their number (every
 * label is in the Provenance table at the end).
 */
function planList(labels: readonly string[]): string {
  if (labels.length > HEADING_LABELS_MAX)
    return `${labels.length} plans (each listed under Provenance)`;
  const names = labels.map(escapeHtml).join(', ');
  return labels.length === 1 ? `1 plan: ${names}` : `${labels.length} plans: ${names}`;
}

/** Provenance of every run, and each distinct cost table once. */
function footer(experiments: readonly ExperimentRun[], environment?: RunEnvironment): string {
  const runs = experiments.flatMap((e) => e.runs);
  const costTables: Costs[] = [];
  const costKey = (c: Costs): string => JSON.stringify(c);
  const costIndex = (c: Costs): number => {
    let i = costTables.findIndex((t) => costKey(t) === costKey(c));
    if (i < 0) i = costTables.push(c) - 1;
    return i + 1;
  };
  const rows = runs
    .map(({ label, result: { provenance: p } }) => {
      const k = costIndex(p.costs);
      return `<tr><td>${escapeHtml(label)}</td><td>${escapeHtml(p.mmulab_version)}</td><td><code>${escapeHtml(p.plan_hash)}</code></td><td class="num">${p.seed}</td><td class="num">${k}</td></tr>`;
    })
    .join('\n');
  const costs = costTables
    .map((c, i) => {
      const body = Object.entries(c)
        .map(
          ([k, v]) =>
            `<tr><td>${escapeHtml(snakeCase(k))}</td><td class="num">${formatNumber(v)}</td></tr>`,
        )
        .join('\n');
      return `<details><summary>cost table ${i + 1} (ns)</summary><table><thead><tr><th>cost</th><th class="num">ns</th></tr></thead><tbody>\n${body}\n</tbody></table></details>`;
    })
    .join('\n');
  return [
    '<footer>',
    '<h2>Provenance</h2>',
    '<p>Each run is re-made by the same plan (its hash below) with the same seed and costs.</p>',
    ...(environment
      ? [
          `<p class="meta">${environmentEntries(environment)
            .map(([k, v]) => `${escapeHtml(k)} <code>${escapeHtml(v)}</code>`)
            .join(' · ')}</p>`,
        ]
      : []),
    '<div class="table-wrap"><table><thead><tr><th>plan</th><th>mmulab</th><th>plan hash</th><th class="num">seed</th><th class="num">costs</th></tr></thead><tbody>',
    rows,
    '</tbody></table></div>',
    costs,
    '</footer>',
  ].join('\n');
}

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MimeBundle } from '../../kernel/display/mime.ts';
import { PLOTLY_MIME } from '../../kernel/display/plotly.ts';
import { InThreadRunner } from '../../kernel/experiment/in-thread.ts';
import { MmulabSession } from '../../kernel/jupyter/session.ts';
import { mmu } from '../../kernel/tslab.ts';
import { runMmulab } from '../helpers/cli.ts';
import { STORE_BUFFERING_MMU } from '../helpers/litmus.ts';

/**
 * `explore` in the three front ends: the CLI (terminal and HTML report), the kernel
 * and tslab show the same explorations table and the same swimlane chart of the
 * shortest counterexample, and `expect explore` passes or fails in each.
 */

const PROGRAM = `${STORE_BUFFERING_MMU}
explore sb memory sc
explore sb memory tso
expect explore where memory_model = sc: violations = 0
expect explore where memory_model = tso: violations = 1 and shortest_trace = 6
`;

const FAILING = `${PROGRAM}expect explore: violations = 0\n`;

const TMP = mkdtempSync(join(tmpdir(), 'mmulab-explore-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

interface Shown {
  tables: string[][];
  figures: unknown[];
  text: string;
}

function tableCells(html: string): string[][] {
  return [...html.matchAll(/<table[^>]*>([\s\S]*?)<\/table>/g)].map((m) =>
    [...m[1].matchAll(/<t[hd](?:\s[^>]*)?>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]),
  );
}

function fromBundles(bundles: readonly MimeBundle[]): Shown {
  const shown: Shown = { tables: [], figures: [], text: '' };
  for (const b of bundles) {
    if (PLOTLY_MIME in b.data) shown.figures.push((b.data[PLOTLY_MIME] as { data: unknown }).data);
    else if (String(b.data['text/html']).includes('<table'))
      shown.tables.push(...tableCells(String(b.data['text/html'])));
    else shown.text += `${String(b.data['text/plain'])}\n`;
  }
  return shown;
}

const sink = (bundles: MimeBundle[]) => ({
  stream: () => {},
  display: (b: MimeBundle) => bundles.push(b),
  updateDisplay: () => {},
  clear: () => {},
});

let report = '';
let terminal = '';
let kernel: Shown;
let tslab: Shown;

beforeAll(async () => {
  writeFileSync(join(TMP, 'sb.mmu'), PROGRAM);
  const r = await runMmulab(TMP, 'run', 'sb.mmu', '--html', 'report.html');
  expect(r.code, r.stderr).toBe(0);
  terminal = r.stdout;
  report = readFileSync(join(TMP, 'report.html'), 'utf8');
  const bundles: MimeBundle[] = [];
  const outcome = await new MmulabSession(new InThreadRunner(), TMP).execute(
    PROGRAM,
    sink(bundles),
  );
  expect(outcome.status).toBe('ok');
  kernel = fromBundles(bundles);
  const sent: MimeBundle[] = [];
  await mmu(PROGRAM, { sink: (b) => sent.push(b) });
  tslab = fromBundles(sent);
}, 300_000);

describe('explore in the CLI, the kernel and tslab', () => {
  it('shows one table row per exploration, without the wall time', () => {
    expect(kernel.tables).toHaveLength(1);
    const cells = kernel.tables[0];
    expect(cells.slice(0, 5)).toEqual([
      'protocol',
      'memory_model',
      'reduction',
      'threads',
      'states',
    ]);
    expect(cells).not.toContain('time_ms');
    expect(tslab.tables).toEqual(kernel.tables);
    const body = report.slice(report.indexOf('<body>'), report.indexOf('<footer>'));
    expect(tableCells(body)).toEqual(kernel.tables);
    expect(terminal).toMatch(/== explore {2}\(2 exploration\(s\)\)/);
    expect(terminal).toMatch(/sb\s+tso\s+none\s+2\s+34\s/);
  });

  it('draws the shortest counterexample, the TSO one, as a swimlane chart in each', () => {
    expect(kernel.figures).toHaveLength(1);
    expect(tslab.figures).toEqual(kernel.figures);
    expect(report).toContain('sb (TSO): not_both_zero, 6 steps');
  });

  it('checks expect explore: the passing lines are shown', () => {
    expect(kernel.text.match(/expect explore/g)).toHaveLength(2);
    expect(terminal.match(/expect explore/g)).toHaveLength(2);
  });

  it('fails a false expect explore: CLI exit status, kernel error, tslab throw', async () => {
    writeFileSync(join(TMP, 'bad.mmu'), FAILING);
    const r = await runMmulab(TMP, 'run', 'bad.mmu');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('1 expect statement(s) failed');
    const outcome = await new MmulabSession(new InThreadRunner(), TMP).execute(FAILING, sink([]));
    expect(outcome.status).toBe('error');
    await expect(mmu(FAILING, { sink: () => {} })).rejects.toThrow(
      /expect explore: violations = 0/,
    );
  }, 120_000);
});

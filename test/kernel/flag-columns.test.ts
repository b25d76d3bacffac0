import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedIo } from '../helpers/cli.ts';
import { parseRunArgs } from '../../kernel/cli/commands.ts';
import { ExitCode } from '../../kernel/cli/io.ts';
import { runCommand } from '../../kernel/cli/run-command.ts';
import type { MimeBundle } from '../../kernel/display/mime.ts';
import { InThreadRunner } from '../../kernel/experiment/in-thread.ts';
import { MmulabSession } from '../../kernel/jupyter/session.ts';
import type { CellOutput } from '../../kernel/jupyter/session.ts';
import { readArrowTable } from '../../kernel/output/arrow.ts';

/**
 * A swept on/off field (`pml [on, off]`) is a column of flags. People read it as the
 * language writes it, `on` and `off`, in every table, chart and paper table, and the
 * conditions they write with those words (`where`, `expect`, `predict`) work; the files
 * meant for programs (CSV, Arrow) keep booleans, as pandas, R and Arrow readers expect.
 */

const DIR = mkdtempSync(join(tmpdir(), 'mmulab-flag-columns-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const DEFINITIONS = `vm tiny {
  vcpus 2
  slot ram0 at 0 size 64MiB backing 4k
  workload hotset { rate 10k/s per vcpu, set 8MiB }
}
tracking manual { dirty_log manual, pml [on, off] }
migration link { bandwidth 2Gbit/s, downtime 300ms }
`;
const PREDICT = 'predict total_ms for pml on <= off\n';
const RUN = 'sweep tiny with manual, link seed 1 warmup 100ms max_time 3s\n';
const OUTPUTS = `let slow = total_ms > 0ms
table summary with pml, slow, total_ms
table summary where pml = on with pml
table summary by pml mean total_ms
expect summary where pml = off: stale_pages = 0
plot total_ms over pml
plot remaining over time by pml
export summary by pml mean total_ms to "flags.md" as markdown
`;
const PROGRAM = DEFINITIONS + PREDICT + RUN + OUTPUTS;

let printed = '';
beforeAll(async () => {
  writeFileSync(join(DIR, 'flags.mmu'), PROGRAM);
  const { io, out, err } = capturedIo(DIR);
  const args = parseRunArgs(
    ['flags.mmu', '--jobs', '1', '--csv', 'csv', '--arrow', 'arrow', '--html', 'report.html'],
    DIR,
  )!;
  expect(await runCommand(args, io), err()).toBe(ExitCode.Ok);
  printed = out();
}, 120_000);

/** The lines of the printed table after `caption`, up to the blank line that ends it. */
function printedTable(caption: string, nth = 0): string[] {
  const tables = printed.split('\n\n').filter((b) => b.startsWith(`${caption}:\n`));
  return tables[nth]!.split('\n').slice(1);
}

describe('a swept flag in what people read: on and off', () => {
  it('in the terminal tables, a `let` condition and an aggregate by the flag too', () => {
    expect(printedTable('summary', 0)).toEqual([
      expect.stringMatching(/^label\s+pml\s+slow\s+total_ms$/),
      expect.stringMatching(/^─/),
      expect.stringMatching(/^tiny\/manual\/link\/pml=on\/seed=1\s+on\s+on\s+[\d.]+$/),
      expect.stringMatching(/^tiny\/manual\/link\/pml=off\/seed=1\s+off\s+on\s+[\d.]+$/),
    ]);
    expect(printedTable('summary', 2).slice(2)).toEqual([
      expect.stringMatching(/^on\s+[\d.]+$/),
      expect.stringMatching(/^off\s+[\d.]+$/),
    ]);
    expect(printed).not.toMatch(/\b(true|false)\b/);
  });

  it('where, expect and predict compare the flag with on and off', () => {
    const kept = printedTable('summary', 1);
    expect(kept.slice(2)).toEqual([
      expect.stringMatching(/^tiny\/manual\/link\/pml=on\/seed=1\s+on$/),
    ]);
    expect(printed).toContain(
      '✓ expect summary where pml = off: stale_pages = 0  (all 1 row pass)',
    );
    expect(printed).toMatch(/predict total_ms for pml on <= off {2}\(mean total_ms: on [\d.]+ ms/);
  });

  it("in the chart, its CSV and the paper table: points at 'on' and 'off'", () => {
    const report = readFileSync(join(DIR, 'report.html'), 'utf8');
    expect(report).toContain('"x":["on","off"]');
    expect(report).not.toMatch(/"x":\[(true|false)/);
    // The chart of each run over time groups its lines by the flag's words.
    expect(report).toContain('"legendgrouptitle":{"text":"on"}');
    expect(report).toContain('"legendgrouptitle":{"text":"off"}');
    expect(report).not.toMatch(/"legendgrouptitle":\{"text":"(true|false)"\}/);
    const plot = readFileSync(join(DIR, 'csv', 'total-ms-over-pml.plot.csv'), 'utf8');
    expect(plot).toMatch(/^total_ms,lines\+markers,pml,on,/m);
    expect(plot).toMatch(/^total_ms,lines\+markers,pml,off,/m);
    const markdown = readFileSync(join(DIR, 'flags.md'), 'utf8');
    expect(markdown).toMatch(/^\| on +\| +[\d.]+ \|$/m);
    expect(markdown).toMatch(/^\| off +\| +[\d.]+ \|$/m);
  });

  it('after mmulab run --dry-run, as the axis values', async () => {
    const { io, out } = capturedIo(DIR);
    const args = parseRunArgs(['flags.mmu', '--dry-run'], DIR)!;
    expect(await runCommand(args, io)).toBe(ExitCode.Ok);
    expect(out()).toContain('  pml (2 values): on, off\n');
  });

  it("in the kernel's text/plain and text/html", async () => {
    const session = new MmulabSession(new InThreadRunner(), DIR);
    const bundles: MimeBundle[] = [];
    const sink: CellOutput = {
      stream: () => undefined,
      display: (b) => void bundles.push(b),
      updateDisplay: () => undefined,
      clear: () => undefined,
    };
    const cell = `${DEFINITIONS}${RUN}table summary with pml, total_ms\n`;
    expect(await session.execute(cell, sink)).toMatchObject({ status: 'ok' });
    const text = bundles.map((b) => String(b.data['text/plain'] ?? '')).join('\n');
    expect(text).toMatch(/pml=on\/seed=1\s+on\s/);
    expect(text).toMatch(/pml=off\/seed=1\s+off\s/);
    const html = bundles.map((b) => String(b.data['text/html'] ?? '')).join('\n');
    expect(html).toMatch(/<td[^>]*>on<\/td>/);
    expect(html).toMatch(/<td[^>]*>off<\/td>/);
    expect(html).not.toMatch(/<td[^>]*>(true|false)<\/td>/);
  }, 120_000);
});

describe('a swept flag in the files for programs: booleans', () => {
  it('is true/false in each CSV of a table (pandas and R read booleans), the label aside', () => {
    const files = readdirSync(join(DIR, 'csv')).filter((f) => f.endsWith('.summary.csv'));
    expect(files).toHaveLength(2);
    const rows = files.map((f) => {
      const lines = readFileSync(join(DIR, 'csv', f), 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'));
      const header = lines[0]!.split(',');
      const row = lines[1]!.split(',');
      return { label: row[header.indexOf('label')], pml: row[header.indexOf('pml')] };
    });
    expect(rows).toEqual(
      expect.arrayContaining([
        { label: 'tiny/manual/link/pml=on/seed=1', pml: 'true' },
        { label: 'tiny/manual/link/pml=off/seed=1', pml: 'false' },
      ]),
    );
  });

  it('is a boolean column in Arrow', () => {
    const arrow = readArrowTable(join(DIR, 'arrow', 'summary.arrow'));
    expect(arrow.rows.map((r) => r.pml)).toEqual([true, false]);
  });
});

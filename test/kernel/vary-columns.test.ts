import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capturedIo } from '../helpers/cli.ts';
import { compile } from '../../dsl/compile.ts';
import { parseRunArgs } from '../../kernel/cli/commands.ts';
import { ExitCode } from '../../kernel/cli/io.ts';
import { runCommand } from '../../kernel/cli/run-command.ts';
import type { MimeBundle } from '../../kernel/display/mime.ts';
import { InThreadRunner } from '../../kernel/experiment/in-thread.ts';
import { MmulabSession } from '../../kernel/jupyter/session.ts';
import type { CellOutput } from '../../kernel/jupyter/session.ts';
import { readArrowTable } from '../../kernel/output/arrow.ts';
import { mmu } from '../../kernel/tslab.ts';

/**
 * A value `vary` picked is a column of the run's tables exactly as a swept field is:
 * the homework below, run as student 3, gives the tables, expects, plot data and
 * exports that the same text gives with each bound written as a one-value sweep
 * (`rate [20k/s]`), the label aside. Through `mmulab run --variant N`, the kernel's
 * `%variant N` and tslab's `mmu(src, { variant })`.
 */

const DIR = mkdtempSync(join(tmpdir(), 'mmulab-vary-columns-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const VARIANT = 3;

const DEFINITIONS = `vm tiny {
  vcpus 2
  slot ram0 at 0 size 64MiB backing thp
  workload hotset { rate vary 10k/s..40k/s step 10k/s per vcpu, set vary [8MiB, 16MiB], hot 90% }
}
tracking ring { dirty_log ring 4096 }
migration link { bandwidth 2Gbit/s, downtime 300ms }
`;
const RUN = 'run tiny with ring, link seed vary 1..100 warmup vary [100ms, 200ms] max_time 3s\n';
const OUTPUTS = `table summary with rate, set, warmup, seed, pages_sent
table summary where rate >= 10k/s and set <= 16MiB by rate, set, warmup mean pages_sent
expect summary: rate >= 10k/s and rate <= 40k/s and set >= 8MiB and warmup <= 200ms
plot pages_sent over rate
`;
const HOMEWORK = DEFINITIONS + RUN + OUTPUTS;

/** The values student VARIANT gets, by column. */
function picked(): Record<string, string> {
  const { program } = compile(HOMEWORK, { variant: VARIANT });
  return Object.fromEntries((program.variant?.picks ?? []).map((p) => [p.column, p.text]));
}

/** The homework with each `vary` bound written as a sweep of the one value picked. */
function sweptTwin(): string {
  const v = picked();
  return HOMEWORK.replace('vary 10k/s..40k/s step 10k/s', `[${v.rate}]`)
    .replace('vary [8MiB, 16MiB]', `[${v.set}]`)
    .replace('vary [100ms, 200ms]', `[${v.warmup}]`)
    .replace('vary 1..100', v.seed!);
}

/** The first summary table as printed: one line per row, label aside. */
const LABEL = /^\S+\s+/gm;

async function runCli(file: string, variant: boolean, out: string) {
  const { io, out: stdout, err } = capturedIo(DIR);
  const args = parseRunArgs(
    [
      file,
      '--jobs',
      '1',
      '--csv',
      `${out}-csv`,
      '--arrow',
      `${out}-arrow`,
      ...(variant ? ['--variant', String(VARIANT)] : []),
    ],
    DIR,
  )!;
  const code = await runCommand(args, io);
  expect(code, err()).toBe(ExitCode.Ok);
  return stdout();
}

/** The data rows of the one summary CSV in `dir`, without the label column. */
function summaryCsv(dir: string): { header: string; rows: string[] } {
  const file = readdirSync(join(DIR, dir)).find((f) => f.endsWith('.summary.csv'))!;
  const lines = readFileSync(join(DIR, dir, file), 'utf8').split('\n');
  const units = lines.find((l) => l.startsWith('# units: '))!;
  const data = lines.filter((l) => l && !l.startsWith('#'));
  return { header: units, rows: data.map((l) => l.replace(/^[^,]*,/, '')) };
}

describe('a value vary picked is a column, as a swept field is', () => {
  it('through mmulab run --variant N: tables, where, expect, plot data, CSV and Arrow', async () => {
    writeFileSync(join(DIR, 'homework.mmu'), HOMEWORK);
    writeFileSync(join(DIR, 'swept.mmu'), sweptTwin());
    const varied = await runCli('homework.mmu', true, 'varied');
    const swept = await runCli('swept.mmu', false, 'swept');
    const v = picked();
    // The columns shown, in the place a sweep's are (after the label, before the seed).
    expect(varied).toMatch(
      /summary:\nlabel\s+rate \(k\/s\)\s+set \(MiB\)\s+warmup \(ms\)\s+seed\s+pages_sent\n/,
    );
    expect(varied).toContain(`/seed=${v.seed}  `);
    const tables = (text: string): string =>
      text.slice(text.indexOf('summary:\n')).split('\n# ')[0]!.replace(LABEL, '');
    expect(tables(varied)).toBe(tables(swept));
    expect(varied).toContain('✓ expect summary: rate >= 10k/s');
    // The plan is the one with the values written out; only the label differs.
    expect(summaryCsv('varied-csv')).toEqual(summaryCsv('swept-csv'));
    expect(summaryCsv('varied-csv').header).toMatch(/^# units: rate=k\/s, set=MiB, warmup=ms, /);
    const plot = (dir: string): string =>
      readFileSync(join(DIR, dir, 'pages-sent-over-rate.plot.csv'), 'utf8').split('# chart: ')[1]!;
    expect(plot('varied-csv')).toBe(plot('swept-csv'));
    const arrow = readArrowTable(join(DIR, 'varied-arrow', 'summary.arrow'));
    const twin = readArrowTable(join(DIR, 'swept-arrow', 'summary.arrow'));
    expect(arrow.columns.slice(0, 6)).toEqual([
      'plan_index',
      'label',
      'rate',
      'set',
      'warmup',
      'seed',
    ]);
    expect(arrow.units).toEqual(twin.units);
    expect(arrow.rows[0]).toMatchObject({
      rate: parseFloat(v.rate!),
      set: parseFloat(v.set!),
      warmup: parseFloat(v.warmup!),
      seed: Number(v.seed),
    });
    // --dry-run lists them among the axes, saying where the one value comes from.
    const dry = capturedIo(DIR);
    await runCommand({ file: 'homework.mmu', jobs: 1, dryRun: true, variant: VARIANT }, dry.io);
    expect(dry.out()).toContain(`  rate (1 value, k/s, picked by vary): ${parseFloat(v.rate!)}\n`);
    const { label: _a, ...row } = arrow.rows[0]!;
    const { label: _b, ...twinRow } = twin.rows[0]!;
    expect(row).toEqual(twinRow);
  }, 120_000);

  it("through the kernel's %variant N, in a cell after the definitions' and the run's", async () => {
    const session = new MmulabSession(new InThreadRunner(), DIR);
    const bundles: MimeBundle[] = [];
    const out: CellOutput = {
      stream: () => undefined,
      display: (b) => void bundles.push(b),
      updateDisplay: () => undefined,
      clear: () => undefined,
    };
    expect(await session.execute(`%variant ${VARIANT}`, out)).toMatchObject({ status: 'ok' });
    for (const cell of [DEFINITIONS, RUN, `${OUTPUTS}export summary to "kernel" as arrow\n`]) {
      const outcome = await session.execute(cell, out);
      expect(outcome, JSON.stringify(outcome)).toMatchObject({ status: 'ok' });
    }
    const v = picked();
    const text = bundles.map((b) => String(b.data['text/plain'] ?? '')).join('\n');
    expect(text).toMatch(/rate \(k\/s\)\s+set \(MiB\)\s+warmup \(ms\)\s+seed\s+pages_sent/);
    expect(text).toMatch(
      new RegExp(
        `\\s${parseFloat(v.rate!)}\\s+${parseFloat(v.set!)}\\s+${parseFloat(v.warmup!)}\\s+${v.seed}\\s`,
      ),
    );
    expect(text).toContain('✓ expect summary: rate >= 10k/s');
    const arrow = readArrowTable(join(DIR, 'kernel', 'summary.arrow'));
    expect(arrow.units).toMatchObject({ rate: 'k/s', set: 'MiB', warmup: 'ms' });
    expect(arrow.rows[0]).toMatchObject({ rate: parseFloat(v.rate!), seed: Number(v.seed) });
  }, 120_000);

  it("through tslab's mmu() with { variant }", async () => {
    const sent: MimeBundle[] = [];
    const file = join(DIR, 'tslab.mmu');
    writeFileSync(file, '');
    const [run] = await mmu(HOMEWORK, {
      sink: (b) => sent.push(b),
      file,
      variant: VARIANT,
      cache: false,
    });
    const v = picked();
    const text = sent.map((b) => String(b.data['text/plain'] ?? '')).join('\n');
    expect(text).toMatch(/rate \(k\/s\)\s+set \(MiB\)\s+warmup \(ms\)\s+seed\s+pages_sent/);
    expect(text).toContain('✓ expect summary: rate >= 10k/s');
    expect(run!.axes.map((a) => a.column)).toEqual(['rate', 'set', 'warmup']);
    expect(run!.runs[0]!.params).toEqual({
      rate: parseFloat(v.rate!),
      set: parseFloat(v.set!),
      warmup: parseFloat(v.warmup!),
    });
  }, 120_000);
});

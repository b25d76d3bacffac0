import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capturedIo } from '../../helpers/cli.ts';
import { UsageError } from '../../../kernel/cli/args.ts';
import { parseFigureArgs, parsePlanArgs, parseRunArgs } from '../../../kernel/cli/commands.ts';
import { ExitCode } from '../../../kernel/cli/io.ts';
import { planCommand } from '../../../kernel/cli/plan-command.ts';
import { runCommand } from '../../../kernel/cli/run-command.ts';
import { InThreadRunner } from '../../../kernel/experiment/in-thread.ts';
import { MmulabSession } from '../../../kernel/jupyter/session.ts';
import type { CellOutput } from '../../../kernel/jupyter/session.ts';

/**
 * `--variant N` (and the kernel's `%variant N`): a homework whose `vary` bounds give
 * each student their own problem, the same every time they run it, with the values
 * picked printed first and the variant in every export's provenance.
 */

const DIR = mkdtempSync(join(tmpdir(), 'mmulab-variant-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const HOMEWORK = `vm tiny {
  vcpus 2
  slot ram0 at 0 size 64MiB backing thp
  workload hotset { rate vary 10k/s..40k/s step 10k/s per vcpu, set 8MiB, hot 90% }
}
tracking ring { dirty_log ring 4096 }
migration link { bandwidth 2Gbit/s, downtime 300ms }
run tiny with ring, link seed vary 1..100 warmup 100ms max_time 3s
table summary with pages_sent, total_ms
`;
writeFileSync(join(DIR, 'homework.mmu'), HOMEWORK);

async function run(variant: number | undefined, csv?: string): Promise<string> {
  const { io: cli, out, err } = capturedIo(DIR);
  const args = parseRunArgs(
    [
      'homework.mmu',
      '--jobs',
      '1',
      ...(variant === undefined ? [] : ['--variant', String(variant)]),
    ],
    DIR,
  );
  const code = await runCommand({ ...args!, ...(csv ? { csv } : {}) }, cli);
  expect(code, err()).toBe(ExitCode.Ok);
  return out();
}

describe('mmulab run --variant N', () => {
  it('prints the values picked first, and gives the same output for the same N', async () => {
    const first = await run(5);
    expect(first).toMatch(
      /^variant 5: vm tiny rate (10|20|30|40)k\/s \(one of 10k\/s, 20k\/s, 30k\/s, 40k\/s\)\nvariant 5: run option seed \d+ \(one of 100, 1 to 100\)\n/,
    );
    expect(await run(5)).toBe(first);
    // Without --variant: variant 0.
    expect(await run(undefined)).toBe(await run(0));
  }, 120_000);

  it('--dry-run lists the values picked as a real run does, before the experiments', async () => {
    const picked = (await run(5)).split('\n').filter((l) => l.startsWith('variant '));
    expect(picked).toHaveLength(2);
    const { io: cli, out, err } = capturedIo(DIR);
    const args = parseRunArgs(['homework.mmu', '--variant', '5', '--dry-run'], DIR)!;
    expect(await runCommand(args, cli), err()).toBe(ExitCode.Ok);
    const lines = out().split('\n');
    expect(lines.slice(0, 2)).toEqual(picked);
    expect(lines[2]).toMatch(/^line 8: run tiny with ring, link seed vary 1\.\.100 /);
    expect(out()).toContain('nothing run (--dry-run)');
  }, 120_000);

  it('gives other variants other problems within the bounds', async () => {
    const plans = new Set<string>();
    for (let n = 0; n < 12; n++) {
      const { io: cli, out } = capturedIo(DIR);
      expect(planCommand(parsePlanArgs(['homework.mmu', '--variant', String(n)], DIR)!, cli)).toBe(
        ExitCode.Ok,
      );
      plans.add(out().split('\t')[1]!);
    }
    expect(plans.size).toBeGreaterThan(6);
  });

  it('records the variant in every export; --verify reruns it, and compares another', async () => {
    await run(7, 'out7');
    const files = readdirSync(join(DIR, 'out7')).filter((f) => f.endsWith('.csv'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files)
      expect(readFileSync(join(DIR, 'out7', f), 'utf8')).toMatch(/^# variant: 7$/m);
    const verify = async (...more: string[]) => {
      const { io: cli, out, err } = capturedIo(DIR);
      const rerun = parseRunArgs(
        ['homework.mmu', '--jobs', '1', '--verify', 'out7', ...more],
        DIR,
      )!;
      return { code: await runCommand(rerun, cli), text: out() + err() };
    };
    const same = await verify();
    expect(same.code, same.text).toBe(ExitCode.Ok);
    expect(same.text).toMatch(/^variant 7: /);
    const other = await verify('--variant', '8');
    expect(other.code).toBe(ExitCode.PlanError);
    expect(other.text).toContain('difference(s) from out7');
  }, 120_000);

  it('refuses a variant that is not a whole number, saying how to write one', () => {
    expect(() => parseRunArgs(['homework.mmu', '--variant', 'x'], DIR)).toThrow(
      new UsageError(
        "mmulab run: --variant needs a whole number >= 0, got 'x'; for example --variant 7.",
      ),
    );
    expect(parseRunArgs(['homework.mmu', '--variant', '7'], DIR)?.variant).toBe(7);
    expect(parseFigureArgs(['homework.mmu', '--variant', '7'], DIR)?.variant).toBe(7);
    expect(() => parseFigureArgs(['homework.mmu', '--variant', '-1'], DIR)).toThrow(
      "mmulab figure: --variant needs a whole number >= 0, got '-1'; for example --variant 7.",
    );
  });
});

describe('%variant N in the kernel', () => {
  function sink(lines: string[]): CellOutput {
    return {
      stream: (_name, text) => void lines.push(text),
      display: () => undefined,
      updateDisplay: () => undefined,
      clear: () => undefined,
    };
  }

  it('picks the values the CLI picks for N, and refuses a bad N at its line', async () => {
    const session = new MmulabSession(new InThreadRunner(), DIR);
    const lines: string[] = [];
    expect(await session.execute('%variant 5', sink(lines))).toMatchObject({ status: 'ok' });
    const definitions = HOMEWORK.split('\nrun ')[0]!;
    expect(await session.execute(definitions, sink(lines))).toMatchObject({ status: 'ok' });
    const cli = (await run(5)).split('\n');
    expect(lines.join('')).toContain(`${cli[0]}\n`);
    expect(await session.execute('%variant', sink(lines))).toMatchObject({ status: 'ok' });
    expect(lines.at(-1)).toBe('variant 5\n');
    expect(await session.execute('\n%variant five', sink([]))).toMatchObject({
      status: 'error',
      error: {
        ename: 'UsageError',
        evalue: "line 2:1: %variant needs a whole number >= 0, got 'five'.",
      },
    });
  }, 120_000);
});

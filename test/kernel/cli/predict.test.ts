import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capturedIo } from '../../helpers/cli.ts';
import { runCommand } from '../../../kernel/cli/run-command.ts';
import { ExitCode } from '../../../kernel/cli/io.ts';

const DIR = mkdtempSync(join(tmpdir(), 'mmulab-predict-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** A student's two predictions, stated above the sweep they are about. */
writeFileSync(
  join(DIR, 'lab.mmu'),
  `vm tiny {
  vcpus 2
  slot ram0 at 0 size 128MiB backing thp
  workload hotset { rate 20k/s per vcpu, set 16MiB, hot 90% }
}
tracking bitmap { dirty_log manual }
tracking ring { dirty_log ring 4096 }
migration link { bandwidth 2Gbit/s, downtime 300ms }
predict stale_pages for ring = bitmap
predict iterations for ring > bitmap
sweep tiny with [bitmap, ring], link seed 1 warmup 100ms max_time 5s
table summary by tracking mean iterations
`,
);

describe('predict in mmulab run', () => {
  it('shows each prediction right or wrong with both means, in the terminal and the report, and exits 0', async () => {
    const captured = capturedIo(DIR);
    const code = await runCommand(
      { file: 'lab.mmu', jobs: 1, dryRun: false, html: 'report.html' },
      captured.io,
    );
    const [out, err] = [captured.out(), captured.err()];
    expect(err).toContain('wrote report.html');
    expect(code).toBe(ExitCode.Ok);
    expect(out).toMatch(
      /^✓ right: predict stale_pages for ring = bitmap {2}\(mean stale_pages: ring 0 pages, n=1 = bitmap 0 pages, n=1\)$/m,
    );
    // Whatever the engine's numbers, the verdict and the relation shown follow them.
    const m =
      /^([✓✗]) (right|wrong): predict iterations for ring > bitmap {2}\(mean iterations: ring (\d+), n=1 ([<=>]) bitmap (\d+), n=1\)$/m.exec(
        out,
      );
    expect(m, out).not.toBeNull();
    const [ring, bitmap] = [Number(m?.[3]), Number(m?.[5])];
    expect(m?.[2]).toBe(ring > bitmap ? 'right' : 'wrong');
    expect(m?.[4]).toBe(ring < bitmap ? '<' : ring > bitmap ? '>' : '=');
    const html = readFileSync(join(DIR, 'report.html'), 'utf8');
    expect(html).toContain(
      '<p class="expect fail">✗ wrong: predict iterations for ring &gt; bitmap',
    );
    expect(html).toContain('<p class="expect pass">✓ right: predict stale_pages for ring = bitmap');
  }, 120_000);

  it('compares two numbers of a swept field, in any unit of its dimension, and two values of a flag', async () => {
    writeFileSync(
      join(DIR, 'numbers.mmu'),
      `vm tiny {
  vcpus 2
  slot ram0 at 0 size 128MiB backing thp
  workload hotset { rate 20k/s per vcpu, set 16MiB, hot 90% }
}
tracking t { dirty_log manual, pml [on, off] }
migration link { bandwidth [1Gbit/s, 4Gbit/s], downtime 300ms }
predict total_ms for 1Gbit/s > 4Gbit/s
predict total_ms for bandwidth 1000Mbit/s > 4Gbit/s
predict total_ms for pml on <= off
sweep tiny with t, link seed 1 warmup 100ms max_time 5s
table summary by bandwidth mean total_ms
table summary by pml mean total_ms
`,
    );
    const captured = capturedIo(DIR);
    const code = await runCommand({ file: 'numbers.mmu', jobs: 1, dryRun: false }, captured.io);
    const out = captured.out();
    expect(code, captured.err()).toBe(ExitCode.Ok);
    /** The mean of total_ms per value of `column` as the grouped table prints it. */
    const means = (column: string): number[] => {
      const table = out.split('summary:\n').find((t) => t.startsWith(column))!;
      return table
        .split('\n')
        .slice(2)
        .filter((l) => /\d/.test(l))
        .map((l) => Number(l.trim().split(/\s+/).at(-1)!.replace(/,/g, '')));
    };
    const [slow, fast] = means('bandwidth');
    const verdict = (text: string, left: string, right: string): RegExpExecArray => {
      const escaped = text.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&');
      const m = new RegExp(
        `^([✓✗]) (right|wrong): ${escaped} {2}\\(mean total_ms: ${left} ([\\d.,]+) ms, n=2 ([<=>]) ${right} ([\\d.,]+) ms, n=2\\)$`,
        'm',
      ).exec(out);
      expect(m, out).not.toBeNull();
      return m!;
    };
    for (const [text, left] of [
      ['predict total_ms for 1Gbit/s > 4Gbit/s', '1Gbit/s'],
      ['predict total_ms for bandwidth 1000Mbit/s > 4Gbit/s', '1000Mbit/s'],
    ] as const) {
      const m = verdict(text, left.replace('/', '\\/'), '4Gbit\\/s');
      // Each side is the mean over the runs at that bandwidth, as the table groups them.
      expect(Number(m[3]!.replace(/,/g, ''))).toBeCloseTo(slow!, 0);
      expect(Number(m[5]!.replace(/,/g, ''))).toBeCloseTo(fast!, 0);
      expect(m[2]).toBe(slow! > fast! ? 'right' : 'wrong');
    }
    const [on, off] = means('pml');
    const m = verdict('predict total_ms for pml on <= off', 'on', 'off');
    expect(Number(m[3]!.replace(/,/g, ''))).toBeCloseTo(on!, 0);
    expect(m[2]).toBe(on! <= off! ? 'right' : 'wrong');
  }, 120_000);
});

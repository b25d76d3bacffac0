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
});

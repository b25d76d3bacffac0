import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MimeBundle } from '../../kernel/display/mime.ts';
import { InThreadRunner } from '../../kernel/experiment/in-thread.ts';
import { MmulabSession } from '../../kernel/jupyter/session.ts';
import { mmu } from '../../kernel/tslab.ts';
import { BROWSER_MS, HAVE_CHROMIUM } from '../helpers/chromium.ts';

/**
 * The teaching and paper statements in the two notebook front ends, as in `mmulab run`:
 * a `predict` is shown right or wrong with both means, `export plot NAME` writes the
 * figure with its provenance (the variant included), and `vary` takes the variant's
 * values: the kernel's session (what Jupyter executes) and tslab's `mmu()`.
 */

const TMP = mkdtempSync(join(tmpdir(), 'mmulab-teaching-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const LAB = (dir: string): string => `vm tiny {
  vcpus 2
  slot ram0 at 0 size 64MiB backing thp
  workload hotset { rate vary 10k/s..20k/s step 10k/s per vcpu, set 8MiB, hot 90% }
}
tracking bitmap { dirty_log manual }
tracking ring { dirty_log ring 4096 }
migration link { bandwidth 2Gbit/s, downtime 300ms }
predict stale_pages for ring = bitmap
sweep tiny with [bitmap, ring], link seed 1 warmup 100ms max_time 3s
plot fig = pages_sent over tracking as bar
export plot fig to "${dir}/fig.svg"
`;

const PREDICTED =
  /^✓ right: predict stale_pages for ring = bitmap {2}\(mean stale_pages: ring 0 pages, n=1 = bitmap 0 pages, n=1\)$/m;

const plain = (bundles: readonly MimeBundle[]): string =>
  bundles.map((b) => String(b.data['text/plain'] ?? '')).join('\n');

describe.skipIf(!HAVE_CHROMIUM)('predict, export plot and vary in the notebook front ends', () => {
  it(
    'in a kernel session after %variant 3',
    async () => {
      const bundles: MimeBundle[] = [];
      const streams: string[] = [];
      const out = {
        stream: (_: string, text: string) => void streams.push(text),
        display: (b: MimeBundle) => void bundles.push(b),
        updateDisplay: () => {},
        clear: () => {},
      };
      const session = new MmulabSession(new InThreadRunner(), TMP);
      expect(await session.execute('%variant 3', out)).toMatchObject({ status: 'ok' });
      const outcome = await session.execute(LAB('kernel'), out);
      expect(outcome, JSON.stringify(outcome)).toMatchObject({ status: 'ok' });
      expect(plain(bundles)).toMatch(PREDICTED);
      expect(streams.join('')).toMatch(
        /^variant 3: vm tiny rate (10|20)k\/s \(one of 10k\/s, 20k\/s\)$/m,
      );
      expect(streams.join('')).toContain('wrote 1 SVG file(s) to kernel/fig.svg');
      const svg = readFileSync(join(TMP, 'kernel', 'fig.svg'), 'utf8');
      expect(svg).toMatch(/^<svg[^>]*><!--\nmmulab_version: [^\n]+\nsource: notebook\n/);
      expect(svg).toMatch(/\nvariant: 3\n/);
    },
    BROWSER_MS * 2,
  );

  it(
    "in tslab's mmu() with { variant: 3 }",
    async () => {
      const sent: MimeBundle[] = [];
      const file = join(TMP, 'lab.mmu');
      writeFileSync(file, '');
      await mmu(LAB('tslab'), { sink: (b) => sent.push(b), file, variant: 3, cache: false });
      expect(plain(sent)).toMatch(PREDICTED);
      const svg = readFileSync(join(TMP, 'tslab', 'fig.svg'), 'utf8');
      expect(svg).toMatch(/^<svg[^>]*><!--\nmmulab_version: [^\n]+\nsource: lab\.mmu\n/);
      expect(svg).toMatch(/\nvariant: 3\n/);
    },
    BROWSER_MS * 2,
  );
});

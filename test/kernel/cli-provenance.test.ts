import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMmulab } from '../helpers/cli.ts';
import type { CliOutcome } from '../helpers/cli.ts';

const TMP = mkdtempSync(join(tmpdir(), 'mmulab-provenance-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

writeFileSync(
  join(TMP, 'common.mmu'),
  `vm tiny {
  vcpus 2
  slot ram0 at 0 size 64MiB backing thp
  workload hotset { rate 20k/s per vcpu, set 8MiB, hot 90% }
}
`,
);
const PAPER = `use "common.mmu"
tracking ring { dirty_log ring 4096 }
migration m { bandwidth 1Gbit/s, downtime 300ms }
sweep tiny with ring, m seeds 1..2 warmup 200ms max_time 3s
`;
writeFileSync(join(TMP, 'paper.mmu'), PAPER);

const mmulab = (...args: string[]): Promise<CliOutcome> => runMmulab(TMP, ...args);

/** The `# key: value` header of a CSV export. */
function header(path: string): Record<string, string> {
  const entries = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('# '))
    .map((l) => l.slice(2).split(': ') as [string, string]);
  return Object.fromEntries(entries);
}

/** FNV-1a 64 as a reader would write it from the documentation, to recompute a hash. */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

const published = mmulab('run', 'paper.mmu', '--csv', 'published');

describe('provenance you can cite and check', () => {
  it('mmulab plan --json prints each plan exactly as hashed, with the hash its exports carry', async () => {
    const r = await mmulab('plan', 'paper.mmu', '--json');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect((await published).code).toBe(0);
    for (const line of lines) {
      const { plan_index, label, plan_hash } = JSON.parse(line) as Record<string, string>;
      // The plan's JSON is the text between `"plan":` and the closing brace.
      const planText = line.slice(line.indexOf('"plan":') + 7, -1);
      expect(fnv1a64(planText)).toBe(plan_hash);
      const csv = join(
        TMP,
        'published',
        `${label.replaceAll('/', '_').replace('seed=', 'seed-')}.summary.csv`,
      );
      expect(header(csv).plan_hash, `plan ${plan_index}`).toBe(plan_hash);
    }
    const text = await mmulab('plan', 'paper.mmu');
    expect(text.stdout).toMatch(/^0\t[0-9a-f]{16}\ttiny\/ring\/m\/seed=1\n1\t/);
  });

  it('records the sources hash (used files too), the checkout and Node in every CSV', async () => {
    expect((await published).code).toBe(0);
    const files = readdirSync(join(TMP, 'published'));
    expect(files.length).toBe(12);
    const h = header(join(TMP, 'published', files[0]));
    expect(h).toMatchObject({
      source: 'paper.mmu',
      source_files: 'paper.mmu, common.mmu',
      source_hash: expect.stringMatching(/^[0-9a-f]{16}$/),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    });
    // This checkout is a git repository (a clean clone in CI).
    expect(h.mmulab_commit).toMatch(/^[0-9a-f]{40}$/);
    expect(h.mmulab_dirty).toMatch(/^(yes|no)$/);

    // Editing a used file changes the hash even where the plans do not change.
    const dir = mkdtempSync(join(TMP, 'edited-'));
    writeFileSync(
      join(dir, 'common.mmu'),
      `# a comment\n${readFileSync(join(TMP, 'common.mmu'), 'utf8')}`,
    );
    writeFileSync(join(dir, 'paper.mmu'), PAPER);
    const edited = await runMmulab(dir, 'run', 'paper.mmu', '--csv', 'out');
    const e = header(join(dir, 'out', files[0]));
    expect(e.plan_hash).toBe(h.plan_hash);
    expect(e.source_hash).not.toBe(h.source_hash);
    expect(edited.code).toBe(0);
  });

  it('run --verify passes on a fresh export and names the value that was edited', async () => {
    expect((await published).code).toBe(0);
    const ok = await mmulab('run', 'paper.mmu', '--verify', 'published');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stderr).toContain('all 12 file(s) of published re-made identically');

    const file = join(TMP, 'published', 'tiny_ring_m_seed-2.summary.csv');
    const lines = readFileSync(file, 'utf8').split('\n');
    // After the `# key: value` lines: the column names, then the one row of a summary.
    const first = lines.findIndex((l) => !l.startsWith('#'));
    const at = lines[first].split(',').indexOf('pages_sent');
    const cells = lines[first + 1].split(',');
    cells[at] = String(Number(cells[at]) + 1);
    lines[first + 1] = cells.join(',');
    writeFileSync(file, lines.join('\n'));
    const bad = await mmulab('run', 'paper.mmu', '--verify', 'published');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      /^tiny_ring_m_seed-2\.summary\.csv: row 1, pages_sent: \d+ published, \d+ now$/m,
    );
    expect(bad.stderr).toContain('1 difference(s) from published');
  });

  it('run --verify on a directory without CSV files exits 2 and says what it needs', async () => {
    const r = await mmulab('run', 'paper.mmu', '--verify', '.');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--verify found no .csv file in '.'");
  });
});

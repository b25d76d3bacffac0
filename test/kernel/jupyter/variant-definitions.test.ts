import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../../dsl/compile.ts';
import type { MimeBundle } from '../../../kernel/display/mime.ts';
import { InThreadRunner } from '../../../kernel/experiment/in-thread.ts';
import { MmulabSession } from '../../../kernel/jupyter/session.ts';
import type { CellOutput } from '../../../kernel/jupyter/session.ts';

/**
 * `%variant N` after definitions ran: the session compiles their cells' definitions
 * again for N, so the definitions with `vary` bounds and those that extend them take
 * N's values without the student rerunning them, and says exactly which changed.
 */

const DIR = mkdtempSync(join(tmpdir(), 'mmulab-variant-definitions-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const TINY = `vm tiny {
  vcpus 2
  slot ram0 at 0 size 64MiB backing thp
  workload hotset { rate vary 10k/s..40k/s step 10k/s per vcpu, set 8MiB, hot 90% }
}
tracking ring { dirty_log ring 4096 }
migration link { bandwidth 2Gbit/s, downtime 300ms }`;
const BIG = 'vm big extends tiny { vcpus 4 }';
const PLAIN = `vm plain {
  vcpus 1
  slot ram0 at 0 size 64MiB
  workload hotset { rate 5k/s, set 8MiB, hot 90% }
}`;

/** The rate variant `n` picks for tiny, as written (`30k/s`). */
const rateOf = (n: number): string => compile(TINY, { variant: n }).program.variant!.picks[0]!.text;

/** Two variants that pick different rates, and a third that picks the first's. */
function variants(): { a: number; b: number; sameAsB: number } {
  const a = 1;
  const b = [...Array(50).keys()].find((n) => rateOf(n) !== rateOf(a))!;
  const sameAsB = [...Array(50).keys()].find((n) => n !== b && rateOf(n) === rateOf(b))!;
  return { a, b, sameAsB };
}

class Cells {
  readonly text: string[] = [];
  readonly bundles: MimeBundle[] = [];
  readonly session = new MmulabSession(new InThreadRunner(), DIR);
  private readonly out: CellOutput = {
    stream: (_, t) => void this.text.push(t),
    display: (b) => void this.bundles.push(b),
    updateDisplay: () => undefined,
    clear: () => undefined,
  };

  /** Run a cell that must succeed; what it printed. */
  async ok(code: string): Promise<string> {
    const before = this.text.length;
    const outcome = await this.session.execute(code, this.out);
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ status: 'ok' });
    return this.text.slice(before).join('');
  }
}

describe('%variant N after definitions ran', () => {
  it('compiles them again: vary fields and what extends them take its values, and it names them', async () => {
    const { a, b, sameAsB } = variants();
    const cells = new Cells();
    await cells.ok(`%variant ${a}`);
    await cells.ok(TINY);
    await cells.ok(BIG);
    await cells.ok(PLAIN);
    const said = await cells.ok(`%variant ${b}`);
    expect(said).toBe(
      [
        `variant ${b}: the cells run from here on take its values of \`vary\` bounds`,
        `variant ${b}: vm tiny rate ${rateOf(b)} (one of 10k/s, 20k/s, 30k/s, 40k/s)`,
        // plain has no vary bounds and extends nothing that has.
        `re-evaluated for variant ${b}: vm tiny (cell 1), vm big (cell 2); results shown before are variant ${a}'s: rerun the cells with runs for this variant's`,
        '',
      ].join('\n'),
    );
    // A run of the definition that extends tiny, without rerunning either cell.
    await cells.ok(
      'run big with ring, link seed 1 warmup 100ms max_time 2s\ntable summary with rate',
    );
    const table = String(cells.bundles.at(-1)?.data['text/plain']);
    expect(table).toMatch(new RegExp(`\\s${parseFloat(rateOf(b))}\\s*$`, 'm'));
    // Another variant that picks the same value changes nothing, and says so.
    expect(await cells.ok(`%variant ${sameAsB}`)).toContain(
      `re-evaluated for variant ${sameAsB}: no definition changed (its values are those of variant ${b})`,
    );
  }, 120_000);

  it('leaves a name defined again without vary as it is, but not what extended the earlier one', async () => {
    const { a, b } = variants();
    const cells = new Cells();
    await cells.ok(`%variant ${a}`);
    await cells.ok(TINY);
    await cells.ok(BIG);
    await cells.ok(TINY.split('\ntracking')[0]!.replace(/rate vary [^,]+ per vcpu/, 'rate 5k/s'));
    const said = await cells.ok(`%variant ${b}`);
    expect(said).toContain(`re-evaluated for variant ${b}: vm big (cell 2);`);
    expect(said).not.toContain('vm tiny (cell');
  });

  it('says nothing more in a session without vary bounds', async () => {
    const cells = new Cells();
    await cells.ok(TINY.replace(/rate vary [^,]+ per vcpu/, 'rate 5k/s'));
    expect(await cells.ok('%variant 4')).toBe(
      'variant 4: the cells run from here on take its values of `vary` bounds\n',
    );
  });

  it('is an error naming the cell when one no longer compiles, and keeps the variant', async () => {
    const file = join(DIR, 'lab.mmu');
    writeFileSync(file, TINY);
    const cells = new Cells();
    await cells.ok('%variant 1');
    await cells.ok('use "lab.mmu"');
    await cells.ok(BIG);
    // Its passing twin: the file as it was.
    expect(await cells.ok('%variant 2')).toMatch(/^variant 2: vm tiny rate /m);
    writeFileSync(file, TINY.replace('backing thp', 'backing thq'));
    const outcome = await cells.session.execute('%variant 3', {
      stream: () => undefined,
      display: () => undefined,
      updateDisplay: () => undefined,
      clear: () => undefined,
    });
    expect(outcome).toMatchObject({
      status: 'error',
      error: {
        ename: 'MmulabError',
        evalue: expect.stringMatching(
          /^%variant 3: cell 1 no longer compiles \(lab\.mmu:line 3:.*\); still variant 2\.$/,
        ) as unknown,
      },
    });
    expect(await cells.ok('%variant')).toBe('variant 2\n');
  });
});

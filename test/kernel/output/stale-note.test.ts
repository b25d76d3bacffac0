import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from '@uwdata/flechette';
import { afterAll, describe, expect, it } from 'vitest';
import { capturedIo } from '../../helpers/cli.ts';
import { compile } from '../../../dsl/compile.ts';
import { runCommand } from '../../../kernel/cli/run-command.ts';
import { NotebookDisplay } from '../../../kernel/display/notebook-display.ts';
import { runProgram } from '../../../kernel/experiment/experiments.ts';
import { mergeArrowTables, readArrowTable, writeArrowTable } from '../../../kernel/output/arrow.ts';
import { renderReport } from '../../../kernel/output/report.ts';
import { shownOutputs } from '../../../kernel/output/shown.ts';

/**
 * The `stale` table lists at most 1,000 pages per run while the summary counts them
 * all: every front end says so under the table, and says nothing when it is complete.
 */

/** An arm64 VM whose ITS writes `tables` of memory KVM's ring alone cannot log. */
const program = (tables: string): string => `vm arm {
  arch arm64
  vcpus 1
  slot ram0 at 1GiB size 64MiB
  workload hotset { rate 1k/s, set 8MiB, hot 90% }
  device its { tables ${tables} }
}
tracking ring { dirty_log ring 4096 }
migration qemu { bandwidth 10Gbit/s, downtime 300ms }
run arm with ring, qemu seed 1 max_time 5s
table summary with stale_pages
table stale
`;

const DIR = mkdtempSync(join(tmpdir(), 'mmulab-stale-note-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/**
 * `mmulab run FILE --csv DIR --arrow DIR` on the program: what it printed, the stale
 * CSV's text, and the schema metadata of the stale Arrow file as any Arrow reader
 * (flechette here) sees it.
 */
async function cli(
  tables: string,
): Promise<{ out: string; csv: string; arrow: ReadonlyMap<string, string> }> {
  const dir = join(DIR, tables);
  writeFileSync(join(DIR, `${tables}.mmu`), program(tables));
  const { io, out } = capturedIo(DIR);
  const arrowDir = join(DIR, `${tables}-arrow`);
  await runCommand(
    { file: `${tables}.mmu`, jobs: 1, dryRun: false, csv: dir, arrow: arrowDir },
    io,
  );
  const file = readdirSync(dir).find((f) => f.endsWith('.stale.csv'));
  const arrow = tableFromIPC(readFileSync(join(arrowDir, 'stale.arrow')));
  return {
    out: out(),
    csv: readFileSync(join(dir, String(file)), 'utf8'),
    arrow: arrow.schema.metadata ?? new Map(),
  };
}

async function shown(tables: string) {
  const text = program(tables);
  const { program: compiled } = compile(text);
  const { experiments } = await runProgram(compiled, text);
  return { compiled, experiments };
}

describe('a cut stale table', () => {
  it('says how many pages it lists of how many the summary counts, in every front end', async () => {
    const { compiled, experiments } = await shown('8MiB');
    const e = experiments[0]!;
    const stale = shownOutputs(e, compiled.outputs).find(
      (o) => o.kind === 'table' && o.view === 'stale',
    );
    expect(stale?.kind === 'table' && stale.table.numRows()).toBe(1000);
    const found = e.runs[0]!.result.summary.get('stale_pages', 0) as number;
    expect(found).toBeGreaterThan(1000);
    const note = `listing 1,000 of ${found.toLocaleString('en-US')} stale pages`;
    expect(stale?.kind === 'table' && stale.note).toContain(note);

    const html = renderReport({ title: 'x.mmu', experiments, outputs: compiled.outputs });
    expect(html).toContain(note);
    const { bundles } = new NotebookDisplay().render(compiled.outputs, experiments);
    const staleBundle = bundles.find((b) => String(b.data['text/plain']).includes('— stale'));
    expect(String(staleBundle?.data['text/plain'])).toContain(note);
    expect(String(staleBundle?.data['text/html'])).toContain(note);

    // The terminal under the table, and the exported file in its header.
    const { out, csv, arrow } = await cli('8MiB');
    expect(out).toContain(note);
    expect(csv).toContain(`# listed: ${note}`);
    expect(arrow.get('mmulab.listed')).toMatch(new RegExp(`^arm/ring/qemu/seed=1: ${note}: `));
    const [plan] = JSON.parse(arrow.get('mmulab.provenance') ?? '[]') as { listed?: string }[];
    expect(plan?.listed).toContain(note);
    // `mmulab merge` of the file keeps the note.
    const merged = mergeArrowTables([readArrowTable(join(DIR, '8MiB-arrow', 'stale.arrow'))]);
    const again = tableFromIPC(readFileSync(writeArrowTable(join(DIR, 'merged'), merged)));
    expect(again.schema.metadata?.get('mmulab.listed')).toBe(arrow.get('mmulab.listed'));
    // A header line and the thousand listed pages.
    expect(csv.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toHaveLength(1001);
  }, 60_000);

  it('says nothing when every stale page is listed', async () => {
    const { compiled, experiments } = await shown('256KiB');
    const e = experiments[0]!;
    expect(e.runs[0]!.result.summary.get('stale_pages', 0)).toBeGreaterThan(0);
    const stale = shownOutputs(e, compiled.outputs).find(
      (o) => o.kind === 'table' && o.view === 'stale',
    );
    expect(stale).toMatchObject({ kind: 'table', view: 'stale' });
    expect(stale && 'note' in stale).toBe(false);
    const { out, csv, arrow } = await cli('256KiB');
    expect(out).not.toContain('stale pages:');
    expect(csv).not.toContain('# listed');
    expect(arrow.has('mmulab.listed')).toBe(false);
    expect(arrow.get('mmulab.provenance')).not.toContain('listed');
  }, 60_000);
});

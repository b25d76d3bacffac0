import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import type { Scope } from '../../dsl/compile.ts';
import { nodeFileLoader } from '../../dsl/node-loader.ts';
import {
  NBCONVERT,
  ROOT,
  executeNotebook,
  notebookPath,
  prepareKernelspecs,
} from '../../scripts/notebooks.ts';
import type { Notebook } from '../../scripts/notebooks.ts';

/**
 * The labs reworked into assignments (issue 18): one command writes the key and the
 * student version; the student version runs with its stubs, and only test cells fail,
 * each with an ExpectFailed that quotes the failed condition; the key passes through
 * nbconvert run as an autograder runs it, stopping at the first error.
 */

/** Each lab with the test cells its stubs fail (the stub is a wrong answer). */
const LABS = {
  'ring-with-bitmap': {
    failing: {
      'ring-with-bitmap-13':
        'expect all summary where tracking = ring_bitmap: lost_dirty = 0 and stale_pages = 0 (6 of 6 rows fail)',
      'ring-with-bitmap-19': 'expect all stale: tracking = ring',
      'ring-with-bitmap-23':
        'expect all summary where tracking = ring_bitmap: lost_dirty = 0 and stale_pages = 0 (1 of 1 row fail)',
    },
  },
  'free-page-reporting': {
    failing: {
      'free-page-reporting-25':
        'expect summary where vm = virtio_o9_hinting: zero_pages > 0 and pages_skipped_by_hinting > 0 (3 of 3 rows fail)',
      'free-page-reporting-30':
        'expect summary where vm = s390_cmma: rss_bytes < 1.05 * held_bytes (3 of 3 rows fail)',
    },
  },
} as const;
type Lab = keyof typeof LABS;
const NAMES = Object.keys(LABS) as Lab[];

const TMP = mkdtempSync(join(tmpdir(), 'mmulab-labs-assign-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const read = (path: string): Notebook => JSON.parse(readFileSync(path, 'utf8')) as Notebook;
const text = (cell: Notebook['cells'][number]): string => cell.source.join('');
const tagged = (nb: Notebook, role: string): Notebook['cells'] =>
  nb.cells.filter((c) => 'tags' in c.metadata && c.metadata.tags.includes(role));

/** Run `scripts/notebooks.ts assign NAME --out DIR`, the teacher's one command. */
function assign(name: Lab): { key: string; student: string } {
  const out = join(TMP, name);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts/notebooks.ts'), 'assign', name, '--out', out],
    { cwd: ROOT, encoding: 'utf8' },
  );
  expect(r.status, r.stderr).toBe(0);
  const paths = {
    key: join(out, 'key', `${name}.ipynb`),
    student: join(out, 'student', `${name}.ipynb`),
  };
  expect(r.stdout).toBe(`key: ${paths.key}\nstudent: ${paths.student}\n`);
  return paths;
}

const paths = {} as Record<Lab, { key: string; student: string }>;
beforeAll(() => {
  for (const name of NAMES) paths[name] = assign(name);
}, 120_000);

describe.each(NAMES)('the %s lab as an assignment', (name) => {
  it('has exercises, answers, predictions and tests; its key is the committed notebook', () => {
    expect(readFileSync(paths[name].key, 'utf8')).toBe(readFileSync(notebookPath(name), 'utf8'));
    const key = read(paths[name].key);
    for (const role of ['exercise', 'solution', 'predict', 'test'])
      expect(tagged(key, role).length, role).toBeGreaterThan(0);
    // A prediction is stated in the cell of the run it is about, before it.
    for (const cell of tagged(key, 'predict'))
      expect(text(cell)).toMatch(/^predict [\s\S]*^(run|sweep) /m);
  });

  it('gives the student stubs, commented predictions and no hidden test', () => {
    const key = read(paths[name].key);
    const student = read(paths[name].student);
    expect(student.cells.map((c) => c.id)).toEqual(key.cells.map((c) => c.id));
    const all = student.cells.map(text).join('\n');
    expect(all).not.toMatch(/BEGIN (SOLUTION|HIDDEN TESTS)|^# STUB|^predict /m);
    expect(tagged(key, 'test').map(text).join('\n')).toContain('BEGIN HIDDEN TESTS');
    for (const cell of tagged(student, 'predict'))
      expect(text(cell)).toMatch(/^# YOUR ANSWER HERE\n(# predict \w+ for \w+ \? \w+\n)+/m);
  });

  it('has student cells that compile without an error, as the kernel reads them', () => {
    let scope: Scope | undefined;
    for (const cell of read(paths[name].student).cells) {
      if (cell.cell_type !== 'code') continue;
      const source = text(cell).replace(/^%/gm, '# %');
      const r = compile(source, { file: `${name}.mmu`, load: nodeFileLoader, scope });
      expect(
        r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
        cell.id,
      ).toEqual([]);
      scope = r.scope;
    }
  });
});

interface ExecutedCell {
  id: string;
  metadata: { tags?: string[] };
  outputs?: { output_type: string; ename?: string; evalue?: string; traceback?: string[] }[];
}

describe.skipIf(!existsSync(NBCONVERT))('the assignments through nbconvert', () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    env = { ...prepareKernelspecs(join(TMP, 'jupyter')), MMULAB_CACHE: 'off' };
  }, 120_000);

  it.each(NAMES)(
    'passes the key of %s, hidden tests included, with errors failing the run',
    (name) => {
      const r = executeNotebook(name, env, {
        input: paths[name].key,
        outDir: join(TMP, 'run-key', name),
        timeoutS: 300,
        allowErrors: false,
      });
      expect(r.ok, r.stderr).toBe(true);
    },
    600_000,
  );

  it.each(NAMES)(
    "runs the student's stubs of %s and fails only test cells, each quoting its condition",
    (name) => {
      const r = executeNotebook(name, env, {
        input: paths[name].student,
        outDir: join(TMP, 'run-student', name),
        timeoutS: 300,
      });
      expect(r.ok, r.stderr).toBe(true);
      const cells = (JSON.parse(readFileSync(r.executedPath, 'utf8')) as { cells: ExecutedCell[] })
        .cells;
      const failed = Object.fromEntries(
        cells.flatMap((c) =>
          (c.outputs ?? [])
            .filter((o) => o.output_type === 'error')
            .map((o) => [c.id, `${o.ename}: ${o.evalue}`]),
        ),
      );
      const expected = LABS[name].failing;
      expect(Object.keys(failed)).toEqual(Object.keys(expected));
      for (const [id, condition] of Object.entries(expected)) {
        expect(cells.find((c) => c.id === id)?.metadata.tags).toEqual(['test']);
        expect(failed[id]).toMatch(/^ExpectFailed: 1 expect statement failed: /);
        expect(failed[id]).toContain(condition);
      }
    },
    600_000,
  );
});

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NBCONVERT,
  executeNotebook,
  parseSource,
  prepareKernelspecs,
  toNotebook,
  writeAssignment,
} from '../../scripts/notebooks.ts';
import type { Notebook } from '../../scripts/notebooks.ts';

/**
 * A lab as an assignment: cell roles in the source become nbgrader's metadata, the key
 * version keeps everything, the student version has stubs for the answers and no hidden
 * tests; through nbconvert the key passes and the stub's wrong answer fails the test
 * cell with a message that names the column.
 */

const LAB = `# Which tracking mode is lightest?

<!-- cell: exercise -->
Define a tracking mode \`mine\` that needs less than 160 KB of tracking memory for this VM.

\`\`\`mmu
vm tiny { vcpus 1, slot ram at 0 size 64MiB, workload uniform { rate 20k/s } }
migration fast { bandwidth 1Gbit/s, downtime 300ms }
\`\`\`

\`\`\`mmu role=solution
# BEGIN SOLUTION
tracking mine { dirty_log manual }
# STUB tracking mine { dirty_log ring 4096 }
# END SOLUTION
\`\`\`

\`\`\`mmu
run tiny with mine, fast seed 1 max_time 2s
table summary with tracking_memory_bytes
\`\`\`

<!-- cell: solution points=2 -->
Why is it lighter?
<!-- BEGIN SOLUTION -->
A ring adds its entries to the bitmap KVM keeps anyway.
<!-- END SOLUTION -->

<!-- cell -->
Now the tests.

\`\`\`mmu role=test points=3
expect summary: tracking_memory_bytes < 160000
# BEGIN HIDDEN TESTS
expect summary: status = completed
# END HIDDEN TESTS
\`\`\`
`;

const source = parseSource('lightest', LAB);
const TMP = mkdtempSync(join(tmpdir(), 'mmulab-assign-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const text = (nb: Notebook, i: number): string => nb.cells[i]!.source.join('');

describe('cell roles', () => {
  it('become nbgrader metadata and a tag; cells without one keep empty metadata', () => {
    const key = toNotebook(source);
    expect(key.cells.map((c) => c.cell_type)).toEqual([
      'markdown',
      'markdown',
      'code',
      'code',
      'code',
      'markdown',
      'markdown',
      'code',
    ]);
    expect(key.cells[0]!.metadata).toEqual({});
    expect(key.cells[1]!.metadata).toEqual({
      nbgrader: {
        grade: false,
        solution: false,
        locked: true,
        grade_id: 'lightest-01',
        schema_version: 3,
      },
      tags: ['exercise'],
    });
    expect(key.cells[3]!.metadata).toMatchObject({
      nbgrader: { grade: false, solution: true, locked: false },
      tags: ['solution'],
    });
    expect(key.cells[5]!.metadata).toMatchObject({
      nbgrader: { grade: true, solution: true, locked: false, points: 2 },
    });
    expect(key.cells[7]!.metadata).toMatchObject({
      nbgrader: { grade: true, solution: false, locked: true, points: 3 },
      tags: ['test'],
    });
  });

  it('give the student stubs for answers and no hidden tests; the key keeps everything', () => {
    const key = toNotebook(source, 'key');
    const student = toNotebook(source, 'student');
    expect(text(key, 3)).toContain('tracking mine { dirty_log manual }');
    expect(text(student, 3)).toBe('# YOUR ANSWER HERE\ntracking mine { dirty_log ring 4096 }');
    expect(text(student, 5)).toBe('Why is it lighter?\nYOUR ANSWER HERE');
    expect(text(key, 7)).toContain('status = completed');
    expect(text(student, 7)).toBe('expect summary: tracking_memory_bytes < 160000');
    // Cells without a role are the same in both.
    expect(text(student, 4)).toBe(text(key, 4));
  });

  it("with a variant, give the student's notebook a %variant cell before any definition", () => {
    const paths = writeAssignment(source, join(TMP, 'variant'), 12);
    const student = JSON.parse(readFileSync(paths.student, 'utf8')) as Notebook;
    const key = JSON.parse(readFileSync(paths.key, 'utf8')) as Notebook;
    expect(student.cells[1]).toMatchObject({ id: 'lightest-variant', source: ['%variant 12'] });
    expect(student.cells.filter((c) => c.id !== 'lightest-variant').map((c) => c.id)).toEqual(
      key.cells.map((c) => c.id),
    );
    expect(key.cells.some((c) => c.source.join('').includes('%variant'))).toBe(false);
    const tslab = parseSource('ts', '<!-- kernel: tslab -->\n# t\n```ts role=solution\n```\n');
    expect(() => writeAssignment(tslab, join(TMP, 'ts'), 1)).toThrow(
      'ts is a tslab notebook: pass { variant: N } to mmu() instead',
    );
  });

  it('reject what a teacher could mistype, naming the line', () => {
    expect(() => parseSource('x', '```mmu role=answer\n```\n')).toThrow(
      "x: line 1: unknown cell role 'answer' (use exercise, solution, predict, test)",
    );
    expect(() => parseSource('x', '```mmu role=exercise points=2\n```\n')).toThrow(
      'x: line 1: only test and solution cells are graded; remove points=',
    );
    expect(() => parseSource('x', '```mmu role=test points=lots\n```\n')).toThrow(
      "points must be a number ≥ 0, got 'lots'",
    );
    const unclosed = parseSource('x', '```mmu role=solution\n# BEGIN SOLUTION\nvm a {}\n```\n');
    expect(() => toNotebook(unclosed, 'student')).toThrow('a BEGIN marker is never ENDed');
    expect(() => writeAssignment(parseSource('plain', '# t\n```mmu\n```\n'), TMP)).toThrow(
      'plain has no cell roles',
    );
  });
});

describe.skipIf(!existsSync(NBCONVERT))('an assignment through nbconvert', () => {
  let env: NodeJS.ProcessEnv;
  let paths: { key: string; student: string };
  beforeAll(() => {
    env = { ...prepareKernelspecs(join(TMP, 'jupyter')), MMULAB_CACHE: 'off' };
    paths = writeAssignment(source, join(TMP, 'lightest'));
  }, 120_000);

  /** The error outputs of the executed notebook, by cell id. */
  function errors(path: string, outDir: string): Record<string, string> {
    const r = executeNotebook('lightest', env, { input: path, outDir, timeoutS: 300 });
    expect(r.ok, r.stderr).toBe(true);
    const nb = JSON.parse(readFileSync(r.executedPath, 'utf8')) as {
      cells: { id: string; outputs?: { output_type: string; ename?: string; evalue?: string }[] }[];
    };
    return Object.fromEntries(
      nb.cells.flatMap((c) =>
        (c.outputs ?? [])
          .filter((o) => o.output_type === 'error')
          .map((o) => [c.id, `${o.ename}: ${o.evalue}`]),
      ),
    );
  }

  it('passes the key, hidden tests included', () => {
    expect(errors(paths.key, join(TMP, 'run-key'))).toEqual({});
  }, 400_000);

  it("runs the student's stubs and fails only the test cell, naming the column", () => {
    const failed = errors(paths.student, join(TMP, 'run-student'));
    expect(Object.keys(failed)).toEqual(['lightest-07']);
    expect(failed['lightest-07']).toMatch(/^ExpectFailed: .*tracking_memory_bytes < 160000/);
  }, 400_000);
});

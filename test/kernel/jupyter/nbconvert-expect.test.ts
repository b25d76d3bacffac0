import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasPythonModule,
  installKernelForTest,
  pythonTestsMustRun,
  SYSTEM_PYTHON,
} from '../../helpers/jupyter-python.ts';

/**
 * A notebook whose `expect` fails stops `jupyter nbconvert --execute` (what CI and
 * graders run): the kernel's error reply names ExpectFailed, nbconvert exits non-zero.
 * Its twin, whose expect holds, converts. Skipped only without nbconvert and outside CI.
 */

const run = promisify(execFile);

/** A migration small enough to run in a moment, and an expect about it. */
const cell = (
  condition: string,
): string => `vm tiny { vcpus 1, slot ram at 0 size 64MiB, workload uniform { rate 1k/s } }
tracking bm { dirty_log manual }
migration fast { bandwidth 10Gbit/s, downtime 300ms }
run tiny with bm, fast seed 1
expect summary: ${condition}`;

function notebook(source: string): string {
  return JSON.stringify({
    cells: [
      { cell_type: 'code', execution_count: null, id: 'c1', metadata: {}, outputs: [], source },
    ],
    metadata: { kernelspec: { name: 'mmulab', display_name: 'mmulab', language: 'mmulab' } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

interface Converted {
  code: number;
  stderr: string;
}

const available = hasPythonModule('nbconvert') && hasPythonModule('nbclient');

describe.skipIf(!available && !pythonTestsMustRun())('nbconvert --execute and expect', () => {
  let dir: string;
  let jupyterPath: string;

  /** `jupyter nbconvert --execute --to notebook` of a notebook holding `source`. */
  async function convert(name: string, source: string): Promise<Converted> {
    const input = join(dir, `${name}.ipynb`);
    writeFileSync(input, notebook(source));
    try {
      const r = await run(
        SYSTEM_PYTHON,
        [
          '-m',
          'nbconvert',
          '--to',
          'notebook',
          '--execute',
          '--ExecutePreprocessor.timeout=120',
          '--output-dir',
          join(dir, 'out'),
          input,
        ],
        { cwd: dir, env: { ...process.env, JUPYTER_PATH: jupyterPath }, maxBuffer: 64 * 2 ** 20 },
      );
      return { code: 0, stderr: r.stderr };
    } catch (e) {
      const err = e as { code?: number; stderr?: string };
      if (typeof err.code !== 'number') throw e;
      return { code: err.code, stderr: err.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    if (!available)
      throw new Error(
        `CI is set but ${SYSTEM_PYTHON} cannot import nbconvert and nbclient; install Debian's jupyter-nbconvert and python3-nbclient (.ci/run does).`,
      );
    dir = mkdtempSync(join(tmpdir(), 'mmulab-nbconvert-expect-'));
    jupyterPath = await installKernelForTest(dir);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fails on a notebook whose expect fails, naming ExpectFailed', async () => {
    const r = await convert('fails', cell('pages_sent < 0'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ExpectFailed');
    expect(r.stderr).toContain('expect summary: pages_sent < 0');
  }, 300_000);

  it('converts its twin, whose expect holds', async () => {
    const r = await convert('passes', cell('pages_sent > 0'));
    expect(r.stderr).not.toContain('ExpectFailed');
    expect(r.code).toBe(0);
  }, 300_000);
});

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EMPTY_SCOPE } from '../../../dsl/compile.ts';
import { compileCell, CompileStopped } from '../../../kernel/jupyter/cell-compile.ts';
import { ThreadCompiler } from '../../../kernel/jupyter/thread-compiler.ts';

/**
 * The kernel's compile thread: what it hands back equals what the main thread would
 * compute (the result crosses by structured clone), and an interrupt or a runaway
 * compile ends in an error while the next cell compiles on a fresh thread.
 */

const WORKER = new URL('../../../kernel/jupyter/compile-worker.mjs', import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Each line an error: `vm a` has no slot. ~600 KB compiles for seconds. */
const SLOW_CELL = 'vm a { vcpus 4 }\n'.repeat(36_000);

const compilers: ThreadCompiler[] = [];
function compiler(heapLimitMb?: number): ThreadCompiler {
  const c = new ThreadCompiler(WORKER, heapLimitMb);
  compilers.push(c);
  return c;
}

afterAll(async () => {
  await Promise.all(compilers.map((c) => c.close()));
});

describe('ThreadCompiler', () => {
  it('compiles the example programs to what compileCell gives in this thread', async () => {
    const c = compiler();
    const dir = join(ROOT, 'examples');
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.mmu'))) {
      const request = { text: readFileSync(join(dir, name), 'utf8'), scope: EMPTY_SCOPE, cwd: dir };
      const here = compileCell(request);
      expect(here.status, name).toBe('ok');
      expect(await c.compile(request), name).toEqual(here);
    }
  }, 60_000);

  it('hands back errors rendered as in this thread', async () => {
    const request = { text: 'vm a {\n  vcpus 4\n}\nrun b', scope: EMPTY_SCOPE, cwd: ROOT };
    const cell = await compiler().compile(request);
    expect(cell).toEqual(compileCell(request));
    expect(cell).toMatchObject({ status: 'error', evalue: /^line 1:4: / });
  }, 60_000);

  it('stops a compile in progress on abort, then compiles the next cell', async () => {
    const c = compiler();
    const controller = new AbortController();
    const slow = c.compile({ text: SLOW_CELL, scope: EMPTY_SCOPE, cwd: ROOT }, controller.signal);
    setTimeout(() => controller.abort(), 100);
    await expect(slow).rejects.toMatchObject({ name: 'CompileStopped', interrupted: true });
    const next = await c.compile({ text: 'vm b { vcpus 2 }', scope: EMPTY_SCOPE, cwd: ROOT });
    expect(next.status).toBe('error');
  }, 60_000);

  it('ends a compile that outgrows its heap with an error naming memory, and keeps compiling', async () => {
    const c = compiler(64);
    const big = c.compile({ text: SLOW_CELL.repeat(4), scope: EMPTY_SCOPE, cwd: ROOT });
    await expect(big).rejects.toBeInstanceOf(CompileStopped);
    await expect(big).rejects.toMatchObject({ interrupted: false, message: /memory/ });
    const next = await c.compile({ text: '# fine', scope: EMPTY_SCOPE, cwd: ROOT });
    expect(next).toEqual({
      status: 'ok',
      scope: EMPTY_SCOPE,
      program: expect.anything(),
      used: [],
      warnings: [],
    });
  }, 120_000);
});

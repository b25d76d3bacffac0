import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CachingRunner } from '../../../kernel/experiment/caching-runner.ts';
import { kernelCacheDir, kernelRunner } from '../../../kernel/jupyter/kernel-runner.ts';
import { MmulabSession } from '../../../kernel/jupyter/session.ts';
import type { CellOutput } from '../../../kernel/jupyter/session.ts';
import type { MimeBundle } from '../../../kernel/display/mime.ts';

const TMP = mkdtempSync(join(tmpdir(), 'mmulab-kernel-cache-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const urls = {
  thread: new URL('../../../kernel/jupyter/run-worker.mjs', import.meta.url),
  pool: new URL('../../../kernel/jupyter/plan-worker.js', import.meta.url),
};

/** A sweep of three small plans (the pool runs them) and its summary. */
const CELL = `vm tiny { vcpus 1, slot ram at 0 size 64MiB, workload uniform { rate 1k/s } }
tracking bm { dirty_log manual }
migration fast { bandwidth 10Gbit/s, downtime 300ms }
sweep tiny with bm, fast seeds 1..3 max_time 2s
table summary`;

function recorder(): { out: CellOutput; tables: string[] } {
  const tables: string[] = [];
  const out: CellOutput = {
    stream: () => {},
    display: (b: MimeBundle) => {
      const text = String(b.data['text/plain']);
      if (text.includes('summary')) tables.push(text);
    },
    updateDisplay: () => {},
    clear: () => {},
  };
  return { out, tables };
}

describe('the kernel runner', () => {
  it('keeps results in the user cache directory by default; MMULAB_CACHE=off turns it off', () => {
    expect(kernelCacheDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/mmulab');
    expect(kernelCacheDir({ MMULAB_CACHE_DIR: '/d' })).toBe('/d');
    expect(kernelCacheDir({ MMULAB_CACHE: 'off', XDG_CACHE_HOME: '/c' })).toBeUndefined();
  });

  it('runs a sweep on the pool, and a re-executed cell runs nothing and shows the same table', async () => {
    const runner = kernelRunner(urls, { MMULAB_CACHE_DIR: TMP, MMULAB_JOBS: '2' });
    expect(runner).toBeInstanceOf(CachingRunner);
    try {
      const first = recorder();
      const second = recorder();
      const a = await new MmulabSession(runner).execute(CELL, first.out);
      const ranFirst = (runner as CachingRunner).ran;
      const b = await new MmulabSession(runner).execute(CELL, second.out);
      expect(a.status).toBe('ok');
      expect(b.status).toBe('ok');
      expect(ranFirst).toBe(3);
      expect((runner as CachingRunner).ran).toBe(3);
      expect(second.tables).toEqual(first.tables);
      expect(first.tables).toHaveLength(1);
    } finally {
      await runner.close();
    }
  }, 180_000);
});

import { describe, expect, it } from 'vitest';
import type { DirtyLogPerfOptions } from '../../../engine/selftests/dirty-log-perf-test.ts';
import { runDirtyLogPerfTest } from '../../../engine/selftests/dirty-log-perf-test.ts';

// ---- tunables ----
const MiB = 2 ** 20;
/** Memory per vCPU: 32 huge pages of 2 MiB. */
const BYTES = 64 * MiB;
const PAGES = BYTES / 4096;

/** Run with -g (GET clears) and PML off, so every write to a protected page faults. */
function run(options: Partial<DirtyLogPerfOptions>): ReturnType<typeof runDirtyLogPerfTest> {
  return runDirtyLogPerfTest({
    vcpus: 2,
    bytesPerVcpu: BYTES,
    manualProtect: false,
    params: { enablePml: false },
    ...options,
  });
}

describe('dirty_log_perf_test options the published series use', () => {
  it('with a 2 MiB stride, touches one page per huge page: one split per huge page', () => {
    const r = run({
      backing: 'hugetlb_2m',
      strideBytes: 2 * MiB,
      params: { enablePml: false, eagerPageSplit: false },
    });
    // Two vCPUs x 32 huge pages, each split once by the first write after logging starts.
    expect(r.stats.fault_splits).toBe(2 * 32);
    expect(r.stats.pf_taken).toBeLessThan(2 * 32 * 4);
  });

  it('with the default 4 KiB stride, touches every page (the twin)', () => {
    const r = run({ backing: '4k' });
    // Iteration 1 and 2 re-dirty every page of both vCPUs: a fast fault each.
    expect(r.stats.pf_fast).toBe(2 * 2 * PAGES);
  });

  it('writes a fraction of a percent of the pages with -w below 1', () => {
    const r = run({ backing: '4k', writePercent: 0.5, iterations: 2 });
    const writes = r.stats.pf_fast;
    const expected = 2 * 2 * PAGES * 0.005;
    expect(writes).toBeGreaterThan(expected * 0.7);
    expect(writes).toBeLessThan(expected * 1.3);
  });

  it('takes a sparse pass in less time than a dense one', () => {
    const phase = (o: Partial<DirtyLogPerfOptions>): number =>
      run({ backing: '4k', ...o }).phases.find((p) => p.phase === 'Iteration 1 dirty memory time')!
        .seconds;
    expect(phase({ strideBytes: 2 * MiB })).toBeLessThan(phase({}) / 100);
  });

  it.each([
    ['a stride that is not a multiple of 4 KiB', { strideBytes: 6000 }, /multiple of 4096/],
    ['a stride longer than the memory per vCPU', { strideBytes: 2 * BYTES }, /from 4096 to -b/],
    ['a write percentage above 100', { writePercent: 100.5 }, /-w must be a percentage/],
  ])('rejects %s, saying what is allowed', (_what, o, message) => {
    expect(() => run(o)).toThrow(message);
  });
});

describe('dirty_log_perf_test -k: the dirty log cleared in chunks', () => {
  const manual = (o: Partial<DirtyLogPerfOptions>): ReturnType<typeof runDirtyLogPerfTest> =>
    run({ backing: '4k', manualProtect: true, iterations: 3, ...o });
  const clearSeconds = (r: ReturnType<typeof runDirtyLogPerfTest>): number =>
    r.phases
      .filter((p) => p.phase.endsWith('clear dirty log time'))
      .reduce((t, p) => t + p.seconds, 0);

  it('re-protects every page in 256 KiB chunks, as one CLEAR of the slot does, an ioctl per chunk', () => {
    const whole = manual({});
    const chunked = manual({ clearChunkBytes: 256 * 1024 });
    // Iterations 2 and 3 fault on every page of both vCPUs either way.
    expect(chunked.stats.pf_fast).toBe(whole.stats.pf_fast);
    expect(chunked.stats.pf_fast).toBe(2 * 2 * PAGES);
    expect(clearSeconds(chunked)).toBeGreaterThan(clearSeconds(whole));
  });

  it('clears the slot in one call when the chunk is larger than the slot (the twin)', () => {
    expect(clearSeconds(manual({ clearChunkBytes: 4 * BYTES }))).toBe(clearSeconds(manual({})));
  });

  it('rejects a chunk that is not a multiple of 256 KiB', () => {
    expect(() => manual({ clearChunkBytes: 128 * 1024 })).toThrow(
      /-k must be a multiple of 256 KiB/,
    );
  });
});

describe('dirty_log_perf_test with the fast page fault off', () => {
  it('takes every write-protection fault on the slow path, and the pass takes longer', () => {
    const dirty = (r: ReturnType<typeof runDirtyLogPerfTest>): number =>
      r.phases.find((p) => p.phase === 'Iteration 2 dirty memory time')!.seconds;
    const fast = run({ backing: '4k' });
    const slow = run({ backing: '4k', params: { enablePml: false, fastPageFault: false } });
    expect(slow.stats.pf_fast).toBe(0);
    expect(fast.stats.pf_fast).toBe(2 * 2 * PAGES);
    expect(dirty(slow)).toBeGreaterThan(dirty(fast));
  });
});

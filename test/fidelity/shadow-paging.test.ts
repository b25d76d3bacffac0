/**
 * Shadow paging against two-dimensional paging (tdp false / true), shapes only: the
 * shadow MMU fixes no write-protection fault locklessly (fast_page_fault handles direct
 * SPTEs only), walks the guest page tables in software on every fault, and takes
 * mmu_lock for write, so faulting vCPUs queue. The numbers are not checked here.
 */
import { describe, expect, it } from 'vitest';
import type { KvmParams } from '../../engine/kvm/params.ts';
import { runDirtyLogPerfTest } from '../../engine/selftests/dirty-log-perf-test.ts';

// ---- tunables ----
const BYTES_PER_VCPU = 32 * 2 ** 20;

/** Seconds of the first dirty pass after logging starts (-g, 4K pages, PML off). */
function firstPass(vcpus: number, params: Partial<KvmParams>): number {
  const r = runDirtyLogPerfTest({
    vcpus,
    bytesPerVcpu: BYTES_PER_VCPU,
    backing: '4k',
    manualProtect: false,
    params: { enablePml: false, ...params },
  });
  return r.phases.find((p) => p.phase === 'Iteration 1 dirty memory time')!.seconds;
}

describe('shadow paging against TDP', () => {
  it('is slower than TDP at re-dirtying memory, alone and with many vCPUs', () => {
    for (const vcpus of [1, 16]) {
      expect(firstPass(vcpus, { tdp: false })).toBeGreaterThan(firstPass(vcpus, { tdp: true }));
    }
  });

  it('loses more to many vCPUs than TDP does (faults under mmu_lock for write)', () => {
    const growth = (tdp: boolean): number =>
      firstPass(16, { tdp, fastPageFault: false }) / firstPass(1, { tdp, fastPageFault: false });
    expect(growth(false)).toBeGreaterThan(growth(true));
  });
});

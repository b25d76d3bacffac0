/**
 * Shapes the model must hold whatever its cost values: how the first dirty pass after
 * logging starts grows with the number of vCPUs in each way of splitting huge pages,
 * following the mechanisms KVM's source has (engine/kvm/contention.ts, vm.ts
 * remoteTlbFlushNs), not fitted figures. The numbers themselves are checked against
 * the published ones by `npm run calibrate`, not here.
 *
 * Mode: dirty_log_perf_test without manual protect (-g), PML off, so every write to a
 * write-protected page is a fault. (With INITIALLY_SET and no eager split, KVM's
 * write_protect_gfn clears MMU-writable on the huge SPTE, so split-in-place children
 * take the slow path too and in-place costs what zap does: no shape to hold there.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KvmParams } from '../../engine/kvm/params.ts';
import type { DirtyLogPerfOptions } from '../../engine/selftests/dirty-log-perf-test.ts';
import { runDirtyLogPerfTest } from '../../engine/selftests/dirty-log-perf-test.ts';
import { Kvm } from '../../engine/kvm/kvm.ts';
import {
  Cap,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
} from '../../engine/kvm/uapi.ts';
import type { Arch } from '../../engine/kvm/types.ts';

// ---- tunables ----
/** vCPU counts: few, spread wide enough for the lock's cache line to saturate. */
const VCPUS = [2, 16, 64] as const;
/** Memory per vCPU: eight 2 MiB huge pages. */
const BYTES_PER_VCPU = 16 * 2 ** 20;

type Mode = 'zap' | 'in-place' | 'eager';

const X86_MODES: Record<Mode, Partial<KvmParams>> = {
  zap: { eagerPageSplit: false, splitOnFault: 'zap', enablePml: false },
  'in-place': { eagerPageSplit: false, splitOnFault: 'in-place', enablePml: false },
  eager: { eagerPageSplit: true, splitOnFault: 'in-place', enablePml: false },
};

/** Seconds of the first dirty pass after logging was enabled. */
function firstPass(vcpus: number, options: Partial<DirtyLogPerfOptions>): number {
  const r = runDirtyLogPerfTest({
    vcpus,
    bytesPerVcpu: BYTES_PER_VCPU,
    backing: 'hugetlb_2m',
    manualProtect: false,
    ...options,
  });
  const p = r.phases.find((x) => x.phase === 'Iteration 1 dirty memory time');
  if (!p) throw new Error('no iteration 1 dirty memory time');
  return p.seconds;
}

function x86Curve(mode: Mode): number[] {
  return VCPUS.map((v) => firstPass(v, { params: X86_MODES[mode] }));
}

const growth = (curve: readonly number[]): number => curve[curve.length - 1] / curve[0];

describe('x86: the first dirty pass after logging starts, by vCPU count', () => {
  let zap: number[] = [];
  let inPlace: number[] = [];
  let eager: number[] = [];
  beforeAll(() => {
    zap = x86Curve('zap');
    inPlace = x86Curve('in-place');
    eager = x86Curve('eager');
  });

  it("zap-on-fault's pass grows faster with vCPUs than in-place split's", () => {
    // Zapping leaves every other page of the huge page unmapped: each refaults on the
    // slow path, whose mmu_lock read_lock/read_unlock bounce one cache line among all
    // faulting vCPUs. In-place children stay mapped and take the lockless fast path.
    expect(growth(zap)).toBeGreaterThan(2);
    expect(growth(zap)).toBeGreaterThan(2 * growth(inPlace));
  });

  it('in-place split beats zap at 100 % writes, by a margin that widens with vCPUs', () => {
    const margin = zap.map((z, k) => z - inPlace[k]);
    for (const m of margin) expect(m).toBeGreaterThan(0);
    for (let k = 1; k < margin.length; k++) expect(margin[k]).toBeGreaterThan(margin[k - 1]);
  });

  it('eager splitting keeps the pass below both on-fault modes at every vCPU count', () => {
    for (let k = 0; k < VCPUS.length; k++) {
      expect(eager[k]).toBeLessThan(inPlace[k]);
      expect(eager[k]).toBeLessThan(zap[k]);
    }
  });
});

describe('arm64: the first dirty pass after logging starts, by vCPU count', () => {
  const arm = (chunk: number): number[] =>
    VCPUS.map((v) => firstPass(v, { arch: 'arm64', params: {}, eagerSplitChunkSize: chunk }));
  let zap: number[] = [];
  let eager: number[] = [];
  beforeAll(() => {
    zap = arm(0);
    eager = arm(2 * 2 ** 20);
  });

  it('grows with vCPUs after an eager split too, and stays below zap-on-fault', () => {
    // arm64 has no lockless fast path: a permission fault relaxes the stage-2 entry
    // under mmu_lock for read, so the lock's cache line is shared by every vCPU.
    expect(growth(eager)).toBeGreaterThan(2);
    for (let k = 0; k < VCPUS.length; k++) expect(eager[k]).toBeLessThan(zap[k]);
  });
});

/** The cost of a CLEAR that re-protects one dirty page and flushes, with `vcpus` vCPUs in guest mode. */
function clearCostNs(arch: Arch, vcpus: number): number {
  const kvm = new Kvm({ arch, params: arch === 'x86_64' ? { enablePml: false } : {} });
  const vm = kvm.createVm();
  vm.enableCap(Cap.ManualDirtyLogProtect2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
  const region = { slot: 0, guestPhysAddr: 0, memorySize: 2 ** 21, backing: '4k' as const };
  vm.setUserMemoryRegion({ ...region, flags: KVM_MEM_LOG_DIRTY_PAGES });
  const all = Array.from({ length: vcpus }, (_, id) => vm.createVcpu(id));
  all[0].runAccesses([0], true);
  const bitmap = vm.getDirtyLog(0);
  for (const v of all) v.inGuestMode = true;
  vm.clearDirtyLog(0, 0, 512, bitmap);
  expect(vm.lastIoctl.tlbFlushes).toBe(1);
  return vm.lastIoctl.ns;
}

describe('remote TLB flush cost by vCPU count', () => {
  it('does not depend on the number of vCPUs on arm64 (broadcast TLBI, no IPI)', () => {
    expect(clearCostNs('arm64', 64)).toBe(clearCostNs('arm64', 2));
  });

  it('grows with the vCPUs in guest mode on x86 (an IPI each), the twin', () => {
    expect(clearCostNs('x86_64', 64)).toBeGreaterThan(clearCostNs('x86_64', 2));
  });
});

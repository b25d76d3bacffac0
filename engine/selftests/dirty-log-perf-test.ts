import type { Backing } from '../kvm/types.ts';
import type { Costs } from '../kvm/costs.ts';
import type { KvmParams } from '../kvm/params.ts';
import type { VmStats } from '../kvm/stats.ts';
import { Kvm } from '../kvm/kvm.ts';
import { PAGE_SIZE } from '../kvm/types.ts';
import {
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
} from '../kvm/uapi.ts';
import { Rng } from '../sim/rng.ts';
import { Outcome } from '../kvm/mmu.ts';
import { mmuLockFaultWaitNs } from '../kvm/contention.ts';

/**
 * tools/testing/selftests/kvm/dirty_log_perf_test.c re-created on the model: the
 * same options, the same phases, the same printed lines, in simulated seconds.
 * vCPUs run in parallel on their own memory, so a phase lasts as long as its
 * slowest vCPU; ioctls run on the main thread while the vCPUs wait.
 */
export interface DirtyLogPerfOptions {
  /** -v: vCPUs (default 1). */
  vcpus: number;
  /** -b: bytes of guest memory per vCPU (default 1 GiB). */
  bytesPerVcpu: number;
  /** -s: backing source, as the selftest names it or as a Backing. */
  backing: Backing;
  /** -i: iterations after enabling logging (default 2, at least 2). */
  iterations: number;
  /**
   * -w: percent of the accessed pages written in an iteration (default 100). Fractions
   * are allowed (0.5: one page in 200), as the published sparse-write series need;
   * the selftest's own -w takes whole numbers.
   */
  writePercent: number;
  /**
   * Model option: bytes between the pages a vCPU accesses (default 4096: every page).
   * 2 MiB touches one page per 2M region, the sparse pattern that makes the cost of
   * splitting or zapping a huge page, not of writing its pages, the whole pass.
   */
  strideBytes: number;
  /**
   * -k: bytes of a memslot each KVM_CLEAR_DIRTY_LOG clears (default Infinity: the whole
   * slot in one call, the selftest's UINT64_MAX), as memstress_clear_dirty_log_in_chunks
   * does. A multiple of 256 KiB: CLEAR takes whole 64-page words of the bitmap.
   */
  clearChunkBytes: number;
  /** false with -g: do not enable KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (GET clears). */
  manualProtect: boolean;
  /** -a: random access order instead of sequential. */
  randomAccess: boolean;
  /** -x: memslots the test memory is split into (default 1). */
  slots: number;
  /** -r: seed (default 1). */
  seed: number;
  arch: 'x86_64' | 'arm64';
  /** KVM module parameters (eagerPageSplit, enablePml, splitOnFault, ...). */
  params: Partial<KvmParams>;
  costs: Partial<Costs>;
  /** arm64 KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE in bytes (0: off). */
  eagerSplitChunkSize: number;
  /** Guest time to write one page in the test loop, ns (not a KVM cost). */
  guestAccessNs: number;
}

export const DEFAULT_DIRTY_LOG_PERF_OPTIONS: Readonly<DirtyLogPerfOptions> = Object.freeze({
  vcpus: 1,
  bytesPerVcpu: 2 ** 30,
  backing: '4k',
  iterations: 2,
  writePercent: 100,
  strideBytes: PAGE_SIZE,
  clearChunkBytes: Number.POSITIVE_INFINITY,
  manualProtect: true,
  randomAccess: false,
  slots: 1,
  seed: 1,
  arch: 'x86_64',
  params: {},
  costs: {},
  eagerSplitChunkSize: 0,
  guestAccessNs: 10,
});

/** One printed phase: the selftest's label and its simulated duration. */
export interface DirtyLogPerfPhase {
  /** The selftest's label, e.g. "Iteration 2 dirty memory time". */
  phase: string;
  /** 0 for populate / enable / disable, else the iteration. */
  iteration: number;
  seconds: number;
}

export interface DirtyLogPerfResult {
  options: DirtyLogPerfOptions;
  phases: DirtyLogPerfPhase[];
  /** The selftest's output, line by line. */
  lines: string[];
  stats: VmStats;
}

/** Outcomes that take mmu_lock: x86 slow faults (fast_page_fault is lockless); arm64 every stage-2 fault, permission relax included. */
const LOCKED_OUTCOMES_X86 = [Outcome.SlowFault, Outcome.SplitOnFault, Outcome.ZapOnFault];
const LOCKED_OUTCOMES_ARM64 = [Outcome.FastFault, ...LOCKED_OUTCOMES_X86];

/** -k's unit: KVM_CLEAR_DIRTY_LOG's first_page and num_pages are multiples of 64 pages. */
const CLEAR_CHUNK_ALIGN = 64 * PAGE_SIZE;

/** Guest physical base of the test memory: 4 GiB, aligned for every backing. */
const TEST_MEM_GPA = 4 * 2 ** 30;

export function runDirtyLogPerfTest(
  options: Partial<DirtyLogPerfOptions> = {},
): DirtyLogPerfResult {
  const o: DirtyLogPerfOptions = { ...DEFAULT_DIRTY_LOG_PERF_OPTIONS, ...options };
  validate(o);
  const kvm = new Kvm({ arch: o.arch, params: o.params, costs: o.costs });
  const vm = kvm.createVm({ ipaBits: 48 });
  const rng = new Rng(o.seed);
  const pagesPerVcpu = o.bytesPerVcpu / PAGE_SIZE;
  const totalPages = pagesPerVcpu * o.vcpus;
  const pagesPerSlot = Math.ceil(totalPages / o.slots);
  const phases: DirtyLogPerfPhase[] = [];
  const lines: string[] = [];
  const record = (phase: string, iteration: number, ns: number): void => {
    phases.push({ phase, iteration, seconds: ns / 1e9 });
    lines.push(`${phase}: ${formatSeconds(ns)}`);
  };

  if (o.manualProtect) {
    const caps = kvm.checkExtension(Cap.ManualDirtyLogProtect2);
    vm.enableCap(
      Cap.ManualDirtyLogProtect2,
      caps & (KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET),
    );
  }
  if (o.arch === 'arm64' && o.eagerSplitChunkSize) {
    vm.enableCap(Cap.ArmEagerSplitChunkSize, o.eagerSplitChunkSize);
  }
  const setSlots = (flags: number): number => {
    let ns = 0;
    for (let s = 0; s < o.slots; s++) {
      const pages = Math.min(pagesPerSlot, totalPages - s * pagesPerSlot);
      vm.setUserMemoryRegion({
        slot: s,
        flags,
        guestPhysAddr: TEST_MEM_GPA + s * pagesPerSlot * PAGE_SIZE,
        memorySize: pages * PAGE_SIZE,
        backing: o.backing,
      });
      ns += vm.lastIoctl.ns;
    }
    return ns;
  };
  setSlots(0);
  const vcpus = Array.from({ length: o.vcpus }, (_, id) => vm.createVcpu(id));

  const stridePages = o.strideBytes / PAGE_SIZE;
  const accessesPerVcpu = Math.ceil(pagesPerVcpu / stridePages);
  const order = new Float64Array(accessesPerVcpu);
  const writes = new Uint8Array(accessesPerVcpu);
  const baseGfn = TEST_MEM_GPA / PAGE_SIZE;
  // Between passes the vCPU threads wait in userspace (vcpu_worker spins on
  // `iteration`): out of guest mode, so the ioctls' TLB flushes IPI none of them.
  const enterGuest = (inGuest: boolean): void => {
    for (const vcpu of vcpus) vcpu.inGuestMode = inGuest;
  };
  enterGuest(false);
  const ipisBefore = vcpus.map((v) => v.stats.tlbFlushIpis);
  /**
   * One pass of every vCPU over its memory; returns the slowest vCPU's time. The vCPUs
   * run at the same time, so what they share costs each of them according to how many
   * do it at once: the mmu_lock word every fault under the lock updates (contention.ts),
   * the IPIs of the remote TLB flushes the others send (x86).
   */
  const pass = (writePercent: number): number => {
    enterGuest(true);
    const costs = vm.costs;
    const lockFaults = vm.arch === 'arm64' ? LOCKED_OUTCOMES_ARM64 : LOCKED_OUTCOMES_X86;
    const runs = vcpus.map((vcpu) => {
      const first = baseGfn + vcpu.id * pagesPerVcpu;
      for (let k = 0; k < accessesPerVcpu; k++) order[k] = first + k * stridePages;
      if (o.randomAccess) shuffle(order, accessesPerVcpu, rng);
      for (let k = 0; k < accessesPerVcpu; k++) {
        writes[k] = writePercent >= 100 || rng.next() * 100 < writePercent ? 1 : 0;
      }
      const r = vcpu.runAccesses(order, writes, 0, accessesPerVcpu);
      let locked = 0;
      for (const k of lockFaults) locked += r.counts[k];
      // arm64 relaxes permissions under the read lock too (mmu.ts charges it there).
      const permissionHoldNs =
        vm.arch === 'arm64' ? r.counts[Outcome.FastFault] * costs.permissionFaultArm64 : 0;
      return {
        id: vcpu.id,
        ns: accessesPerVcpu * o.guestAccessNs + r.costNs,
        locked,
        holdNs: r.mmuLockReadNs + permissionHoldNs,
      };
    });
    // Flush IPIs this vCPU took from the others' zaps during the pass.
    for (const r of runs) {
      const ipis = vcpus[r.id].stats.tlbFlushIpis - ipisBefore[r.id];
      r.ns += ipis * costs.tlbFlushIpiTarget;
    }
    const faulting = runs.filter((r) => r.locked > 0);
    let cycleNs = 0;
    let holdNs = 0;
    for (const r of faulting) {
      cycleNs += r.ns / r.locked / faulting.length;
      holdNs += r.holdNs / r.locked / faulting.length;
    }
    // The shadow MMU handles faults under mmu_lock for write: exclusive, as the spinlock.
    const waitNs = mmuLockFaultWaitNs(
      vm.params.tdp ? vm.params.mmuLock : 'spinlock',
      faulting.length,
      holdNs,
      Math.max(cycleNs - holdNs, 0),
      costs.cacheLineTransfer,
    );
    let slowest = 0;
    for (const r of runs) slowest = Math.max(slowest, r.ns + r.locked * waitNs);
    for (const vcpu of vcpus) ipisBefore[vcpu.id] = vcpu.stats.tlbFlushIpis;
    enterGuest(false);
    return slowest;
  };

  record('Populate memory time', 0, pass(100));
  record('Enabling dirty logging time', 0, setSlots(KVM_MEM_LOG_DIRTY_PAGES));
  lines.push('');

  let getTotal = 0;
  let clearTotal = 0;
  const bitmaps: Uint8Array[] = [];
  for (let iteration = 1; iteration <= o.iterations; iteration++) {
    record(`Iteration ${iteration} dirty memory time`, iteration, pass(o.writePercent));
    let getNs = 0;
    for (let s = 0; s < o.slots; s++) {
      bitmaps[s] = vm.getDirtyLog(s);
      getNs += vm.lastIoctl.ns;
    }
    getTotal += getNs;
    record(`Iteration ${iteration} get dirty log time`, iteration, getNs);
    if (o.manualProtect) {
      let clearNs = 0;
      const chunk = Math.min(o.clearChunkBytes / PAGE_SIZE, Number.MAX_SAFE_INTEGER);
      for (let s = 0; s < o.slots; s++) {
        const npages = vm.memslot(s)?.npages ?? 0;
        // The bitmap passed to a CLEAR starts at its first_page (kvm_clear_dirty_log_protect).
        for (let from = 0; from < npages; from += chunk) {
          vm.clearDirtyLog(s, from, Math.min(chunk, npages - from), bitmaps[s].subarray(from / 8));
          clearNs += vm.lastIoctl.ns;
        }
      }
      clearTotal += clearNs;
      record(`Iteration ${iteration} clear dirty log time`, iteration, clearNs);
    }
    lines.push('');
  }
  record('Disabling dirty logging time', 0, setSlots(0));
  lines.push(
    `Get dirty log over ${o.iterations} iterations took ${formatSeconds(getTotal)}. (Avg ${formatSeconds(getTotal / o.iterations)}/iteration)`,
  );
  if (o.manualProtect) {
    lines.push(
      `Clear dirty log over ${o.iterations} iterations took ${formatSeconds(clearTotal)}. (Avg ${formatSeconds(clearTotal / o.iterations)}/iteration)`,
    );
  }
  return { options: o, phases, lines, stats: vm.getStats() };
}

/** The selftest's "%ld.%.9lds". */
export function formatSeconds(ns: number): string {
  const s = Math.floor(ns / 1e9);
  const frac = Math.round(ns - s * 1e9);
  return `${s}.${String(frac).padStart(9, '0')}s`;
}

function validate(o: DirtyLogPerfOptions): void {
  if (!Number.isInteger(o.vcpus) || o.vcpus < 1)
    throw new Error(`-v needs at least 1 vCPU, got ${o.vcpus}`);
  if (o.bytesPerVcpu <= 0 || o.bytesPerVcpu % PAGE_SIZE !== 0) {
    throw new Error(`-b must be a positive multiple of 4096 bytes, got ${o.bytesPerVcpu}`);
  }
  if (!Number.isInteger(o.iterations) || o.iterations < 2) {
    throw new Error(`-i must be at least 2 (the selftest's rule), got ${o.iterations}`);
  }
  if (!(o.writePercent >= 0 && o.writePercent <= 100)) {
    throw new Error(`-w must be a percentage 0-100, got ${o.writePercent}`);
  }
  if (
    !Number.isInteger(o.strideBytes / PAGE_SIZE) ||
    o.strideBytes < PAGE_SIZE ||
    o.strideBytes > o.bytesPerVcpu
  ) {
    throw new Error(
      `the stride must be a multiple of 4096 bytes from 4096 to -b (${o.bytesPerVcpu}), got ${o.strideBytes}`,
    );
  }
  if (
    o.clearChunkBytes !== Number.POSITIVE_INFINITY &&
    !(Number.isInteger(o.clearChunkBytes / CLEAR_CHUNK_ALIGN) && o.clearChunkBytes > 0)
  ) {
    throw new Error(
      `-k must be a multiple of 256 KiB (KVM_CLEAR_DIRTY_LOG clears whole 64-page words), got ${o.clearChunkBytes} bytes`,
    );
  }
  if (!Number.isInteger(o.slots) || o.slots < 1)
    throw new Error(`-x needs at least 1 memslot, got ${o.slots}`);
}

/** Fisher-Yates over the first `n` entries of `a`. */
function shuffle(a: Float64Array, n: number, rng: Rng): void {
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** The selftest's -s names mapped to backings. */
export const BACKING_SOURCES: Readonly<Record<string, Backing>> = {
  anonymous: '4k',
  anonymous_thp: 'thp',
  anonymous_hugetlb: 'hugetlb_2m',
  anonymous_hugetlb_2mb: 'hugetlb_2m',
  anonymous_hugetlb_1gb: 'hugetlb_1g',
  shmem: '4k',
  shared_hugetlb: 'hugetlb_2m',
};

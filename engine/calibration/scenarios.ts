import type { Costs } from '../kvm/costs.ts';
import type { KvmParams } from '../kvm/params.ts';
import type { Backing } from '../kvm/types.ts';
import type { Vm } from '../kvm/vm.ts';
import type { DirtyLogPerfOptions, DirtyLogPerfResult } from '../selftests/dirty-log-perf-test.ts';
import type { CalibrationRow, PublishedFigure } from './types.ts';
import { Kvm } from '../kvm/kvm.ts';
import { PAGE_SIZE } from '../kvm/types.ts';
import {
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
} from '../kvm/uapi.ts';
import { runDirtyLogPerfTest } from '../selftests/dirty-log-perf-test.ts';
import type { RunPlan, TrackingPolicy } from '../plan.ts';
import { simulate } from '../sim/simulation.ts';
import { dbenchWorkload } from '../guest/dbench.ts';
import { PUBLISHED_FIGURES } from './figures.ts';

/**
 * The reference scenarios: each maps the setup of one or more published figures onto
 * the model and returns the model's value of each, in the figure's unit. A figure no
 * scenario covers is listed with the reason. Scenarios take the cost table as given
 * (`costs` overrides it), so the same runs check a changed table.
 */
export interface Scenario {
  /** Figure ids this scenario produces values for. */
  figures: readonly string[];
  /** How the figures' setup is mapped onto the model, assumptions included. */
  description: string;
  run(costs: Partial<Costs>): Record<string, number>;
}

const GiB = 2 ** 30;

/** A phase's seconds in a dirty_log_perf_test run. */
function phaseSeconds(r: DirtyLogPerfResult, phase: string): number {
  const p = r.phases.find((x) => x.phase === phase);
  if (!p) throw new Error(`dirty_log_perf_test printed no "${phase}"`);
  return p.seconds;
}

/** Matlack's "before" kernel: no eager split, huge SPTEs zapped on fault; runs showed an exit per page (no PML). */
export const MATLACK_BEFORE: Partial<KvmParams> = {
  eagerPageSplit: false,
  splitOnFault: 'zap',
  enablePml: false,
};
/** ... and "after": the same with eager page splitting. */
export const MATLACK_AFTER: Partial<KvmParams> = { ...MATLACK_BEFORE, eagerPageSplit: true };

const matlack: Scenario = {
  figures: [
    'matlack-2022-initially-set-iter1-clear-before',
    'matlack-2022-initially-set-iter1-clear-after',
    'matlack-2022-initially-set-iter2-dirty-before',
    'matlack-2022-initially-set-iter2-dirty-after',
    'matlack-2022-initially-set-iter3-clear-before',
    'matlack-2022-initially-set-iter3-clear-after',
    'matlack-2022-g-enable-before',
    'matlack-2022-g-enable-after',
    'matlack-2022-g-iter1-dirty-before',
    'matlack-2022-g-iter1-dirty-after',
  ],
  description:
    'npm run dlpt: 96 vCPUs x 1 GiB, 1 GiB HugeTLB, x86; before = no eager split, zap on fault; after = eager split; PML off (one exit per re-dirtied page, as the published runs show)',
  run(costs) {
    const common: Partial<DirtyLogPerfOptions> = {
      vcpus: 96,
      bytesPerVcpu: GiB,
      backing: 'hugetlb_1g',
      costs,
    };
    const out: Record<string, number> = {};
    for (const [when, params] of [
      ['before', MATLACK_BEFORE],
      ['after', MATLACK_AFTER],
    ] as const) {
      const manual = runDirtyLogPerfTest({ ...common, params, manualProtect: true, iterations: 3 });
      out[`matlack-2022-initially-set-iter1-clear-${when}`] = phaseSeconds(
        manual,
        'Iteration 1 clear dirty log time',
      );
      out[`matlack-2022-initially-set-iter2-dirty-${when}`] = phaseSeconds(
        manual,
        'Iteration 2 dirty memory time',
      );
      out[`matlack-2022-initially-set-iter3-clear-${when}`] = phaseSeconds(
        manual,
        'Iteration 3 clear dirty log time',
      );
      const g = runDirtyLogPerfTest({ ...common, params, manualProtect: false, iterations: 2 });
      out[`matlack-2022-g-enable-${when}`] = phaseSeconds(g, 'Enabling dirty logging time');
      out[`matlack-2022-g-iter1-dirty-${when}`] = phaseSeconds(g, 'Iteration 1 dirty memory time');
    }
    return out;
  },
};

/**
 * A VM with one slot of `bytes` at 4 GiB, every huge frame (or page, with 4K backing)
 * mapped by one vCPU's write, as a guest that touched all its memory leaves it.
 */
function mappedVm(
  bytes: number,
  backing: Backing,
  params: Partial<KvmParams>,
  costs: Partial<Costs>,
): Vm {
  const vm = new Kvm({ arch: 'x86_64', params, costs }).createVm();
  const base = (4 * GiB) / PAGE_SIZE;
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 4 * GiB, memorySize: bytes, backing });
  const vcpu = vm.createVcpu(0);
  const step = { '4k': 1, thp: 512, hugetlb_2m: 512, hugetlb_1g: 512 * 512 }[backing];
  const gfns = new Float64Array(Math.ceil(bytes / PAGE_SIZE / step));
  for (let k = 0; k < gfns.length; k++) gfns[k] = base + k * step;
  vcpu.runAccesses(gfns, true);
  return vm;
}

/** Enable logging on slot 0 of `vm`; returns the ioctl's seconds. */
function enableLogging(vm: Vm, bytes: number): number {
  vm.setUserMemoryRegion({
    slot: 0,
    flags: KVM_MEM_LOG_DIRTY_PAGES,
    guestPhysAddr: 4 * GiB,
    memorySize: bytes,
  });
  return vm.lastIoctl.ns / 1e9;
}

const google: Scenario = {
  figures: ['google-2021-eager-split-1.5tb'],
  description:
    'x86 with eager split, one 1.5 TiB slot of 1 GiB HugeTLB, all mapped; time of the ioctl that enables logging (split and write-protect); the source does not give the backing',
  run(costs) {
    const bytes = 1536 * GiB;
    const vm = mappedVm(bytes, 'hugetlb_1g', { eagerPageSplit: true }, costs);
    return { 'google-2021-eager-split-1.5tb': enableLogging(vm, bytes) };
  },
};

/**
 * A 2012 KVM: no PML, no eager split, mmu_lock a spinlock, a huge SPTE in the way of a
 * logged write zapped (in-place splitting came with Linux 6.2); fast page fault on or off.
 */
export function kvm2012(fastPageFault: boolean): Partial<KvmParams> {
  return {
    eagerPageSplit: false,
    enablePml: false,
    mmuLock: 'spinlock',
    splitOnFault: 'zap',
    fastPageFault,
  };
}

/** The 2012 KVM of kvm2012 as a run's tracking policy: GET_DIRTY_LOG clears (no manual protect yet). */
function tracking2012(fastPageFault: boolean, mmu: 'tdp' | 'shadow'): TrackingPolicy {
  const p = kvm2012(fastPageFault);
  return {
    name: `${mmu}-${fastPageFault ? 'fast' : 'slow'}`,
    dirtyLog: 'bitmap',
    pml: p.enablePml,
    eagerSplit: p.eagerPageSplit,
    mmuLock: p.mmuLock,
    splitOnFault: p.splitOnFault,
    fastPageFault,
    mmu,
  };
}

const MiB = 2 ** 20;
/**
 * QEMU 1.1's migration defaults: MAX_THROTTLE (32 MiB/s) and a 30 ms downtime limit
 * (migration.c); and its sync rule: ram_save_live (arch_init.c) synced the dirty bitmap
 * from KVM at every call, once per 100 ms tick of the buffered file's rate limiter
 * (buffered_file.c buffered_rate_tick). This is what makes the fast path count: every
 * page the guest writes is write-protected again ten times a second, so the guest
 * takes a write fault per page it writes in every tick, not once per pass over RAM.
 */
const QEMU_2012_BANDWIDTH = 32 * MiB;
const QEMU_2012_DOWNTIME_NS = 30e6;
/**
 * The autotest guest: smp2, 1 GiB (autotest's default `mem = 1024`), a tenth of it data.
 * Mapped 4K: in autotest's loop every migration's destination is filled page by page
 * by the incoming migration (and with huge SPTEs the first logged write to each takes
 * the slow path whether or not the fast path exists).
 */
const AUTOTEST_VCPUS = 2;
const AUTOTEST_RAM = GiB;
/**
 * dbench-like load: a client per vCPU, page-cache writes and metadata
 * (engine/guest/dbench.ts). The rate is an estimate: 100k page accesses a second is
 * 400 MB/s per client, the order of the throughput dbench reports per client on a
 * page-cache file system. It is not published for the autotest runs: with QEMU 1.1's
 * sync rule it sets how many pages a tick re-protects, so this figure calibrates the
 * rate rather than validating the model (at 20k/s the fast path's gain is 1 %).
 */
const DBENCH_RATE = 100_000;
/** How long the guest runs under dirty logging in one model run (several syncs), and before it (its files mapped). */
const AUTOTEST_WINDOW_NS = 8e9;
const AUTOTEST_WARMUP_NS = 2e9;
/** The clients' files (32 MiB each, an estimate) and the file system's metadata, from the start of RAM. */
const DBENCH_FILES = { offset: 256 * MiB, size: 64 * MiB };
const DBENCH_METADATA = { offset: 128 * MiB, size: 16 * MiB };

/** One run of the autotest guest on a 2012 KVM and QEMU: busy (dbench-like) or idle. */
function autotestRun(
  busy: boolean,
  fastPageFault: boolean,
  mmu: 'tdp' | 'shadow',
  costs: Partial<Costs>,
): ReturnType<typeof simulate> {
  const plan: RunPlan = {
    vm: {
      name: busy ? 'autotest-dbench' : 'autotest-idle',
      arch: 'x86_64',
      vcpus: AUTOTEST_VCPUS,
      slots: [{ name: 'ram0', gpa: 0, size: AUTOTEST_RAM, backing: '4k' }],
      workloads: [
        busy
          ? dbenchWorkload({
              files: DBENCH_FILES,
              metadata: DBENCH_METADATA,
              rate: DBENCH_RATE,
            })
          : { kind: 'idle' },
      ],
      prefill: 0.1,
    },
    tracking: tracking2012(fastPageFault, mmu),
    migration: {
      name: 'qemu-1.1',
      bandwidth: QEMU_2012_BANDWIDTH,
      downtimeLimitNs: QEMU_2012_DOWNTIME_NS,
      bitmapSync: 'every-tick',
    },
    seed: 1,
    costs,
    warmupNs: AUTOTEST_WARMUP_NS,
    maxTimeNs: busy ? AUTOTEST_WINDOW_NS : 60e9,
  };
  return simulate(plan);
}

/** The guest's progress under dirty logging: accesses done / accesses it would have done. */
const progress = (out: ReturnType<typeof simulate>): number => out.guestAccesses / out.guestIdeal;

const xiaoAutotest: Scenario = {
  figures: [
    'xiao-2012-ept-migrate-unix',
    'xiao-2012-ept-migrate-dbench',
    'xiao-2012-shadow-migrate-dbench',
    'xiao-2012-shadow-vs-ept-dbench',
    'xiao-2012-v5-migrate-dbench',
  ],
  description:
    "a 2-vCPU, 1 GiB guest on a 2012 KVM (spinlock mmu_lock, no PML, zap on fault, GET_DIRTY_LOG) migrated by QEMU 1.1's defaults (32 MiB/s, 30 ms, the dirty bitmap synced at every 100 ms rate-limit tick as ram_save_live did). migrate.unix: the idle guest's migration time, after / before. with dbench: autotest migrates the guest in a loop while the test runs in it, so the test lasts as long as the guest takes to do the test's work under dirty logging; the model's value is the guest's progress before / after (dbench-like load, engine/guest/dbench.ts, over an 8 s window). dbench's own -t 60 does not shrink with a faster guest, so the model's ratio bounds the published one from below. Shadow paging has no fast path (Linux 3.6 mmu.c calls fast_page_fault only from tdp_page_fault and nonpaging_map; the shadow MMU's FNAME(page_fault) never does), so its after / before is 1 by construction; shadow vs EPT misses the cost of shadowing guest page-table writes",
  run(costs) {
    const idle = (fast: boolean): number =>
      autotestRun(false, fast, 'tdp', costs).migration.totalNs;
    const busy = (fast: boolean, mmu: 'tdp' | 'shadow'): number =>
      progress(autotestRun(true, fast, mmu, costs));
    const eptBefore = busy(false, 'tdp');
    const eptAfter = busy(true, 'tdp');
    const shadowBefore = busy(false, 'shadow');
    const shadowAfter = busy(true, 'shadow');
    const eptDbench = eptBefore / eptAfter;
    return {
      'xiao-2012-ept-migrate-unix': idle(true) / idle(false),
      'xiao-2012-ept-migrate-dbench': eptDbench,
      'xiao-2012-shadow-migrate-dbench': shadowBefore / shadowAfter,
      'xiao-2012-shadow-vs-ept-dbench': eptBefore / shadowBefore,
      'xiao-2012-v5-migrate-dbench': eptDbench,
    };
  },
};

const xiaoRedirty: Scenario = {
  figures: ['xiao-2012-v5-redirty', 'xiao-2012-v7-redirty'],
  description:
    "dirty_log_perf_test -v 1 -b 1G -s anonymous -g on a 2012 KVM (no PML, spinlock mmu_lock): iteration 1 dirty memory time with the fast path / without; the benchmark's own memory size is not published",
  run(costs) {
    const pass = (fast: boolean): number =>
      phaseSeconds(
        runDirtyLogPerfTest({
          vcpus: 1,
          bytesPerVcpu: GiB,
          backing: '4k',
          manualProtect: false,
          params: kvm2012(fast),
          costs,
        }),
        'Iteration 1 dirty memory time',
      );
    const r = pass(true) / pass(false);
    return { 'xiao-2012-v5-redirty': r, 'xiao-2012-v7-redirty': r };
  },
};

const cloudHypervisor: Scenario = {
  figures: [
    'cloud-hypervisor-start-dirty-log',
    'cloud-hypervisor-clear-lock-hold',
    'cloud-hypervisor-redirty',
  ],
  description:
    'x86 (PML off, as on an AMD host), 1 GiB of 4K-mapped memory, all of it written: enabling logging; a CLEAR of the whole GiB with every page dirty (mmu_lock write hold); a fast fault re-dirtying one page (vm_exit + fast_page_fault + bitmap)',
  run(costs) {
    const params: Partial<KvmParams> = { eagerPageSplit: false, enablePml: false };
    const vm = mappedVm(GiB, '4k', params, costs);
    vm.enableCap(Cap.ManualDirtyLogProtect2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
    const startMs = enableLogging(vm, GiB) * 1e3;
    const vcpu = vm.vcpus[0];
    const base = (4 * GiB) / PAGE_SIZE;
    const pages = GiB / PAGE_SIZE;
    const gfns = new Float64Array(pages);
    for (let k = 0; k < pages; k++) gfns[k] = base + k;
    const first = vcpu.runAccesses(gfns, true);
    const redirtyNs = first.costNs / pages;
    const bitmap = vm.getDirtyLog(0);
    vm.clearDirtyLog(0, 0, pages, bitmap);
    const clearMs = vm.lastIoctl.mmuLockWriteNs / 1e6;
    return {
      'cloud-hypervisor-start-dirty-log': startMs,
      'cloud-hypervisor-clear-lock-hold': clearMs,
      'cloud-hypervisor-redirty': redirtyNs,
    };
  },
};

const zhou: Scenario = {
  figures: ['zhou-2020-log-start', 'zhou-2020-log-start-initially-set'],
  description:
    "x86, one 128 GiB slot (2 MiB huge pages, one write each), the rmap-based write protection of the MMU before the TDP MMU modelled as shadow paging's (the same walk_slot_rmaps over every gfn, mmu_lock for write); time of the ioctl that enables logging, without and with INITIALLY_SET; the guest's backing is not published",
  run(costs) {
    const bytes = 128 * GiB;
    const params: Partial<KvmParams> = { tdp: false, enablePml: false, eagerPageSplit: false };
    const start = (initiallySet: boolean): number => {
      const vm = mappedVm(bytes, 'hugetlb_2m', params, costs);
      if (initiallySet) {
        vm.enableCap(
          Cap.ManualDirtyLogProtect2,
          KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
        );
      }
      return enableLogging(vm, bytes) * 1e3;
    };
    return {
      'zhou-2020-log-start': start(false),
      'zhou-2020-log-start-initially-set': start(true),
    };
  },
};

/** Clock assumed to turn cycles into ns for figures published in cycles. */
const ASSUMED_GHZ = 3;

const svmExit: Scenario = {
  figures: ['svm-exit-round-trip'],
  description: `the cost table's vm_exit at an assumed ${ASSUMED_GHZ} GHz (the source gives no clock)`,
  run(costs) {
    const kvm = new Kvm({ costs });
    return { 'svm-exit-round-trip': kvm.costs.vmExit * ASSUMED_GHZ };
  },
};

/** Every scenario, in the order the calibration prints them. */
export const SCENARIOS: readonly Scenario[] = [
  matlack,
  google,
  xiaoRedirty,
  xiaoAutotest,
  cloudHypervisor,
  zhou,
  svmExit,
];

/** Why a figure has no scenario yet (figure id -> reason). */
export const NOT_MODELLED: Readonly<Record<string, string>> = {
  'xiao-2012-x11perf-ept':
    "the model has no VGA framebuffer logged by QEMU's display refresh, nor a graphics workload",
  'xiao-2012-x11perf-shadow':
    "the model has no VGA framebuffer logged by QEMU's display refresh, nor a graphics workload",
};

/**
 * Run the scenarios (all, or those producing one of `only`) with `costs` and pair
 * every published figure with the model's value and the relative error.
 */
export function calibrate(
  options: { costs?: Partial<Costs>; only?: readonly string[] } = {},
): CalibrationRow[] {
  const costs = options.costs ?? {};
  const wanted = (f: PublishedFigure): boolean => !options.only || options.only.includes(f.id);
  const values = new Map<string, { value: number; scenario: string }>();
  for (const s of SCENARIOS) {
    if (!s.figures.some((id) => !options.only || options.only.includes(id))) continue;
    for (const [id, value] of Object.entries(s.run(costs))) {
      values.set(id, { value, scenario: s.description });
    }
  }
  return PUBLISHED_FIGURES.filter(wanted).map((figure) => {
    const got = values.get(figure.id);
    if (!got) {
      return {
        figure,
        model: null,
        relativeError: null,
        scenario: NOT_MODELLED[figure.id] ?? 'no scenario',
      };
    }
    return {
      figure,
      model: got.value,
      relativeError: (got.value - figure.value) / figure.value,
      scenario: got.scenario,
    };
  });
}

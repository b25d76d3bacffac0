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

/** A 2012 KVM: no PML, no eager split, mmu_lock a spinlock; fast page fault on or off. */
export function kvm2012(fastPageFault: boolean): Partial<KvmParams> {
  return {
    eagerPageSplit: false,
    enablePml: false,
    mmuLock: 'spinlock',
    fastPageFault,
  };
}

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
  cloudHypervisor,
  zhou,
  svmExit,
];

/** Why a figure has no scenario yet (figure id -> reason). */
export const NOT_MODELLED: Readonly<Record<string, string>> = {
  'xiao-2012-ept-migrate-unix':
    "no scenario yet: needs a dbench-like workload and 2012's QEMU migration (32 MiB/s, 30 ms downtime) mapped onto autotest's test time; the simulation has mmu_lock both ways now",
  'xiao-2012-ept-migrate-dbench':
    "no scenario yet: needs a dbench-like workload and 2012's QEMU migration (32 MiB/s, 30 ms downtime) mapped onto autotest's test time; the simulation has mmu_lock both ways now",
  'xiao-2012-shadow-migrate-dbench':
    "needs a dbench-like workload and 2012's migration (no scenario yet); note that the model's shadow MMU has no fast page fault (mmu.c: indirect shadow pages have no stable gfn), so it would show no gain",
  'xiao-2012-shadow-vs-ept-dbench':
    'needs a dbench-like workload (no scenario yet) and the costs of shadowing guest page-table updates, which the model does not have',
  'xiao-2012-v5-migrate-dbench':
    "no scenario yet: needs a dbench-like workload and 2012's QEMU migration (32 MiB/s, 30 ms downtime) mapped onto autotest's test time; the simulation has mmu_lock both ways now",
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

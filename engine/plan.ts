import type { Arch, Backing, Proposals, SplitOnFault } from './kvm/index.ts';
import type { Costs } from './kvm/costs.ts';
import type { MmuLockKind } from './kvm/contention.ts';
import type { BalloonCosts } from './kvm/balloon-costs.ts';
import type { PreemptModel } from './kvm/params.ts';
import type { LogMode } from './vmm/log-mode.ts';
import { LOG_MODES } from './vmm/log-mode.ts';

/**
 * A run plan: plain data describing one simulated migration. The language compiles
 * into it; TypeScript users can write it directly. Sizes in bytes, times in ns,
 * rates in pages (or bytes) per second.
 */
export interface RunPlan {
  vm: VmSpec;
  tracking: TrackingPolicy;
  migration: MigrationPolicy;
  /** Seed of every random choice; the same plan and seed give identical results. */
  seed: number;
  /** Cost overrides for the KVM model (see engine/kvm/costs.ts). */
  costs?: Partial<Costs>;
  /** Guest run time before migration starts (default 1 s). */
  warmupNs?: number;
  /** Timeline sampling period (default 100 ms). */
  samplePeriodNs?: number;
  /** Give up after this much simulated time from the start of migration (default 10 min). */
  maxTimeNs?: number;
  /** Scheduler time slice (default 5 ms). */
  sliceNs?: number;
}

export interface VmSpec {
  name: string;
  arch: Arch;
  vcpus: number;
  slots: SlotSpec[];
  workloads: WorkloadSpec[];
  devices?: DeviceSpec[];
  /** Share of guest RAM holding non-zero data when the run starts (default 0: zero pages). */
  prefill?: number;
  /** A virtio-balloon (or its alternatives): free page reporting and hinting. */
  balloon?: BalloonSpec;
  /**
   * Exits per second per vCPU that QEMU handles in userspace (port and MMIO accesses to
   * emulated devices): each needs QEMU's big lock, so a vCPU waits behind the
   * migration's holds of it (engine/vmm/bql.ts). Default 0: no vCPU needs the lock.
   */
  ioExitRate?: number;
}

/**
 * Free page reporting and free page hinting (docs/kvm.md#free-page-reporting, docs/migration.md#free-page-hinting). With a
 * balloon (or an `alloc` workload) the guest has a buddy allocator: the regions of the
 * other workloads are allocated at boot and the rest of RAM is free.
 */
export interface BalloonSpec {
  /** How free pages are reported to the host (default 'virtio'; 'off': no reporting). */
  reporting?: 'virtio' | 'hypercall' | 's390' | 'free-hypercall' | 'off';
  /** page_reporting_order: report free blocks of this order and up (default pageblock order 9; 0 for s390). */
  order?: number;
  /** Ranges per report (PAGE_REPORTING_CAPACITY, default 32). */
  capacity?: number;
  /** PAGE_REPORTING_DELAY (default 2 s). */
  delayNs?: number;
  /** The buddy allocator's MAX_ORDER: orders 0..maxOrder-1 (default 11). */
  maxOrder?: number;
  /** Free page hinting during precopy (default off). */
  hinting?: boolean;
  /** s390: entries of the CBRL buffer (default 512). */
  bufferEntries?: number;
  /** Overrides of the balloon cost table (engine/kvm/balloon-costs.ts). */
  costs?: Partial<BalloonCosts>;
}

export interface SlotSpec {
  name: string;
  /** Guest physical address in bytes. */
  gpa: number;
  size: number;
  backing: Backing;
  readonly?: boolean;
}

/** Which vCPUs run a workload: all of them, or a list of ids. */
export type VcpuSelector = 'all' | readonly number[];

/** A part of guest RAM, counted in bytes from the start of RAM (slots in gpa order). */
export interface RegionSpec {
  offset: number;
  size: number;
}

interface WorkloadBase {
  vcpus?: VcpuSelector;
  /** Accesses per second per vCPU, in pages. */
  rate: number;
  /** Share of accesses that are reads (default 0). */
  readFraction?: number;
  /** Where in RAM (default: all of it). */
  region?: RegionSpec;
  /** Give each vCPU its own equal slice of the region, as guestperf's stress does. */
  partition?: boolean;
}

export type WorkloadSpec =
  | (WorkloadBase & { kind: 'uniform' })
  | (WorkloadBase & {
      kind: 'hotset';
      /** Bytes of the hot subset, at the start of the region. */
      hotBytes: number;
      /** Share of accesses that go to the hot subset (default 0.9). */
      hotShare?: number;
    })
  | (WorkloadBase & { kind: 'zipf'; exponent: number })
  | (WorkloadBase & { kind: 'sequential' })
  | { kind: 'idle'; vcpus?: VcpuSelector }
  | {
      /**
       * Allocate/free churn on the guest's buddy allocator, plus writes into what is
       * allocated: free memory fragments as in a long-running guest.
       */
      kind: 'alloc';
      vcpus?: VcpuSelector;
      /** Page accesses per second per vCPU into the workload's allocated blocks. */
      rate: number;
      /** Share of those accesses that are reads (default 0). */
      readFraction?: number;
      /** Allocations or frees per second per vCPU; each allocation writes its pages. */
      churn: number;
      /** Bytes the workload keeps allocated (it allocates below, frees above). */
      usedBytes: number;
      /** Largest allocation order; order k is half as likely as k-1 (default 3). */
      maxOrder?: number;
      /**
       * Bytes allocated at boot before freeing at random down to `usedBytes` (default
       * usedBytes): the survivors lie scattered, so free memory is fragmented.
       */
      peakBytes?: number;
    }
  | {
      kind: 'phases';
      vcpus?: VcpuSelector;
      phases: readonly { durationNs: number; workload: WorkloadSpec }[];
      /** Start again after the last phase (default true). */
      repeat?: boolean;
    }
  | {
      kind: 'trace';
      vcpus?: VcpuSelector;
      /** Rows in time order: ns since the start of migration, vCPU, gfn, 'r' | 'w'. */
      rows: readonly TraceRow[];
      /** Replay from the start when the trace ends (default false: the vCPUs go idle). */
      loop?: boolean;
    };

export interface TraceRow {
  time: number;
  vcpu: number;
  gfn: number;
  op: 'r' | 'w';
}

/**
 * A device that writes guest memory without a running vCPU when the VM stops: the
 * arm64 GICv3 ITS (KVM_DEV_ARM_ITS_SAVE_TABLES) or the GICv3 redistributors' LPI
 * pending tables (KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, vgic_v3_save_pending_tables),
 * both saved by QEMU's VM state change handlers.
 */
export type DeviceSpec = {
  kind: 'its' | 'vgic-v3';
  /** Bytes of tables the device saves into guest RAM at switchover. */
  tableBytes: number;
  /**
   * RAM offset of the tables. Default: the end of RAM, below the tables of the
   * devices written before it that have no offset either (devicePlacements).
   */
  offset?: number;
};

/** Where a device's tables lie in guest RAM, in pages from the start of RAM. */
export interface DevicePlacement {
  device: DeviceSpec;
  firstPage: number;
  pages: number;
}

/**
 * Where each device's tables go. A device with an offset keeps it; the others are
 * stacked down from the end of RAM in the order written, so that an ITS and a
 * vgic-v3 without offsets do not share pages (in a real VM the guest allocates each
 * table apart; which pages they are does not matter to the dirty log, only that they
 * are distinct). checkPlan refuses tables that overlap or run past the end of RAM.
 */
export function devicePlacements(
  devices: readonly DeviceSpec[],
  ramBytes: number,
): DevicePlacement[] {
  const ramPages = Math.floor(ramBytes / 4096);
  let below = ramPages;
  return devices.map((device) => {
    const pages = Math.max(1, Math.ceil(device.tableBytes / 4096));
    if (device.offset !== undefined) {
      return { device, firstPage: Math.floor(device.offset / 4096), pages };
    }
    below -= pages;
    return { device, firstPage: below, pages };
  });
}

/** 'vgic_v3' and 'its' as the language spells them. */
function deviceName(d: DeviceSpec): string {
  return d.kind === 'vgic-v3' ? 'vgic_v3' : 'its';
}

export type DirtyLogChoice =
  | 'bitmap' // GET_DIRTY_LOG clears
  | 'bitmap-manual' // manual protect, lazy CLEAR in chunks
  | 'bitmap-initially-set' // ... with INITIALLY_SET
  | 'ring' // per-vCPU dirty ring
  | 'ring-with-bitmap'; // arm64 ring + bitmap

export interface TrackingPolicy {
  name: string;
  dirtyLog: DirtyLogChoice;
  /** Ring entries (power of two; default 4096, QEMU's suggestion). */
  ringEntries?: number;
  /** Use KVM_CAP_DIRTY_LOG_RING_ACQ_REL (default: on arm64, where it is the only one). */
  ringAcqRel?: boolean;
  /** x86 kvm.eager_page_split (default on). On arm64 see eagerSplitChunkBytes. */
  eagerSplit?: boolean;
  /** arm64 KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE (default 0: off). */
  eagerSplitChunkBytes?: number;
  /** x86 PML (default on for x86). */
  pml?: boolean;
  fastPageFault?: boolean;
  splitOnFault?: SplitOnFault;
  /**
   * mmu_lock: the TDP MMU's rwlock (faults share it; default) or the spinlock it was
   * before Linux 5.12 (x86) and 6.2 (arm64), which every fault takes exclusively.
   */
  mmuLock?: MmuLockKind;
  /**
   * x86 paging: two-dimensional (`tdp`, EPT/NPT; default) or `shadow`
   * (kvm_intel.ept=0 / kvm_amd.npt=0): rmap write protection, faults under an
   * exclusive mmu_lock, no fast page fault, PML or eager split.
   */
  mmu?: 'tdp' | 'shadow';
  /**
   * The host kernel's preemption model: under `full` a long walk under mmu_lock
   * yields to a waiting vCPU (KvmParams.preempt). Default voluntary.
   */
  preempt?: PreemptModel;
  /**
   * ring_with_bitmap only: when the VMM enables KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP,
   * before its memslots (as KVM requires; default) or after them, as a VMM that turns
   * the bitmap on only for a migration would. KVM refuses the latter with EINVAL.
   */
  ringBitmapEnable?: 'before-memslots' | 'after-memslots';
  /** Proposals from the debates (not KVM). */
  proposals?: Partial<Proposals>;
  /** QEMU kvm-reaper period for rings (default 1 s). */
  reaperIntervalNs?: number;
  /**
   * Proposal: threads the VMM harvests the dirty rings with, in parallel, each taking
   * whole rings (default 1, QEMU's one kvm_dirty_ring_reaper_thread). Paolo Bonzini
   * gave "parallelizes the processing of dirty pages" as the first advantage of
   * per-vCPU rings (kvm@, 2019-12-03,
   * https://lore.kernel.org/all/fd882b9f-e510-ff0d-db43-eced75427fc6@redhat.com/), and
   * Sean Christopherson's pool was to keep it ("that'd allow parallel processing",
   * https://lore.kernel.org/all/20191203184600.GB19877@linux.intel.com/).
   */
  reapers?: number;
  /** QEMU x-clear-bitmap-shift (default 18: CLEAR in 1 GiB chunks). */
  clearBitmapShift?: number;
}

export type ConvergeMode = 'none' | 'auto-converge' | 'dirty-limit';

export interface MigrationPolicy {
  name: string;
  /** Stop rule: QEMU's precopy (bandwidth x downtime) or Xen's (rounds, 3x memory, < 50 pages). */
  kind?: 'precopy' | 'xen';
  /** Link bandwidth in bytes per second. */
  bandwidth: number;
  /** QEMU max-bandwidth cap in bytes per second (default: the link). */
  maxBandwidth?: number;
  /** downtime-limit (default 300 ms). */
  downtimeLimitNs?: number;
  /** Syncs after which the management layer acts (default 0: no limit). */
  maxIterations?: number;
  /** What happens at maxIterations: stop the guest and finish, switch to postcopy, or cancel. */
  onMaxIterations?: 'force' | 'postcopy' | 'cancel';
  converge?: ConvergeMode;
  /** cpu-throttle-initial / -increment / max-cpu-throttle, in percent (20 / 10 / 99). */
  throttleInitial?: number;
  throttleIncrement?: number;
  throttleMax?: number;
  /** throttle-trigger-threshold in percent (50). */
  throttleTriggerThreshold?: number;
  /** vcpu-dirty-limit in bytes per second per vCPU (QEMU default 1 MB/s). */
  dirtyLimit?: number;
  /** Switch to postcopy after this many syncs (0: never). */
  postcopyAfterIterations?: number;
  /** Latency of a postcopy remote page fault (default 10.68 ms, vanilla 4K). */
  postcopyFaultLatencyNs?: number;
  /** avail-switchover-bandwidth in bytes per second (0: use the estimate). */
  availSwitchoverBandwidth?: number;
  /** Zero-page detection throughput of the migration thread (default 10.4 GB/s). */
  zeroScanBytesPerSec?: number;
  /** Device state sent during downtime (default 1 MiB). */
  deviceStateBytes?: number;
  /**
   * When the dirty bitmap is synced from KVM: `threshold` (QEMU since 1.2: only when
   * what remains to send falls under bandwidth x downtime-limit, and at completion) or
   * `every-tick` (QEMU up to 1.1: ram_save_live synced at every call, i.e. at every
   * 100 ms tick of the rate limiter). Default threshold.
   */
  bitmapSync?: BitmapSyncRule;
}

/** When QEMU syncs the dirty bitmap during precopy (see MigrationPolicy.bitmapSync). */
export type BitmapSyncRule = 'threshold' | 'every-tick';

/**
 * A plan no run can carry out, found before anything is built. The message says
 * what is wrong and how to fix it; front ends label it by its name.
 */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

function checkDevicePlacements(vm: VmSpec): void {
  const ramBytes = vm.slots.reduce((sum, s) => sum + s.size, 0);
  const ramPages = Math.floor(ramBytes / 4096);
  const placed = devicePlacements(vm.devices ?? [], ramBytes);
  const where = (p: DevicePlacement): string =>
    `${deviceName(p.device)} (${p.pages * 4} KiB at ${p.firstPage * 4} KiB${p.device.offset === undefined ? ', below the end of RAM' : ''})`;
  for (const [k, p] of placed.entries()) {
    if (p.firstPage < 0 || p.firstPage + p.pages > ramPages) {
      throw new PlanError(
        `VM ${vm.name}: the tables of device ${deviceName(p.device)} (${p.pages * 4} KiB${p.device.offset !== undefined ? ` at offset ${p.firstPage * 4} KiB` : ''}) do not fit in its ${ramPages * 4} KiB of RAM; make them smaller${p.device.offset !== undefined ? ' or lower the offset' : ''}`,
      );
    }
    for (const q of placed.slice(0, k)) {
      if (p.firstPage < q.firstPage + q.pages && q.firstPage < p.firstPage + p.pages) {
        throw new PlanError(
          `VM ${vm.name}: the tables of device ${where(q)} and device ${where(p)} overlap; give one an offset outside the other's pages`,
        );
      }
    }
  }
}

/**
 * Check what a run needs of its plan as a whole (the vCPUs, the slots, devices that
 * fit the architecture, a dirty-log mode the migration can work with). Throws
 * PlanError; the workloads are checked when they are compiled.
 */
export function checkPlan(plan: RunPlan): void {
  const { vm, tracking, migration } = plan;
  if (vm.vcpus < 1 || !Number.isInteger(vm.vcpus)) {
    throw new PlanError(
      `a VM needs a whole number of vCPUs >= 1, got ${vm.vcpus}; set vcpus to 1 or more`,
    );
  }
  if (vm.slots.length === 0) throw new PlanError(`VM ${vm.name} has no memory slot; add one`);
  for (const d of vm.devices ?? []) {
    if (d.kind === 'its' && vm.arch !== 'arm64') {
      throw new PlanError(
        `VM ${vm.name} is ${vm.arch} but has an ITS, a GICv3 device of arm64; remove the device or use arch arm64`,
      );
    }
    if (d.kind === 'vgic-v3' && vm.arch !== 'arm64') {
      throw new PlanError(
        `VM ${vm.name} is ${vm.arch} but has a vgic-v3, the GICv3 of arm64; remove the device or use arch arm64`,
      );
    }
  }
  checkDevicePlacements(vm);
  const mode = LOG_MODES[tracking.dirtyLog] as LogMode | undefined;
  if (!mode) {
    throw new PlanError(
      `tracking ${tracking.name} has dirty-log mode ${String(tracking.dirtyLog)}; use one of ${Object.keys(LOG_MODES).join(', ')}`,
    );
  }
  if (migration.converge === 'dirty-limit' && !mode.ring) {
    throw new PlanError(
      'dirty-limit needs a dirty ring (QEMU enforces it through ring-full exits); use dirtyLog ring',
    );
  }
}

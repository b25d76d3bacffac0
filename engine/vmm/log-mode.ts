import type { Arch } from '../kvm/types.ts';
import type { EnableCap } from '../kvm/vm.ts';
import type { DirtyLogChoice, TrackingPolicy } from '../plan.ts';
import {
  Cap,
  KVM_DIRTY_GFN_SIZE,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
} from '../kvm/uapi.ts';

/**
 * What a dirty-log mode is made of, one row per mode, after the `struct log_mode`
 * table of KVM's tools/testing/selftests/kvm/dirty_log_test.c: the capabilities the
 * VMM enables on a new VM, and how dirty pages come out of KVM afterwards. The
 * simulation enables the caps; DirtySync collects by the flags.
 */
export interface LogMode {
  readonly name: DirtyLogChoice;
  /**
   * Dirty pages come out of the per-vCPU rings (QEMU kvm_dirty_ring_reap, then
   * KVM_RESET_DIRTY_RINGS); otherwise KVM_GET_DIRTY_LOG per slot at every sync.
   */
  readonly ring: boolean;
  /** Ring + bitmap (arm64): the final sync, with the VM stopped, also GETs each slot's bitmap. */
  readonly withBitmap: boolean;
  /**
   * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: GET leaves the pages writable and the VMM
   * re-protects them with KVM_CLEAR_DIRTY_LOG, one clear_bmap chunk at a time.
   */
  readonly manualClear: boolean;
  /** KVM_DIRTY_LOG_INITIALLY_SET: logging starts with every bit set and nothing write-protected. */
  readonly initiallySet: boolean;
  /** The KVM_ENABLE_CAP calls, in order, that set the mode up on a VM with no vCPU yet. */
  caps(tracking: TrackingPolicy, arch: Arch): EnableCap[];
}

/** QEMU's default dirty-ring-size, in entries (its suggestion for most guests). */
const DEFAULT_RING_ENTRIES = 4096;

/** KVM_CAP_DIRTY_LOG_RING(_ACQ_REL) with the policy's size; ACQ_REL is the only one on arm64. */
function ringCap(tracking: TrackingPolicy, arch: Arch): EnableCap {
  const entries = tracking.ringEntries ?? DEFAULT_RING_ENTRIES;
  const acqRel = tracking.ringAcqRel ?? arch === 'arm64';
  return {
    cap: acqRel ? Cap.DirtyLogRingAcqRel : Cap.DirtyLogRing,
    args: [entries * KVM_DIRTY_GFN_SIZE],
  };
}

function manualCap(flags: number): EnableCap {
  return { cap: Cap.ManualDirtyLogProtect2, args: [flags] };
}

export const LOG_MODES: Readonly<Record<DirtyLogChoice, LogMode>> = Object.freeze({
  bitmap: {
    name: 'bitmap',
    ring: false,
    withBitmap: false,
    manualClear: false,
    initiallySet: false,
    caps: () => [],
  },
  'bitmap-manual': {
    name: 'bitmap-manual',
    ring: false,
    withBitmap: false,
    manualClear: true,
    initiallySet: false,
    caps: () => [manualCap(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)],
  },
  'bitmap-initially-set': {
    name: 'bitmap-initially-set',
    ring: false,
    withBitmap: false,
    manualClear: true,
    initiallySet: true,
    caps: () => [manualCap(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET)],
  },
  ring: {
    name: 'ring',
    ring: true,
    withBitmap: false,
    manualClear: false,
    initiallySet: false,
    caps: (tracking, arch) => [ringCap(tracking, arch)],
  },
  'ring-with-bitmap': {
    name: 'ring-with-bitmap',
    ring: true,
    withBitmap: true,
    manualClear: false,
    initiallySet: false,
    caps: (tracking, arch) => [ringCap(tracking, arch), { cap: Cap.DirtyLogRingWithBitmap }],
  },
});

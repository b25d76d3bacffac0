import type { VcpuThread } from '../guest/vcpu-thread.ts';
import { STALL_CAUSES } from '../guest/vcpu-thread.ts';
import { Outcome } from '../kvm/mmu.ts';

/**
 * One vCPU's counters at one moment: what its guest thread did and what KVM did for
 * it. Two of them, at the start of migration and at its end, make that vCPU's row of
 * the `vcpu_stats` table.
 */
export interface VcpuSnapshot {
  vcpu: number;
  accesses: number;
  writes: number;
  idealAccesses: number;
  /** VM exits KVM handled for the vCPU's accesses (faults, PML-full, MMIO). */
  vmExits: number;
  /** KVM_RUN returns to userspace (ring full, MMIO). */
  userspaceExits: number;
  ringFullExits: number;
  stallNs: Float64Array;
}

/** A row of the `vcpu_stats` table (engine/results.ts lists its columns). */
export type VcpuStatsRow = Record<string, number>;

/** Outcomes that are a VM exit (the vCPU left guest mode for KVM). */
const VM_EXIT_OUTCOMES: readonly Outcome[] = [
  Outcome.PmlFullExit,
  Outcome.FastFault,
  Outcome.SlowFault,
  Outcome.SplitOnFault,
  Outcome.ZapOnFault,
  Outcome.MmioExit,
];

export function vcpuSnapshot(thread: VcpuThread): VcpuSnapshot {
  const stats = thread.vcpu.stats;
  let vmExits = 0;
  for (const o of VM_EXIT_OUTCOMES) vmExits += stats.byOutcome[o];
  return {
    vcpu: thread.id,
    accesses: thread.accesses,
    writes: thread.writes,
    idealAccesses: thread.idealAccesses,
    vmExits,
    userspaceExits: stats.userspaceExits,
    ringFullExits: stats.byOutcome[Outcome.DirtyRingFull],
    stallNs: Float64Array.from(thread.stallNs),
  };
}

/**
 * The migration's share of one vCPU's counters, `end` less `start`: its accesses and
 * writes, its progress (the accesses it made out of those it would have made
 * undisturbed, as the summary's guest_slowdown counts them for the VM), its exits and
 * the time it lost by cause (the summary's stall_<cause>_ms are these summed).
 */
export function vcpuStatsRow(start: VcpuSnapshot, end: VcpuSnapshot): VcpuStatsRow {
  const accesses = end.accesses - start.accesses;
  const ideal = end.idealAccesses - start.idealAccesses;
  const row: VcpuStatsRow = {
    vcpu: end.vcpu,
    guest_accesses: accesses,
    guest_writes: end.writes - start.writes,
    guest_progress: ideal > 0 ? accesses / ideal : 1,
    vm_exits: end.vmExits - start.vmExits,
    userspace_exits: end.userspaceExits - start.userspaceExits,
    ring_full_exits: end.ringFullExits - start.ringFullExits,
  };
  STALL_CAUSES.forEach(
    (c, k) => (row[`stall_${c}_ms`] = (end.stallNs[k] - start.stallNs[k]) / 1e6),
  );
  return row;
}

/** The `vcpu_stats` columns before the stall_<cause>_ms ones, in order. */
export const VCPU_STATS_COLUMNS = [
  'vcpu',
  'guest_accesses',
  'guest_writes',
  'guest_progress',
  'vm_exits',
  'userspace_exits',
  'ring_full_exits',
  'max_stall_ms',
] as const;

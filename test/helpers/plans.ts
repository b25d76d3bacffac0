import type {
  MigrationPolicy,
  RunPlan,
  TrackingPolicy,
  VmSpec,
  WorkloadSpec,
} from '../../engine/plan.ts';

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;

/** A small VM: `vcpus` vCPUs, one slot of `ram` bytes at 4 GiB, one workload for all vCPUs. */
export function smallVm(
  over: Partial<VmSpec> & { ram?: number; workload?: WorkloadSpec } = {},
): VmSpec {
  const ram = over.ram ?? GiB;
  return {
    name: over.name ?? 'vm',
    arch: over.arch ?? 'x86_64',
    vcpus: over.vcpus ?? 4,
    slots: over.slots ?? [{ name: 'ram0', gpa: 4 * GiB, size: ram, backing: 'hugetlb_2m' }],
    workloads: over.workloads ?? [
      over.workload ?? { kind: 'hotset', rate: 20_000, hotBytes: 64 * MiB, hotShare: 0.95 },
    ],
    devices: over.devices ?? [],
    prefill: over.prefill ?? 0.25,
  };
}

export function tracking(over: Partial<TrackingPolicy> = {}): TrackingPolicy {
  return { name: over.name ?? 'tracking', dirtyLog: 'bitmap-manual', ...over };
}

export function migration(over: Partial<MigrationPolicy> = {}): MigrationPolicy {
  return { name: over.name ?? 'migration', bandwidth: 1e9, downtimeLimitNs: 300e6, ...over };
}

export function plan(over: Partial<RunPlan> = {}): RunPlan {
  return {
    vm: over.vm ?? smallVm(),
    tracking: over.tracking ?? tracking(),
    migration: over.migration ?? migration(),
    seed: over.seed ?? 1,
    warmupNs: over.warmupNs ?? 500e6,
    maxTimeNs: over.maxTimeNs ?? 60e9,
    ...over,
  };
}

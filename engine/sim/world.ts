import type { RunPlan, TrackingPolicy } from '../plan.ts';
import type { KvmParams } from '../kvm/params.ts';
import type { Vm } from '../kvm/vm.ts';
import type { IterationRecord, MigrationEvent } from '../vmm/migration-thread.ts';
import type { PrecopyPolicy } from '../vmm/policy-hook.ts';
import type { LogMode } from '../vmm/log-mode.ts';
import { Kvm } from '../kvm/kvm.ts';
import { Cap, KVM_MEM_READONLY } from '../kvm/uapi.ts';
import { GuestMemory } from '../guest/memory.ts';
import { compileWorkloads } from '../guest/workload.ts';
import { VcpuThread } from '../guest/vcpu-thread.ts';
import { Destination } from '../vmm/destination.ts';
import { DirtySync } from '../vmm/dirty-sync.ts';
import { Link } from '../vmm/link.ts';
import { ConvergeController } from '../vmm/converge.ts';
import { MigrationThread } from '../vmm/migration-thread.ts';
import { LOG_MODES } from '../vmm/log-mode.ts';
import { GuestBalloon } from './balloon.ts';
import { Rng } from './rng.ts';

/** The clock of a run, from the plan with its defaults, ns. */
export interface RunTiming {
  /** Scheduler time slice. */
  sliceNs: number;
  /** Guest run time before migration starts. */
  warmupNs: number;
  samplePeriodNs: number;
  /** Simulated time from the start of migration after which the run gives up. */
  maxTimeNs: number;
}

export function timingOf(plan: RunPlan): RunTiming {
  return {
    sliceNs: plan.sliceNs ?? 5e6,
    warmupNs: plan.warmupNs ?? 1e9,
    samplePeriodNs: plan.samplePeriodNs ?? 100e6,
    maxTimeNs: plan.maxTimeNs ?? 600e9,
  };
}

/** Everything a run is made of: the KVM model, the guest, the VMM's migration. */
export interface World {
  plan: RunPlan;
  timing: RunTiming;
  vm: Vm;
  logMode: LogMode;
  memory: GuestMemory;
  threads: VcpuThread[];
  /** The guest's allocator, reporting and hinting, when the VM has a balloon or alloc workload. */
  balloon: GuestBalloon | null;
  dest: Destination;
  sync: DirtySync;
  link: Link;
  converge: ConvergeController;
  migration: MigrationThread;
  events: MigrationEvent[];
  iterations: IterationRecord[];
}

/** The KVM parameters a tracking policy asks for. */
export function kvmParamsFor(arch: 'x86_64' | 'arm64', t: TrackingPolicy): Partial<KvmParams> {
  const x86 = arch === 'x86_64';
  // PML needs EPT; shadow paging defaults it off (and eager split, which it ignores).
  const shadow = t.mmu === 'shadow';
  const params: Partial<KvmParams> = {
    eagerPageSplit: x86 ? (t.eagerSplit ?? !shadow) : false,
    enablePml: x86 && !shadow ? (t.pml ?? true) : false,
    fastPageFault: t.fastPageFault ?? true,
  };
  if (t.splitOnFault) params.splitOnFault = t.splitOnFault;
  if (t.mmuLock) params.mmuLock = t.mmuLock;
  if (shadow) params.tdp = false;
  if (t.preempt) params.preempt = t.preempt;
  if (t.proposals)
    params.proposals = { ...(params.proposals ?? {}), ...t.proposals } as KvmParams['proposals'];
  return params;
}

/**
 * Build a checked plan's world as a VMM would: the VM with its dirty-log mode's caps
 * (before any vCPU, as KVM requires for the ring), the memslots, the vCPUs, guest
 * memory and workloads, then the migration's side. Random streams are forked in a
 * fixed order (one per vCPU, then the balloon), so a plan draws the same numbers
 * whatever else it contains.
 */
export function buildWorld(plan: RunPlan, precopyPolicy?: PrecopyPolicy): World {
  const { vm: spec, tracking, migration: policy } = plan;
  const timing = timingOf(plan);
  const kvm = new Kvm({
    arch: spec.arch,
    params: kvmParamsFor(spec.arch, tracking),
    costs: plan.costs,
  });
  const maxGpa = Math.max(...spec.slots.map((s) => s.gpa + s.size));
  const vm = kvm.createVm({ ipaBits: Math.max(40, Math.ceil(Math.log2(maxGpa + 1))) });
  const logMode = LOG_MODES[tracking.dirtyLog];
  // A VMM that enables WITH_BITMAP only once its memslots exist meets KVM's EINVAL
  // (kvm_vm_ioctl_enable_cap_generic: the memslots must all be empty).
  const late = logMode.withBitmap && tracking.ringBitmapEnable === 'after-memslots';
  const caps = logMode.caps(tracking, spec.arch);
  const deferred = late ? caps.filter((c) => c.cap === Cap.DirtyLogRingWithBitmap) : [];
  for (const cap of caps) if (!deferred.includes(cap)) vm.enableCapRaw(cap);
  if (spec.arch === 'arm64' && tracking.eagerSplitChunkBytes) {
    vm.enableCap(Cap.ArmEagerSplitChunkSize, tracking.eagerSplitChunkBytes);
  }
  spec.slots.forEach((s, id) => {
    vm.setUserMemoryRegion({
      slot: id,
      flags: s.readonly ? KVM_MEM_READONLY : 0,
      guestPhysAddr: s.gpa,
      memorySize: s.size,
      backing: s.backing,
    });
  });
  for (const cap of deferred) vm.enableCapRaw(cap);
  const vcpus = Array.from({ length: spec.vcpus }, (_, id) => vm.createVcpu(id));
  const memory = new GuestMemory(vm.memslots());
  memory.prefill(spec.prefill ?? 0);
  const rng = new Rng(plan.seed);
  const balloon = GuestBalloon.needed(spec) ? new GuestBalloon(spec, memory, vm) : null;
  const patterns = compileWorkloads(spec.workloads, spec.vcpus, memory, balloon?.buddy ?? null);
  const threads = vcpus.map((v, i) => new VcpuThread(v, patterns[i], rng.fork()));
  // Forked after the vCPUs' streams, so runs without a balloon draw as they always did.
  balloon?.boot(patterns, rng.fork());

  const dest = new Destination(memory.slots);
  const sync = new DirtySync(vm, memory, tracking.dirtyLog, tracking.clearBitmapShift ?? 18);
  sync.reapers = tracking.reapers ?? 1;
  balloon?.attachMigration(sync, policy);
  const link = new Link(policy.bandwidth, policy.maxBandwidth ?? policy.bandwidth);
  const converge = new ConvergeController(policy, timing.warmupNs);
  const events: MigrationEvent[] = [];
  const iterations: IterationRecord[] = [];
  const migration = new MigrationThread(
    {
      vm,
      memory,
      dest,
      sync,
      link,
      converge,
      policy,
      devices: spec.devices ?? [],
      events,
      iterations,
      precopyPolicy,
      hinting: balloon?.hinting ?? null,
      host: balloon?.host ?? null,
    },
    timing.warmupNs,
  );
  return {
    plan,
    timing,
    vm,
    logMode,
    memory,
    threads,
    balloon,
    dest,
    sync,
    link,
    converge,
    migration,
    events,
    iterations,
  };
}

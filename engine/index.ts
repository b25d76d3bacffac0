/**
 * mmulab's engine: a simulator of KVM's MMU and dirty logging.
 *
 * The KVM layer mirrors the UAPI:
 *
 * ```ts
 * const kvm = new Kvm({ arch: 'x86_64', params: { eagerPageSplit: true } });
 * const vm = kvm.createVm();
 * vm.enableCap(Cap.ManualDirtyLogProtect2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
 * vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 1 << 30, backing: 'hugetlb_1g' });
 * const vcpu = vm.createVcpu(0);
 * vcpu.write(asGfn(0x10));                       // { outcome: 'slow-fault', costNs, exit: null }
 * vm.setUserMemoryRegion({ slot: 0, flags: KVM_MEM_LOG_DIRTY_PAGES, guestPhysAddr: 0, memorySize: 1 << 30 });
 * const bitmap = vm.getDirtyLog(0);               // KVM's layout: bit i of byte j is page 8j + i
 * vm.clearDirtyLog(0, 0, 262144, bitmap);
 * ```
 *
 * - `Kvm` (`/dev/kvm`): `createVm()`, `checkExtension(cap)`; module parameters and the
 *   cost table are fixed per instance (`new Kvm({ arch, params, costs })`).
 * - `Vm`: `setUserMemoryRegion`, `enableCap(Cap.X, ...args)` (`Cap.ManualDirtyLogProtect2`,
 *   `Cap.DirtyLogRing`, `Cap.DirtyLogRingAcqRel`, `Cap.DirtyLogRingWithBitmap`,
 *   `Cap.ArmEagerSplitChunkSize`), `createVcpu(id)`, `getDirtyLog(slot)`,
 *   `clearDirtyLog(slot, firstPage, numPages, bitmap)`, `dirtyRings()` and
 *   `resetDirtyRings()`, `markPageDirtyWithoutVcpu(gfn)`, `getStats()`, `lastIoctl`.
 * - `Vcpu`: `read(gfn)`, `write(gfn)` (one access: outcome, cost, exit) and
 *   `runAccesses(gfns, writes, start, end)` (a batch; stops when the ring is full).
 * - `KvmError` carries `.errno` ("EINVAL", "EEXIST", "ENOENT", "E2BIG", "EFAULT", "ENXIO").
 *
 * Proposals from the design debates (not KVM) live under `params.proposals`.
 */
export * from './kvm/index.ts';

// The simulator above the KVM model: run(plan) migrates a VM and returns Arquero tables.
export { run } from './run.ts';
export type { RunOptions } from './sim/simulation.ts';
export type {
  PolicyAction,
  PrecopyDecision,
  PrecopyPolicy,
  PrecopyState,
} from './vmm/policy-hook.ts';
export type { IterationRecord } from './vmm/migration-thread.ts';
export type * from './plan.ts';
export { PlanError, checkPlan } from './plan.ts';
export { MMULAB_VERSION, planHash, provenanceOf } from './results.ts';
export type { Provenance, RunResult } from './results.ts';

// The race explorer: lockless MMU protocols explored under SC and x86-TSO.
export * as races from './races/index.ts';

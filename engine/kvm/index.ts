export * from './types.ts';
export * from './uapi.ts';
export { KvmError, SimInvariantError } from './errors.ts';
export { Kvm } from './kvm.ts';
export type { KvmOptions } from './kvm.ts';
export { Vm } from './vm.ts';
export type { CreateVmOptions, EnableCap, TrackingMemory } from './vm.ts';
export { Vcpu } from './vcpu.ts';
export type { BatchResult, VcpuStats } from './vcpu.ts';
export { Memslot } from './memslot.ts';
export { SlotTdp } from './tdp-mmu.ts';
export type { SlotTdpOptions } from './tdp-mmu.ts';
export { DirtyRing, ringReservedEntries } from './dirty-ring.ts';
export { PmlBuffer } from './pml.ts';
export { ACCESS_OUTCOMES, Outcome } from './mmu.ts';
export { OpCost, emptyVmStats } from './stats.ts';
export type { VmStats } from './stats.ts';
export { DEFAULT_COSTS, COST_INFO, resolveCosts } from './costs.ts';
export type { CostInfo, Costs, CostSource } from './costs.ts';
export {
  DEFAULT_BALLOON_COSTS,
  BALLOON_COST_SOURCES,
  resolveBalloonCosts,
} from './balloon-costs.ts';
export type { BalloonCosts } from './balloon-costs.ts';
export { defaultParams, resolveParams, DEFAULT_PROPOSALS } from './params.ts';
export type { KvmParams, Proposals } from './params.ts';
export * from './spte.ts';
export type { MemslotChange } from './set-memory-region.ts';

import type { Arch, DirtyGranularity, RingTopology, SplitOnFault } from './types.ts';
import { SpteLevel } from './types.ts';
import type { MmuLockKind } from './contention.ts';

/**
 * KVM module parameters and kernel-version behaviours, plus the proposals from the
 * design debates. Proposals are grouped under `proposals` and are not KVM.
 */
export interface KvmParams {
  /** x86 `kvm.eager_page_split` (default Y). Ignored on arm64, which uses KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE. */
  eagerPageSplit: boolean;
  /** x86 `kvm_intel.pml` (default Y on Intel). Always off on arm64. */
  enablePml: boolean;
  /** x86 fast_page_fault: fix write-protected SPTEs locklessly. Off models a kernel without it (pre-2012). */
  fastPageFault: boolean;
  /** Split a huge SPTE on a write fault in place (6.2+) or zap it (pre-6.2 x86, arm64). */
  splitOnFault: SplitOnFault;
  /**
   * x86 maps a read fault in a logged slot writable (and marks the page dirty) when
   * the host page is writable (`hva_to_pfn` + `make_spte`); arm64 maps it read-only.
   */
  readFaultMapsWritable: boolean;
  /** Largest mapping the MMU uses: 1G where EPT/NPT support it, else 2M. */
  maxHugeLevel: SpteLevel;
  /**
   * mmu_lock: the TDP MMU's rwlock (faults take it for read and run in parallel; x86
   * since 5.12, arm64 since 6.2), or the exclusive spinlock it was before (2012's KVM,
   * the shadow MMU).
   */
  mmuLock: MmuLockKind;
  /**
   * x86 two-dimensional paging (EPT/NPT, `kvm_intel.ept` / `kvm_amd.npt`, default Y).
   * false is shadow paging: KVM shadows the guest's page tables (mmu.c's shadow MMU,
   * paging_tmpl.h), write-protects through rmaps and handles every fault under
   * mmu_lock held exclusively. arm64 always has stage 2.
   */
  tdp: boolean;
  /**
   * The host kernel's preemption model (CONFIG_PREEMPT_NONE / _VOLUNTARY / PREEMPT, or
   * `preempt=` with PREEMPT_DYNAMIC). Only under full preemption does a long walk
   * under mmu_lock yield to a waiting vCPU: rwlock_needbreak / spin_needbreak
   * (include/linux/sched.h) report contention only with CONFIG_PREEMPTION, and KVM's
   * walks yield on `need_resched() || rwlock_needbreak(&kvm->mmu_lock)`
   * (tdp_mmu_iter_cond_resched, walk_slot_rmaps, stage2_apply_range). Default
   * voluntary, the usual distribution setting.
   */
  preempt: PreemptModel;
  /** Proposals from the debates. Not KVM. */
  proposals: Proposals;
}

/** The host kernel's preemption model (KvmParams.preempt). */
export type PreemptModel = 'none' | 'voluntary' | 'full';

/** A walk that checks for waiters gives mmu_lock up to them (rwlock_needbreak is true only with CONFIG_PREEMPTION). */
export function yieldsToWaiters(params: KvmParams): boolean {
  return params.preempt === 'full';
}

/** Proposals from the design debates, modelled but not KVM. */
export interface Proposals {
  /**
   * Per-vCPU rings (KVM), one ring per VM, or a pool of shared rings: the dirty-ring
   * RFC thread, kvm@, December 2019 (engine/kvm/ring-topology.ts cites the messages).
   */
  ringTopology: RingTopology;
  /**
   * Track dirty memory at 4K (KVM) or 2M: huge pages need only be split to 2M. David
   * Matlack's "last alternative" in the eager page splitting RFC (kvm@, 2021-11-04).
   */
  dirtyGranularity: DirtyGranularity;
  /**
   * Defer eager splitting to the first CLEAR / GET / ring reset of a range, in every
   * mode. Paolo Bonzini proposed the split at the first KVM_CLEAR_DIRTY_LOG for
   * INITIALLY_SET only (kvm@, 2021-11-05,
   * https://lore.kernel.org/all/c9bd3bca-f901-d8db-c23d-5292ab7bd247@redhat.com/),
   * which KVM does; this extends it to the modes the thread left splitting on enable.
   */
  splitOnFirstClear: boolean;
  /**
   * Where a write without a running vCPU goes in ring-only mode: KVM drops it
   * (`drop`); the proposals of the WITH_BITMAP debate (Gavin Shan's arm64 dirty-ring
   * series, kvmarm, 2022) push it into vCPU 0's ring (`vcpu0-ring`, Peter Xu's first
   * option) or into a ring of the VM's own beside the per-vCPU rings (`vm-ring`, Paolo
   * Bonzini's). No vCPU can be stopped for either ring when it fills: a write that
   * finds it hard-full is lost.
   */
  vcpulessWrites: VcpulessWrites;
  /**
   * Entries a ring keeps past its soft limit, in place of KVM's
   * kvm_dirty_ring_get_rsvd_entries (64, plus 512 with PML): the reserve size the
   * ring-pool debate asked about. null is KVM's. A reserve smaller than what a vCPU
   * pushes after crossing the soft limit (a PML buffer's flush) overflows the ring.
   */
  ringReserve: number | null;
}

/** Proposals.vcpulessWrites. */
export type VcpulessWrites = 'drop' | 'vcpu0-ring' | 'vm-ring';

export const DEFAULT_PROPOSALS: Readonly<Proposals> = Object.freeze<Proposals>({
  ringTopology: { kind: 'per-vcpu' },
  dirtyGranularity: '4k',
  splitOnFirstClear: false,
  vcpulessWrites: 'drop',
  ringReserve: null,
});

/** KVM's defaults for an architecture (Linux 6.2 or later). */
export function defaultParams(arch: Arch): KvmParams {
  return {
    eagerPageSplit: arch === 'x86_64',
    enablePml: arch === 'x86_64',
    fastPageFault: true,
    splitOnFault: arch === 'x86_64' ? 'in-place' : 'zap',
    readFaultMapsWritable: arch === 'x86_64',
    maxHugeLevel: SpteLevel.PG_LEVEL_1G,
    mmuLock: 'rwlock',
    tdp: true,
    preempt: 'voluntary',
    proposals: { ...DEFAULT_PROPOSALS },
  };
}

/** Validate params against the arch: PML and the x86 module parameters do not exist on arm64. */
export function resolveParams(arch: Arch, overrides: Partial<KvmParams> = {}): KvmParams {
  const params: KvmParams = {
    ...defaultParams(arch),
    ...overrides,
    proposals: { ...DEFAULT_PROPOSALS, ...(overrides.proposals ?? {}) },
  };
  if (arch === 'arm64' && params.enablePml) {
    throw new Error('enablePml is x86-only (Intel PML); arm64 has no PML in mainline KVM');
  }
  if (arch === 'arm64' && params.eagerPageSplit) {
    throw new Error(
      'eagerPageSplit is the x86 module parameter; on arm64 enable Cap.ArmEagerSplitChunkSize instead',
    );
  }
  if (!params.tdp && arch === 'arm64') {
    throw new Error('tdp false (shadow paging) is x86-only; arm64 always translates with stage 2');
  }
  if (!params.tdp && params.enablePml) {
    throw new Error(
      'enablePml needs EPT: vmx hardware_setup turns PML off without it; set enablePml false with tdp false',
    );
  }
  if (params.mmuLock !== 'rwlock' && params.mmuLock !== 'spinlock') {
    throw new Error(`mmuLock must be 'rwlock' or 'spinlock', got ${String(params.mmuLock)}`);
  }
  if (!['none', 'voluntary', 'full'].includes(params.preempt)) {
    throw new Error(`preempt must be 'none', 'voluntary' or 'full', got ${String(params.preempt)}`);
  }
  const topo = params.proposals.ringTopology;
  if (topo.kind === 'pool' && (!Number.isInteger(topo.rings) || topo.rings < 1)) {
    throw new Error(`a ring pool needs a whole number of rings >= 1, got ${topo.rings}`);
  }
  return params;
}

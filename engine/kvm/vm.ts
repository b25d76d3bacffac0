import type { Kvm } from './kvm.ts';
import type { Costs } from './costs.ts';
import type { KvmParams } from './params.ts';
import type { Arch, Gfn, LostDirtyEvent, DirtyLogMode, UserspaceMemoryRegion } from './types.ts';
import type { DirtyRing } from './dirty-ring.ts';
import type { MemslotChange } from './set-memory-region.ts';
import { KvmError } from './errors.ts';
import type { Memslot } from './memslot.ts';
import type { VmInternal } from './internal.ts';
import { DirtyRingSet } from './ring-topology.ts';
import { INTERNAL } from './internal.ts';
import { fls64, ringReservedEntries } from './dirty-ring.ts';
import { enableLogDirtyPtMasked, markPageDirtyInSlot } from './dirty-log.ts';
import { clearDirtyLog, getDirtyLog, getDirtyLogChanged } from './dirty-bitmap.ts';
import type { DirtyLogOnesLeft } from './dirty-bitmap.ts';
import { setUserMemoryRegion } from './set-memory-region.ts';
import { trackingLevelFor } from './eager-split.ts';
import { OpCost, emptyVmStats } from './stats.ts';
import type { VmStats } from './stats.ts';
import { Vcpu } from './vcpu.ts';
import type { SpteLevel } from './types.ts';
import {
  ARM64_SUPPORTED_BLOCK_SIZES,
  Cap,
  KVM_DIRTY_GFN_SIZE,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_CAPS,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_DIRTY_RING_MAX_ENTRIES,
  KVM_INTERNAL_MEM_SLOTS,
  KVM_MEM_SLOTS_NUM,
} from './uapi.ts';
import { PAGE_SIZE } from './types.ts';

/** `struct kvm_enable_cap` as the model takes it. */
export interface EnableCap {
  cap: Cap;
  flags?: number;
  args?: readonly number[];
}

/** Options of `kvm.createVm`. */
export interface CreateVmOptions {
  /** arm64 KVM_VM_TYPE_ARM_IPA_SIZE: guest physical address bits (default 40, KVM's default). */
  ipaBits?: number;
}

/** Memory the dirty-tracking structures use, in bytes. */
export interface TrackingMemory {
  /** Dirty bitmaps as KVM allocates them (bitmap + scratch half). */
  bitmapBytes: number;
  /** Dirty rings (16 bytes per entry). */
  ringBytes: number;
  /** PML buffers (4 KiB per vCPU). */
  pmlBytes: number;
  /** Page-table pages below the roots (grow when huge pages are split). */
  pageTableBytes: number;
}

/**
 * A VM (`struct kvm`) and its VM ioctls. Methods mirror the UAPI: each ioctl checks
 * what KVM checks and throws KvmError with KVM's errno; the simulated cost of the
 * last ioctl is in `lastIoctl`.
 */
export class Vm {
  readonly kvm: Kvm;
  readonly arch: Arch;
  readonly params: KvmParams;
  readonly costs: Costs;
  readonly stats: VmStats = emptyVmStats();
  readonly vcpus: Vcpu[] = [];
  /** Pages KVM dropped from the dirty log; see LostDirtyEvent. */
  readonly lostDirty: LostDirtyEvent[] = [];
  /**
   * arm64 `kvm_arch_allow_write_without_running_vcpu`: true while the ITS saves its
   * tables (saveItsTables). Tests set it to stand for other writers KVM allows.
   */
  allowWriteWithoutRunningVcpu = false;
  // The VM's modes: set by its ioctls only, read through the getters below.
  #lastIoctl: OpCost = new OpCost();
  #manualProtect = 0;
  #dirtyRingSize = 0;
  #dirtyRingAcqRel = false;
  #dirtyRingWithBitmap = false;
  #eagerSplitChunkSize = 0;
  #nrMemslotsDirtyLogging = 0;
  #rings: DirtyRingSet | null = null;
  /** Pages per dirty-log bit/entry: 1, or 512 under the 2M-granularity proposal. */
  readonly dirtyGranularityPages: number;
  /** Level huge pages are split to for dirty logging (4K, or 2M under the proposal). */
  readonly trackingLevel: SpteLevel;
  readonly nrAddressSpaces: number;
  readonly userMemSlots: number;
  /** Highest guest physical address bit (x86 MAXPHYADDR 52; arm64 IPA size). */
  readonly physBits: number;
  private readonly slots = new Map<number, Memslot>();
  /** Address space 0's slots sorted by baseGfn, for lookup on access. */
  private sorted: Memslot[] = [];
  private lastFound: Memslot | null = null;

  constructor(kvm: Kvm, options: CreateVmOptions = {}) {
    this.kvm = kvm;
    this.arch = kvm.arch;
    this.params = kvm.params;
    this.costs = kvm.costs;
    this.nrAddressSpaces = this.arch === 'x86_64' ? 2 : 1;
    this.userMemSlots = KVM_MEM_SLOTS_NUM - KVM_INTERNAL_MEM_SLOTS[this.arch];
    this.physBits = this.arch === 'arm64' ? (options.ipaBits ?? 40) : 52;
    this.dirtyGranularityPages = this.params.proposals.dirtyGranularity === '2m' ? 512 : 1;
    this.trackingLevel = trackingLevelFor(this.dirtyGranularityPages);
  }

  // ---- modes, set by the ioctls ----

  /** Cost of the most recent ioctl. */
  get lastIoctl(): OpCost {
    return this.#lastIoctl;
  }

  /** `kvm->manual_dirty_log_protect`. */
  get manualProtect(): number {
    return this.#manualProtect;
  }

  /** `kvm->dirty_ring_size` in bytes (0: no ring). */
  get dirtyRingSize(): number {
    return this.#dirtyRingSize;
  }

  /** KVM_CAP_DIRTY_LOG_RING_ACQ_REL was used (same behaviour; the flavour is recorded). */
  get dirtyRingAcqRel(): boolean {
    return this.#dirtyRingAcqRel;
  }

  /** `kvm->dirty_ring_with_bitmap`. */
  get dirtyRingWithBitmap(): boolean {
    return this.#dirtyRingWithBitmap;
  }

  /** arm64 `kvm->arch.mmu.split_page_chunk_size` in bytes (0: no eager split). */
  get eagerSplitChunkSize(): number {
    return this.#eagerSplitChunkSize;
  }

  /** `kvm->nr_memslots_dirty_logging`. */
  get nrMemslotsDirtyLogging(): number {
    return this.#nrMemslotsDirtyLogging;
  }

  /** The dirty rings, once the ring is enabled and vCPUs are created. */
  get rings(): DirtyRingSet | null {
    return this.#rings;
  }

  // ---- derived modes ----

  /** `kvm_use_dirty_bitmap`: no ring, or ring + WITH_BITMAP. */
  get useDirtyBitmap(): boolean {
    return this.dirtyRingSize === 0 || this.dirtyRingWithBitmap;
  }

  get initiallySet(): boolean {
    return (this.manualProtect & KVM_DIRTY_LOG_INITIALLY_SET) !== 0;
  }

  /** The dirty-log mode the enabled capabilities add up to. */
  get dirtyLogMode(): DirtyLogMode {
    if (this.dirtyRingSize) return this.dirtyRingWithBitmap ? 'ring-with-bitmap' : 'ring';
    if (!this.manualProtect) return 'bitmap';
    return this.initiallySet ? 'bitmap-manual-initially-set' : 'bitmap-manual';
  }

  /** PML is compiled in and enabled (`enable_pml`). */
  get pmlEnabled(): boolean {
    return this.params.enablePml;
  }

  /** PML is on in the VMCS: enabled and at least one slot logging. */
  get pmlActive(): boolean {
    return this.params.enablePml && this.nrMemslotsDirtyLogging > 0;
  }

  /**
   * x86 kvm.eager_page_split in effect: kvm_mmu_slot_try_split_huge_pages splits TDP MMU
   * huge pages (and nested shadow ones); under shadow paging it splits nothing.
   */
  get eagerPageSplit(): boolean {
    return this.params.eagerPageSplit && this.params.tdp;
  }

  /** fast_page_fault in effect: it fixes only direct SPTEs (mmu.c: the gfn of an indirect shadow page is not stable). */
  get fastPageFault(): boolean {
    return this.params.fastPageFault && this.params.tdp;
  }

  /** Whether eager splitting happens when a range is cleared (INITIALLY_SET, or the proposal). */
  get splitOnClear(): boolean {
    const eager = this.arch === 'arm64' ? this.eagerSplitChunkSize > 0 : this.eagerPageSplit;
    return eager && (this.initiallySet || this.params.proposals.splitOnFirstClear);
  }

  // ---- ioctls ----

  /** KVM_SET_USER_MEMORY_REGION. */
  setUserMemoryRegion(region: UserspaceMemoryRegion): MemslotChange {
    return setUserMemoryRegion(this, region);
  }

  /** KVM_ENABLE_CAP with `cap.flags` = 0 and `args`. */
  enableCap(cap: Cap, ...args: number[]): void {
    this.enableCapRaw({ cap, flags: 0, args });
  }

  /** KVM_ENABLE_CAP with the whole struct, flags included. */
  enableCapRaw(request: EnableCap): void {
    const flags = request.flags ?? 0;
    const arg0 = request.args?.[0] ?? 0;
    const cost = new OpCost();
    cost.add(this.costs.ioctl);
    switch (request.cap) {
      case Cap.ManualDirtyLogProtect2: {
        const allowed =
          arg0 & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
            ? KVM_DIRTY_LOG_MANUAL_CAPS
            : KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
        if (flags !== 0 || (arg0 & ~allowed) !== 0 || arg0 < 0) {
          throw new KvmError(
            'EINVAL',
            `KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: args[0]=0x${arg0.toString(16)} flags=${flags}; INITIALLY_SET (2) needs PROTECT_ENABLE (1), flags must be 0`,
          );
        }
        this.#manualProtect = arg0;
        break;
      }
      case Cap.DirtyLogRing:
      case Cap.DirtyLogRingAcqRel:
        if (this.kvm.checkExtension(request.cap) === 0) {
          throw new KvmError(
            'EINVAL',
            `${Cap[request.cap]} is not supported on ${this.arch}${request.cap === Cap.DirtyLogRing ? '; use Cap.DirtyLogRingAcqRel' : ''}`,
          );
        }
        this.enableDirtyLogRing(arg0);
        this.#dirtyRingAcqRel = request.cap === Cap.DirtyLogRingAcqRel;
        break;
      case Cap.DirtyLogRingWithBitmap:
        if (this.kvm.checkExtension(request.cap) === 0 || !this.dirtyRingSize || flags !== 0) {
          throw new KvmError(
            'EINVAL',
            `KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP: ${this.arch !== 'arm64' ? `not supported on ${this.arch}` : !this.dirtyRingSize ? 'enable the dirty ring first' : 'flags must be 0'}`,
          );
        }
        if (!this.allMemslotsEmpty()) {
          throw new KvmError(
            'EINVAL',
            'KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP: memslots exist; KVM takes this cap only before the first memslot (kvm_vm_ioctl_enable_cap_generic)',
          );
        }
        this.#dirtyRingWithBitmap = true;
        break;
      case Cap.ArmEagerSplitChunkSize: {
        if (this.arch !== 'arm64') {
          throw new KvmError(
            'EINVAL',
            'KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE is arm64-only; x86 uses the eagerPageSplit parameter',
          );
        }
        const supported = (ARM64_SUPPORTED_BLOCK_SIZES as readonly number[]).includes(arg0);
        if (flags !== 0 || !this.allMemslotsEmpty() || (arg0 !== 0 && !supported)) {
          throw new KvmError(
            'EINVAL',
            `KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE: ${flags !== 0 ? 'flags must be 0' : !this.allMemslotsEmpty() ? 'set it before creating memslots' : `${arg0} is not a supported block size (4 KiB, 2 MiB, 1 GiB)`}`,
          );
        }
        this.#eagerSplitChunkSize = arg0;
        break;
      }
      default:
        throw new KvmError('EINVAL', `capability ${String(request.cap)} cannot be enabled on a VM`);
    }
    this[INTERNAL].finishIoctl(cost);
  }

  /** KVM_CHECK_EXTENSION on the VM fd. */
  checkExtension(cap: Cap): number {
    if (cap === Cap.MultiAddressSpace) return this.nrAddressSpaces;
    // arm64: the chunk size this VM was given (kvm->arch.mmu.split_page_chunk_size).
    if (cap === Cap.ArmEagerSplitChunkSize && this.arch === 'arm64')
      return this.eagerSplitChunkSize;
    return this.kvm.checkExtension(cap);
  }

  /** KVM_CREATE_VCPU. */
  createVcpu(id: number): Vcpu {
    if (!Number.isInteger(id) || id < 0 || id >= 4096) {
      throw new KvmError('EINVAL', `KVM_CREATE_VCPU: vcpu id ${id} is out of range [0, 4096)`);
    }
    if (this.vcpus.some((v) => v.id === id)) {
      throw new KvmError('EEXIST', `KVM_CREATE_VCPU: vcpu ${id} already exists`);
    }
    if (this.dirtyRingSize && !this.rings) {
      this.#rings = new DirtyRingSet(
        this.params.proposals.ringTopology,
        this.dirtyRingSize / KVM_DIRTY_GFN_SIZE,
        this.ringReserved,
        this.params.proposals.vcpulessWrites === 'vm-ring',
      );
    }
    const vcpu = new Vcpu(this, id);
    this.vcpus.push(vcpu);
    this.rings?.addVcpu(id);
    return vcpu;
  }

  /**
   * KVM_GET_DIRTY_LOG: the slot's bitmap, ALIGN(npages, 64) / 8 bytes, written into
   * `into` when given (the ioctl's user buffer; EFAULT if it is too small), else into
   * a new array.
   */
  getDirtyLog(slot: number, into?: Uint8Array): Uint8Array {
    return getDirtyLog(this, slot, into);
  }

  /**
   * KVM_GET_DIRTY_LOG with manual protect into a buffer that holds the last call's
   * words, copying only the lines changed since (dirty-bitmap.ts getDirtyLogChanged):
   * returns how many line indexes it wrote into `lines`, -1 when it copied all (with
   * `onesLeft`, all up to the slot's all-set suffix, whose start it writes there);
   * `intoZeroLines` marks the lines of `into` known to hold zeros.
   */
  getDirtyLogChanged(
    slot: number,
    into: Uint32Array,
    lines: Uint32Array,
    whole: boolean,
    onesLeft?: DirtyLogOnesLeft,
    intoZeroLines?: Uint8Array,
  ): number {
    return getDirtyLogChanged(this, slot, into, lines, whole, onesLeft, intoZeroLines);
  }

  /** KVM_CLEAR_DIRTY_LOG. */
  clearDirtyLog(slot: number, firstPage: number, numPages: number, bitmap: Uint8Array): void {
    clearDirtyLog(this, slot, firstPage, numPages, bitmap);
  }

  /**
   * KVM_RESET_DIRTY_RINGS: reset every ring's harvested entries, re-arming tracking
   * for their pages, then one VM-wide TLB flush if anything was reset.
   * Returns the number of entries reset.
   */
  resetDirtyRings(): number {
    if (!this.dirtyRingSize) {
      throw new KvmError('EINVAL', 'KVM_RESET_DIRTY_RINGS: the dirty ring is not enabled');
    }
    const cost = new OpCost();
    cost.add(this.costs.ioctl);
    let cleared = 0;
    for (const ring of this.rings?.rings ?? []) {
      const n = ring.reset((slotId, offset, lo, hi) => {
        // kvm_reset_dirty_gfn: garbage from userspace is ignored, not an error.
        const asId = slotId >>> 16;
        const id = slotId & 0xffff;
        if (asId >= this.nrAddressSpaces || id >= this.userMemSlots) return;
        const slot = this.slots.get(slotId);
        if (!slot || offset + fls64(lo, hi) >= slot.npages) return;
        enableLogDirtyPtMasked(this, slot, offset, lo, hi, cost);
      });
      cost.add(n * this.costs.ringResetPerEntry);
      cleared += n;
    }
    if (cleared > 0) this[INTERNAL].flushRemoteTlbs(cost);
    this[INTERNAL].finishIoctl(cost);
    return cleared;
  }

  /** Every dirty ring userspace harvests (per vCPU, per VM, or the pool). */
  dirtyRings(): readonly DirtyRing[] {
    return this.rings?.rings ?? [];
  }

  /**
   * KVM writes guest memory outside vCPU context (e.g. arm64 saving ITS tables
   * from a device ioctl): mark_page_dirty_in_slot with no running vCPU. Returns
   * true if the page reached the dirty log, false if KVM dropped it (recorded in
   * `lostDirty`) or the slot is not logging.
   */
  markPageDirtyWithoutVcpu(gfn: Gfn): boolean {
    const slot = this.findSlot(gfn);
    if (!slot) return false;
    const lost = this.stats.lost_dirty;
    markPageDirtyInSlot(this, null, slot, gfn - slot.baseGfn);
    return slot.dirtyLogging && this.stats.lost_dirty === lost;
  }

  /**
   * The arm64 ITS saves its tables into guest RAM (KVM_DEV_ARM_ITS_SAVE_TABLES,
   * vgic-its.c vgic_its_save_tables_v0): KVM writes each of `gfns` with no running
   * vCPU, which kvm_arch_allow_write_without_running_vcpu allows while the save is in
   * progress. Each page goes through mark_page_dirty_in_slot; with a ring and no
   * bitmap KVM drops it. Returns the pages dropped from the dirty log.
   */
  saveItsTables(gfns: readonly Gfn[]): number {
    if (this.arch !== 'arm64') {
      throw new KvmError('ENXIO', `the ITS is a GICv3 device of arm64; this VM is ${this.arch}`);
    }
    return this.vgicWriteGuest(gfns);
  }

  /**
   * The vgic-v3 saves the LPI pending bits into the redistributors' pending tables in
   * guest RAM (KVM_DEV_ARM_VGIC_GRP_CTRL / KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES,
   * vgic-v3.c vgic_v3_save_pending_tables), with no running vCPU: the same window as
   * the ITS save. Returns the pages dropped from the dirty log.
   */
  saveVgicPendingTables(gfns: readonly Gfn[]): number {
    if (this.arch !== 'arm64') {
      throw new KvmError('ENXIO', `the vgic-v3 is the GICv3 of arm64; this VM is ${this.arch}`);
    }
    return this.vgicWriteGuest(gfns);
  }

  /**
   * vgic_write_guest_lock (arch/arm64/kvm/vgic/vgic.h): dist->table_write_in_progress
   * is set around each write, so kvm_arch_allow_write_without_running_vcpu (vgic-its.c)
   * allows it; the page goes through mark_page_dirty_in_slot, which with a ring and no
   * bitmap drops it.
   */
  private vgicWriteGuest(gfns: readonly Gfn[]): number {
    const lostBefore = this.stats.lost_dirty;
    this.allowWriteWithoutRunningVcpu = true;
    for (const gfn of gfns) this.markPageDirtyWithoutVcpu(gfn);
    this.allowWriteWithoutRunningVcpu = false;
    return this.stats.lost_dirty - lostBefore;
  }

  /** Kick every vCPU (flushing PML buffers). Returns the cost in ns. */
  kickAllVcpus(): number {
    let ns = 0;
    for (const v of this.vcpus) ns += v.kick();
    return ns;
  }

  // ---- queries ----

  /** The slot with UAPI number `(asId << 16) | id`. */
  memslot(slotId: number): Memslot | undefined {
    return this.slots.get(slotId >>> 0);
  }

  memslots(): Memslot[] {
    return [...this.slots.values()];
  }

  /** The address-space-0 slot containing `gfn` (`gfn_to_memslot`). */
  findSlot(gfn: number): Memslot | null {
    const last = this.lastFound;
    if (last && gfn >= last.baseGfn && gfn < last.baseGfn + last.npages) return last;
    const s = this.sorted;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const slot = s[mid];
      if (gfn < slot.baseGfn) hi = mid - 1;
      else if (gfn >= slot.baseGfn + slot.npages) lo = mid + 1;
      else {
        this.lastFound = slot;
        return slot;
      }
    }
    return null;
  }

  /** VM stats with the per-level page counts summed over slots. */
  getStats(): VmStats {
    const s = { ...this.stats, pages_4k: 0, pages_2m: 0, pages_1g: 0, page_table_pages: 0 };
    for (const slot of this.slots.values()) {
      s.pages_4k += slot.tdp.pages4k;
      s.pages_2m += slot.tdp.pages2m;
      s.pages_1g += slot.tdp.pages1g;
      s.page_table_pages += slot.tdp.tablePages;
    }
    return s;
  }

  trackingMemory(): TrackingMemory {
    let bitmapBytes = 0;
    let pageTableBytes = 0;
    for (const slot of this.slots.values()) {
      bitmapBytes += slot.dirtyBitmapAllocBytes;
      pageTableBytes += slot.tdp.pageTableBytes;
    }
    return {
      bitmapBytes,
      ringBytes: this.rings?.bytes ?? 0,
      pmlBytes: this.params.enablePml ? this.vcpus.length * PAGE_SIZE : 0,
      pageTableBytes,
    };
  }

  // ---- internals used by the ioctl implementations ----

  /** Entry points for KVM's own code in engine/kvm/ (see internal.ts); not the UAPI. */
  readonly [INTERNAL]: VmInternal = {
    recordLostDirty: (slot, rel, reason) => {
      this.stats.lost_dirty++;
      this.lostDirty.push({ gfn: (slot.baseGfn + rel) as Gfn, slot: slot.slotId, reason });
    },
    flushRemoteTlbs: (cost) => {
      this.stats.remote_tlb_flush++;
      cost.tlbFlushes++;
      cost.add(this.remoteTlbFlushNs(null));
    },
    flushRemoteTlbsFromVcpu: (vcpu) => {
      this.stats.remote_tlb_flush++;
      return this.remoteTlbFlushNs(vcpu);
    },
    syncDirtyLog: (cost) => {
      if (this.pmlActive) cost.add(this.kickAllVcpus());
    },
    finishIoctl: (cost) => {
      this.stats.mmu_lock_read_ns += cost.mmuLockReadNs;
      this.stats.mmu_lock_write_ns += cost.mmuLockWriteNs;
      this.#lastIoctl = cost;
    },
    // As a VMM mmaps guest RAM: congruent with the gpa modulo 1 GiB, in the user half.
    defaultUserspaceAddr: (gpa) => 2 ** 40 + (gpa % 2 ** 30),
    overlappingSlot: (asId, baseGfn, npages, except) => {
      for (const slot of this.slots.values()) {
        if (slot.asId !== asId || slot.slotId === except) continue;
        if (baseGfn < slot.endGfn && slot.baseGfn < baseGfn + npages) return slot;
      }
      return null;
    },
    checkGuestPhysRange: (endGfn) => {
      const limit = 2 ** (this.physBits - 12);
      if (endGfn <= limit) return;
      if (this.arch === 'arm64') {
        throw new KvmError(
          'EFAULT',
          `KVM_SET_USER_MEMORY_REGION: the slot ends beyond the VM's ${this.physBits}-bit IPA space; create the VM with a larger ipaBits`,
        );
      }
      throw new KvmError(
        'EINVAL',
        `KVM_SET_USER_MEMORY_REGION: the slot ends beyond kvm_mmu_max_gfn (${this.physBits}-bit guest physical addresses)`,
      );
    },
    insertMemslot: (slot) => {
      this.slots.set(slot.slotId, slot);
      this.resort();
    },
    removeMemslot: (slot) => {
      this.slots.delete(slot.slotId);
      this.resort();
    },
    updateDirtyLoggingCount: (delta) => {
      const before = this.pmlActive;
      this.#nrMemslotsDirtyLogging += delta;
      if (before && !this.pmlActive) {
        // KVM_REQ_UPDATE_CPU_DIRTY_LOGGING: PML off; buffers are flushed at that exit.
        for (const v of this.vcpus) v.kick();
      }
    },
  };

  /**
   * What kvm_flush_remote_tlbs costs its caller (`from`, or an ioctl thread). arm64
   * (kvm_arch_flush_remote_tlbs: __kvm_tlb_flush_vmid) broadcasts one TLBI to every
   * CPU in hardware: no IPI, no per-vCPU work, the same cost whatever the vCPU count.
   * x86 (kvm_make_all_cpus_request(KVM_REQ_TLB_FLUSH)) sets the request in every other
   * vCPU's `requests` word (an atomic on a line that vCPU owns), then IPIs the vCPUs in
   * guest mode and waits for them (KVM_REQUEST_WAIT); each of those takes an exit to
   * flush, counted in its `stats.tlbFlushIpis` for whoever runs it to charge.
   */
  private remoteTlbFlushNs(from: Vcpu | null): number {
    const costs = this.costs;
    if (this.arch === 'arm64') return costs.tlbFlush;
    let ns = costs.tlbFlush;
    for (const v of this.vcpus) {
      if (v === from) continue;
      ns += costs.cacheLineTransfer;
      if (v.inGuestMode) {
        ns += costs.tlbFlushPerVcpu;
        v.stats.tlbFlushIpis++;
      }
    }
    return ns;
  }

  private allMemslotsEmpty(): boolean {
    return this.slots.size === 0;
  }

  private resort(): void {
    this.sorted = [...this.slots.values()]
      .filter((s) => s.asId === 0)
      .sort((a, b) => a.baseGfn - b.baseGfn);
    this.lastFound = null;
  }

  /** Entries each ring keeps past its soft limit: KVM's, or the proposal's reserve size. */
  private get ringReserved(): number {
    return this.params.proposals.ringReserve ?? ringReservedEntries(this.params.enablePml);
  }

  /** `kvm_vm_ioctl_enable_dirty_log_ring`. */
  private enableDirtyLogRing(size: number): void {
    const rsvdBytes = this.ringReserved * KVM_DIRTY_GFN_SIZE;
    if (!Number.isInteger(size) || size <= 0 || (size & (size - 1)) !== 0) {
      throw new KvmError('EINVAL', `dirty ring size ${size} bytes is not a power of two`);
    }
    if (size < rsvdBytes || size < PAGE_SIZE) {
      throw new KvmError(
        'EINVAL',
        `dirty ring size ${size} bytes is below the minimum ${Math.max(rsvdBytes, PAGE_SIZE)} (reserved entries x 16, and a page)`,
      );
    }
    if (size > KVM_DIRTY_RING_MAX_ENTRIES * KVM_DIRTY_GFN_SIZE) {
      throw new KvmError(
        'E2BIG',
        `dirty ring size ${size} bytes exceeds the 1 MiB maximum (65536 entries)`,
      );
    }
    if (this.dirtyRingSize) {
      throw new KvmError('EINVAL', 'the dirty ring can only be enabled once');
    }
    if (this.vcpus.length > 0) {
      throw new KvmError('EINVAL', 'the dirty ring must be enabled before any vCPU is created');
    }
    this.#dirtyRingSize = size;
  }
}

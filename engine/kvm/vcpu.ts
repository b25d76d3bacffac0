import type { AccessOutcome, AccessResult, Gfn, VcpuExitReason } from './types.ts';
import { MmuLockMode } from './types.ts';
import type { Vm } from './vm.ts';
import type { DirtyRing } from './dirty-ring.ts';
import { ACCESS_OUTCOMES, Outcome, handleAccess } from './mmu.ts';
import { markPageDirtyInSlot } from './dirty-log.ts';
import { PmlBuffer, flushPmlBuffer } from './pml.ts';
import {
  SPTE_DIRTY,
  SPTE_LEAF,
  SPTE_MMU_WRITABLE,
  SPTE_PRESENT,
  SPTE_WRITABLE,
  SPTE_WRITE_OK,
} from './spte.ts';

const NO_OWNERS = new Uint16Array(0);
const NO_LINES = new Uint8Array(0);

/** A 4K leaf that fast_page_fault can make writable: present, MMU-writable, not writable. */
const FAST_FIX_MASK = SPTE_PRESENT | SPTE_LEAF | SPTE_WRITABLE | SPTE_MMU_WRITABLE;
const FAST_FIX_OK = SPTE_PRESENT | SPTE_LEAF | SPTE_MMU_WRITABLE;

/** A 4K leaf a PML-logged write dirties without a fault: present, writable, D clear. */
const PML_LOG_MASK = SPTE_PRESENT | SPTE_LEAF | SPTE_WRITABLE | SPTE_DIRTY;
const PML_LOG_OK = SPTE_PRESENT | SPTE_LEAF | SPTE_WRITABLE;

/** Per-vCPU counters: accesses and KVM-added ns by outcome (indexed like ACCESS_OUTCOMES). */
export interface VcpuStats {
  accesses: number;
  byOutcome: Float64Array;
  nsByOutcome: Float64Array;
  /** KVM_RUN returns to userspace (ring full, MMIO). */
  userspaceExits: number;
  /**
   * x86 remote TLB flushes (another vCPU's or an ioctl's) that IPI'd this vCPU in guest
   * mode, cumulative. Each costs the vCPU `tlbFlushIpiTarget`, charged by whoever runs
   * it (the simulation's vCPU thread, dirty_log_perf_test), since KVM's model has no
   * clock of its own.
   */
  tlbFlushIpis: number;
  /** Faults that took mmu_lock (shared or exclusive), cumulative. */
  mmuLockAcquisitions: number;
  /** ns those faults held mmu_lock, cumulative (the wait to get it not included). */
  mmuLockHoldNs: number;
  /**
   * Proposals: acquisitions of a producer lock shared with other vCPUs (a per-VM
   * ring's, a ring pool's claim) and the ns they held it, cumulative.
   */
  ringLockAcquisitions: number;
  ringLockHoldNs: number;
}

/** Result of `vcpu.runAccesses`: how far the batch got and why it stopped. */
export interface BatchResult {
  /** Index of the first access not executed (== end when the batch completed). */
  next: number;
  /** Set when the vCPU stopped for userspace (its ring is full); null otherwise. */
  exit: VcpuExitReason | null;
  /**
   * The access at `next` reached KVM before the exit (its fault, or the PML drain at
   * its exit, filled the ring): the guest retries it after the VMM's RESET, and KVM
   * sees it again. False when the vCPU exited before running it.
   */
  retry: boolean;
  /** KVM-added simulated ns over the executed accesses. */
  costNs: number;
  /** Part of costNs spent holding mmu_lock for read (slow faults). */
  mmuLockReadNs: number;
  /** Executed accesses by outcome, indexed like ACCESS_OUTCOMES. */
  counts: Float64Array;
}

/**
 * A vCPU (`struct kvm_vcpu`) as the MMU sees it: guest reads and writes go through
 * its SPTEs, its PML buffer and its dirty ring. `read`/`write` handle one access;
 * `runAccesses` runs a batch with the no-fault case inlined (a write to a page
 * that is writable and already dirty changes nothing KVM can see).
 */
export class Vcpu {
  readonly id: number;
  readonly vm: Vm;
  /** Intel PML buffer (x86 with PML enabled), else null. */
  readonly pml: PmlBuffer | null;
  readonly stats: VcpuStats = {
    accesses: 0,
    byOutcome: new Float64Array(ACCESS_OUTCOMES.length),
    nsByOutcome: new Float64Array(ACCESS_OUTCOMES.length),
    userspaceExits: 0,
    tlbFlushIpis: 0,
    mmuLockAcquisitions: 0,
    mmuLockHoldNs: 0,
    ringLockAcquisitions: 0,
    ringLockHoldNs: 0,
  };
  /**
   * KVM's IN_GUEST_MODE: the vCPU is running guest code, so a remote TLB flush IPIs
   * it (x86). True from creation; whoever drives the vCPU clears it while it waits
   * (halted, paused, or back in userspace between dirty_log_perf_test passes).
   */
  inGuestMode = true;
  /** Cost of the last slow-path access, in ns (set by handleAccess). */
  lastCostNs = 0;
  lastLockReadNs = 0;
  /**
   * How the last access held mmu_lock (set by handleAccess), so that whoever runs the
   * vCPU beside others can charge the wait for it (the model has no clock).
   */
  lastMmuLock: MmuLockMode = MmuLockMode.None;
  /** Scratch for single accesses, so the batched loop always sees a Float64Array. */
  private readonly one = new Float64Array(1);
  private readonly batch: BatchResult = {
    next: 0,
    exit: null,
    retry: false,
    costNs: 0,
    mmuLockReadNs: 0,
    counts: new Float64Array(ACCESS_OUTCOMES.length),
  };

  constructor(vm: Vm, id: number) {
    this.vm = vm;
    this.id = id;
    this.pml = vm.params.enablePml ? new PmlBuffer() : null;
  }

  /**
   * The dirty ring that is this vCPU's: its own (KVM), the VM's, or in a pool
   * (proposal) the one it holds, filled or used last; null before any. Claims nothing.
   */
  get dirtyRing(): DirtyRing | null {
    return this.vm.rings?.ringOf(this.id) ?? null;
  }

  /** KVM refuses to enter the guest while the vCPU's ring is soft-full. */
  get ringFull(): boolean {
    return this.vm.rings?.blocked(this.id) ?? false;
  }

  /**
   * KVM_RUN about to enter the guest: with the vCPU's ring soft-full KVM exits to
   * userspace at once with KVM_EXIT_DIRTY_RING_FULL (x86 vcpu_enter_guest,
   * kvm_dirty_ring_check_request). Returns the exit's cost in ns, 0 if the vCPU enters.
   */
  checkRingFullOnEntry(): number {
    if (!this.ringFull) return 0;
    this.ringFullExit(0);
    this.lastCostNs = this.vm.costs.userspaceExit;
    return this.lastCostNs;
  }

  read(gfn: Gfn): AccessResult {
    return this.access(gfn, false);
  }

  write(gfn: Gfn): AccessResult {
    return this.access(gfn, true);
  }

  /** One guest access. A vCPU whose ring is full exits before running it. */
  access(gfn: Gfn, write: boolean): AccessResult {
    this.one[0] = gfn;
    const r = this.runAccesses(this.one, write, 0, 1);
    if (r.exit === 'dirty-ring-full' && !r.retry) {
      return { outcome: 'dirty-ring-full', costNs: r.costNs, exit: r.exit };
    }
    // The outcome of the access itself; with `retry` it was followed by the ring-full
    // exit, and the guest runs it again after the RESET.
    let outcome: AccessOutcome = 'no-fault';
    for (let k = 0; k < Outcome.DirtyRingFull; k++)
      if (r.counts[k] > 0) outcome = ACCESS_OUTCOMES[k];
    const exit = r.retry ? 'dirty-ring-full' : outcome === 'mmio-exit' ? 'mmio' : null;
    return { outcome, costNs: r.costNs, exit };
  }

  /**
   * Run accesses [start, end) of `gfns`; `writes` is true/false for all of them or a
   * per-access flag array. Stops early only when the vCPU must return to userspace
   * because its dirty ring is full (`exit`); harvest, reset and call again from
   * `next`. The returned object is reused by the next call.
   */
  runAccesses(
    gfns: ArrayLike<number>,
    writes: boolean | Uint8Array,
    start = 0,
    end = gfns.length,
  ): BatchResult {
    const out = this.batch;
    out.counts.fill(0);
    out.costNs = 0;
    out.mmuLockReadNs = 0;
    out.exit = null;
    out.retry = false;
    this.lastMmuLock = MmuLockMode.None;
    const vm = this.vm;
    const rings = vm.rings;
    if (rings && rings.blocked(this.id)) return this.ringFullExit(start);

    // The loop below is monomorphic over Float64Array (the fast input); other array
    // kinds are copied once.
    const gfnArray = gfns instanceof Float64Array ? gfns : Float64Array.from(gfns);
    const allWrites = writes === true;
    const perAccess = typeof writes === 'boolean' ? null : writes;
    let slot = vm.findSlot(gfnArray[start] ?? 0);
    let base = slot ? slot.baseGfn : 0;
    let npages = slot ? slot.npages : 0;
    let s4 = slot ? slot.tdp.spte4k : new Uint8Array(0);
    let fastCount = 0;
    // x86 fast_page_fault on a write-protected 4K SPTE of a bitmap-logged slot, done
    // inline for performance: exactly what handleAccess does for it (mmu.ts), counted
    // and charged in bulk below. Rings, PML and proposals take the general path.
    const costs = vm.costs;
    const inlineFast =
      vm.arch === 'x86_64' &&
      vm.fastPageFault &&
      !rings &&
      this.pml === null &&
      vm.dirtyGranularityPages === 1;
    let bitmap = slot ? slot.dirtyBitmap : null;
    let owners = slot ? slot.bitmapLineOwner : NO_OWNERS;
    let changed = slot ? slot.bitmapLineChanged : NO_LINES;
    const owner = this.id + 1;
    let inlineFastCount = 0;
    let lineTransfers = 0;
    let i = start;
    for (; i < end; i++) {
      if (allWrites) {
        // Writes KVM sees nothing of (to a writable, dirty 4K SPTE of the current
        // slot) in a tight loop, for performance: the check below, without the rest.
        const run = i;
        while (i < end) {
          const r = gfnArray[i] - base;
          if (!(r >= 0 && r < npages) || (s4[r] & SPTE_WRITE_OK) !== SPTE_WRITE_OK) break;
          i++;
        }
        fastCount += i - run;
        if (i === end) break;
      }
      const gfn = gfnArray[i];
      const write = allWrites || (perAccess !== null && perAccess[i] !== 0);
      let rel = gfn - base;
      if (rel < 0 || rel >= npages) {
        const found = vm.findSlot(gfn);
        if (found) {
          slot = found;
          base = found.baseGfn;
          npages = found.npages;
          s4 = found.tdp.spte4k;
          bitmap = found.dirtyBitmap;
          owners = found.bitmapLineOwner;
          changed = found.bitmapLineChanged;
          rel = gfn - base;
        }
      }
      if (rel >= 0 && rel < npages) {
        // A 0 here may be a present SPTE of a uniform frame (tdp-mmu.ts): only present
        // bytes are taken as they are, and the write below only ever changes one, so
        // a uniform frame goes to handleAccess, whose leafLevel writes it out.
        const spte = s4[rel];
        // Inline fast check: nothing for KVM to do.
        if (write ? (spte & SPTE_WRITE_OK) === SPTE_WRITE_OK : (spte & SPTE_PRESENT) !== 0) {
          fastCount++;
          continue;
        }
        if (write && inlineFast && bitmap !== null && (spte & FAST_FIX_MASK) === FAST_FIX_OK) {
          s4[rel] = spte | SPTE_WRITABLE | SPTE_DIRTY;
          // (A page of the bitmap's all-set suffix is set already.)
          if (!slot || rel < slot.dirtyBitmapOnesFrom) bitmap[rel >>> 5] |= 1 << (rel & 31);
          // takeBitmapLine (dirty-log.ts), inline: 512 pages per bitmap cache line.
          const line = rel >>> 9;
          changed[line] = 1;
          const last = owners[line];
          if (last !== owner) {
            if (last !== 0) lineTransfers++;
            owners[line] = owner;
          }
          inlineFastCount++;
          continue;
        }
      }
      const outcome = handleAccess(this, gfn, write);
      out.counts[outcome]++;
      out.costNs += this.lastCostNs;
      this.stats.nsByOutcome[outcome] += this.lastCostNs;
      if (outcome >= Outcome.SlowFault && outcome <= Outcome.ZapOnFault) {
        out.mmuLockReadNs += this.lastLockReadNs;
      }
      // A memslot change can replace the page tables; re-read them next time.
      if (slot) {
        s4 = slot.tdp.spte4k;
        bitmap = slot.dirtyBitmap;
      }
      // The access left the ring soft-full (its fault pushed the last entry, or the PML
      // drain at its exit did): KVM exits to userspace before the guest runs again, and
      // the guest retries the access after the VMM's RESET (which re-armed its page, so
      // the retry is reported again). Stop here, with the access next.
      if (rings && outcome !== Outcome.PmlLogged && rings.blocked(this.id)) break;
    }
    out.counts[Outcome.NoFault] += fastCount;
    if (inlineFastCount > 0) {
      const ns =
        inlineFastCount * (costs.vmExit + costs.fastPageFault + costs.markDirtyBitmap) +
        lineTransfers * costs.cacheLineTransfer;
      out.counts[Outcome.FastFault] += inlineFastCount;
      out.costNs += ns;
      this.stats.nsByOutcome[Outcome.FastFault] += ns;
      vm.stats.pf_taken += inlineFastCount;
      vm.stats.pf_fast += inlineFastCount;
      vm.stats.bitmap_marks += inlineFastCount;
    }
    out.next = i;
    this.stats.accesses += i - start;
    for (let k = 0; k < out.counts.length; k++) this.stats.byOutcome[k] += out.counts[k];
    if (i < end && rings && rings.blocked(this.id)) {
      // Re-entry after the exit finds the ring soft-full: KVM_EXIT_DIRTY_RING_FULL.
      const exitCost = this.vm.costs.userspaceExit;
      out.exit = 'dirty-ring-full';
      out.retry = true;
      out.costNs += exitCost;
      out.counts[Outcome.DirtyRingFull]++;
      this.stats.byOutcome[Outcome.DirtyRingFull]++;
      this.stats.nsByOutcome[Outcome.DirtyRingFull] += exitCost;
      this.stats.userspaceExits++;
      vm.stats.dirty_ring_full++;
    }
    return out;
  }

  /**
   * One access for the simulator: what `access` does, without allocating. Returns the
   * outcome (an index of ACCESS_OUTCOMES) and leaves KVM's cost in `lastCostNs`.
   * `Outcome.DirtyRingFull` means the access did not run: reap, reset and retry.
   */
  accessFast(gfn: number, write: boolean): Outcome {
    const vm = this.vm;
    const rings = vm.rings;
    if (rings && rings.blocked(this.id)) {
      this.ringFullExit(0);
      this.lastCostNs = vm.costs.userspaceExit;
      this.lastMmuLock = MmuLockMode.None;
      return Outcome.DirtyRingFull;
    }
    const stats = this.stats;
    stats.accesses++;
    this.lastMmuLock = MmuLockMode.None;
    const slot = vm.findSlot(gfn);
    if (slot) {
      const s4 = slot.tdp.spte4k;
      const rel = gfn - slot.baseGfn;
      const spte = s4[rel];
      if (write ? (spte & SPTE_WRITE_OK) === SPTE_WRITE_OK : (spte & SPTE_PRESENT) !== 0) {
        this.lastCostNs = 0;
        stats.byOutcome[Outcome.NoFault]++;
        return Outcome.NoFault;
      }
      // A write to a present writable 4K leaf whose D-bit is clear, PML on and its
      // buffer not full: the CPU sets D and logs the GPA, no exit. Exactly what
      // handleAccess does for it (mmu.ts), inline for performance; any other case
      // (a full buffer, PML off, a huge or uniform frame) takes the general path.
      const pml = this.pml;
      if (
        write &&
        (spte & PML_LOG_MASK) === PML_LOG_OK &&
        pml !== null &&
        !pml.full &&
        vm.pmlActive
      ) {
        s4[rel] = spte | SPTE_DIRTY;
        pml.log(gfn);
        vm.stats.pml_logged++;
        const ns = vm.costs.pmlLog;
        this.lastCostNs = ns;
        stats.byOutcome[Outcome.PmlLogged]++;
        stats.nsByOutcome[Outcome.PmlLogged] += ns;
        return Outcome.PmlLogged;
      }
    }
    const outcome = handleAccess(this, gfn, write);
    stats.byOutcome[outcome]++;
    stats.nsByOutcome[outcome] += this.lastCostNs;
    return outcome;
  }

  /**
   * KVM writes guest memory on this vCPU's behalf (kvm_write_guest with a running
   * vCPU): mark_page_dirty_in_slot with this vCPU. Returns the cost in ns.
   */
  markPageDirty(gfn: Gfn): number {
    const slot = this.vm.findSlot(gfn);
    return slot ? markPageDirtyInSlot(this.vm, this, slot, gfn - slot.baseGfn) : 0;
  }

  /**
   * Work KVM does on every VM exit: drain the PML buffer into the dirty log
   * (`vmx_flush_pml_buffer`), and return a pool ring (proposal). Adds to lastCostNs.
   */
  afterExit(): void {
    const pml = this.pml;
    if (pml && pml.count > 0) this.lastCostNs += flushPmlBuffer(this.vm, this, pml);
    this.vm.rings?.release(this.id);
  }

  /** Kick the vCPU out of guest mode (IPI + exit): flushes PML. Returns the cost in ns. */
  kick(): number {
    this.lastCostNs = 0;
    this.afterExit();
    return this.vm.costs.kickVcpu + this.lastCostNs;
  }

  private ringFullExit(start: number): BatchResult {
    const out = this.batch;
    const exitCost = this.vm.costs.userspaceExit;
    out.next = start;
    out.exit = 'dirty-ring-full';
    out.costNs = exitCost;
    out.counts[Outcome.DirtyRingFull] = 1;
    this.stats.byOutcome[Outcome.DirtyRingFull]++;
    this.stats.nsByOutcome[Outcome.DirtyRingFull] += exitCost;
    this.stats.userspaceExits++;
    this.vm.stats.dirty_ring_full++;
    return out;
  }
}

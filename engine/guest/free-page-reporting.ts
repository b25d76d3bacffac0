import type { BalloonCosts } from '../kvm/balloon-costs.ts';
import type { Costs } from '../kvm/costs.ts';
import type { HostMemory } from '../vmm/host-memory.ts';
import type { BuddyAllocator } from './buddy.ts';

/** include/linux/page_reporting.h: scatterlist entries per report() call. */
export const PAGE_REPORTING_CAPACITY = 32;
/** mm/page_reporting.c: the work runs 2 s (2 * HZ) after it is requested. */
export const PAGE_REPORTING_DELAY_NS = 2e9;
/** s390 CMMA: the CBRL buffer is one 4 KiB page of 8-byte entries (arch/s390/kvm/priv.c). */
export const CMMA_CBRL_ENTRIES = 512;

/**
 * How reported ranges reach the host: virtio-balloon's reporting_vq (one kick per
 * batch of up to `capacity` ranges), a hypercall per range (a proposal in the
 * debate; each one a KVM_EXIT_HYPERCALL to the VMM), or s390's collaborative memory
 * management (ESSA logs each freed page in a buffer, the host zaps when it is full),
 * or Alexander Duyck's first proposal (a proposal, not Linux: "[RFC PATCH 0/4] kvm:
 * Report unused guest pages to host", kvm list, February 2019): arch_free_page makes
 * a hypercall for every block of the reporting order or above as it is freed, and KVM
 * discards the range itself (madvise(MADV_DONTNEED) from the hypercall handler), with
 * no batching, no delay and no exit to the VMM.
 */
export type ReportingTransport = 'virtio' | 'hypercall' | 's390' | 'free-hypercall';

export interface ReportingConfig {
  transport: ReportingTransport;
  /** page_reporting_order: only free blocks of this order and above are reported. */
  order: number;
  /** Ranges per report() call (PAGE_REPORTING_CAPACITY). */
  capacity: number;
  /** PAGE_REPORTING_DELAY. */
  delayNs: number;
  /** s390: entries of the CBRL buffer. */
  bufferEntries: number;
}

/** `enum page_reporting_state`. */
type ReportingState = 'idle' | 'requested' | 'active';

/**
 * Free page reporting in the guest (mm/page_reporting.c, Duyck, 5.7), with the
 * device's report() for each transport. Guest CPU time it costs accumulates in
 * `pendingGuestNs`, which the simulation takes from a vCPU (the kworker runs there).
 */
export class PageReporting {
  readonly buddy: BuddyAllocator;
  readonly host: HostMemory;
  readonly config: ReportingConfig;
  private readonly costs: BalloonCosts;
  private readonly kvmCosts: Costs;
  private state: ReportingState = 'idle';
  private dueNs = 0;
  /** Simulated time, set by the simulation before the guest runs a slice. */
  now = 0;
  /** The s390 CBRL buffer (RAM pages logged as unused). */
  private readonly cbrl: Int32Array;
  private cbrlCount = 0;
  /** zone low watermark in pages (`low_wmark_pages`). */
  readonly lowWatermarkPages: number;
  /** report() calls (virtio: one kick each; hypercall: a batch of calls; s390: one buffer). */
  reports = 0;
  reportedPages = 0;
  reportedBlocks = 0;
  /** VM exits caused by reporting. */
  exits = 0;
  /** Reporting passes run (`page_reporting_process`). */
  passes = 0;
  /** s390: logged pages the guest had reused when the host looked (not discarded). */
  reusedBeforeDiscard = 0;
  /** Guest CPU ns not yet charged to a vCPU, and the total ever charged. */
  pendingGuestNs = 0;
  guestNs = 0;
  /**
   * Of `guestNs`: the exits themselves (entry and exit, the trip to the VMM), and the
   * time a vCPU waited in an exit for the host to discard (hypercall, s390 buffer full).
   */
  exitNs = 0;
  waitNs = 0;

  constructor(
    buddy: BuddyAllocator,
    host: HostMemory,
    config: ReportingConfig,
    costs: BalloonCosts,
    kvmCosts: Costs,
  ) {
    if (!Number.isInteger(config.order) || config.order < 0 || config.order >= buddy.maxOrder) {
      throw new Error(
        `the reporting order must be a whole number from 0 to MAX_ORDER-1 = ${buddy.maxOrder - 1}, got ${config.order}`,
      );
    }
    if (!Number.isInteger(config.capacity) || config.capacity < 1) {
      throw new Error(`the reporting capacity must be a whole number >= 1, got ${config.capacity}`);
    }
    this.buddy = buddy;
    this.host = host;
    this.config = config;
    this.costs = costs;
    this.kvmCosts = kvmCosts;
    this.cbrl = new Int32Array(Math.max(1, config.bufferEntries));
    this.lowWatermarkPages = lowWatermarkPages(buddy.npages);
    const transport = config.transport;
    buddy.onFree =
      transport === 's390'
        ? (_h, _o, freedHead, freedOrder) => this.essaUnused(freedHead, freedOrder)
        : transport === 'free-hypercall'
          ? (_h, _o, freedHead, freedOrder) => this.hypercallAtFree(freedHead, freedOrder)
          : (_h, order) => this.notifyFree(order);
  }

  /** `page_reporting_notify_free`: a block of `order` went back to the free lists. */
  notifyFree(order: number): void {
    if (order < this.config.order) return;
    if (this.state === 'requested') return;
    const was = this.state;
    this.state = 'requested';
    // Only an idle reporter schedules the work; an active one re-checks when it ends.
    if (was === 'idle') this.dueNs = this.now + this.config.delayNs;
  }

  /** Run the delayed work if it is due (`page_reporting_process`). */
  tick(now: number): void {
    this.now = now;
    if (this.config.transport === 's390' || this.config.transport === 'free-hypercall') return;
    if (this.state !== 'requested' || now < this.dueNs) return;
    this.state = 'active';
    this.passes++;
    const more = this.processZone();
    // atomic_cmpxchg(ACTIVE -> IDLE); a request that came meanwhile reschedules.
    if (more || (this.state as ReportingState) === 'requested') {
      this.state = 'requested';
      this.dueNs = now + this.config.delayNs;
    } else {
      this.state = 'idle';
    }
  }

  /** Take up to `ns` of guest CPU time owed; returns what was taken. */
  takeGuestNs(): number {
    const ns = this.pendingGuestNs;
    this.pendingGuestNs = 0;
    return ns;
  }

  /**
   * `page_reporting_process_zone`: skip the zone when reporting would push it under
   * the low watermark; otherwise each order from the threshold up. Returns true when a
   * budget ran out with blocks left (the work is requested again).
   */
  private processZone(): boolean {
    const { buddy, config } = this;
    if (buddy.freePages < this.lowWatermarkPages + (config.capacity << config.order)) return false;
    const heads: number[] = [];
    const orders: number[] = [];
    let more = false;
    for (let order = config.order; order < buddy.maxOrder; order++) {
      // page_reporting_cycle: about 1/16 of the list per pass, so an idle guest is
      // reported in about 30 s (the source comment) rather than all at once. The
      // kernel's budget is DIV_ROUND_UP(nr_free, PAGE_REPORTING_CAPACITY * 16) reports
      // of PAGE_REPORTING_CAPACITY blocks; it is counted here in blocks, with the
      // kernel's capacity, so that another `capacity` changes only the batching and not
      // how much a pass may report (a budget in reports rounds up differently for each
      // capacity: capacity 1 used to report a third less in 20 s).
      let budget =
        Math.ceil(buddy.nrFree[order] / (PAGE_REPORTING_CAPACITY * 16)) * PAGE_REPORTING_CAPACITY;
      let h = buddy.firstFree(order);
      while (h >= 0) {
        const next = buddy.nextFree(h);
        if (buddy.isReported(h)) {
          h = next;
          continue;
        }
        if (budget === 0) {
          more = true;
          break;
        }
        buddy.isolate(h, order);
        heads.push(h);
        orders.push(order);
        budget--;
        if (heads.length < config.capacity) {
          h = next;
          continue;
        }
        this.report(heads, orders);
        heads.length = 0;
        orders.length = 0;
        // Putting blocks back may merge them with `next`: start again at the head.
        h = buddy.firstFree(order);
      }
    }
    // The leftover, partly filled scatterlist is reported too.
    if (heads.length) this.report(heads, orders);
    return more;
  }

  /** The device's report(): the host discards the ranges; then the blocks go back, reported. */
  private report(heads: readonly number[], orders: readonly number[]): void {
    const { costs, kvmCosts, host } = this;
    let guest = heads.length * costs.reportPerBlock;
    this.reports++;
    this.reportedBlocks += heads.length;
    for (let k = 0; k < heads.length; k++) {
      const pages = 1 << orders[k];
      this.reportedPages += pages;
      const hostNs = host.discard(heads[k], pages);
      if (this.config.transport === 'hypercall') {
        // One exit to the VMM per range; the vCPU waits while it discards.
        this.exits++;
        guest += kvmCosts.userspaceExit + hostNs;
        this.exitNs += kvmCosts.userspaceExit;
        this.waitNs += hostNs;
      }
    }
    if (this.config.transport === 'virtio') {
      // One kick for the batch; QEMU's iothread discards while the guest's reporting
      // worker sleeps, then an interrupt completes it (virtballoon_free_page_report).
      this.exits++;
      guest += kvmCosts.vmExit + costs.virtioKick + costs.virtioNotify;
      this.exitNs += kvmCosts.vmExit;
    }
    for (let k = 0; k < heads.length; k++) this.buddy.putbackReported(heads[k], orders[k]);
    this.charge(guest);
  }

  /**
   * s390 `arch_free_page` -> `set_page_unused`: ESSA marks each page of the freed
   * block unused and logs it in the CBRL; a full buffer intercepts (handle_essa), and
   * the host zaps each logged page that is still unused (`__gmap_zap` checks the
   * PGSTE usage state: a page the guest took back meanwhile is left alone).
   */
  private essaUnused(head: number, order: number): void {
    if (order < this.config.order) return;
    const pages = 1 << order;
    let guest = pages * this.costs.essaPerPage;
    for (let p = head; p < head + pages; p++) {
      this.cbrl[this.cbrlCount++] = p;
      this.reportedPages++;
      if (this.cbrlCount === this.cbrl.length) guest += this.clearCbrl();
    }
    this.charge(guest);
  }

  /**
   * Duyck's proposal: the hypercall from arch_free_page for a freed block of the
   * reporting order or above. KVM handles it in the kernel (a VM exit, no trip to the
   * VMM) and discards the range before the vCPU resumes; the block stays on the free
   * list, and is discarded again each time it is freed again, even if the guest
   * allocates it the next moment.
   */
  private hypercallAtFree(head: number, order: number): void {
    if (order < this.config.order) return;
    const pages = 1 << order;
    this.reports++;
    this.exits++;
    this.reportedBlocks++;
    this.reportedPages += pages;
    const hostNs = this.host.discard(head, pages);
    this.exitNs += this.kvmCosts.vmExit;
    this.waitNs += hostNs;
    this.charge(this.kvmCosts.vmExit + hostNs);
  }

  /**
   * At boot every block free now was freed through arch_free_page: s390 marks its
   * pages unused, Duyck's hypercall discards the blocks of the reporting order. The
   * counters and guest time start from zero afterwards.
   */
  markFreeUnusedAtBoot(): void {
    const buddy = this.buddy;
    const blocks: [number, number][] = [];
    for (let order = 0; order < buddy.maxOrder; order++) {
      for (let h = buddy.firstFree(order); h >= 0; h = buddy.nextFree(h)) blocks.push([h, order]);
    }
    for (const [h, order] of blocks) {
      if (this.config.transport === 's390') this.essaUnused(h, order);
      else this.hypercallAtFree(h, order);
    }
    this.reports = this.reportedPages = this.reportedBlocks = this.exits = 0;
    this.reusedBeforeDiscard = this.pendingGuestNs = this.guestNs = 0;
    this.exitNs = this.waitNs = 0;
    this.host.resetCounters();
  }

  /** `_essa_clear_cbrl` at the buffer-full intercept; returns the vCPU's ns. */
  private clearCbrl(): number {
    this.reports++;
    this.exits++;
    let ns = this.kvmCosts.vmExit;
    this.exitNs += this.kvmCosts.vmExit;
    for (let k = 0; k < this.cbrlCount; k++) {
      const p = this.cbrl[k];
      if (!this.buddy.isFree(p)) {
        this.reusedBeforeDiscard++;
        continue;
      }
      this.reportedBlocks++;
      const zap = this.host.discard(p, 1, this.costs.cmmaZapPerEntry);
      ns += zap;
      this.waitNs += zap;
    }
    this.cbrlCount = 0;
    return ns;
  }

  private charge(ns: number): void {
    this.pendingGuestNs += ns;
    this.guestNs += ns;
  }
}

/**
 * `low_wmark_pages` of a single zone of `npages`: min_free_kbytes = sqrt(16 x lowmem
 * KiB) clamped to [128 KiB, 256 MiB] (mm/page_alloc.c calculate_min_free_kbytes), plus
 * the larger of a quarter of it and watermark_scale_factor 10/10000 of the zone.
 */
export function lowWatermarkPages(npages: number): number {
  const kib = npages * 4;
  const minKib = Math.min(262144, Math.max(128, Math.floor(Math.sqrt(kib * 16))));
  const minPages = minKib / 4;
  return Math.ceil(minPages + Math.max(minPages / 4, (npages * 10) / 10000));
}

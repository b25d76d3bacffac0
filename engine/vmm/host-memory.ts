import type { Vm } from '../kvm/vm.ts';
import type { BalloonCosts } from '../kvm/balloon-costs.ts';
import type { GuestMemory, RamSlot } from '../guest/memory.ts';
import { PAGES_PER_LEVEL } from '../kvm/types.ts';
import { PageSet } from '../guest/page-set.ts';
import { unmapGfnRange } from '../kvm/mmu-notifier.ts';

/** 4K pages per 2M frame: a transparent huge page. */
const THP_PAGES = 512;

/** Mark the 2M frames that [start, end) of `slot` covers only in part as split (THP). */
function splitPartlyCovered(slot: RamSlot, start: number, end: number): void {
  const m = slot.memslot;
  const frameOf = (rel: number): number => Math.floor((m.baseGfn + rel) / THP_PAGES);
  const firstFrame = frameOf(start);
  const lastFrame = frameOf(end - 1);
  for (let f = firstFrame; f <= lastFrame; f++) {
    const frameStart = Math.max(0, f * THP_PAGES - m.baseGfn);
    const frameEnd = Math.min(slot.npages, (f + 1) * THP_PAGES - m.baseGfn);
    if (start > frameStart || end < frameEnd) m.splitHostHugePage(frameStart);
  }
}

/** Host page size of each backing, in 4 KiB pages (`qemu_ram_pagesize`). */
const HOST_PAGE_PAGES: Readonly<Record<string, number>> = {
  '4k': 1,
  thp: 1, // anonymous memory: 4 KiB pages (a discard splits a transparent huge page)
  hugetlb_2m: 512,
  hugetlb_1g: 512 * 512,
};

/**
 * The host's side of guest RAM for free page reporting: which pages the host backs
 * (its RSS), which the VMM discarded, and the discard itself. A discarded page holds
 * zeros: its content changed without a guest write, so its generation moves on (the
 * dirty log never sees a discard, which is why only pages the guest does not use may
 * be discarded), and QEMU sends it as a zero page until the guest writes it again.
 */
export class HostMemory {
  readonly memory: GuestMemory;
  readonly vm: Vm;
  readonly costs: BalloonCosts;
  /** Per slot: pages backed by host memory. */
  readonly populated: PageSet[];
  /** Per slot: pages discarded since the guest last touched them (they read as zero). */
  readonly zeroed: PageSet[];
  rssPages = 0;
  discardCalls = 0;
  discardedPages = 0;
  /** Pages of ranges QEMU ignored: not aligned to the backing's page size. */
  discardSkippedPages = 0;
  refaults = 0;
  /** Host CPU ns spent discarding (VMM and kernel). */
  hostNs = 0;
  /** Pages the guest still used when they were discarded: must stay 0. */
  usedPagesDiscarded = 0;
  /** Whether the guest still uses a RAM page (its allocator holds it allocated). */
  private readonly inUse: (ramPage: number) => boolean;

  constructor(
    memory: GuestMemory,
    vm: Vm,
    costs: BalloonCosts,
    inUse: (ramPage: number) => boolean,
  ) {
    this.memory = memory;
    this.vm = vm;
    this.costs = costs;
    this.inUse = inUse;
    this.populated = memory.slots.map((s) => new PageSet(s.npages));
    this.zeroed = memory.slots.map((s) => new PageSet(s.npages));
  }

  /** At boot the host backs every page the guest has written (generation > 0). */
  populateWritten(): void {
    for (const s of this.memory.slots) {
      const set = this.populated[s.index];
      for (let p = 0; p < s.npages; p++) if (s.gen.get(p) !== 0) set.add(p);
      this.rssPages += set.count;
    }
  }

  /**
   * The guest accessed `rel` of `slot` and KVM mapped it: the host backs the frame KVM
   * mapped. A discarded page comes back as a zero page (a refault). Returns the ns the
   * vCPU lost to the host fault beyond KVM's own cost.
   */
  onAccess(slot: RamSlot, rel: number): number {
    const set = this.populated[slot.index];
    if (set.has(rel)) return 0;
    const level = slot.memslot.tdp.leafLevel(rel);
    const span = level === 0 ? 1 : PAGES_PER_LEVEL[level];
    const gfn = slot.memslot.baseGfn + rel;
    const start = Math.max(0, Math.floor(gfn / span) * span - slot.memslot.baseGfn);
    const end = Math.min(slot.npages, start + span);
    const before = set.count;
    set.addRange(start, end);
    this.rssPages += set.count - before;
    const zeroed = this.zeroed[slot.index];
    if (zeroed.countRange(start, end) === 0) return 0;
    zeroed.deleteRange(start, end);
    this.refaults++;
    return this.costs.refaultZeroPage;
  }

  /** The page reads as zero because the host discarded it. */
  isZeroed(slot: RamSlot, rel: number): boolean {
    return this.zeroed[slot.index].has(rel);
  }

  /** Pages of [start, end) of `slot` that read as zero after a discard (their generation is not 0). */
  zeroedIn(slot: RamSlot, start: number, end: number): number {
    return this.zeroed[slot.index].countRange(start, end);
  }

  /**
   * QEMU `ram_block_discard_range` for RAM pages [ramStart, ramStart + npages), one
   * madvise(MADV_DONTNEED) call: skipped when not aligned to the backing's page size
   * (virtio_balloon_handle_report ignores such ranges); otherwise every backed page is
   * freed, reads as zero from now on, and KVM's MMU notifier zaps its SPTEs. `callNs`
   * is the fixed cost of the call (s390 zaps in the kernel, without a syscall). Returns ns.
   */
  discard(ramStart: number, npages: number, callNs: number = this.costs.madviseCall): number {
    const slot = this.memory.slotOfRamPage(ramStart);
    const rel = ramStart - slot.ramStart;
    const hostPage = HOST_PAGE_PAGES[slot.memslot.backing] ?? 1;
    if (rel % hostPage !== 0 || npages % hostPage !== 0) {
      this.discardSkippedPages += npages;
      return 0;
    }
    this.discardCalls++;
    this.discardedPages += npages;
    // A discard that covers only part of a transparent huge page splits it: the host,
    // and with it KVM, map that 2M frame with 4K pages from then on.
    if (slot.memslot.backing === 'thp') splitPartlyCovered(slot, rel, rel + npages);
    const populated = this.populated[slot.index];
    const zeroed = this.zeroed[slot.index];
    let freed = 0;
    for (let p = rel; p < rel + npages; p++) {
      if (this.inUse(slot.ramStart + p)) this.usedPagesDiscarded++;
      if (!populated.delete(p)) continue;
      freed++;
      if (slot.gen.get(p) !== 0 && zeroed.add(p)) slot.gen.increment(p);
    }
    this.rssPages -= freed;
    let ns = callNs + freed * this.costs.madvisePerPage;
    ns += unmapGfnRange(this.vm, slot.memslot, rel, rel + npages);
    // Unmapped pages fault on their next access: they matter to the guest sampler.
    slot.sensitive.addRange(rel, rel + npages);
    this.hostNs += ns;
    return ns;
  }

  /** Start the counters again (after work done at boot). */
  resetCounters(): void {
    this.discardCalls = this.discardedPages = this.discardSkippedPages = 0;
    this.refaults = this.hostNs = this.usedPagesDiscarded = 0;
  }

  /** Bytes of the host-side sets. */
  get bytes(): number {
    let n = 0;
    for (let k = 0; k < this.populated.length; k++)
      n += this.populated[k].bytes + this.zeroed[k].bytes;
    return n;
  }
}

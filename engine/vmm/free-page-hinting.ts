import type { BalloonCosts } from '../kvm/balloon-costs.ts';
import type { BuddyAllocator } from '../guest/buddy.ts';
import type { GuestMemory } from '../guest/memory.ts';
import type { DirtySync } from './dirty-sync.ts';
import { PAGE_HINTED } from '../guest/buddy.ts';

/**
 * virtio-balloon free page hinting during precopy (VIRTIO_BALLOON_F_FREE_PAGE_HINT,
 * Wei Wang's series; QEMU 4.0). After each bitmap sync with the guest running
 * (hw/virtio/virtio-balloon.c virtio_balloon_free_page_hint_notify,
 * PRECOPY_NOTIFY_AFTER_BITMAP_SYNC -> virtio_balloon_free_page_start) the guest
 * allocates every free block of order MAX_ORDER-1 it can without reclaim and sends
 * its address (drivers/virtio/virtio_balloon.c get_free_page_and_send); QEMU clears
 * the block from the migration bitmap (migration/ram.c qemu_guest_free_page_hint), so
 * those pages are not sent. The guest holds the blocks until the host says DONE (the
 * VM stops for the switchover) or its shrinker gives them back under memory pressure.
 * A page the guest takes back and writes is caught by dirty logging, which was started
 * before the first hint; with manual protect, QEMU first issues the CLEAR of the
 * chunks it skips (`migration_clear_memory_region_dirty_bitmap_range`), or a write to
 * a skipped page would stay invisible to KVM.
 */
export class FreePageHinting {
  readonly buddy: BuddyAllocator;
  private readonly memory: GuestMemory;
  private readonly sync: DirtySync;
  private readonly costs: BalloonCosts;
  private held: number[] = [];
  /** Hinting rounds (cmd_ids) started. */
  rounds = 0;
  hintedBlocks = 0;
  hintedPages = 0;
  /** Pages whose migration-bitmap bit a hint cleared: pages not sent. */
  skippedPages = 0;
  /** Blocks the shrinker handed back before DONE. */
  shrunkBlocks = 0;
  pendingGuestNs = 0;
  guestNs = 0;

  constructor(buddy: BuddyAllocator, memory: GuestMemory, sync: DirtySync, costs: BalloonCosts) {
    this.buddy = buddy;
    this.memory = memory;
    this.sync = sync;
    this.costs = costs;
    // virtio_balloon_shrinker_scan: free hinted pages when the guest runs short.
    buddy.onShortage = () => {
      const n = this.held.length;
      this.shrunkBlocks += n;
      this.release();
      return n > 0;
    };
  }

  /** A new hinting round after a sync while the guest runs. Returns the migration thread's ns. */
  afterSync(): number {
    const { buddy, memory, sync, costs } = this;
    this.rounds++;
    const order = buddy.maxOrder - 1;
    const pages = 1 << order;
    let hostNs = 0;
    // __GFP_NORETRY | __GFP_NOWARN: hinting never makes the guest reclaim, so it must
    // not set off the shrinker that gives hinted pages back.
    const shrinker = buddy.onShortage;
    buddy.onShortage = null;
    for (let head = buddy.alloc(order, PAGE_HINTED); head >= 0;) {
      this.held.push(head);
      this.hintedBlocks++;
      this.hintedPages += pages;
      this.charge(costs.hintPerBlock);
      const slot = memory.slotOfRamPage(head);
      const rel = head - slot.ramStart;
      const chunk = sync.clearChunkPages;
      for (let c = Math.floor(rel / chunk) * chunk; c < rel + pages; c += chunk)
        hostNs += sync.beforeSend(slot.index, Math.max(c, rel));
      const bmap = sync.bmap[slot.index];
      for (let p = bmap.nextSet(rel, rel + pages); p >= 0;) {
        let q = bmap.nextClear(p, rel + pages);
        if (q < 0) q = rel + pages;
        this.skippedPages += q - p;
        p = bmap.nextSet(q, rel + pages);
      }
      bmap.clearRange(rel, rel + pages);
      hostNs += costs.hintHostPerBlock;
      head = buddy.alloc(order, PAGE_HINTED);
    }
    buddy.onShortage = shrinker;
    return hostNs;
  }

  /** VIRTIO_BALLOON_CMD_ID_DONE: the guest frees every hinted block (return_free_pages_to_mm). */
  done(): void {
    this.release();
  }

  takeGuestNs(): number {
    const ns = this.pendingGuestNs;
    this.pendingGuestNs = 0;
    return ns;
  }

  private release(): void {
    const order = this.buddy.maxOrder - 1;
    const held = this.held;
    this.held = [];
    for (const head of held) this.buddy.free(head, order);
  }

  private charge(ns: number): void {
    this.pendingGuestNs += ns;
    this.guestNs += ns;
  }
}

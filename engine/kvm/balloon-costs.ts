/**
 * Costs of free page reporting and free page hinting (virtio-balloon and its
 * alternatives), in simulated ns, beside the KVM cost table (costs.ts) and shaped
 * like it: a default and a source for each. They live apart from `Costs` so that a
 * run without a balloon keeps its provenance (the cost table it records) unchanged.
 * The VM exits themselves are charged from `Costs` (vmExit, userspaceExit).
 */
import type { CostSource } from './costs.ts';
import { resolveTable } from './costs.ts';

export interface BalloonCosts {
  /** page_reporting_cycle per block: isolate it from the free list, sg_set_page, put it back. */
  reportPerBlock: number;
  /** virtqueue_kick of the reporting vq: the ioeventfd write exit, handled in the kernel (on top of vmExit). */
  virtioKick: number;
  /** The host's used-buffer interrupt (irqfd) and the guest's completion wake-up, per report. */
  virtioNotify: number;
  /** One madvise(MADV_DONTNEED) call by the VMM: syscall, VMA walk, MMU-notifier invalidate start/end. */
  madviseCall: number;
  /** ... per populated 4 KiB page it frees (zap_pte_range, freeing the page). */
  madvisePerPage: number;
  /** The host faults a zero page back in for a discarded page the guest touches again. */
  refaultZeroPage: number;
  /** s390 ESSA: the guest marks one 4 KiB page unused, logged in the CBRL buffer (no exit). */
  essaPerPage: number;
  /** s390 host, per CBRL entry at the buffer-full intercept: check the page state, zap it if still unused. */
  cmmaZapPerEntry: number;
  /** Free page hinting, guest: allocate one MAX_ORDER-1 block and add its address to the free_page_vq. */
  hintPerBlock: number;
  /** Free page hinting, QEMU: qemu_guest_free_page_hint for one block (bitmap clear, lock). */
  hintHostPerBlock: number;
}

export const DEFAULT_BALLOON_COSTS: Readonly<BalloonCosts> = Object.freeze({
  reportPerBlock: 150,
  virtioKick: 1_500,
  virtioNotify: 1_500,
  madviseCall: 2_000,
  madvisePerPage: 60,
  refaultZeroPage: 1_000,
  essaPerPage: 30,
  cmmaZapPerEntry: 120,
  hintPerBlock: 400,
  hintHostPerBlock: 300,
});

export const BALLOON_COST_SOURCES: Readonly<Record<keyof BalloonCosts, CostSource>> = Object.freeze(
  {
    reportPerBlock: {
      source:
        'mm/page_reporting.c page_reporting_cycle: __isolate_free_page and __putback_isolated_page under zone->lock, a few list operations; order of 100 ns (estimate)',
    },
    virtioKick: {
      source:
        'drivers/virtio/virtio_ring.c virtqueue_kick -> PIO/MMIO notify, served in KVM by ioeventfd (eventfd_signal) without a userspace exit; a microsecond or two on top of the exit (estimate)',
    },
    virtioNotify: {
      source:
        'hw/virtio/virtio-balloon.c virtio_balloon_handle_report -> virtio_notify (irqfd) and the guest virtballoon_free_page_report wake-up (wait_event); order of a microsecond (estimate)',
    },
    madviseCall: {
      source:
        'QEMU ram_block_discard_range -> madvise(MADV_DONTNEED): syscall plus mmu_notifier_invalidate_range_start/end into kvm_mmu_notifier_invalidate_range_start; a few microseconds (estimate)',
    },
    madvisePerPage: {
      source:
        'mm/memory.c zap_pte_range per present PTE and the batched free; ~60 ns per 4 KiB page (estimate)',
    },
    refaultZeroPage: {
      source:
        'mm/memory.c do_anonymous_page: allocate and clear_page 4 KiB (~0.4 us at 10 GB/s) plus accounting; ~1 us (estimate)',
    },
    essaPerPage: {
      source:
        'arch/s390/mm/page-states.c set_page_unused: one ESSA per 4 KiB page, interpreted by SIE with CMMA (estimate)',
    },
    cmmaZapPerEntry: {
      source:
        'arch/s390/kvm/priv.c handle_essa -> _essa_clear_cbrl -> __gmap_zap per entry: pgste check and zap of an unused page (estimate)',
    },
    hintPerBlock: {
      source:
        'drivers/virtio/virtio_balloon.c get_free_page_and_send: alloc_pages(VIRTIO_BALLOON_FREE_PAGE_ALLOC_FLAG, MAX_ORDER-1) and virtqueue_add_inbuf (estimate)',
    },
    hintHostPerBlock: {
      source:
        'migration/ram.c qemu_guest_free_page_hint: bitmap_count_one_with_offset and bitmap_clear under bitmap_mutex per hinted block (estimate)',
    },
  },
);

/** Merge overrides onto the defaults, rejecting unknown names and bad values. */
export function resolveBalloonCosts(overrides: Partial<BalloonCosts> = {}): BalloonCosts {
  return resolveTable(DEFAULT_BALLOON_COSTS, overrides, 'balloon cost');
}

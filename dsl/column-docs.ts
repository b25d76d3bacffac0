/**
 * What each column of the summary table holds: one row per run, the table every `run`
 * and `sweep` shows first. The one source of `%help COLUMN`, the kernel's inspection of
 * a column (Shift-Tab) and the column list of docs/language.md; a test fails when a
 * column of the summary has no entry here, or an entry names no column.
 */
import { STALL_CAUSES } from '../engine/guest/vcpu-thread.ts';
import type { StallCause } from '../engine/guest/vcpu-thread.ts';

/** Each stall cause, as the stall_CAUSE_ms columns name it. */
const STALL_DOCS: Readonly<Record<StallCause, string>> = {
  fast_fault: 'fast page faults (the lockless write-protection fix)',
  slow_fault: 'slow page faults under mmu_lock',
  split: 'splitting huge pages on a fault',
  pml: 'PML logging and PML-full exits',
  ring_full: 'dirty-ring-full exits, waiting for QEMU to harvest the ring',
  throttle: "auto-converge's or dirty-limit's throttling",
  lock_wait: 'waiting for mmu_lock',
  remote_fault: 'postcopy faults waiting for the page from the source',
  mmio: 'exits to device emulation (`io_exits`)',
  tlb_flush: 'TLB flushes',
  tlb_miss: 'page walks on TLB misses',
  bql: "waiting for QEMU's big lock in an exit",
  ring_lock: "the dirty-ring pool's lock (proposals)",
};

const CORE_DOCS: Readonly<Record<string, string>> = {
  vm: 'The vm of the run (its definition name).',
  tracking: 'The tracking policy of the run.',
  migration: 'The migration policy of the run.',
  seed: 'The seed of the run.',
  status:
    "How the migration ended, as QEMU's MigrationStatus: completed; not-converged (`max_time` reached before switchover); cancelled (`max_iterations N then cancel`), or the state an interrupted run was in. Only a completed run has downtime_ms and stale_pages.",
  switchover:
    "Why the guest was stopped for the last pass: converged (by QEMU's rule, what remains fits in bandwidth x downtime), forced (`max_iterations N then force`), policy (a TypeScript precopy policy), xen (Xen's stop rule) or postcopy; empty when it never was.",
  total_ms: 'Migration time, from its start to the destination running (setup included).',
  setup_ms: "Setup: enabling dirty logging (KVM_MEM_LOG_DIRTY_PAGES and QEMU's bitmaps).",
  enable_ioctl_ms: 'Of setup_ms, the KVM_SET_USER_MEMORY_REGION ioctls that enable dirty logging.',
  enable_split_ms:
    'Of enable_ioctl_ms, eager page splitting (splitting huge pages as logging starts).',
  clear_ioctls: 'KVM_CLEAR_DIRTY_LOG ioctls QEMU made (manual protect).',
  clear_ioctl_ms: 'Time in KVM_CLEAR_DIRTY_LOG ioctls, all of them.',
  clear_ioctl_max_ms: 'The longest single KVM_CLEAR_DIRTY_LOG ioctl.',
  clear_split_ms: 'Of clear_ioctl_ms, splitting huge pages on the first CLEAR.',
  downtime_ms: 'Time the guest was stopped: the last dirty pages and the device state sent.',
  expected_downtime_ms:
    "QEMU's expected downtime at the last sync: the dirty bytes left over the bandwidth.",
  downtime_limit_ms: 'The downtime limit (`downtime` of the migration, default 300ms).',
  iterations: "Dirty-log syncs QEMU made (its dirty-sync-count): the precopy's passes.",
  transferred_bytes: 'Bytes sent over the link: pages, zero pages and headers.',
  ram_bytes: "The guest's RAM (its memslots).",
  normal_pages: 'Pages sent with their content.',
  zero_pages: 'Pages sent as zero pages (a header only).',
  normal_bytes: 'normal_pages in bytes.',
  pages_sent: 'normal_pages plus zero_pages: every page send, a page sent twice counted twice.',
  amplification: "pages_sent over the guest's RAM pages: 1 is each page once.",
  downtime_bytes: 'Bytes sent while the guest was stopped (pages and device state).',
  dirty_pages_rate_pps: "QEMU's dirty-page rate estimate at the end, pages per second.",
  mbps: "Throughput: bytes sent over the migration time after setup, as QEMU's query-migrate.",
  throttle_pct: "Auto-converge's CPU throttle at the end (0 without it).",
  postcopy_requests: 'Pages the destination requested from the source during postcopy.',
  guest_writes_per_s: 'Guest writes per second during the migration.',
  guest_slowdown:
    'Share of the guest work lost during the migration (downtime included): 1 - done / what it would have done unhindered.',
  live_slowdown: 'guest_slowdown while the guest ran: the downtime left out.',
  max_vcpu_stall_ms: 'The longest stall of one vCPU (consecutive time lost to any cause).',
  p99_vcpu_stall_ms: "The 99th percentile of the vCPUs' stalls.",
  bql_held_ms: "Time QEMU's big lock was held.",
  pf_fast: "Write faults KVM fixed on its fast path (KVM's pf_fast stat).",
  pf_slow: "Faults fixed under mmu_lock (KVM's pf_fixed).",
  pf_not_present: "Faults on pages not mapped (KVM's pf_not_present).",
  splits_eager: 'Huge pages split by eager page splitting.',
  splits_on_fault: 'Huge pages split in place on a write fault.',
  zaps_on_fault: 'Huge pages zapped on a write fault (`split_on_fault zap`).',
  pml_full_exits: 'Exits because a PML buffer filled.',
  ring_full_exits: 'Exits because a dirty ring reached its soft limit.',
  tlb_flushes: "Remote TLB flushes (KVM's remote_tlb_flush).",
  mmu_lock_read_ms: 'Time mmu_lock was held for read.',
  mmu_lock_write_ms: 'Time mmu_lock was held for write.',
  tracking_memory_bytes:
    "Memory dirty tracking used: KVM's bitmaps, rings, PML buffers and page tables, and QEMU's bitmaps.",
  page_table_bytes: "KVM's page tables at the end (grows as huge pages are split).",
  dirty_bitmap_bytes: "KVM's dirty bitmaps (0 with a ring alone).",
  dirty_ring_bytes: "KVM's dirty rings (0 without a ring).",
  lost_dirty:
    'Writes KVM dropped: made without a running vCPU, with a ring and no bitmap to log them in.',
  stale_pages:
    "Pages the destination holds older than the source's at the end: 0 when migration is correct; `table stale` lists them.",
  reporting: "Free page reporting's transport: virtio, hypercall or off.",
  reporting_order: 'The smallest order of a block the guest reports (-1 without reporting).',
  hinting: 'Free page hinting on or off.',
  rss_start_bytes: 'Host memory the guest used at the start of the migration.',
  rss_bytes: 'Host memory the guest used at the end.',
  guest_free_bytes: "Free memory in the guest's buddy allocator at the end.",
  reports: 'Free page reporting passes run.',
  reported_pages: 'Pages the guest reported free.',
  balloon_exits: 'Exits free page reporting made.',
  discard_calls: 'Discards the host made (MADV_DONTNEED or fallocate).',
  discarded_pages: 'Pages the host discarded.',
  discard_skipped_pages:
    "Pages of reported ranges QEMU ignored: not aligned to the backing's page size.",
  refaults: 'Faults on discarded pages the guest used again.',
  used_pages_discarded: 'Pages the guest still used when they were discarded: 0 unless broken.',
  reused_before_discard: 'Logged pages the guest had reused when the host looked (not discarded).',
  pages_hinted: 'Pages in the free blocks free page hinting took from the guest.',
  pages_skipped_by_hinting: 'Pages whose dirty bit a hint cleared: pages not sent.',
  hint_blocks_shrunk: 'Hinted blocks the balloon shrinker handed back before the hinting ended.',
  balloon_guest_ms: "The vCPUs' time in free page reporting and hinting.",
  balloon_exit_ms: "Of balloon_guest_ms, reporting's exits.",
  balloon_wait_ms: 'Of balloon_exit_ms, waits in an exit for the host to discard.',
  balloon_host_ms: 'Host CPU time spent discarding.',
  alloc_failures: "Allocations the `alloc` workload's guest could not satisfy.",
  stale_free_pages: 'Of stale_pages, pages free in the guest (their content does not matter).',
};

/** Each summary column's documentation, by name. */
export const SUMMARY_COLUMN_DOCS: Readonly<Record<string, string>> = {
  ...CORE_DOCS,
  ...Object.fromEntries(
    STALL_CAUSES.map((c) => [
      `stall_${c}_ms`,
      `Time the vCPUs lost to ${STALL_DOCS[c]} during the migration, summed over vCPUs.`,
    ]),
  ),
};

/**
 * Documentation shown by the kernel's inspect (Shift-Tab) for every keyword, block key,
 * sub-key, enumerated value and unit of the language, written for kernel engineers:
 * what it maps to in KVM or QEMU, its unit and its default. A test checks that every
 * key and value of the schema tables (schema.ts) has an entry here.
 */
import type { Costs } from '../engine/kvm/costs.ts';
import { COST_INFO, DEFAULT_COSTS } from '../engine/kvm/costs.ts';
import { BALLOON_COST_SOURCES, DEFAULT_BALLOON_COSTS } from '../engine/kvm/balloon-costs.ts';
import type { BalloonCosts } from '../engine/kvm/balloon-costs.ts';
import type { AggregateOp } from './compile/experiment-types.ts';
import type { BlockKind } from './schema.ts';
import { snakeCase } from './schema.ts';
import { statements } from './syntax.ts';
import { STEP_WORD, VARY_WORD } from './parser.ts';

let keywordEntries: Readonly<Record<string, string>> | undefined;

/**
 * Every keyword: the docs of the statements that use it (syntax.ts), joined when
 * several do (`with` in `run` and in `table`). Read from the grammar on first use.
 */
export function keywordDocs(): Readonly<Record<string, string>> {
  if (keywordEntries === undefined) {
    const docs: Record<string, string> = {};
    for (const s of statements()) {
      // A keyword documented alike in two statements (`vary`) is told once.
      for (const [k, doc] of Object.entries(s.keywords))
        docs[k] = docs[k] && !docs[k].includes(doc) ? `${docs[k]} ${doc}` : doc;
    }
    keywordEntries = docs;
  }
  return keywordEntries;
}

/** The simulator cost table, by engine name; all in ns per operation. */

function costFieldDocs(): Record<string, string> {
  const docs: Record<string, string> = {};
  for (const name of Object.keys(DEFAULT_COSTS) as (keyof Costs)[]) {
    docs[snakeCase(name)] =
      `${COST_INFO[name].doc} In ns (a time such as 700ns). Default ${DEFAULT_COSTS[name]}ns (engine cost ${name}).`;
  }
  return docs;
}

/** `cost` of a balloon block and its sub-keys, from the balloon cost table. */
function balloonCostDocs(): Record<string, string> {
  const docs: Record<string, string> = {
    cost: 'Overrides of the balloon cost table (engine/kvm/balloon-costs.ts), in ns: `cost madvise_call 3us refault_zero_page 2us`.',
  };
  for (const name of Object.keys(DEFAULT_BALLOON_COSTS) as (keyof BalloonCosts)[]) {
    docs[`cost.${snakeCase(name)}`] =
      `${BALLOON_COST_SOURCES[name].source}. Default ${DEFAULT_BALLOON_COSTS[name]}ns.`;
  }
  return docs;
}

/**
 * Block keys, by block kind; a sub-key is `key.sub` (`slot.at`). Costs keys are built
 * from the cost table below so the two cannot drift.
 */
export const FIELD_DOCS: Readonly<Record<BlockKind, Readonly<Record<string, string>>>> = {
  vm: {
    arch: 'CPU architecture: x86_64 (TDP MMU with EPT/NPT, PML on Intel) or arm64 (stage-2 page tables, eager-split chunk). Default x86_64.',
    vcpus: 'Number of vCPUs (KVM_CREATE_VCPU count), 1 to 4096. Default 1.',
    slot: 'A memslot (KVM_SET_USER_MEMORY_REGION): `slot NAME at GPA size SIZE [backing 4k|thp|hugetlb_2m|hugetlb_1g] [readonly]`. GPA and size in bytes with a size unit; both 4KiB-aligned.',
    'slot.at':
      'Guest physical address where the slot starts (userspace_memory_region.guest_phys_addr), a size such as 4GiB.',
    'slot.size': 'Slot size (memory_size), at least 4KiB, a multiple of the page size.',
    'slot.backing':
      'Host backing of the slot, which bounds the TDP mapping level: 4k pages, THP (2M when aligned), hugetlbfs 2M or 1G. Default 4k.',
    'slot.readonly': 'KVM_MEM_READONLY: guest writes exit to userspace (MMIO); never dirty-logged.',
    workload:
      'What the vCPUs do: `workload uniform|hotset|zipf|sequential|idle|phases|trace|alloc { ... }`. May appear more than once.',
    balloon:
      "A virtio-balloon's free page reporting (mm/page_reporting.c, VIRTIO_BALLOON_F_REPORTING) and free page hinting (VIRTIO_BALLOON_F_FREE_PAGE_HINT): `balloon { reporting virtio|hypercall|s390|free_hypercall|off, order N, capacity N, delay TIME, max_order N, hinting on|off }`. The guest gets a buddy allocator: the other workloads' regions are allocated at boot, the rest is free.",
    device:
      "A device that writes guest memory outside any vCPU (not through a dirty ring) when the VM stops: `device its { tables SIZE }` (the GICv3 ITS tables) or `device vgic_v3 { tables SIZE }` (the redistributors' LPI pending tables).",
    io_exits:
      "Exits per second per vCPU that QEMU handles in userspace (port and MMIO accesses to emulated devices, e.g. `io_exits 2k/s`). Each needs QEMU's big lock, which migration holds while it starts dirty logging (the enabling ioctl, eager splitting included), syncs the dirty log and reaps the rings (the reaper thread, or a vCPU thread on its ring-full exit), and under `bitmap_sync every_tick` (QEMU 1.1) for each whole iteration: a vCPU's first such exit during a hold waits for its end (summary `bql_held_ms`, stall cause `bql`). Default 0.",
    prefill:
      'Share of RAM holding non-zero data when migration starts, in %; the rest is zero pages QEMU can skip. Default 0%.',
  },
  workload: {
    rate: 'Page writes (and reads) per second per vCPU: `rate 200k/s per vcpu`. Unit: /s, k/s, M/s or pages/s.',
    'rate.per': '`per vcpu`: the rate is per vCPU (the only form).',
    set: 'Size of the hot set (hotset), e.g. 16MiB.',
    hot: 'Share of accesses that go to the hot set (hotset), in %. Default 90%.',
    read: 'Share of accesses that are reads (no dirtying), in %. Default 0%.',
    exponent:
      'Zipf exponent s (zipf): page rank k is accessed with probability proportional to 1/k^s.',
    region:
      'Part of RAM the workload touches, counted from the start of RAM: `region 0..1GiB` (end excluded).',
    vcpus: 'Which vCPUs run this workload: `all`, one id, `0..3` (inclusive) or `[0, 2]`.',
    partition: 'Give each vCPU its own slice of the region (like dirty_log_perf_test), no sharing.',
    phase:
      'One phase of a `phases` workload: `phase 10s hotset { rate 20k/s, set 16MiB }` or `phase 5s idle`.',
    repeat: 'Start again after the last phase (phases). Default on.',
    file: 'CSV trace of accesses with header time,vcpu,gfn,op, relative to this file (trace).',
    loop: 'Replay the trace from the start when it ends (trace). Default off.',
    churn:
      'Allocations or frees per second per vCPU on the guest buddy allocator (alloc): below `used` it allocates, above it frees a random live block. Each allocation writes every page of its block.',
    used: 'Memory the alloc workload keeps allocated, e.g. 512MiB; its `rate` accesses land uniformly on these pages.',
    peak: 'Memory the alloc workload allocated at boot before freeing at random down to `used`: the survivors lie scattered, so free memory starts fragmented. Default: used.',
    order:
      'Largest allocation order of the alloc workload (2^order pages), at most max_order-1; order k is half as likely as order k-1, so each order holds about the same memory. Default 3.',
  },
  balloon: {
    reporting:
      "How free pages reach the host: `virtio` (reporting_vq, one kick per report of up to `capacity` ranges; QEMU madvises each range), `hypercall` (one KVM_EXIT_HYPERCALL to the VMM per range, the vCPU waits for the madvise), `s390` (CMMA: ESSA logs every freed page in a CBRL buffer of `buffer` entries; the host zaps the pages still unused when it is full), `free_hypercall` (proposal, Alexander Duyck's 2019 RFC: arch_free_page makes a hypercall for each freed block of `order` or above and KVM discards it at once, in the kernel) or `off`. Default virtio.",
    order:
      'page_reporting_order: only free blocks of this order and above are reported; at most max_order-1. Default pageblock_order 9 (2 MiB); 0 for s390.',
    capacity:
      'PAGE_REPORTING_CAPACITY: scatterlist entries (ranges) per report() call. Default 32.',
    delay:
      'PAGE_REPORTING_DELAY: the reporting work runs this long after a block of the threshold order is freed. Default 2s.',
    max_order:
      "The guest buddy allocator's MAX_ORDER: orders 0..max_order-1 (Linux before 6.4: 11, i.e. 4 MiB blocks). Free page hinting hints blocks of order max_order-1. Default 11.",
    hinting:
      'Free page hinting during precopy: after each sync the guest hands QEMU its free max_order-1 blocks, which are cleared from the migration bitmap (qemu_guest_free_page_hint) and not sent; off when postcopy may follow. Default off.',
    buffer:
      's390: entries of the CBRL buffer (one 4 KiB page of 8-byte entries: 512). Default 512.',
    ...balloonCostDocs(),
  },
  device: {
    tables:
      "Bytes of tables that QEMU has KVM save into guest RAM at switchover, dirtied outside any vCPU's ring: the ITS tables (KVM_DEV_ARM_ITS_SAVE_TABLES) or the LPI pending tables (KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES).",
    offset: 'RAM offset where the tables live. Default: the end of RAM.',
  },
  tracking: {
    dirty_log:
      'Dirty-log mode: `bitmap` (KVM_GET_DIRTY_LOG), `manual` (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 + KVM_CLEAR_DIRTY_LOG), `initially_set` (manual with KVM_DIRTY_LOG_INITIALLY_SET), `ring N` (KVM_CAP_DIRTY_LOG_RING, N entries per vCPU) or `ring_with_bitmap N` (arm64 KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP). Default bitmap.',
    ring_acq_rel:
      'KVM_CAP_DIRTY_LOG_RING_ACQ_REL: ring entries published with acquire/release ordering. Default on for arm64 (its only ring), off on x86.',
    eager_split:
      'x86 kvm.eager_page_split module parameter: split huge SPTEs when logging is enabled (or at the first CLEAR with initially_set) instead of at the first write fault. Default on.',
    chunk: 'arm64 KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE: 0 (off), 4KiB, 2MiB or 1GiB. Default 0.',
    pml: 'x86 Intel Page Modification Logging (kvm_intel.enable_pml): the CPU logs dirty GPAs in a 512-entry buffer instead of taking write-protection faults. Default on.',
    fast_page_fault:
      'Lockless fast_page_fault for write-protection faults on logged SPTEs (x86); off forces every fault through the slow path under mmu_lock. Default on.',
    split_on_fault:
      'A write fault on a huge page while logging: `in_place` splits it (Linux 6.2+ tdp_mmu_split_huge_page) or `zap` zaps it and faults 4K pages back in.',
    mmu_lock:
      "kvm->mmu_lock: `rwlock` (the TDP MMU's; faults take it for read and run in parallel; x86 since Linux 5.12, arm64 since 6.2) or `spinlock` (every fault takes it exclusively, as in 2012's KVM). The VMM's GET/CLEAR take it for write either way. Default rwlock.",
    with_bitmap:
      'When the VMM enables KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP (ring_with_bitmap only): `before_memslots` (default; KVM requires it) or `after_memslots`, which KVM refuses with EINVAL because a memslot exists (kvm_vm_ioctl_enable_cap_generic). The run then fails with that error.',
    preempt:
      "The host kernel's preemption model: `none`, `voluntary` (default, the usual distribution kernel) or `full`. Only under full preemption does a long walk under mmu_lock (KVM's write protection of a slot, tdp_mmu_iter_cond_resched) give the lock up to a waiting vCPU between steps; GET_DIRTY_LOG and CLEAR_DIRTY_LOG keep it for their whole loop in every model, and a split under the write lock drops it for each new page table.",
    mmu: 'x86 paging: `tdp` (EPT/NPT, the TDP MMU) or `shadow` (kvm_intel.ept=0 / kvm_amd.npt=0): KVM shadows the guest page tables, write-protects through rmaps, handles every fault under mmu_lock for write, and has no fast page fault, PML or eager split. Default tdp. arm64 ignores it.',
    ring_topology:
      'Proposal: `per_vcpu` (KVM today), `per_vm` (one shared ring), or `pool N round_robin|lru|last_used` (N rings claimed by vCPUs).',
    granularity: 'Proposal: dirty-tracking granularity, 4k (KVM) or 2m (one bit per 2M region).',
    ring_reserve:
      "Proposal (the ring-pool debate's reserve size): entries each dirty ring keeps past its soft limit, in place of KVM's kvm_dirty_ring_get_rsvd_entries (64, plus 512 with PML, so that the PML buffer flushed at the exit after the soft limit still fits). A reserve smaller than that flush overflows the ring and loses pages (`lost_dirty`).",
    vcpuless_writes:
      "Proposal from the WITH_BITMAP debate (arm64 dirty ring, 2022): where a write without a running vCPU goes in ring-only mode. `drop` is KVM (the page is lost from the dirty log); `vcpu0_ring` pushes it into vCPU 0's ring (Peter Xu's first option); `vm_ring` into a ring of the VM's own beside the per-vCPU rings (Paolo Bonzini's). QEMU harvests either with the other rings. Nothing can stop a writer that is not a vCPU, so a write that finds the ring hard-full is lost.",
    split_on_first_clear:
      "Proposal: defer eager splitting to the first CLEAR (GET, ring reset) of each range in every mode, not only initially_set. Paolo Bonzini proposed the first-CLEAR split for initially_set only (kvm list, 2021-11-05), which KVM does; without INITIALLY_SET logging write-protects the huge pages and the guest's first write to one comes before any CLEAR of it, so the faulting vCPU splits it.",
    reaper:
      "QEMU's dirty-ring reaper thread period (dirtylimit/kvm_dirty_ring_reaper). Default 1s.",
    reapers:
      "Proposal from the dirty-ring RFC thread (December 2019): threads the VMM harvests the rings with, in parallel, each taking whole rings (ring k to thread k mod N). Paolo Bonzini gave parallel processing of dirty pages as the first advantage of per-vCPU rings, and Sean Christopherson's pool was to keep it; QEMU harvests with one thread (kvm_dirty_ring_reaper_thread, or the vCPU thread on a ring-full exit). A reap then takes as long as the busiest thread's rings, plus the one KVM_RESET_DIRTY_RINGS; a single per-VM ring cannot be split. Default 1.",
    clear_shift:
      'QEMU x-clear-bitmap-shift: KVM_CLEAR_DIRTY_LOG chunks of 2^shift pages, 6 to 31. Default 18 (1 GiB).',
  },
  costs: costFieldDocs(),
  migration: {
    policy:
      "When to stop iterating: `precopy` (QEMU: expected downtime below the limit) or `xen` (Xen's iteration and sent-pages limits).",
    bandwidth: 'Link bandwidth available to the migration stream, e.g. 10Gbit/s or 1GB/s.',
    max_bandwidth: 'QEMU max-bandwidth: cap on the migration stream rate.',
    downtime: 'QEMU downtime-limit: the longest acceptable stop-and-copy. Default 300ms.',
    max_iterations:
      'Dirty-log syncs before the management layer acts: `max_iterations 30 then force|postcopy|cancel`.',
    'max_iterations.then':
      'What the management layer does after max_iterations: force switchover, switch to postcopy, or cancel.',
    converge:
      'Convergence aid: `none`, `auto` (QEMU auto-converge CPU throttling) or `dirty_limit` (dirty-limit capability, KVM dirty ring only).',
    throttle:
      'Auto-converge parameters: `throttle initial 20% increment 10% max 99% trigger 50%` (cpu-throttle-initial / -increment / max-cpu-throttle / throttle-trigger-threshold).',
    'throttle.initial': 'cpu-throttle-initial: first throttle step, in %. QEMU default 20%.',
    'throttle.increment':
      'cpu-throttle-increment: added at each further step, in %. QEMU default 10%.',
    'throttle.max': 'max-cpu-throttle: the throttle never exceeds this, in %. QEMU default 99%.',
    'throttle.trigger':
      'throttle-trigger-threshold: throttle when dirtied bytes exceed this share of transferred bytes, in %. QEMU default 50%.',
    dirty_limit:
      'QEMU vcpu-dirty-limit: dirty rate allowed per vCPU, e.g. 1MB/s (dirty ring required).',
    postcopy:
      'Switch to postcopy: `postcopy after N [latency TIME]` (migrate-start-postcopy after N iterations).',
    'postcopy.after': 'Iterations of precopy before switching to postcopy, at least 1.',
    'postcopy.latency': 'Time to serve one postcopy page fault from the source (round trip).',
    zero_scan: 'Throughput of zero-page detection on the source, e.g. 20GB/s.',
    switchover_bandwidth:
      'QEMU avail-switchover-bandwidth: bandwidth assumed for the final stop-and-copy estimate.',
    device_state: 'Device state sent during the downtime, e.g. 1MiB. Default 1MiB.',
    bitmap_sync:
      'When QEMU pulls the dirty log from KVM during precopy: `threshold` (QEMU since 1.2, the default: when what remains falls under bandwidth x downtime-limit) or `every_tick` (QEMU up to 1.1: ram_save_live synced at every 100 ms tick of the rate limiter, so every written page is write-protected again ten times a second).',
  },
  run: {
    seed: 'Seed of the run (its PRNG); same seed, same result.',
    seeds:
      'Seeds of a sweep, one run each: `seeds 1..5` (inclusive) or a list; `seeds 3` is the one seed 3 (a warning says so).',
    repeat:
      "Repetitions of each combination: `repeat 5` runs it with seeds seed, seed+1, ..., seed+4; with a seed range each seed is followed by the next ones, once each (`seeds 1..2 repeat 3` runs seeds 1, 2, 3, 4). A run's results depend only on its plan and seed, so repetitions differ only by seed.",
    costs: 'Name of a `costs` definition whose overrides apply to this run.',
    warmup: 'Guest run time before migration starts (dirty logging off). Default 1s.',
    max_time: 'Give up on a migration that has not finished after this long. Default 10min.',
    sample: 'Timeline sampling period. Default 100ms.',
    slice: 'Simulator scheduler time slice per vCPU. Default 5ms.',
    zip: 'Pair axes instead of combining them: `zip bandwidth, downtime` runs the first bandwidth with the first downtime, the second with the second, ... (the axes need as many values each).',
  },
};

/**
 * The words that shape a field's value (parser.ts): a range's `step`, and the keyword
 * `vary`, which makes a list or a range one value per variant instead of a sweep
 * (compile/variant.ts), documented here too for a hover inside a block.
 */
export function sweepWordDocs(): Readonly<Record<string, string>> {
  return {
    [STEP_WORD]:
      '`A..B step S`: the values A, A+S, A+2S, ... up to B (both ends included when reached). In a field, a sweep: one variant of the definition per value.',
    [VARY_WORD]: keywordDocs()[VARY_WORD] ?? '',
  };
}

/** Enumerated values of keys, by value (a value means the same wherever it appears). */
export const VALUE_DOCS: Readonly<Record<string, string>> = {
  x86_64: 'x86-64: TDP MMU over EPT (Intel) or NPT (AMD); PML on Intel.',
  arm64: 'arm64: stage-2 page tables; dirty ring needs ring_with_bitmap.',
  '4k': '4 KiB pages (no huge mappings); as granularity, one dirty bit per 4 KiB page (KVM).',
  '2m': 'Proposal: one dirty bit per 2 MiB region.',
  thp: 'Transparent huge pages: 2M mappings where the slot and host are aligned.',
  hugetlb_2m: 'hugetlbfs with 2 MiB pages.',
  hugetlb_1g: 'hugetlbfs with 1 GiB pages.',
  uniform: 'Writes spread uniformly over the region.',
  hotset: 'A hot set (`set`) receives `hot`% of the writes, the rest spread uniformly.',
  zipf: 'Zipf-distributed writes (`exponent`).',
  sequential: 'Writes sweep the region in order, like dirty_log_perf_test.',
  idle: 'No accesses.',
  phases: 'A sequence of `phase` blocks, each its own workload, optionally repeated.',
  trace: 'Replay accesses from a CSV `file`.',
  alloc:
    'Allocate/free churn on the guest buddy allocator (`churn`, `used`, `peak`, `order`), with `rate` accesses into the allocated pages.',
  virtio: 'virtio-balloon reporting_vq: batched reports, one kick each.',
  hypercall: 'Proposal: one hypercall (exit to the VMM) per reported range.',
  free_hypercall:
    'Proposal (Duyck, 2019): a hypercall from arch_free_page for each freed block of the reporting order, discarded inside KVM at free time, with no delay or batching.',
  s390: 's390 CMMA: ESSA marks freed pages unused in a buffer; the host zaps them when it is full.',
  its: 'GICv3 ITS: tables written into guest RAM at switchover.',
  vgic_v3:
    'GICv3 redistributors: LPI pending tables written into guest RAM at switchover (vgic_v3_save_pending_tables), in the same no-vCPU window as the ITS save.',
  before_memslots:
    'Enable KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP before creating any memslot, as KVM requires.',
  after_memslots:
    'Enable KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP once memslots exist (a VMM that wants the bitmap only for migration): KVM refuses it with EINVAL.',
  bitmap: 'KVM_GET_DIRTY_LOG: get-and-clear the whole bitmap per slot on each sync.',
  manual:
    'KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: GET does not re-protect; QEMU re-arms with KVM_CLEAR_DIRTY_LOG in chunks.',
  initially_set:
    'KVM_DIRTY_LOG_INITIALLY_SET: manual protect with the bitmap starting all-set, so enabling logging write-protects nothing (not with a dirty ring).',
  ring: 'KVM_CAP_DIRTY_LOG_RING: per-vCPU rings of N 16-byte entries (a power of two, 256 to 65536); a full ring exits to userspace.',
  ring_with_bitmap:
    'KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP: dirty ring plus a bitmap for writes without a running vCPU (arm64 ITS).',
  on: 'Enabled.',
  off: 'Disabled.',
  in_place: 'Split the huge SPTE in place on a write fault (Linux 6.2+).',
  zap: 'Zap the huge SPTE and fault 4K pages back in.',
  rwlock:
    "mmu_lock as the TDP MMU's rwlock: faults share it (read_lock), the VMM's ioctls take it for write.",
  spinlock: 'mmu_lock as the spinlock of older kernels: every fault takes it exclusively.',
  voluntary:
    'CONFIG_PREEMPT_VOLUNTARY: a lock holder yields only when the scheduler asks (need_resched).',
  full: 'CONFIG_PREEMPT: a walk under mmu_lock also yields when another thread waits for the lock.',
  tdp: 'Two-dimensional paging (EPT/NPT) with the TDP MMU.',
  shadow:
    'Shadow paging (kvm_intel.ept=0 / kvm_amd.npt=0): rmap write protection, faults under the write lock.',
  per_vcpu: 'One dirty ring per vCPU (KVM today).',
  drop: 'KVM: a write without a running vCPU and with no bitmap is dropped from the dirty log.',
  vcpu0_ring: "Proposal (Peter Xu): a write without a running vCPU goes into vCPU 0's ring.",
  vm_ring:
    "Proposal (Paolo Bonzini): a write without a running vCPU goes into a ring of the VM's own.",
  per_vm: 'Proposal: one dirty ring shared by all vCPUs.',
  pool: 'Proposal: a pool of N rings claimed by vCPUs.',
  round_robin: 'Pool policy: claim rings in turn.',
  lru: 'Pool policy: claim the least recently used ring.',
  last_used: 'Pool policy: claim the ring this vCPU used last.',
  precopy: "QEMU's precopy stop rule: switch over when the expected downtime fits the limit.",
  xen: "Xen's stop rule: bounded iterations and pages sent.",
  force: 'Force the switchover (stop-and-copy) whatever the downtime.',
  postcopy: 'Switch to postcopy: run on the destination, fault missing pages from the source.',
  cancel: 'Cancel the migration.',
  none: 'No convergence aid (converge); no preemption of kernel code (preempt, CONFIG_PREEMPT_NONE).',
  auto: 'QEMU auto-converge: throttle vCPUs in steps (see `throttle`).',
  dirty_limit: 'QEMU dirty-limit: cap each vCPU dirty rate using the dirty ring.',
  threshold:
    'Sync the dirty bitmap when what remains falls under bandwidth x downtime-limit (QEMU since 1.2).',
  every_tick:
    'Sync the dirty bitmap at every 100 ms tick of the rate limiter (QEMU up to 1.1, ram_save_live).',
  vcpu: '`per vcpu`: the rate is per vCPU.',
  all: 'All vCPUs.',
  summary: 'One row per run: total time, downtime, pages sent, iterations.',
  iterations: 'One row per dirty-log sync.',
  timeline: 'Samples every `sample` period.',
  events: 'Discrete events (syncs, throttling, switchover).',
  stale: 'Pages whose destination copy is stale at the end (should be empty).',
  vcpu_stats:
    'One row per vCPU during migration: accesses, progress, VM, userspace and ring-full exits, stall time by cause.',
  csv: 'Export as CSV, headed by `# key: value` lines with the provenance (read back with `aq.fromCSV(text, { comment: "#" })`). The default.',
  arrow: 'Export as Arrow IPC files, the provenance in the schema metadata.',
  latex:
    'Export one table to one LaTeX file: a `tabular` with booktabs rules (`\\usepackage{booktabs}`), the units in the header, the provenance as `%` comments.',
  markdown:
    'Export one table to one Markdown file (a GitHub-flavoured table), the provenance in an HTML comment.',
  svg: 'Export a plot as SVG: vector paths and text, drawn by plotly.js in headless Chromium, the provenance in an XML comment.',
  pdf: 'Export a plot as a one-page PDF of its size, vector like the SVG it is printed from.',
  png: 'Export a plot as a PNG image of its size in pixels.',
  time: 'Plot x axis: time in seconds (timeline).',
  iteration: 'Plot x axis: iteration number (iterations).',
};

/** Unit suffixes of number literals. */
export const UNIT_DOCS: Readonly<Record<string, string>> = {
  B: 'Bytes.',
  KiB: 'Kibibytes: 1024 bytes.',
  MiB: 'Mebibytes: 2^20 bytes.',
  GiB: 'Gibibytes: 2^30 bytes.',
  TiB: 'Tebibytes: 2^40 bytes.',
  PiB: 'Pebibytes: 2^50 bytes.',
  KB: 'Kilobytes: 1000 bytes.',
  MB: 'Megabytes: 10^6 bytes.',
  GB: 'Gigabytes: 10^9 bytes.',
  TB: 'Terabytes: 10^12 bytes.',
  PB: 'Petabytes: 10^15 bytes.',
  ns: 'Nanoseconds (the base time unit).',
  us: 'Microseconds: 1000 ns.',
  µs: 'Microseconds: 1000 ns.',
  ms: 'Milliseconds: 10^6 ns.',
  s: 'Seconds: 10^9 ns.',
  min: 'Minutes: 60 s.',
  '/s': 'Per second (a rate of pages or events).',
  'k/s': 'Thousands per second.',
  'M/s': 'Millions per second.',
  'pages/s': 'Pages per second.',
  'bit/s': 'Bits per second.',
  'kbit/s': 'Kilobits per second: 1000 bit/s.',
  'Mbit/s': 'Megabits per second: 10^6 bit/s.',
  'Gbit/s': 'Gigabits per second: 10^9 bit/s.',
  'Tbit/s': 'Terabits per second: 10^12 bit/s.',
  'B/s': 'Bytes per second.',
  'KB/s': 'Kilobytes per second.',
  'MB/s': 'Megabytes per second.',
  'GB/s': 'Gigabytes per second.',
  'TB/s': 'Terabytes per second.',
  'KiB/s': 'Kibibytes per second.',
  'MiB/s': 'Mebibytes per second.',
  'GiB/s': 'Gibibytes per second.',
  'TiB/s': 'Tebibytes per second.',
  '%': 'Percent.',
};

/**
 * The aggregates of `table`, `expect`, `export` and `plot ... by` (`mean downtime_ms`
 * makes `mean_downtime_ms`), as kernel/experiment/aggregate.ts computes them, for
 * `%help mean` and Shift-Tab; `pN` stands for p1 to p99.
 */
export const AGGREGATE_DOCS: Readonly<Record<AggregateOp | 'n' | 'pN', string>> = {
  mean: 'The mean of a column over each group: `mean downtime_ms` makes `mean_downtime_ms`. Missing values (a failed run) are skipped.',
  median: 'The median of a column over each group (`median_COLUMN`).',
  stdev:
    'The sample standard deviation (n − 1) of a column over each group (`stdev_COLUMN`); none for a group of one value. Error bars call it `sd`.',
  var: 'The sample variance (n − 1) of a column over each group (`var_COLUMN`), in the square of its unit.',
  min: 'The smallest value of a column in each group (`min_COLUMN`).',
  max: 'The largest value of a column in each group (`max_COLUMN`).',
  sum: 'The sum of a column over each group (`sum_COLUMN`).',
  se: 'The standard error of the mean, stdev / √n, over each group (`se_COLUMN`).',
  ci95: "The half-width of the 95 % confidence interval of the mean, t(0.975, n − 1) · stdev / √n (Student's t), over each group (`ci95_COLUMN`).",
  n: 'The rows of each group (the column `n`); it takes no column.',
  pN: 'A percentile, p1 to p99, of a column over each group: `p95 total_ms` makes `p95_total_ms`.',
};

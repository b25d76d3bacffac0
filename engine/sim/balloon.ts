import type { BalloonSpec, MigrationPolicy, VmSpec } from '../plan.ts';
import type { Vm } from '../kvm/vm.ts';
import type { GuestMemory } from '../guest/memory.ts';
import type { AccessPattern } from '../guest/workload.ts';
import type { AllocState } from '../guest/alloc-workload.ts';
import type { VcpuThread } from '../guest/vcpu-thread.ts';
import type { DirtySync } from '../vmm/dirty-sync.ts';
import type { Rng } from './rng.ts';
import { resolveBalloonCosts } from '../kvm/balloon-costs.ts';
import type { BalloonCosts } from '../kvm/balloon-costs.ts';
import {
  BuddyAllocator,
  DEFAULT_MAX_ORDER,
  PAGE_ALLOCATED,
  PAGEBLOCK_ORDER,
} from '../guest/buddy.ts';
import {
  CMMA_CBRL_ENTRIES,
  PAGE_REPORTING_CAPACITY,
  PAGE_REPORTING_DELAY_NS,
  PageReporting,
} from '../guest/free-page-reporting.ts';
import { reservedRegions } from '../guest/workload.ts';
import { HostMemory } from '../vmm/host-memory.ts';
import { FreePageHinting } from '../vmm/free-page-hinting.ts';

/** Churn steps per live block at boot, so free memory starts fragmented. */
const BOOT_CHURN_PER_BLOCK = 2;
const MIB_PAGES = 256;

/**
 * The guest's page allocator and what hangs off it in one run: the buddy allocator,
 * the host's RSS and discards, free page reporting and free page hinting. Present
 * when the VM has a balloon or an alloc workload; a run without either never builds
 * one, so its tables stay as they were.
 */
export class GuestBalloon {
  readonly spec: BalloonSpec;
  readonly buddy: BuddyAllocator;
  readonly costs: BalloonCosts;
  readonly memory: GuestMemory;
  readonly vm: Vm;
  host: HostMemory;
  reporting: PageReporting | null = null;
  hinting: FreePageHinting | null = null;
  private allocs: AllocState[] = [];
  rssStartPages = 0;
  private last = { reports: 0, exits: 0, calls: 0, refaults: 0 };

  static needed(spec: VmSpec): boolean {
    return spec.balloon !== undefined || spec.workloads.some((w) => w.kind === 'alloc');
  }

  /**
   * The allocator at boot: the other workloads' regions are allocated for good and
   * the rest of RAM is free (memblock_free_all), in maximal aligned blocks per slot.
   */
  constructor(spec: VmSpec, memory: GuestMemory, vm: Vm) {
    this.spec = spec.balloon ?? { reporting: 'off' };
    this.memory = memory;
    this.vm = vm;
    this.costs = resolveBalloonCosts(this.spec.costs);
    const segments = memory.slots.map((s) => [s.ramStart, s.ramStart + s.npages] as const);
    this.buddy = new BuddyAllocator(
      memory.ramPages,
      this.spec.maxOrder ?? DEFAULT_MAX_ORDER,
      segments,
    );
    const reserved = reservedRegions(spec.workloads, memory).sort((a, b) => a[0] - b[0]);
    let p = 0;
    const freeUpTo = (end: number): void => {
      for (const [a, b] of segments) {
        const s = Math.max(a, p);
        const e = Math.min(b, end);
        if (s < e) this.buddy.freeRange(s, e);
      }
    };
    for (const [a, b] of reserved) {
      if (a > p) freeUpTo(a);
      p = Math.max(p, b);
    }
    freeUpTo(memory.ramPages);
    this.host = new HostMemory(memory, vm, this.costs, (page) => this.inUse(page));
  }

  /**
   * Boot: each alloc workload fills its footprint, then churns (frees and allocates
   * at random) so the free lists fragment. Every page allocated at boot was written,
   * and the host backs every page written so far. Then the reporting device
   * registers, which requests a first pass (page_reporting_register).
   */
  boot(patterns: readonly AccessPattern[], rng: Rng): void {
    for (const p of patterns) {
      if (p.kind === 'alloc' && !this.allocs.includes(p.state)) this.allocs.push(p.state);
    }
    for (const state of this.allocs) {
      const written = (head: number, order: number): void => {
        for (let q = head; q < head + (1 << order); q++) {
          const slot = this.memory.slotOfRamPage(q);
          const rel = q - slot.ramStart;
          if (slot.gen.get(rel) === 0) slot.gen.set(rel, 1);
        }
      };
      // Up to the peak, then random frees down to the target: the survivors scatter.
      while (state.usedPages < state.peakPages && state.failures === 0) {
        const got = state.step(rng, state.peakPages);
        if (got) written(got.head, got.order);
      }
      while (state.usedPages > state.targetPages) state.step(rng);
      const steps = BOOT_CHURN_PER_BLOCK * state.count;
      for (let k = 0; k < steps; k++) {
        const got = state.step(rng);
        if (got) written(got.head, got.order);
      }
      state.failures = 0; // boot-time failures are not the workload's
    }
    this.host.populateWritten();
    const mode = this.spec.reporting ?? 'virtio';
    if (mode !== 'off') {
      this.reporting = new PageReporting(
        this.buddy,
        this.host,
        {
          transport: mode,
          order: this.spec.order ?? (mode === 's390' ? 0 : PAGEBLOCK_ORDER),
          capacity: this.spec.capacity ?? PAGE_REPORTING_CAPACITY,
          delayNs: this.spec.delayNs ?? PAGE_REPORTING_DELAY_NS,
          bufferEntries: this.spec.bufferEntries ?? CMMA_CBRL_ENTRIES,
        },
        this.costs,
        this.vm.costs,
      );
      // page_reporting_register requests a first pass; s390 marks every page that is
      // free at boot unused (memblock_free_all -> arch_free_page), not counted as run time.
      if (mode === 's390' || mode === 'free-hypercall') this.reporting.markFreeUnusedAtBoot();
      else this.reporting.notifyFree(this.buddy.maxOrder - 1);
    }
    this.rssStartPages = this.host.rssPages;
  }

  /**
   * Migration starts: free page hinting, unless postcopy may follow (QEMU disables
   * hinting when postcopy is possible, docs/migration.md#free-page-hinting).
   */
  attachMigration(sync: DirtySync, policy: MigrationPolicy): void {
    const postcopy =
      (policy.postcopyAfterIterations ?? 0) > 0 || policy.onMaxIterations === 'postcopy';
    if (this.spec.hinting && !postcopy) {
      this.hinting = new FreePageHinting(this.buddy, this.memory, sync, this.costs);
    }
  }

  /** Before the guest runs a slice: due reporting work, and its guest cost on vCPU 0. */
  beforeSlice(now: number, threads: readonly VcpuThread[]): void {
    const r = this.reporting;
    if (r) r.tick(now);
    const ns = (r ? r.takeGuestNs() : 0) + (this.hinting ? this.hinting.takeGuestNs() : 0);
    if (ns > 0 && threads.length) threads[0].stealNs += ns;
  }

  /** The guest holds the page allocated (hinted, isolated and free pages are not in use). */
  inUse(ramPage: number): boolean {
    return this.buddy.state[ramPage] === PAGE_ALLOCATED;
  }

  /** Timeline columns for one sample: levels now, counters since the last sample. */
  sample(): Record<string, number> {
    const r = this.reporting;
    const h = this.host;
    const reports = r ? r.reports : 0;
    const exits = r ? r.exits : 0;
    const row = {
      rss_mib: h.rssPages / MIB_PAGES,
      guest_free_mib: this.buddy.freePages / MIB_PAGES,
      reported_mib: (r ? r.reportedPages : 0) / MIB_PAGES,
      reports: reports - this.last.reports,
      balloon_exits: exits - this.last.exits,
      discard_calls: h.discardCalls - this.last.calls,
      refaults: h.refaults - this.last.refaults,
    };
    this.last = { reports, exits, calls: h.discardCalls, refaults: h.refaults };
    return row;
  }

  /** Summary columns of the run. */
  summary(threads: readonly VcpuThread[]): Record<string, number | string> {
    const r = this.reporting;
    const h = this.host;
    const hint = this.hinting;
    return {
      reporting: r ? r.config.transport : 'off',
      reporting_order: r ? r.config.order : -1,
      hinting: hint ? 'on' : 'off',
      rss_start_bytes: this.rssStartPages * 4096,
      rss_bytes: h.rssPages * 4096,
      guest_free_bytes: this.buddy.freePages * 4096,
      reports: r ? r.reports : 0,
      reported_pages: r ? r.reportedPages : 0,
      balloon_exits: r ? r.exits : 0,
      discard_calls: h.discardCalls,
      discarded_pages: h.discardedPages,
      discard_skipped_pages: h.discardSkippedPages,
      refaults: h.refaults,
      used_pages_discarded: h.usedPagesDiscarded,
      reused_before_discard: r ? r.reusedBeforeDiscard : 0,
      pages_hinted: hint ? hint.hintedPages : 0,
      pages_skipped_by_hinting: hint ? hint.skippedPages : 0,
      hint_blocks_shrunk: hint ? hint.shrunkBlocks : 0,
      balloon_guest_ms: threads.reduce((n, t) => n + t.balloonNs, 0) / 1e6,
      // Of the reporting's guest time: its exits, and the waits in them for discards.
      balloon_exit_ms: r ? r.exitNs / 1e6 : 0,
      balloon_wait_ms: r ? r.waitNs / 1e6 : 0,
      balloon_host_ms: h.hostNs / 1e6,
      alloc_failures: this.allocs.reduce((n, a) => n + a.failures, 0),
    };
  }
}

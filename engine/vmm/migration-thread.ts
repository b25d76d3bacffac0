import type { Vm } from '../kvm/vm.ts';
import type { Gfn } from '../kvm/types.ts';
import { asGfn } from '../kvm/types.ts';
import type { GuestMemory, RamSlot } from '../guest/memory.ts';
import type { DeviceSpec, MigrationPolicy } from '../plan.ts';
import { devicePlacements } from '../plan.ts';
import type { DirtySync } from './dirty-sync.ts';
import type { Destination } from './destination.ts';
import type { Link } from './link.ts';
import type { ConvergeController } from './converge.ts';
import type { FreePageHinting } from './free-page-hinting.ts';
import type { HostMemory } from './host-memory.ts';
import type { PolicyAction, PrecopyPolicy } from './policy-hook.ts';
import { PageSet } from '../guest/page-set.ts';
import { BUFFER_DELAY_NS } from './link.ts';
import { BigQemuLock } from './bql.ts';
import { checkDecision } from './policy-hook.ts';

/** QAPI MigrationStatus values the simulator goes through. */
export type MigrationState =
  'setup' | 'active' | 'device' | 'postcopy-active' | 'completed' | 'cancelled' | 'not-converged';

/** One sync (an "iteration": QEMU's dirty-sync-count). */
export interface IterationRecord {
  iteration: number;
  time_s: number;
  /** Pages the sync found newly dirty. */
  dirty_pages_synced: number;
  /** Pages sent since the previous sync. */
  pages_sent: number;
  sync_ms: number;
  /** Dirty pages left to send after the sync. */
  remaining_pages: number;
  dirty_rate_pps: number;
  throttle_pct: number;
  bandwidth_mbps: number;
  expected_downtime_ms: number;
}

/**
 * Why the guest was stopped for the last pass (the summary's `switchover` column):
 * `converged` by QEMU's own rule (after a sync what remains fits in bandwidth x
 * downtime-limit, migration_iteration_run), `forced` when max_iterations was reached
 * and the guest paused anyway (what a management layer does; not QEMU's rule),
 * `policy` when a precopy policy said so, `xen` by Xen's stop rule, `postcopy` for a
 * switch to postcopy. A migration that never stopped the guest has none.
 */
export type SwitchoverReason = 'converged' | 'forced' | 'policy' | 'xen' | 'postcopy';

/** What a migration event records. */
export type MigrationEventKind =
  | 'logging-enabled'
  | 'throttle'
  | 'policy'
  | 'ring-full'
  | 'its-save'
  | 'vgic-save'
  | 'lost-dirty'
  | 'switchover'
  | 'postcopy'
  | 'completed'
  | 'cancelled'
  | 'not-converged';

export interface MigrationEvent {
  time_s: number;
  kind: MigrationEventKind;
  vcpu: number;
  detail: string;
}

/** Per-page wire sizes (migration/ram.c save_page_header, save_zero_page). */
const NORMAL_PAGE_WIRE_BYTES = 8 + 4096;
const ZERO_PAGE_WIRE_BYTES = 8 + 1;
/** buffer_is_zero stops at the first non-zero byte: a page with data costs next to nothing. */
const NONZERO_SCAN_NS = 20;
/** Xen's xc_domain_save rules (DEF_MAX_ITERS, DEF_MAX_FACTOR, the 50-page floor). */
const XEN_MAX_ITERS = 29;
const XEN_MAX_FACTOR = 3;
const XEN_MIN_PAGES = 50;

/** Everything the migration thread works with, owned by the simulation. */
export interface MigrationContext {
  vm: Vm;
  memory: GuestMemory;
  dest: Destination;
  sync: DirtySync;
  link: Link;
  converge: ConvergeController;
  policy: MigrationPolicy;
  devices: readonly DeviceSpec[];
  events: MigrationEvent[];
  iterations: IterationRecord[];
  /** virtio-balloon free page hinting, when the VM has it. */
  hinting?: FreePageHinting | null;
  /** The host's discards (free page reporting): discarded pages read as zero. */
  host?: HostMemory | null;
  /** TypeScript code that takes the precopy decisions (`run(plan, { policy })`), if any. */
  precopyPolicy?: PrecopyPolicy;
}

/**
 * QEMU's migration thread (migration/migration.c `migration_thread`, ram.c):
 * setup (start dirty logging, every page dirty, first sync), then iterate: send
 * dirty pages under the rate limiter, sync when what remains falls under
 * bandwidth x downtime-limit, and complete when after a sync it still does; or
 * switch to postcopy; or stop by Xen's rule. Work is charged in simulated ns against
 * the slices the scheduler gives it.
 */
export class MigrationThread {
  state: MigrationState = 'setup';
  readonly ctx: MigrationContext;
  readonly startNs: number;
  setupNs = 0;
  /**
   * The KVM_SET_USER_MEMORY_REGION ioctls that turned dirty logging on (QEMU's
   * kvm_log_start), summed over slots, and the part of them that split huge pages
   * (kvm_mmu_slot_try_split_huge_pages); the rest write-protects or clears D-bits.
   */
  enableIoctlNs = 0;
  enableSplitNs = 0;
  downtimeNs = 0;
  totalNs = 0;
  /** When the guest was stopped (stop-and-copy or postcopy switch), or -1. */
  stopNs = -1;
  /** When the guest runs again (on the destination), or -1. */
  resumeNs = -1;
  syncCount = 0;
  /** Why the guest was stopped for the last pass; null until it was. */
  switchover: SwitchoverReason | null = null;
  normalPages = 0;
  zeroPages = 0;
  pagesSentSinceSync = 0;
  postcopyRequests = 0;
  downtimeBytes = 0;
  expectedDowntimeNs: number;
  /** downtime-limit in force: the plan's, unless a precopy policy changed it. */
  downtimeLimitNs: number;
  thresholdBytes = 0;
  lastSyncNs = 0;
  dirtyBytesLastSync = 0;
  /** Pages not yet at the destination after a postcopy switch. */
  missing: PageSet[] | null = null;
  /** QEMU's big lock as the migration holds it (ram_init_bitmaps, each sync, each reap). */
  readonly bql = new BigQemuLock();
  /** Where the BQL hold of the current iteration ends (QEMU 1.1: bitmap_sync every_tick). */
  private bqlIterationEndNs = 0;
  /** The CPU part (CLEARs, zero scans; not the wire) of the last sendDirty, ns. */
  private sendCpuNs = 0;
  private debt = 0;
  private cursorSlot = 0;
  private cursorRel = 0;
  private xenSentThisRound = 0;
  private xenRounds = 0;

  constructor(ctx: MigrationContext, startNs: number) {
    this.ctx = ctx;
    this.startNs = startNs;
    this.expectedDowntimeNs = ctx.policy.downtimeLimitNs ?? 300e6;
    this.downtimeLimitNs = this.expectedDowntimeNs;
    ctx.link.windowStart = startNs;
  }

  get done(): boolean {
    return (
      this.state === 'completed' || this.state === 'cancelled' || this.state === 'not-converged'
    );
  }

  /** The guest is stopped on the source and not yet running on the destination. */
  pausedAt(now: number): boolean {
    return this.stopNs >= 0 && now >= this.stopNs && (this.resumeNs < 0 || now < this.resumeNs);
  }

  /** Run the thread for the slice [now, now + sliceNs). */
  step(now: number, sliceNs: number): void {
    if (this.done) return;
    if (this.state === 'setup') this.setup(now);
    let budget = sliceNs - this.debt;
    if (budget <= 0) {
      this.debt -= sliceNs;
      return;
    }
    this.debt = 0;
    let t = now + sliceNs - budget;
    const link = this.ctx.link;
    while (budget > 0 && !this.done) {
      if (link.updateCounters(t)) this.updateThreshold();
      if (this.state === 'postcopy-active') {
        // max-postcopy-bandwidth 0 (QEMU's default): no rate limit after the switch.
        const used = this.sendMissing(budget, Infinity);
        if (this.missing && this.missing.every((m) => m.count === 0)) {
          this.finish(t + used, 'postcopy complete: every page is at the destination');
          return;
        }
        const spent = used > 0 ? used : this.sleepToWindowEnd(t);
        budget -= spent;
        t += spent;
        continue;
      }
      const ns = this.iterate(t, budget);
      budget -= ns;
      t += ns;
    }
    if (budget < 0) this.debt = -budget;
  }

  // ---- precopy ----

  private setup(now: number): void {
    const { vm, memory, sync, events } = this.ctx;
    let ns = 0;
    let splits = 0;
    for (const s of memory.slots) {
      const m = s.memslot;
      vm.setUserMemoryRegion({
        slot: m.slotId,
        flags: m.flags | 1,
        guestPhysAddr: m.baseGfn * 4096,
        memorySize: m.npages * 4096,
      });
      ns += vm.lastIoctl.ns + sync.lockWait(vm.lastIoctl);
      splits += vm.lastIoctl.splits;
      this.enableIoctlNs += vm.lastIoctl.ns;
      this.enableSplitNs += vm.lastIoctl.splitNs;
    }
    events.push({
      time_s: now / 1e9,
      kind: 'logging-enabled',
      vcpu: -1,
      detail: `dirty logging on for ${memory.slots.length} slot(s); ${splits} huge pages split eagerly`,
    });
    sync.setAll();
    const first = sync.sync(false);
    ns += first.ns;
    // ram_init_bitmaps' sync notifies PRECOPY_NOTIFY_AFTER_BITMAP_SYNC: hinting starts.
    if (this.ctx.hinting) ns += this.ctx.hinting.afterSync();
    this.syncCount = 1;
    this.lastSyncNs = now + ns;
    this.setupNs = ns;
    // ram_init_bitmaps holds the BQL from memory_global_dirty_log_start to the end of
    // the first sync: every enabling ioctl, with its eager split, is under it.
    this.bql.hold(now, ns);
    this.debt = ns;
    this.state = 'active';
    this.recordIteration(now + ns, first.newPages, first.ns);
  }

  /** One step of migration_iteration_run; returns the ns used. */
  private iterate(t: number, budget: number): number {
    const { sync, policy, link } = this.ctx;
    const xen = policy.kind === 'xen';
    const pending = sync.dirtyPages * 4096;
    const forceSync =
      this.ctx.converge.mode === 'auto-converge' &&
      this.syncCount > 1 &&
      t - this.lastSyncNs >= 5e9;
    // QEMU up to 1.1 (arch_init.c ram_save_live) called memory_global_sync_dirty_bitmap
    // on every call, and migrate_fd_put_ready called it on every tick of the buffered
    // file's rate limiter (buffered_file.c buffered_rate_tick, every 100 ms): every
    // page the guest wrote was write-protected again ten times a second. QEMU 1.2
    // synced only when what remains looked small enough to finish.
    const tickSync = policy.bitmapSync === 'every-tick' && t - this.lastSyncNs >= BUFFER_DELAY_NS;
    if ((xen ? pending === 0 : pending < this.thresholdBytes) || forceSync || tickSync) {
      const r = sync.sync(false);
      // ram_state_pending_exact takes the BQL around migration_bitmap_sync_precopy.
      // In QEMU 1.1 the whole iteration ran under it in the main loop: the pages
      // this tick sends extend the same hold (see the send below).
      this.bql.hold(t, r.ns);
      this.bqlIterationEndNs = t + r.ns;
      this.syncCount++;
      this.lastSyncNs = t + r.ns;
      if (xen) this.xenRounds++;
      const change = this.ctx.converge.onSync(t + r.ns, r.newPages, link.transferred);
      if (change)
        this.ctx.events.push({
          time_s: (t + r.ns) / 1e9,
          kind: 'throttle',
          vcpu: -1,
          detail: change,
        });
      this.recordIteration(t + r.ns, r.newPages, r.ns);
      const now = t + r.ns;
      const left = sync.dirtyPages * 4096;
      const decision = this.askPolicy(
        now,
        r.newPages,
        !xen && left <= this.thresholdBytes && !forceSync,
      );
      if (decision === 'switchover')
        return r.ns + this.complete(now, 'policy', 'the precopy policy decided');
      if (decision === 'postcopy') return r.ns + this.startPostcopy(now, 'by the precopy policy');
      if (decision === 'cancel') return r.ns + this.cancel(now, 'by the precopy policy');
      if (decision === 'default' && !xen && left <= this.thresholdBytes && !forceSync) {
        return r.ns + this.complete(now, 'converged', 'remaining fits in the downtime limit');
      }
      if (xen && this.xenShouldStop()) return r.ns + this.complete(now, 'xen', 'Xen stop rule');
      const max = policy.maxIterations ?? 0;
      if (max > 0 && this.syncCount >= max) {
        const action = policy.onMaxIterations ?? 'force';
        if (action === 'cancel') return r.ns + this.cancel(now, `${max} iterations`);
        if (action === 'postcopy') return r.ns + this.startPostcopy(now, `${max} iterations`);
        return r.ns + this.complete(now, 'forced', `${max} iterations reached: guest paused`);
      }
      const pc = policy.postcopyAfterIterations ?? 0;
      if (pc > 0 && this.syncCount >= pc)
        return r.ns + this.startPostcopy(now, `after ${pc} iterations`);
      // The guest still runs after this sync: a new free page hinting round.
      const hintNs = this.ctx.hinting ? this.ctx.hinting.afterSync() : 0;
      return Math.max(r.ns + hintNs, 1);
    }
    const allowance = link.windowAllowance;
    if (allowance <= 0) return this.sleepToWindowEnd(t);
    const used = this.sendDirty(budget, allowance, false);
    if (policy.bitmapSync === 'every-tick' && this.sendCpuNs > 0) {
      // QEMU 1.1 had no migration thread: migrate_fd_put_ready ran from the
      // buffered file's rate-limit timer in the main loop, under the BQL, and
      // ram_save_live synced and then queued the tick's pages before returning. The
      // lock is held for the CPU part of the sending (the buffered file writes to the
      // socket without blocking), as one stretch with the tick's sync.
      const from = Math.max(this.bqlIterationEndNs, t);
      this.bql.hold(from, this.sendCpuNs);
      this.bqlIterationEndNs = from + this.sendCpuNs;
    }
    return used > 0 ? used : this.sleepToWindowEnd(t);
  }

  /**
   * Ask the precopy policy, if any, what to do after a sync; apply a new downtime
   * limit at once (the threshold follows). 'default' without a policy.
   */
  private askPolicy(now: number, newPages: number, qemuWouldComplete: boolean): PolicyAction {
    const policy = this.ctx.precopyPolicy;
    if (!policy) return 'default';
    const history = this.ctx.iterations;
    const d =
      policy.afterSync({
        iteration: this.syncCount,
        elapsedNs: now - this.startNs,
        remainingBytes: this.ctx.sync.dirtyPages * 4096,
        dirtyPagesSynced: newPages,
        pagesSentSinceSync: history.length ? history[history.length - 1].pages_sent : 0,
        bandwidthBytesPerSec: this.ctx.link.estimate,
        downtimeLimitNs: this.downtimeLimitNs,
        thresholdBytes: this.thresholdBytes,
        qemuWouldComplete,
        throttlePct: this.ctx.converge.throttlePct,
        history: history.slice(),
      }) ?? {};
    checkDecision(policy, d);
    const action = d.action ?? 'default';
    const changes: string[] = [];
    if (d.downtimeLimitNs !== undefined && d.downtimeLimitNs !== this.downtimeLimitNs) {
      changes.push(
        `downtime-limit ${this.downtimeLimitNs / 1e6} ms -> ${d.downtimeLimitNs / 1e6} ms`,
      );
      this.downtimeLimitNs = d.downtimeLimitNs;
      this.updateThreshold();
    }
    if (action !== 'default') changes.push(action);
    if (changes.length) {
      this.ctx.events.push({
        time_s: now / 1e9,
        kind: 'policy',
        vcpu: -1,
        detail: `${policy.name}: ${changes.join(', ')}${d.reason ? ` (${d.reason})` : ''}`,
      });
    }
    return action;
  }

  private cancel(now: number, detail: string): number {
    this.ctx.hinting?.done(); // PRECOPY_NOTIFY_CLEANUP
    this.state = 'cancelled';
    this.totalNs = now - this.startNs;
    this.ctx.events.push({ time_s: now / 1e9, kind: 'cancelled', vcpu: -1, detail });
    return 0;
  }

  private sleepToWindowEnd(t: number): number {
    const link = this.ctx.link;
    return Math.max(1, link.windowStart + BUFFER_DELAY_NS - t);
  }

  /**
   * QEMU migration_update_counters (migration/migration.c): threshold_size and
   * expected-downtime from the bandwidth expected at switchover, which is
   * avail-switchover-bandwidth when set, else the last window's estimate. The
   * expected downtime (dirty_bytes_last_sync / that bandwidth) is recomputed only
   * once a dirty rate exists (`dirty_pages_rate`, set by a sync closing a period of
   * at least 1 s) and the window sent more than 10000 bytes; until then it keeps its
   * last value, the downtime limit at the start.
   */
  private updateThreshold(): void {
    const { link, policy, converge } = this.ctx;
    const bw =
      (policy.availSwitchoverBandwidth ?? 0) > 0
        ? (policy.availSwitchoverBandwidth as number)
        : link.estimate;
    const limitS = this.downtimeLimitNs / 1e9;
    this.thresholdBytes = bw * limitS;
    if (converge.dirtyPagesRate > 0 && link.lastWindowBytes > 10_000 && bw > 0) {
      this.expectedDowntimeNs = (this.dirtyBytesLastSync / bw) * 1e9;
    }
  }

  /** Xen xc_domain_save: stop after 29 rounds, 3x memory sent, or a round under 50 pages. */
  private xenShouldStop(): boolean {
    const ram = this.ctx.memory.ramPages;
    const sent = this.normalPages + this.zeroPages;
    const maxIters = Math.min(this.ctx.policy.maxIterations || XEN_MAX_ITERS, XEN_MAX_ITERS);
    const stop =
      this.xenRounds >= maxIters ||
      sent > XEN_MAX_FACTOR * ram ||
      (this.xenRounds > 1 && this.xenSentThisRound < XEN_MIN_PAGES);
    this.xenSentThisRound = 0;
    return stop;
  }

  /**
   * Send dirty pages from the cursor, lazily clearing chunks first, within `budget`
   * ns and `allowance` bytes (Infinity while the guest is stopped). Contiguous dirty
   * pages of one chunk go as one run. Returns ns used.
   */
  private sendDirty(budget: number, allowance: number, stopped: boolean): number {
    const { memory, sync, link } = this.ctx;
    const zeroScanNs = (4096 / (this.ctx.policy.zeroScanBytesPerSec ?? 10.4e9)) * 1e9;
    const perZero = zeroScanNs + link.wireNs(ZERO_PAGE_WIRE_BYTES);
    const perNormal = NONZERO_SCAN_NS + link.wireNs(NORMAL_PAGE_WIRE_BYTES);
    let used = 0;
    let cpu = 0;
    let wrapped = false;
    // sync.dirtyPages, kept here: only the clearRange below changes it, by the n it sends.
    let dirty = sync.dirtyPages;
    while (used < budget && allowance > 0 && dirty > 0) {
      const slot = memory.slots[this.cursorSlot];
      const bmap = sync.bmap[slot.index];
      const p = bmap.nextSet(this.cursorRel, slot.npages);
      if (p < 0) {
        this.cursorRel = 0;
        this.cursorSlot = (this.cursorSlot + 1) % memory.slots.length;
        if (this.cursorSlot === 0) {
          if (wrapped) break;
          wrapped = true;
          if (this.ctx.policy.kind === 'xen' && !stopped) break; // a Xen round ends here
        }
        continue;
      }
      const clearNs = sync.beforeSend(slot.index, p);
      used += clearNs;
      cpu += clearNs;
      const chunkEnd = Math.min(
        slot.npages,
        (Math.floor(p / sync.clearChunkPages) + 1) * sync.clearChunkPages,
      );
      // Send no more pages than the time budget and the byte allowance pay for if every
      // page were the dearer kind: the rate limit is then exceeded by at most the last
      // page, as QEMU checks it page by page (an average over a run that mixes data and
      // zero pages would let a window overshoot by megabytes). The loop comes back for
      // the rest of the run while budget and allowance last.
      const cap = Math.min(
        Math.ceil((budget - used) / Math.max(perZero, perNormal)),
        Math.ceil(allowance / NORMAL_PAGE_WIRE_BYTES),
      );
      // Look for the end of the dirty run only as far as this batch can go.
      const limit = Math.min(chunkEnd, p + Math.max(1, cap));
      let q = bmap.nextClear(p, limit);
      if (q < 0) q = limit;
      const n = q - p;
      // A page the host discarded reads as zero: QEMU finds it zero and sends it so.
      const host = this.ctx.host;
      const zeros = this.sendRange(slot, p, p + n) + (host ? host.zeroedIn(slot, p, p + n) : 0);
      const normal = n - zeros;
      const bytes = zeros * ZERO_PAGE_WIRE_BYTES + normal * NORMAL_PAGE_WIRE_BYTES;
      bmap.clearRange(p, p + n);
      dirty -= n;
      link.send(bytes);
      if (stopped) this.downtimeBytes += bytes;
      allowance -= bytes;
      this.zeroPages += zeros;
      this.normalPages += normal;
      this.pagesSentSinceSync += n;
      this.xenSentThisRound += n;
      used += zeros * perZero + normal * perNormal;
      cpu += zeros * zeroScanNs + normal * NONZERO_SCAN_NS;
      this.cursorRel = p + n;
    }
    this.sendCpuNs = cpu;
    return used;
  }

  /**
   * Pages [start, end) of `slot` reach the destination with their current generations.
   * Returns how many of them were never written (QEMU's zero pages).
   */
  private sendRange(slot: RamSlot, start: number, end: number): number {
    const zeros = this.ctx.dest.receiveRange(slot, start, end);
    // The destination is current now: the next write to these pages is a new generation.
    slot.sensitive.addRange(start, end);
    return zeros;
  }

  // ---- completion ----

  /** Stop the guest, final sync, send the rest and the device state. Returns ns used. */
  private complete(t: number, reason: SwitchoverReason, why: string): number {
    const { sync, link, policy, events } = this.ctx;
    this.state = 'device';
    this.switchover = reason;
    this.stopNs = t;
    // The VM stopped: VIRTIO_BALLOON_CMD_ID_DONE, the guest may reuse hinted pages.
    this.ctx.hinting?.done();
    events.push({ time_s: t / 1e9, kind: 'switchover', vcpu: -1, detail: `stop and copy: ${why}` });
    let ns = this.saveDevicesTouchingRam(t);
    const r = sync.sync(true);
    ns += r.ns;
    this.syncCount++;
    this.recordIteration(t + ns, r.newPages, r.ns);
    while (sync.dirtyPages > 0) {
      const used = this.sendDirty(Infinity, Infinity, true);
      ns += used;
      if (used === 0) break;
    }
    const deviceBytes = policy.deviceStateBytes ?? 2 ** 20;
    link.send(deviceBytes);
    this.downtimeBytes += deviceBytes;
    ns += link.wireNs(deviceBytes);
    this.downtimeNs = ns;
    this.resumeNs = t + ns;
    this.finish(t + ns, `destination resumes after ${(ns / 1e6).toFixed(1)} ms of downtime`);
    return ns;
  }

  /**
   * Devices that save state into guest RAM when the VM stops: the arm64 ITS tables
   * (QEMU hw/intc/arm_gicv3_its_kvm.c `kvm_arm_its_vm_state_change`) and the GICv3's
   * LPI pending tables (arm_gicv3_kvm.c `vm_change_state_handler`,
   * KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES). KVM writes the pages with no running
   * vCPU, through mark_page_dirty_in_slot. Returns ns.
   */
  private saveDevicesTouchingRam(t: number): number {
    const { vm, memory, devices, events } = this.ctx;
    let ns = 0;
    for (const { device, firstPage: first, pages } of devicePlacements(
      devices,
      memory.ramPages * 4096,
    )) {
      const gfns: Gfn[] = [];
      for (let k = 0; k < pages; k++) {
        const slot = memory.slotOfRamPage(first + k);
        const rel = first + k - slot.ramStart;
        memory.recordWrite(slot, rel);
        slot.sensitive.add(rel);
        gfns.push(asGfn(slot.memslot.baseGfn + rel));
        ns += vm.costs.markDirtyBitmap + 500; // the table entry write itself
      }
      const its = device.kind === 'its';
      const lost = its ? vm.saveItsTables(gfns) : vm.saveVgicPendingTables(gfns);
      events.push({
        time_s: t / 1e9,
        kind: its ? 'its-save' : 'vgic-save',
        vcpu: -1,
        detail: `${its ? 'ITS saved' : 'vgic-v3 saved the LPI pending bits into'} ${pages} table page(s) ${its ? 'into guest RAM ' : ''}without a running vCPU${lost ? `; KVM dropped ${lost} from the dirty log` : ''}`,
      });
      if (lost) {
        events.push({
          time_s: t / 1e9,
          kind: 'lost-dirty',
          vcpu: -1,
          detail: `${lost} page(s): no running vCPU and no dirty bitmap (ring only)`,
        });
      }
    }
    return ns;
  }

  /** Stop the guest, last sync, device state; the rest is fetched by the destination. */
  private startPostcopy(t: number, why: string): number {
    const { sync, link, policy, memory, events } = this.ctx;
    this.stopNs = t;
    this.switchover = 'postcopy';
    this.ctx.hinting?.done();
    events.push({
      time_s: t / 1e9,
      kind: 'postcopy',
      vcpu: -1,
      detail: `switch to postcopy ${why}`,
    });
    let ns = this.saveDevicesTouchingRam(t);
    const r = sync.sync(true);
    ns += r.ns;
    this.syncCount++;
    this.recordIteration(t + ns, r.newPages, r.ns);
    const deviceBytes = policy.deviceStateBytes ?? 2 ** 20;
    link.send(deviceBytes);
    this.downtimeBytes += deviceBytes;
    ns += link.wireNs(deviceBytes);
    this.missing = memory.slots.map((s) => {
      const set = new PageSet(s.npages);
      const bmap = sync.bmap[s.index];
      for (let p = bmap.nextSet(0, s.npages); p >= 0;) {
        let q = bmap.nextClear(p, s.npages);
        if (q < 0) q = s.npages;
        set.addRange(p, q);
        p = bmap.nextSet(q, s.npages);
      }
      bmap.clearAll();
      return set;
    });
    this.downtimeNs = ns;
    this.resumeNs = t + ns;
    this.state = 'postcopy-active';
    return ns;
  }

  /** Postcopy background sending of missing pages; returns ns used. */
  private sendMissing(budget: number, allowance: number): number {
    const { memory, link } = this.ctx;
    const missing = this.missing;
    if (!missing) return 0;
    const zeroScanNs = (4096 / (this.ctx.policy.zeroScanBytesPerSec ?? 10.4e9)) * 1e9;
    const perZero = zeroScanNs + link.wireNs(ZERO_PAGE_WIRE_BYTES);
    const perNormal = NONZERO_SCAN_NS + link.wireNs(NORMAL_PAGE_WIRE_BYTES);
    let used = 0;
    for (const s of memory.slots) {
      const set = missing[s.index];
      let p = set.nextMember(0, s.npages);
      while (p >= 0 && used < budget && allowance > 0) {
        const bytes = this.fetchPage(s, p);
        allowance -= bytes;
        used += bytes === ZERO_PAGE_WIRE_BYTES ? perZero : perNormal;
        p = set.nextMember(p + 1, s.npages);
      }
      if (used >= budget || allowance <= 0) break;
    }
    return used;
  }

  /**
   * A missing page goes over the link to the destination (background send or remote
   * fault). A zero page goes as a zero page in postcopy too (the destination places
   * it with UFFDIO_ZEROPAGE). Returns the wire bytes, 0 if the page was not missing.
   */
  fetchPage(slot: RamSlot, rel: number): number {
    if (!this.missing) return 0;
    if (!this.missing[slot.index].delete(rel)) return 0;
    this.ctx.dest.receiveRange(slot, rel, rel + 1);
    const zero = slot.gen.get(rel) === 0 || (this.ctx.host?.isZeroed(slot, rel) ?? false);
    if (zero) this.zeroPages++;
    else this.normalPages++;
    const bytes = zero ? ZERO_PAGE_WIRE_BYTES : NORMAL_PAGE_WIRE_BYTES;
    this.ctx.link.send(bytes);
    return bytes;
  }

  /** A vCPU on the destination touched a missing page: request it; returns the wait. */
  remoteFault(slot: RamSlot, rel: number): number {
    this.postcopyRequests++;
    this.fetchPage(slot, rel);
    return this.ctx.policy.postcopyFaultLatencyNs ?? 10.68e6;
  }

  private finish(t: number, detail: string): void {
    this.state = 'completed';
    this.totalNs = t - this.startNs;
    this.ctx.events.push({ time_s: t / 1e9, kind: 'completed', vcpu: -1, detail });
  }

  /** The simulation ran out of time before the migration finished. */
  giveUp(t: number): void {
    if (this.done) return;
    this.ctx.hinting?.done(); // PRECOPY_NOTIFY_CLEANUP
    this.state = 'not-converged';
    this.totalNs = t - this.startNs;
    this.ctx.events.push({
      time_s: t / 1e9,
      kind: 'not-converged',
      vcpu: -1,
      detail: 'time limit reached before switchover',
    });
  }

  private recordIteration(t: number, newPages: number, syncNs: number): void {
    const { sync, converge, link } = this.ctx;
    this.dirtyBytesLastSync = sync.dirtyPages * 4096;
    this.ctx.iterations.push({
      iteration: this.syncCount,
      time_s: t / 1e9,
      dirty_pages_synced: newPages,
      pages_sent: this.pagesSentSinceSync,
      sync_ms: syncNs / 1e6,
      remaining_pages: sync.dirtyPages,
      dirty_rate_pps: converge.dirtyPagesRate,
      throttle_pct: converge.throttlePct,
      bandwidth_mbps: (link.estimate * 8) / 1e6,
      expected_downtime_ms: this.expectedDowntimeNs / 1e6,
    });
    this.pagesSentSinceSync = 0;
  }
}

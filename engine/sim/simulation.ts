import type { RunPlan, TrackingPolicy } from '../plan.ts';
import type { KvmParams } from '../kvm/params.ts';
import type { IterationRecord, MigrationEvent } from '../vmm/migration-thread.ts';
import type { SliceContext } from '../guest/vcpu-thread.ts';
import type { StalePage } from '../vmm/destination.ts';
import type { Vm } from '../kvm/vm.ts';
import type { PrecopyPolicy } from '../vmm/policy-hook.ts';
import { Kvm } from '../kvm/kvm.ts';
import {
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_READONLY,
} from '../kvm/uapi.ts';
import { Rng } from './rng.ts';
import { GuestMemory } from '../guest/memory.ts';
import { compileWorkloads } from '../guest/workload.ts';
import { GuestBalloon } from './balloon.ts';
import { STALL_CAUSES, VcpuThread } from '../guest/vcpu-thread.ts';
import { Destination } from '../vmm/destination.ts';
import { DirtySync } from '../vmm/dirty-sync.ts';
import { Link } from '../vmm/link.ts';
import { ConvergeController } from '../vmm/converge.ts';
import { MigrationThread } from '../vmm/migration-thread.ts';

/** One timeline sample (fixed period). */
export interface TimelineRecord {
  time_s: number;
  state: string;
  iteration: number;
  /** Guest writes completed per second over the sample, all vCPUs. */
  guest_writes_per_s: number;
  /** Accesses completed / accesses the workload would have done unhindered. */
  guest_progress: number;
  remaining_pages: number;
  link_mbps: number;
  throttle_pct: number;
  ring_full_exits: number;
  /** vCPU ms lost per cause over the sample, summed over vCPUs. */
  stalls_ms: Record<string, number>;
  /** With a balloon: host RSS, guest free memory, reports, discards (GuestBalloon.sample). */
  balloon?: Record<string, number>;
}

/**
 * Options of a run beside its plain-data plan: callbacks that do not change the
 * results, and `policy`, code that does.
 */
export interface RunOptions {
  /** Called about every simulated 100 ms with the share of the time limit used and the state. */
  onProgress?: (info: { fraction: number; state: string; timeS: number }) => void;
  /** Polled about every simulated 100 ms; true stops the run cleanly (interrupt). */
  shouldStop?: () => boolean;
  /**
   * A precopy policy in TypeScript (engine/vmm/policy-hook.ts) that decides, after each
   * sync, instead of QEMU's rule. Not part of the plan: plan hashes and provenance do
   * not cover it, so name the plan's migration after it.
   */
  policy?: PrecopyPolicy;
}

/** Everything a run produced, before it becomes tables. */
export interface SimulationOutput {
  plan: RunPlan;
  vm: Vm;
  migration: MigrationThread;
  threads: VcpuThread[];
  iterations: IterationRecord[];
  timeline: TimelineRecord[];
  events: MigrationEvent[];
  stalePages: number;
  stale: (StalePage & { cause: string })[];
  /** vCPU ns lost per cause (STALL_CAUSES order) during migration, summed over vCPUs. */
  stallNs: Float64Array;
  /** Accesses and ideal accesses during migration (for the slowdown). */
  guestAccesses: number;
  guestIdeal: number;
  guestWrites: number;
  migrationWallNs: number;
  trackingBytes: { vmm: number; kvm: number };
  interrupted: boolean;
  /** The guest's allocator, reporting and hinting, when the VM has a balloon or alloc workload. */
  balloon: GuestBalloon | null;
  /** With a balloon: pages whose destination copy differs but that the guest holds free. */
  staleFreePages: number;
}

const MAX_EVENTS = 20_000;

/** The KVM parameters a tracking policy asks for. */
export function kvmParamsFor(arch: 'x86_64' | 'arm64', t: TrackingPolicy): Partial<KvmParams> {
  const x86 = arch === 'x86_64';
  const params: Partial<KvmParams> = {
    eagerPageSplit: x86 ? (t.eagerSplit ?? true) : false,
    enablePml: x86 ? (t.pml ?? true) : false,
    fastPageFault: t.fastPageFault ?? true,
  };
  if (t.splitOnFault) params.splitOnFault = t.splitOnFault;
  if (t.proposals)
    params.proposals = { ...(params.proposals ?? {}), ...t.proposals } as KvmParams['proposals'];
  return params;
}

/**
 * Runs a plan: builds the KVM model and the guest, lets the guest warm up, then
 * migrates it. Time advances in fixed slices; within a slice the vCPU threads run
 * first, then the migration thread, so a stop decided in a slice follows every write
 * of that slice (no write is ever placed after the final sync).
 */
export function simulate(plan: RunPlan, options: RunOptions = {}): SimulationOutput {
  const { vm: spec, tracking, migration: policy } = plan;
  const sliceNs = plan.sliceNs ?? 5e6;
  const warmupNs = plan.warmupNs ?? 1e9;
  const samplePeriodNs = plan.samplePeriodNs ?? 100e6;
  const maxTimeNs = plan.maxTimeNs ?? 600e9;
  if (spec.vcpus < 1 || !Number.isInteger(spec.vcpus))
    throw new Error(`a VM needs a whole number of vCPUs >= 1, got ${spec.vcpus}`);
  if (spec.slots.length === 0) throw new Error(`VM ${spec.name} has no memory slot; add one`);
  for (const d of spec.devices ?? []) {
    if (d.kind === 'its' && spec.arch !== 'arm64') {
      throw new Error(
        `VM ${spec.name} is ${spec.arch} but has an ITS, a GICv3 device of arm64; remove the device or use arch arm64`,
      );
    }
  }
  const ring = tracking.dirtyLog === 'ring' || tracking.dirtyLog === 'ring-with-bitmap';
  if (policy.converge === 'dirty-limit' && !ring) {
    throw new Error(
      'dirty-limit needs a dirty ring (QEMU enforces it through ring-full exits); use dirtyLog ring',
    );
  }

  const kvm = new Kvm({
    arch: spec.arch,
    params: kvmParamsFor(spec.arch, tracking),
    costs: plan.costs,
  });
  const maxGpa = Math.max(...spec.slots.map((s) => s.gpa + s.size));
  const vm = kvm.createVm({ ipaBits: Math.max(40, Math.ceil(Math.log2(maxGpa + 1))) });
  switch (tracking.dirtyLog) {
    case 'bitmap':
      break;
    case 'bitmap-manual':
      vm.enableCap(Cap.ManualDirtyLogProtect2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
      break;
    case 'bitmap-initially-set':
      vm.enableCap(
        Cap.ManualDirtyLogProtect2,
        KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
      );
      break;
    case 'ring':
    case 'ring-with-bitmap': {
      const entries = tracking.ringEntries ?? 4096;
      const acqRel = tracking.ringAcqRel ?? spec.arch === 'arm64';
      vm.enableCap(acqRel ? Cap.DirtyLogRingAcqRel : Cap.DirtyLogRing, entries * 16);
      if (tracking.dirtyLog === 'ring-with-bitmap') vm.enableCap(Cap.DirtyLogRingWithBitmap);
      break;
    }
  }
  if (spec.arch === 'arm64' && tracking.eagerSplitChunkBytes) {
    vm.enableCap(Cap.ArmEagerSplitChunkSize, tracking.eagerSplitChunkBytes);
  }
  spec.slots.forEach((s, id) => {
    vm.setUserMemoryRegion({
      slot: id,
      flags: s.readonly ? KVM_MEM_READONLY : 0,
      guestPhysAddr: s.gpa,
      memorySize: s.size,
      backing: s.backing,
    });
  });
  const vcpus = Array.from({ length: spec.vcpus }, (_, id) => vm.createVcpu(id));
  const memory = new GuestMemory(vm.memslots());
  memory.prefill(spec.prefill ?? 0);
  const rng = new Rng(plan.seed);
  const balloon = GuestBalloon.needed(spec) ? new GuestBalloon(spec, memory, vm) : null;
  const patterns = compileWorkloads(spec.workloads, spec.vcpus, memory, balloon?.buddy ?? null);
  const threads = vcpus.map((v, i) => new VcpuThread(v, patterns[i], rng.fork()));
  // Forked after the vCPUs' streams, so runs without a balloon draw as they always did.
  balloon?.boot(patterns, rng.fork());

  const dest = new Destination(memory.slots);
  const sync = new DirtySync(vm, memory, tracking.dirtyLog, tracking.clearBitmapShift ?? 18);
  balloon?.attachMigration(sync, policy);
  const link = new Link(policy.bandwidth, policy.maxBandwidth ?? policy.bandwidth);
  const converge = new ConvergeController(policy, warmupNs);
  const events: MigrationEvent[] = [];
  const iterations: IterationRecord[] = [];
  const migration = new MigrationThread(
    {
      vm,
      memory,
      dest,
      sync,
      link,
      converge,
      policy,
      devices: spec.devices ?? [],
      events,
      iterations,
      precopyPolicy: options.policy,
      hinting: balloon?.hinting ?? null,
      host: balloon?.host ?? null,
    },
    warmupNs,
  );
  const pushEvent = (e: MigrationEvent): void => {
    if (events.length < MAX_EVENTS) events.push(e);
  };

  let ringFullInSample = 0;
  const ctx: SliceContext = {
    now: 0,
    sliceNs,
    memory,
    dest: null,
    throttle: 0,
    lockWriteNs: 0,
    migrationStartNs: warmupNs,
    missing: null,
    onRingFull: (thread) => {
      ringFullInSample++;
      if (events.length < MAX_EVENTS) {
        pushEvent({
          time_s: ctx.now / 1e9,
          kind: 'ring-full',
          vcpu: thread.id,
          detail: 'KVM_EXIT_DIRTY_RING_FULL',
        });
      }
      if (converge.dirtyLimit > 0) {
        // dirty-limit: QEMU reaps only this vCPU's ring, then sleeps it so its dirty
        // rate stays under the limit (system/dirtylimit.c, simplified to the target).
        const ring = thread.vcpu.dirtyRing;
        const entries = ring ? ring.used : 0;
        const ns = sync.reap(thread.vcpu);
        const allowedNs = ((entries * 4096) / converge.dirtyLimit) * 1e9;
        // The vCPU's rate is measured since its last ring-full exit under the limit,
        // or since the limit came into force (not since the run began).
        const since = Math.max(thread.lastRingFullNs, converge.dirtyLimitSinceNs);
        const sleep = Math.max(0, allowedNs - (ctx.now - since));
        thread.lastRingFullNs = ctx.now;
        thread.blockedUntil = ctx.now + ns + sleep;
        return ns;
      }
      return sync.reap(null);
    },
    onRemoteFault: (slot, rel) => migration.remoteFault(slot, rel),
    host: balloon?.host ?? null,
  };

  const timeline: TimelineRecord[] = [];
  let now = 0;
  // Warm-up: the guest runs and faults its memory in; no migration yet.
  // With a balloon the timeline starts at boot: free page reporting works during it.
  let warmPrev = balloon ? snapshot(threads, migration, link, vm) : null;
  let warmLast = 0;
  for (; now < warmupNs; now += sliceNs) {
    ctx.now = now;
    balloon?.beforeSlice(now, threads);
    for (const th of threads) th.step(ctx);
    if (balloon && warmPrev && now + sliceNs - warmLast >= samplePeriodNs) {
      const cur = snapshot(threads, migration, link, vm);
      const t = now + sliceNs;
      const row = sampleRow(warmPrev, cur, (t - warmLast) / 1e9, t, migration, converge, 0);
      row.balloon = balloon.sample();
      timeline.push(row);
      warmPrev = cur;
      warmLast = t;
    }
  }
  const startAcc = threads.reduce((n, t) => n + t.accesses, 0);
  const startIdeal = threads.reduce((n, t) => n + t.idealAccesses, 0);
  const startWrites = threads.reduce((n, t) => n + t.writes, 0);

  let lastSample = now;
  let prev = snapshot(threads, migration, link, vm);
  const stallsAtStart = prev.stalls;
  let nextReap = now + (tracking.reaperIntervalNs ?? 1e9);
  let interrupted = false;
  let lockWriteNs = 0;
  const end = warmupNs + maxTimeNs;
  for (; now < end && !migration.done; now += sliceNs) {
    ctx.now = now;
    const paused = migration.pausedAt(now) || (migration.stopNs >= 0 && migration.resumeNs < 0);
    const onDestination = migration.state === 'postcopy-active' || migration.state === 'completed';
    if (!paused) {
      ctx.dest = onDestination ? null : dest;
      ctx.missing = migration.state === 'postcopy-active' ? migration.missing : null;
      // auto-converge and dirty-limit slow the source's vCPUs; once the guest runs on
      // the destination (postcopy) neither applies (QEMU stops both at the switch).
      ctx.throttle = onDestination ? 0 : converge.throttleShare;
      if (onDestination) for (const th of threads) th.blockedUntil = 0;
      ctx.lockWriteNs = Math.min(lockWriteNs, sliceNs);
      if (balloon && !onDestination) balloon.beforeSlice(now, threads);
      for (const th of threads) th.step(ctx);
    }
    sync.lockWriteNs = 0;
    migration.step(now, sliceNs);
    if (ring && converge.dirtyLimit === 0 && now >= nextReap && migration.state === 'active') {
      sync.reap(null); // QEMU's kvm-reaper thread
      nextReap += tracking.reaperIntervalNs ?? 1e9;
    }
    lockWriteNs = sync.lockWriteNs;
    if (now + sliceNs - lastSample >= samplePeriodNs || migration.done) {
      const cur = snapshot(threads, migration, link, vm);
      const row = sampleRow(
        prev,
        cur,
        (now + sliceNs - lastSample) / 1e9,
        now + sliceNs,
        migration,
        converge,
        ringFullInSample,
      );
      if (balloon) row.balloon = balloon.sample();
      timeline.push(row);
      ringFullInSample = 0;
      prev = cur;
      lastSample = now + sliceNs;
      options.onProgress?.({
        fraction: (now - warmupNs) / maxTimeNs,
        state: migration.state,
        timeS: now / 1e9,
      });
      if (options.shouldStop?.()) {
        interrupted = true;
        break;
      }
    }
  }
  if (!migration.done) migration.giveUp(now);
  // The switchover stopped the guest for the downtime, a span the slice loop does not
  // step through: the workload lost that time too.
  if (migration.state === 'completed' && migration.downtimeNs > 0) {
    for (const th of threads) th.countStopped(migration.stopNs, migration.downtimeNs);
  }

  // Verification: every page's destination generation against the source's.
  let stalePages = 0;
  let staleFreePages = 0;
  let stale: (StalePage & { cause: string })[] = [];
  if (migration.state === 'completed') {
    // With a balloon only the pages the guest uses must match: free pages may have been
    // discarded (zero on the source) or hinted (never sent), by design.
    const inUse = balloon
      ? (slot: number, rel: number): boolean => balloon.inUse(memory.slots[slot].ramStart + rel)
      : undefined;
    stalePages = inUse ? dest.countStaleWhere(inUse) : dest.countStale();
    if (inUse) staleFreePages = dest.countStale() - stalePages;
    const lost = new Map(vm.lostDirty.map((e) => [e.gfn as number, e.reason]));
    stale = dest.listStale(1000, inUse).map((p) => ({
      ...p,
      cause: lost.has(p.gfn)
        ? `lost-dirty: KVM dropped the write (${lost.get(p.gfn)})`
        : p.destinationGeneration < 0
          ? 'never sent'
          : 'written after its last send and never reported by the dirty log',
    }));
  }
  const km = vm.trackingMemory();
  return {
    plan,
    vm,
    migration,
    threads,
    iterations,
    timeline,
    events,
    stalePages,
    stale,
    stallNs: snapshot(threads, migration, link, vm).stalls.map((ns, k) => ns - stallsAtStart[k]),
    guestAccesses: threads.reduce((n, t) => n + t.accesses, 0) - startAcc,
    guestIdeal: threads.reduce((n, t) => n + t.idealAccesses, 0) - startIdeal,
    guestWrites: threads.reduce((n, t) => n + t.writes, 0) - startWrites,
    migrationWallNs: now - warmupNs,
    trackingBytes: {
      vmm: sync.bytes,
      kvm: km.bitmapBytes + km.ringBytes + km.pmlBytes + km.pageTableBytes,
    },
    interrupted,
    balloon,
    staleFreePages,
  };
}

interface Snapshot {
  writes: number;
  accesses: number;
  ideal: number;
  stalls: Float64Array;
  transferred: number;
}

function snapshot(threads: VcpuThread[], _m: MigrationThread, link: Link, _vm: Vm): Snapshot {
  const stalls = new Float64Array(STALL_CAUSES.length);
  let writes = 0;
  let accesses = 0;
  let ideal = 0;
  for (const t of threads) {
    writes += t.writes;
    accesses += t.accesses;
    ideal += t.idealAccesses;
    for (let k = 0; k < stalls.length; k++) stalls[k] += t.stallNs[k];
  }
  return { writes, accesses, ideal, stalls, transferred: link.transferred };
}

function sampleRow(
  a: Snapshot,
  b: Snapshot,
  periodS: number,
  t: number,
  m: MigrationThread,
  converge: ConvergeController,
  ringFull: number,
): TimelineRecord {
  const stalls: Record<string, number> = {};
  STALL_CAUSES.forEach((c, k) => (stalls[c] = (b.stalls[k] - a.stalls[k]) / 1e6));
  const ideal = b.ideal - a.ideal;
  return {
    time_s: t / 1e9,
    state: m.pausedAt(t - 1) ? 'paused' : m.state,
    iteration: m.syncCount,
    guest_writes_per_s: (b.writes - a.writes) / periodS,
    guest_progress: ideal > 0 ? (b.accesses - a.accesses) / ideal : 1,
    remaining_pages:
      m.ctx.sync.dirtyPages + (m.missing ? m.missing.reduce((n, s) => n + s.count, 0) : 0),
    link_mbps: ((b.transferred - a.transferred) * 8) / periodS / 1e6,
    // The throttle in force on the guest: none once it runs on the destination.
    throttle_pct:
      m.state === 'postcopy-active' || m.state === 'completed' ? 0 : converge.throttlePct,
    ring_full_exits: ringFull,
    stalls_ms: stalls,
  };
}

import type { RunPlan } from '../plan.ts';
import type { Vm } from '../kvm/vm.ts';
import type { IterationRecord, MigrationEvent, MigrationThread } from '../vmm/migration-thread.ts';
import type { VcpuThread } from '../guest/vcpu-thread.ts';
import type { PrecopyPolicy } from '../vmm/policy-hook.ts';
import type { GuestBalloon } from './balloon.ts';
import type { RunControl } from './scheduler.ts';
import type { TimelineRecord } from './timeline.ts';
import type { StaleCause } from './verify.ts';
import type { World } from './world.ts';
import { checkPlan } from '../plan.ts';
import { Scheduler } from './scheduler.ts';
import { TimelineSampler, takeSnapshot } from './timeline.ts';
import { verifyDestination } from './verify.ts';
import { buildWorld } from './world.ts';
import type { VcpuStatsRow } from './vcpu-stats.ts';
import { vcpuSnapshot, vcpuStatsRow } from './vcpu-stats.ts';

export type { TimelineRecord, TimelineState } from './timeline.ts';

/**
 * Options of a run beside its plain-data plan: callbacks that do not change the
 * results, and `policy`, code that does.
 */
export interface RunOptions extends RunControl {
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
  stale: StaleCause[];
  /** vCPU ns lost per cause (STALL_CAUSES order) during migration, summed over vCPUs. */
  stallNs: Float64Array;
  /** Per vCPU during migration: accesses, progress, exits, stalls by cause. */
  vcpuStats: VcpuStatsRow[];
  /** The longest single stall of any vCPU during migration, and the p99 of all stalls (stall-episodes.ts), ns. */
  maxVcpuStallNs: number;
  p99VcpuStallNs: number;
  /** Accesses and ideal accesses during migration (for the slowdown). */
  guestAccesses: number;
  guestIdeal: number;
  /** Ideal accesses while the guest ran (the downtime left out): for the live slowdown. */
  guestIdealRunning: number;
  guestWrites: number;
  migrationWallNs: number;
  trackingBytes: { vmm: number; kvm: number };
  interrupted: boolean;
  /** The guest's allocator, reporting and hinting, when the VM has a balloon or alloc workload. */
  balloon: GuestBalloon | null;
  /** With a balloon: pages whose destination copy differs but that the guest holds free. */
  staleFreePages: number;
}

/**
 * Runs a plan: checks it, builds the KVM model and the guest (world.ts), lets the
 * guest warm up, migrates it (scheduler.ts), then checks the destination against the
 * source (verify.ts). Throws PlanError for a plan no run can carry out.
 */
export function simulate(plan: RunPlan, options: RunOptions = {}): SimulationOutput {
  checkPlan(plan);
  return runWorld(buildWorld(plan, options.policy), options);
}

/**
 * The run is over and its results are taken: the per-page generations of source and
 * destination hand their chunks to this thread's pool (chunk-pool.ts), where the next
 * run on this thread takes them instead of allocating. Nothing of `out` that reaches
 * guest memory or the destination may be used after.
 */
export function releaseRunMemory(out: SimulationOutput): void {
  const { memory, dest } = out.migration.ctx;
  for (const slot of memory.slots) slot.gen.release();
  dest.release();
}

/**
 * Run a built world: warm-up, migration, verification. Apart from simulate(), for
 * tests that change the world before it runs (a reference vCPU thread).
 */
export function runWorld(world: World, options: RunControl = {}): SimulationOutput {
  const { plan, vm, migration, threads, link, timing } = world;
  const sampler = new TimelineSampler(world, timing.samplePeriodNs, 0);
  const scheduler = new Scheduler(world, sampler);
  scheduler.warmUp();
  const start = sampler.restart(scheduler.now);
  const startPerVcpu = threads.map(vcpuSnapshot);
  const interrupted = scheduler.migrate(options);
  const now = scheduler.now;
  if (!migration.done) migration.giveUp(now);
  const running = takeSnapshot(threads, link);
  // The switchover stopped the guest for the downtime, a span the slice loop does not
  // step through: the workload lost that time too.
  if (migration.state === 'completed' && migration.downtimeNs > 0) {
    for (const th of threads) th.countStopped(migration.stopNs, migration.downtimeNs);
  }
  const verified =
    migration.state === 'completed'
      ? verifyDestination(world.dest, world.memory, vm, world.balloon)
      : { stalePages: 0, staleFreePages: 0, stale: [] };
  const end = takeSnapshot(threads, link);
  const km = vm.trackingMemory();
  return {
    plan,
    vm,
    migration,
    threads,
    iterations: world.iterations,
    timeline: sampler.rows,
    events: world.events,
    stalePages: verified.stalePages,
    stale: verified.stale,
    stallNs: end.stalls.map((ns, k) => ns - start.stalls[k]),
    vcpuStats: threads.map((th, k) => ({
      ...vcpuStatsRow(startPerVcpu[k], vcpuSnapshot(th)),
      max_stall_ms: (scheduler.episodes?.maxNs[k] ?? 0) / 1e6,
    })),
    maxVcpuStallNs: scheduler.episodes?.maxStallNs ?? 0,
    p99VcpuStallNs: scheduler.episodes?.quantileNs(0.99) ?? 0,
    guestAccesses: end.accesses - start.accesses,
    guestIdeal: end.ideal - start.ideal,
    guestIdealRunning: running.ideal - start.ideal,
    guestWrites: end.writes - start.writes,
    migrationWallNs: now - timing.warmupNs,
    trackingBytes: {
      vmm: world.sync.bytes,
      kvm: km.bitmapBytes + km.ringBytes + km.pmlBytes + km.pageTableBytes,
    },
    interrupted,
    balloon: world.balloon,
    staleFreePages: verified.staleFreePages,
  };
}

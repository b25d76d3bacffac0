import type { SliceContext } from '../guest/vcpu-thread.ts';
import type { MigrationEvent } from '../vmm/migration-thread.ts';
import type { TimelineSampler } from './timeline.ts';
import type { World } from './world.ts';
import { MmuLockSim } from './mmu-lock.ts';
import { RingLockSim } from './ring-lock.ts';
import { TlbReach } from './tlb-reach.ts';
import { StallEpisodes } from './stall-episodes.ts';

/** Events kept per run (ring-full exits can number millions). */
const MAX_EVENTS = 20_000;

/** Called at every timeline sample of the migration: progress reports and an interrupt. */
export interface RunControl {
  /** Called about every simulated 100 ms with the share of the time limit used and the state. */
  onProgress?: (info: { fraction: number; state: string; timeS: number }) => void;
  /** Polled about every simulated 100 ms; true stops the run cleanly (interrupt). */
  shouldStop?: () => boolean;
}

/**
 * Time in fixed slices: in each slice the vCPU threads run first, then the migration
 * thread, so a stop decided in a slice follows every write of that slice (no write is
 * ever placed after the final sync). `now` is the start of the next slice.
 */
export class Scheduler {
  now = 0;
  private readonly world: World;
  private readonly sampler: TimelineSampler;
  private readonly ctx: SliceContext;
  private readonly lock: MmuLockSim;
  private readonly tlb: TlbReach;
  /** The proposals' shared producer lock (per-VM ring, ring pool); null with KVM's rings. */
  private readonly ringLock: RingLockSim | null;
  /** The vCPUs' stalls during migration (max and p99 columns); set when migration starts. */
  episodes: StallEpisodes | null = null;

  constructor(world: World, sampler: TimelineSampler) {
    this.world = world;
    this.sampler = sampler;
    this.lock = new MmuLockSim(world.vm, world.threads);
    this.tlb = new TlbReach(world.vm, world.threads);
    const topology = world.vm.params.proposals.ringTopology.kind;
    this.ringLock = topology === 'per-vcpu' ? null : new RingLockSim(world.vm, world.threads);
    const { memory, converge, sync, migration, balloon, events } = world;
    const ctx: SliceContext = {
      now: 0,
      sliceNs: world.timing.sliceNs,
      memory,
      throttle: 0,
      mmuLockWaitNs: new Float64Array(3),
      migrationStartNs: world.timing.warmupNs,
      missing: null,
      onRingFull: (thread) => {
        sampler.ringFullExits++;
        pushEvent(events, {
          time_s: ctx.now / 1e9,
          kind: 'ring-full',
          vcpu: thread.id,
          detail: 'KVM_EXIT_DIRTY_RING_FULL',
        });
        const { ns, sleepUntilNs } = converge.onRingFull(thread.vcpu, ctx.now, sync);
        // kvm_cpu_exec reaps under the BQL (accel/kvm/kvm-all.c, KVM_EXIT_DIRTY_RING_FULL).
        migration.bql.hold(ctx.now, ns, thread.id);
        if (sleepUntilNs >= 0) thread.blockedUntil = sleepUntilNs;
        return ns;
      },
      onRemoteFault: (slot, rel) => migration.remoteFault(slot, rel),
      host: balloon?.host ?? null,
    };
    this.ctx = ctx;
  }

  /**
   * Warm-up: the guest runs and faults its memory in; no migration yet. With a
   * balloon the timeline starts at boot (free page reporting works during it).
   */
  warmUp(): void {
    const { threads, balloon, timing } = this.world;
    const ctx = this.ctx;
    const lock = this.lock;
    ctx.mmuLockWaitNs = lock.vcpuWaitNs;
    for (; this.now < timing.warmupNs; this.now += timing.sliceNs) {
      ctx.now = this.now;
      balloon?.beforeSlice(this.now, threads);
      lock.enterSlice(false);
      for (const th of threads) th.step(ctx);
      lock.afterVcpus(timing.sliceNs);
      lock.endSlice(0, timing.sliceNs, this.now + timing.sliceNs);
      this.tlb.endSlice(this.now, this.now + timing.sliceNs);
      if (balloon) this.sampler.sampleIfDue(this.now + timing.sliceNs);
    }
  }

  /**
   * Migrate until the migration is done, the time limit passes or `control` stops
   * the run. Returns true if it was stopped.
   */
  migrate(control: RunControl): boolean {
    const { threads, balloon, timing, migration, converge, sync, logMode } = this.world;
    const { sliceNs, warmupNs, maxTimeNs } = timing;
    const reaperIntervalNs = this.world.plan.tracking.reaperIntervalNs ?? 1e9;
    const ctx = this.ctx;
    const lock = this.lock;
    let nextReap = this.now + reaperIntervalNs;
    const ioExitRate = this.world.plan.vm.ioExitRate ?? 0;
    const episodes = new StallEpisodes(threads);
    this.episodes = episodes;
    const end = warmupNs + maxTimeNs;
    for (; this.now < end && !migration.done; this.now += sliceNs) {
      const now = this.now;
      ctx.now = now;
      const paused = migration.pausedAt(now) || (migration.stopNs >= 0 && migration.resumeNs < 0);
      const onDestination =
        migration.state === 'postcopy-active' || migration.state === 'completed';
      if (!paused) {
        ctx.missing = migration.state === 'postcopy-active' ? migration.missing : null;
        // auto-converge and dirty-limit slow the source's vCPUs; once the guest runs on
        // the destination (postcopy) neither applies (QEMU stops both at the switch).
        ctx.throttle = onDestination ? 0 : converge.throttleShare;
        if (onDestination) for (const th of threads) th.blockedUntil = 0;
        if (balloon && !onDestination) balloon.beforeSlice(now, threads);
        lock.enterSlice(onDestination);
        for (const th of threads) th.step(ctx);
        this.ringLock?.afterVcpus(sliceNs, now + sliceNs);
      } else {
        lock.enterSlice(true);
      }
      // Once the guest runs on the destination, the source's mmu_lock is not its own.
      lock.afterVcpus(sliceNs);
      sync.writerWaitNs = onDestination ? 0 : lock.writerWaitNs;
      sync.vcpuLockRatePerNs = onDestination ? 0 : lock.vcpuAcquisitionsPerNs;
      sync.vcpuLockHoldNs = lock.vcpuHoldNs;
      sync.vcpuLockExclusive =
        this.world.vm.params.mmuLock === 'spinlock' || !this.world.vm.params.tdp;
      sync.lockWriteNs = 0;
      sync.lockWriteSqNs = 0;
      migration.step(now, sliceNs);
      if (
        logMode.ring &&
        converge.dirtyLimit === 0 &&
        now >= nextReap &&
        migration.state === 'active'
      ) {
        // QEMU's kvm-reaper thread, which reaps under the BQL
        migration.bql.hold(now, sync.reap(null));
        nextReap += reaperIntervalNs;
      }
      // The vCPUs that exit to QEMU while migration holds its lock wait for it.
      migration.bql.chargeVcpus(threads, paused || onDestination ? 0 : ioExitRate, now + sliceNs);
      lock.endSlice(
        onDestination ? 0 : sync.lockWriteNs,
        sliceNs,
        now + sliceNs,
        onDestination ? 0 : sync.lockWriteSqNs,
      );
      // On the destination the guest runs on mappings this model does not follow.
      if (!onDestination && !paused) this.tlb.endSlice(now, now + sliceNs);
      episodes.afterSlice(sliceNs);
      if (this.sampler.sampleIfDue(now + sliceNs, migration.done)) {
        control.onProgress?.({
          fraction: (now - warmupNs) / maxTimeNs,
          state: migration.state,
          timeS: now / 1e9,
        });
        if (control.shouldStop?.()) {
          episodes.finish();
          return true;
        }
      }
    }
    episodes.finish();
    return false;
  }
}

function pushEvent(events: MigrationEvent[], e: MigrationEvent): void {
  if (events.length < MAX_EVENTS) events.push(e);
}

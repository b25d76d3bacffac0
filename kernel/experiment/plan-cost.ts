import type { RunPlan, WorkloadSpec } from '../../engine/plan.ts';
import { timingOf } from '../../engine/sim/world.ts';
import type { RunnerPlan } from './runner.ts';

/**
 * A rough, cheap estimate of the CPU time a plan takes, from the plan alone, so that a
 * pool starts the heaviest plans first: the plan that starts last then is a light
 * one, and the other threads do not wait idle while it runs alone (on two threads,
 * bench/sweep's heaviest plans came last and the last ran alone for ~1 s).
 *
 * It follows docs/simulation.md ("How long a run takes"): time goes to state changes,
 * about one per page a pass finds written again, ~170 ns each; drawing accesses costs
 * ~10 ns each; setup and the first pass ~1 s per TiB. Pages written per pass are
 * bounded both by what the workloads write over (a hot set, a region) and by what
 * they can write while the first pass sends RAM. Only the order matters: an estimate
 * that is off by a constant factor orders plans the same.
 */

const PAGE_BYTES = 4096;
const TiB = 2 ** 40;
/** ns per page a pass finds written again (docs/simulation.md: hot pages x passes x ~170 ns). */
const STATE_CHANGE_NS = 170;
/** ns per access drawn (docs/simulation.md: ~10 ns per drawn access). */
const DRAW_NS = 10;
/** ns of setup and first pass per byte of RAM (docs/simulation.md: about a second per TiB). */
const SETUP_NS_PER_BYTE = 1e9 / TiB;
/** Passes of a migration with no iteration limit (bench/migration's 1 TiB run took 31). */
const PASSES_UNLIMITED = 30;
/**
 * State changes per written page with a dirty ring, relative to a bitmap: each write
 * to a clean page is a ring push, reaped and reset one by one. Measured in
 * bench/sweep's plans: a ring plan took 1.3-2.0x the bitmap plan of the same guest.
 */
const RING_FACTOR = 1.5;

/** The estimated cost of running `plan`, in ns of CPU (rough; for ordering plans). */
export function estimatePlanCostNs(plan: RunPlan): number {
  const { vm, migration, tracking } = plan;
  const { warmupNs, maxTimeNs } = timingOf(plan);
  const ramBytes = vm.slots.reduce((n, s) => n + s.size, 0);
  const passes = migration.maxIterations || PASSES_UNLIMITED;
  // A pass lasts at most as long as the first, which sends all of RAM.
  const passNs = migration.bandwidth > 0 ? (ramBytes / migration.bandwidth) * 1e9 : maxTimeNs;
  const migrationNs = Math.min(maxTimeNs, passes * passNs);
  const ramPages = ramBytes / PAGE_BYTES;
  let written = 0;
  let accessesPerS = 0;
  for (const w of vm.workloads) {
    written += writtenPerPass(w, vm.vcpus, Math.min(passNs, migrationNs), ramPages);
    accessesPerS += accessRate(w, vm.vcpus);
  }
  const ring = tracking.dirtyLog === 'ring' || tracking.dirtyLog === 'ring-with-bitmap';
  const stateChanges = passes * written * (ring ? RING_FACTOR : 1);
  const drawn = ((warmupNs + migrationNs) / 1e9) * accessesPerS;
  return ramBytes * SETUP_NS_PER_BYTE + stateChanges * STATE_CHANGE_NS + drawn * DRAW_NS;
}

/**
 * Positions in `plans` in the order to start them: by decreasing estimated cost,
 * equal estimates in plan order (so the order depends on the plans alone).
 */
export function byDecreasingCost(plans: readonly Pick<RunnerPlan, 'plan'>[]): number[] {
  const cost = plans.map((p) => estimatePlanCostNs(p.plan));
  return plans.map((_, k) => k).sort((a, b) => cost[b] - cost[a] || a - b);
}

/**
 * Distinct pages `w` writes during one pass of `passNs`: what it writes, bounded by
 * what it writes over (its region, an alloc's used bytes; a hot set and its share of
 * the writes, the cold rest spread over the region). `vcpus`: the VM's.
 */
function writtenPerPass(w: WorkloadSpec, vcpus: number, passNs: number, ramPages: number): number {
  switch (w.kind) {
    case 'idle':
      return 0;
    case 'trace':
      return w.rows.reduce((n, r) => n + (r.op === 'w' ? 1 : 0), 0);
    case 'phases': {
      const n = vcpusOf(w, vcpus);
      return Math.max(0, ...w.phases.map((p) => writtenPerPass(p.workload, n, passNs, ramPages)));
    }
    default: {
      const writes = accessRate(w, vcpus) * (1 - (w.readFraction ?? 0)) * (passNs / 1e9);
      const over = w.kind === 'alloc' ? w.usedBytes : (w.region?.size ?? Infinity);
      const regionPages = Math.min(ramPages, over / PAGE_BYTES);
      if (w.kind !== 'hotset') return Math.min(writes, regionPages);
      const hotShare = w.hotShare ?? 0.9;
      const hot = Math.min(w.hotBytes / PAGE_BYTES, writes * hotShare);
      return Math.min(regionPages, hot + writes * (1 - hotShare));
    }
  }
}

/** Accesses per second `w` makes over all its vCPUs (`vcpus`: the VM's). */
function accessRate(w: WorkloadSpec, vcpus: number): number {
  switch (w.kind) {
    case 'idle':
    case 'trace':
      return 0;
    case 'phases': {
      const n = vcpusOf(w, vcpus);
      return Math.max(0, ...w.phases.map((p) => accessRate(p.workload, n)));
    }
    default:
      return w.rate * vcpusOf(w, vcpus);
  }
}

/** How many vCPUs run `w` (`vcpus`: the VM's). */
function vcpusOf(w: WorkloadSpec, vcpus: number): number {
  return w.vcpus === undefined || w.vcpus === 'all' ? vcpus : w.vcpus.length;
}

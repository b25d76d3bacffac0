import { describe, expect, it } from 'vitest';
import type { WorkloadSpec } from '../../../engine/plan.ts';
import type { PrecopyPolicy, PrecopyState } from '../../../engine/vmm/policy-hook.ts';
import { run } from '../../../engine/run.ts';
import { MiB, migration, plan, smallVm } from '../../helpers/plans.ts';
import {
  eventsOf,
  expectConsistentIterations,
  expectNoLoss,
  summaryOf,
} from '../../helpers/migration.ts';

// ---- tunables ----
/**
 * A migration that QEMU's rule finishes in a few iterations: 4 vCPUs write a 16 MiB
 * hot set over a 1 GB/s link.
 */
const EASY_WORKLOAD: WorkloadSpec = {
  kind: 'hotset',
  rate: 5_000,
  hotBytes: 16 * MiB,
  hotShare: 0.95,
};
/**
 * One QEMU's rule never finishes: a 32 MiB hot set written at 40 k pages/s in all over a
 * 40 MB/s link (see migration.test.ts), with a short downtime limit.
 */
const HOT_WORKLOAD: WorkloadSpec = {
  kind: 'hotset',
  rate: 10_000,
  hotBytes: 32 * MiB,
  hotShare: 1,
};
const HOT_BANDWIDTH = 40e6;
const HOT_MAX_TIME_NS = 10e9;
/** The sync after which the test policies act. */
const ACT_AT_ITERATION = 4;

const easyPlan = () => plan({ vm: smallVm({ ram: 256 * MiB, workload: EASY_WORKLOAD }), seed: 3 });
const hotPlan = () =>
  plan({
    vm: smallVm({ ram: 256 * MiB, workload: HOT_WORKLOAD }),
    migration: migration({ bandwidth: HOT_BANDWIDTH, downtimeLimitNs: 100e6 }),
    maxTimeNs: HOT_MAX_TIME_NS,
    seed: 3,
  });

describe('run(plan, { policy })', () => {
  it('leaves the results unchanged without a policy and with one that always answers default', () => {
    const without = run(easyPlan());
    const states: PrecopyState[] = [];
    const withDefault = run(easyPlan(), {
      policy: {
        name: 'observer',
        afterSync: (s) => {
          states.push(s);
          return { action: 'default' };
        },
      },
    });
    for (const table of ['summary', 'iterations', 'timeline', 'events', 'stale'] as const) {
      expect(withDefault[table].objects()).toEqual(without[table].objects());
    }
    expect(withDefault.provenance).toEqual(without.provenance);
    // It was asked at every sync but the setup's first and the final one.
    expect(states.map((s) => s.iteration)).toEqual(
      Array.from({ length: summaryOf(without).iterations - 2 }, (_, i) => i + 2),
    );
    expect(states.at(-1)?.qemuWouldComplete).toBe(true);
  });

  it('gives the policy the sync it decides on as the last row of the history', () => {
    const seen: PrecopyState[] = [];
    run(easyPlan(), { policy: { name: 'observer', afterSync: (s) => void seen.push(s) } });
    for (const s of seen) {
      const last = s.history[s.history.length - 1];
      expect(last.iteration).toBe(s.iteration);
      expect(last.dirty_pages_synced).toBe(s.dirtyPagesSynced);
      expect(s.remainingBytes).toBe(last.remaining_pages * 4096);
      expect(s.thresholdBytes).toBeCloseTo((s.bandwidthBytesPerSec * s.downtimeLimitNs) / 1e9, 3);
    }
  });

  it('switches over when the policy says so, before QEMU would', () => {
    const hot = summaryOf(run(hotPlan()));
    expect(hot.status).toBe('not-converged');
    const stopEarly: PrecopyPolicy = {
      name: 'stop-at-4',
      afterSync: (s) =>
        s.iteration >= ACT_AT_ITERATION ? { action: 'switchover', reason: 'enough' } : undefined,
    };
    const result = run(hotPlan(), { policy: stopEarly });
    const s = summaryOf(result);
    expect(s.status).toBe('completed');
    // The switchover's final sync follows the decision.
    expect(s.iterations).toBe(ACT_AT_ITERATION + 1);
    expect(s.downtime_ms).toBeGreaterThan(100);
    expectNoLoss(result);
    expectConsistentIterations(result);
    expect(eventsOf(result, 'policy').map((e) => e.detail)).toEqual([
      'stop-at-4: switchover (enough)',
    ]);
  });

  it("keeps iterating past QEMU's rule on continue, until the plan's max_iterations", () => {
    const qemu = summaryOf(run(easyPlan()));
    const p = easyPlan();
    p.migration = { ...p.migration, maxIterations: qemu.iterations + 3, onMaxIterations: 'force' };
    const result = run(p, { policy: { name: 'never', afterSync: () => ({ action: 'continue' }) } });
    const s = summaryOf(result);
    expect(s.status).toBe('completed');
    // max_iterations syncs, then the switchover's final sync.
    expect(s.iterations).toBe(qemu.iterations + 4);
    expectNoLoss(result);
  });

  it('makes a non-converging migration converge by raising the downtime limit', () => {
    const doubling: PrecopyPolicy = {
      name: 'double-downtime',
      afterSync: (s) =>
        s.iteration % 2 === 0 ? { downtimeLimitNs: s.downtimeLimitNs * 2 } : undefined,
    };
    const result = run(hotPlan(), { policy: doubling });
    const s = summaryOf(result);
    expect(s.status).toBe('completed');
    expectNoLoss(result);
    const changes = eventsOf(result, 'policy');
    expect(changes[0].detail).toBe('double-downtime: downtime-limit 100 ms -> 200 ms');
    // QEMU's own rule switched over, against the raised limit.
    expect(eventsOf(result, 'switchover')[0].detail).toContain(
      'remaining fits in the downtime limit',
    );
  });

  it('cancels and switches to postcopy on request', () => {
    const cancelled = run(hotPlan(), {
      policy: {
        name: 'c',
        afterSync: (s) => (s.iteration >= 3 ? { action: 'cancel' } : undefined),
      },
    });
    expect(summaryOf(cancelled).status).toBe('cancelled');
    expect(summaryOf(cancelled).iterations).toBe(3);
    const post = run(hotPlan(), {
      policy: {
        name: 'p',
        afterSync: (s) => (s.iteration >= 3 ? { action: 'postcopy' } : undefined),
      },
    });
    expect(summaryOf(post).status).toBe('completed');
    expect(eventsOf(post, 'postcopy')).toHaveLength(1);
    expectNoLoss(post);
  });

  it('rejects a decision it cannot apply, naming the policy', () => {
    const bad: PrecopyPolicy = { name: 'bad', afterSync: () => ({ downtimeLimitNs: -1 }) };
    expect(() => run(easyPlan(), { policy: bad })).toThrow(
      'precopy policy bad: downtimeLimitNs must be a positive number of ns, got -1',
    );
  });
});

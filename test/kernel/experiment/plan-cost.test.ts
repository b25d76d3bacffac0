import { describe, expect, it } from 'vitest';
import type { RunPlan, WorkloadSpec } from '../../../engine/plan.ts';
import { byDecreasingCost, estimatePlanCostNs } from '../../../kernel/experiment/plan-cost.ts';
import { GiB, MiB, migration, plan, smallVm, tracking } from '../../helpers/plans.ts';

/** A plan of a `ram`-byte guest of 4 vCPUs running `workload`. */
const planOf = (workload: WorkloadSpec, ram = 8 * GiB, over: Partial<RunPlan> = {}): RunPlan =>
  plan({ vm: smallVm({ ram, workload }), ...over });
const hotset = (hotBytes: number, rate = 20_000): WorkloadSpec => ({
  kind: 'hotset',
  rate,
  hotBytes,
  hotShare: 0.95,
});
const cost = (p: RunPlan): number => estimatePlanCostNs(p);

describe('estimatePlanCostNs', () => {
  it('grows with the hot set, the write rate, the RAM and the passes', () => {
    const base = planOf(hotset(64 * MiB));
    expect(cost(planOf(hotset(256 * MiB)))).toBeGreaterThan(cost(base));
    expect(cost(planOf(hotset(64 * MiB, 80_000)))).toBeGreaterThan(cost(base));
    expect(cost(planOf(hotset(64 * MiB), 64 * GiB))).toBeGreaterThan(cost(base));
    expect(
      cost(planOf(hotset(64 * MiB), 8 * GiB, { migration: migration({ maxIterations: 30 }) })),
    ).toBeGreaterThan(
      cost(planOf(hotset(64 * MiB), 8 * GiB, { migration: migration({ maxIterations: 3 }) })),
    );
  });

  it('counts a hot set no larger than what the guest can write in a pass', () => {
    // 4 vCPUs x 1,000 pages/s write well under 1 GiB while 8 GiB are sent: a larger
    // hot set changes nothing.
    expect(cost(planOf(hotset(GiB, 1000)))).toBe(cost(planOf(hotset(4 * GiB, 1000))));
  });

  it('costs more with a dirty ring than with a bitmap', () => {
    const w = hotset(256 * MiB);
    expect(cost(planOf(w, 8 * GiB, { tracking: tracking({ dirtyLog: 'ring' }) }))).toBeGreaterThan(
      cost(planOf(w, 8 * GiB, { tracking: tracking({ dirtyLog: 'bitmap' }) })),
    );
  });

  it('costs an idle guest its setup only, by its RAM', () => {
    const idle = (ram: number): number => cost(planOf({ kind: 'idle' }, ram));
    expect(idle(GiB)).toBeGreaterThan(0);
    expect(idle(64 * GiB)).toBeCloseTo(64 * idle(GiB));
    expect(cost(planOf(hotset(MiB, 1)))).toBeGreaterThan(idle(8 * GiB));
  });

  it('takes the heaviest phase of a phased workload, for the vCPUs that run it', () => {
    const heavy = hotset(512 * MiB);
    const phased: WorkloadSpec = {
      kind: 'phases',
      phases: [
        { durationNs: 1e9, workload: hotset(MiB) },
        { durationNs: 1e9, workload: heavy },
      ],
    };
    expect(cost(planOf(phased))).toBe(cost(planOf(heavy)));
    expect(cost(planOf({ ...phased, vcpus: [0] }))).toBeLessThan(cost(planOf(phased)));
  });
});

describe('byDecreasingCost', () => {
  it('orders the heaviest first and equal estimates in plan order', () => {
    const light = { plan: planOf(hotset(16 * MiB)) };
    const heavy = { plan: planOf(hotset(512 * MiB)) };
    const middle = { plan: planOf(hotset(128 * MiB)) };
    expect(byDecreasingCost([light, heavy, light, middle, heavy])).toEqual([1, 4, 3, 0, 2]);
    expect(byDecreasingCost([])).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { MigrationPolicy, TrackingPolicy, VmSpec } from '../../../engine/plan.ts';
import { expandSweep, product, repeatSeeds } from '../../../dsl/compile/sweep.ts';

const vm = (name: string): VmSpec => ({ name, arch: 'x86_64', vcpus: 1, slots: [], workloads: [] });
const tracking = (name: string): TrackingPolicy => ({ name, dirtyLog: 'bitmap' });
const migration = (name: string): MigrationPolicy => ({ name, bandwidth: 1e9 });

describe('product', () => {
  it('picks one item of each list in every combination, the first list outermost', () => {
    expect(product([[1, 2], [3], [4, 5]])).toEqual([
      [1, 3, 4],
      [1, 3, 5],
      [2, 3, 4],
      [2, 3, 5],
    ]);
  });

  it('is one empty combination for no lists, and none when a list is empty', () => {
    expect(product([])).toEqual([[]]);
    expect(product([[1], []])).toEqual([]);
  });
});

describe('repeatSeeds', () => {
  it('follows each seed by the next ones, running each seed once', () => {
    expect(repeatSeeds([1, 2], 3)).toEqual([1, 2, 3, 4]);
  });

  it('leaves the seeds as written without repetitions', () => {
    expect(repeatSeeds([5, 5], 1)).toEqual([5, 5]);
  });
});

describe('expandSweep', () => {
  it('labels each plan by its choices, costs and options only when they vary', () => {
    const plans = expandSweep({
      vms: [{ name: 'db', value: vm('db') }],
      trackings: [
        { name: 'a', value: tracking('a') },
        { name: 'b', value: tracking('b') },
      ],
      migrations: [{ name: 'm', value: migration('m') }],
      costs: [{ name: '', value: {} }],
      seeds: [7],
      options: [
        { key: 'warmupNs', values: [1, 2] },
        { key: 'sliceNs', values: [5] },
      ],
    });
    expect(plans.map((p) => p.label)).toEqual([
      'db/a/m/seed=7/warmupNs=1',
      'db/a/m/seed=7/warmupNs=2',
      'db/b/m/seed=7/warmupNs=1',
      'db/b/m/seed=7/warmupNs=2',
    ]);
    expect(plans[1].plan).toEqual({
      vm: vm('db'),
      tracking: tracking('a'),
      migration: migration('m'),
      seed: 7,
      warmupNs: 2,
      sliceNs: 5,
    });
  });

  it('sets the cost overrides of a named costs table and labels them', () => {
    const [p] = expandSweep({
      vms: [{ name: 'db', value: vm('db') }],
      trackings: [{ name: 'a', value: tracking('a') }],
      migrations: [{ name: 'm', value: migration('m') }],
      costs: [{ name: 'slow', value: { vmExit: 700 } }],
      seeds: [1],
      options: [],
    });
    expect(p.label).toBe('db/a/m/costs=slow/seed=1');
    expect(p.plan.costs).toEqual({ vmExit: 700 });
  });
});

import { describe, expect, it } from 'vitest';
import type { MigrationPolicy, TrackingPolicy, VmSpec } from '../../../engine/plan.ts';
import {
  countPoints,
  labelOf,
  planOf,
  product,
  repeatSeeds,
  sweepPoints,
} from '../../../dsl/compile/sweep.ts';
import type { Choice, OptionAxis, SweepAxes } from '../../../dsl/compile/sweep.ts';

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

const choice = <T>(name: string, value: T): Choice<T> => ({ name, value, params: [] });

describe('sweepPoints, planOf and labelOf', () => {
  it('labels each plan by its choices, then listed options, then the seed', () => {
    const warmup: OptionAxis = {
      key: 'warmupNs',
      column: 'warmup',
      unit: 'ns',
      values: [
        { value: 1, param: 1, text: '1ns' },
        { value: 2, param: 2, text: '2ns' },
      ],
      listed: true,
    };
    const slice: OptionAxis = {
      key: 'sliceNs',
      column: 'slice',
      values: [{ value: 5, param: 5, text: '5ns' }],
      listed: false,
    };
    const axes: SweepAxes = {
      vms: [choice('db', vm('db'))],
      trackings: [choice('a', tracking('a')), choice('b', tracking('b'))],
      migrations: [
        {
          name: 'm',
          value: migration('m'),
          params: [{ column: 'bandwidth', value: 8, text: '8Gbit/s' }],
        },
      ],
      costs: [choice('', {})],
      seeds: [7],
      options: [warmup, slice],
    };
    const points = sweepPoints(axes);
    expect(countPoints(axes)).toBe(4);
    expect(points.map((p) => labelOf(p, 7))).toEqual([
      'db/a/m/bandwidth=8Gbit/s/warmup=1ns/seed=7',
      'db/a/m/bandwidth=8Gbit/s/warmup=2ns/seed=7',
      'db/b/m/bandwidth=8Gbit/s/warmup=1ns/seed=7',
      'db/b/m/bandwidth=8Gbit/s/warmup=2ns/seed=7',
    ]);
    expect(planOf(points[1], 7)).toEqual({
      vm: vm('db'),
      tracking: tracking('a'),
      migration: migration('m'),
      seed: 7,
      warmupNs: 2,
      sliceNs: 5,
    });
  });

  it('sets the cost overrides of a named costs table and labels them', () => {
    const [p] = sweepPoints({
      vms: [choice('db', vm('db'))],
      trackings: [choice('a', tracking('a'))],
      migrations: [choice('m', migration('m'))],
      costs: [choice('slow', { vmExit: 700 })],
      seeds: [1],
      options: [],
    });
    expect(labelOf(p, 1)).toBe('db/a/m/costs=slow/seed=1');
    expect(planOf(p, 1).costs).toEqual({ vmExit: 700 });
  });
});

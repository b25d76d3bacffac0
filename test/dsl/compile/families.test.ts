import { describe, expect, it } from 'vitest';
import { compile } from '../../../dsl/compile.ts';
import type { CompiledExperiment } from '../../../dsl/compile.ts';

const BASE = [
  'vm web {',
  '  vcpus 2',
  '  slot ram0 at 0 size 1GiB backing thp',
  '  workload hotset { rate 20k/s per vcpu, set 16MiB }',
  '}',
  'tracking bitmap { dirty_log manual }',
  'tracking ring { dirty_log ring 4096 }',
  'migration qemu { bandwidth 10Gbit/s, downtime 300ms }',
].join('\n');

/** The experiments of BASE plus `text`, which must compile without a diagnostic. */
function experiments(text: string): CompiledExperiment[] {
  const r = compile(`${BASE}\n${text}`);
  expect(r.diagnostics).toEqual([]);
  return r.program.experiments;
}

describe('families', () => {
  it('a list in a field makes one plan per value, labelled and with its params', () => {
    const [e] = experiments(
      'migration fam { bandwidth [1Gbit/s, 10Gbit/s, 25Gbit/s] }\nrun web with ring, fam seed 1',
    );
    expect(e.plans.map((p) => p.label)).toEqual([
      'web/ring/fam/bandwidth=1Gbit/s/seed=1',
      'web/ring/fam/bandwidth=10Gbit/s/seed=1',
      'web/ring/fam/bandwidth=25Gbit/s/seed=1',
    ]);
    expect(e.plans.map((p) => p.plan.migration.bandwidth)).toEqual([1.25e8, 1.25e9, 3.125e9]);
    expect(e.plans.map((p) => p.params)).toEqual([
      { bandwidth: 1 },
      { bandwidth: 10 },
      { bandwidth: 25 },
    ]);
    expect(e.axes).toEqual([
      {
        column: 'bandwidth',
        dim: 'bandwidth',
        unit: 'Gbit/s',
        values: [1, 10, 25],
        source: 'family',
      },
    ]);
    expect(e.seeds).toEqual([1]);
  });

  it('stores a list of mixed units in the first unit, labels keep each as written', () => {
    const [e] = experiments(
      'migration fam { bandwidth [1Gbit/s, 500Mbit/s] }\nrun web with ring, fam',
    );
    expect(e.axes?.[0]).toMatchObject({ unit: 'Gbit/s', values: [1, 0.5] });
    expect(e.plans.map((p) => p.label)).toEqual([
      'web/ring/fam/bandwidth=1Gbit/s/seed=1',
      'web/ring/fam/bandwidth=500Mbit/s/seed=1',
    ]);
  });

  it('sweeps a sub-value and a sub-key under their own column names', () => {
    const [e] = experiments(
      [
        'tracking rings { dirty_log ring [1024, 4096] }',
        'migration ac { bandwidth 1Gbit/s, converge auto, throttle initial [20%, 40%] }',
        'sweep web with rings, ac',
      ].join('\n'),
    );
    expect(e.axes?.map((a) => [a.column, a.dim, a.unit])).toEqual([
      ['ring_entries', 'count', undefined],
      ['throttle_initial', 'percent', '%'],
    ]);
    expect(
      e.plans.map((p) => [p.plan.tracking.ringEntries, p.plan.migration.throttleInitial]),
    ).toEqual([
      [1024, 20],
      [1024, 40],
      [4096, 20],
      [4096, 40],
    ]);
  });

  it('flags and words of a set are axes of their own kind', () => {
    const [e] = experiments(
      'tracking t { dirty_log [manual, initially_set], eager_split [on, off] }\nsweep web with t, qemu',
    );
    expect(e.axes?.map((a) => [a.column, a.dim, a.values])).toEqual([
      ['dirty_log', 'enum', ['manual', 'initially_set']],
      ['eager_split', 'flag', [true, false]],
    ]);
    expect(e.plans[1].label).toBe('web/t/qemu/dirty_log=manual/eager_split=off/seed=1');
  });

  it('a range with a step and a geometric range expand inclusively', () => {
    const [e] = experiments(
      [
        'migration fam { bandwidth 1Gbit/s..25Gbit/s step 4Gbit/s }',
        'vm wide extends web { vcpus 1..64 x2 }',
        'sweep wide with ring, fam',
      ].join('\n'),
    );
    expect(e.axes?.map((a) => a.values)).toEqual([
      [1, 2, 4, 8, 16, 32, 64],
      [1, 5, 9, 13, 17, 21, 25],
    ]);
    expect(e.plans).toHaveLength(49);
    expect(e.plans[0].label).toBe('wide/ring/fam/vcpus=1/bandwidth=1Gbit/s/seed=1');
  });

  it('a list of names keeps its labels; a family among them adds its values, null for the others', () => {
    const [e] = experiments(
      'tracking rings { dirty_log ring [1024, 4096] }\nsweep web with [bitmap, rings], qemu seeds 1..2',
    );
    expect(e.plans.map((p) => p.label)).toEqual([
      'web/bitmap/qemu/seed=1',
      'web/bitmap/qemu/seed=2',
      'web/rings/qemu/ring_entries=1024/seed=1',
      'web/rings/qemu/ring_entries=1024/seed=2',
      'web/rings/qemu/ring_entries=4096/seed=1',
      'web/rings/qemu/ring_entries=4096/seed=2',
    ]);
    expect(e.plans[0].params).toEqual({
      tracking: 'bitmap',
      ring_entries: null,
      dirty_log: 'manual',
    });
    expect(e.plans[2].params).toEqual({ tracking: 'rings', ring_entries: 1024, dirty_log: 'ring' });
    expect(e.axes?.map((a) => [a.column, a.source])).toEqual([
      ['tracking', 'option'],
      ['ring_entries', 'family'],
      ['dirty_log', 'differs'],
    ]);
    expect(e.seeds).toEqual([1, 2]);
  });

  it('the fields that differ between named definitions are columns, in a stated unit', () => {
    const [e] = experiments(
      'migration slow { bandwidth 1Gbit/s, downtime 300ms }\nsweep web with [bitmap, ring], [qemu, slow]',
    );
    expect(e.axes?.map((a) => [a.column, a.source, a.unit, a.values])).toEqual([
      ['tracking', 'option', undefined, ['bitmap', 'ring']],
      ['dirty_log', 'differs', undefined, ['manual', 'ring']],
      ['ring_entries', 'differs', undefined, [4096]],
      ['migration', 'option', undefined, ['qemu', 'slow']],
      ['bandwidth', 'differs', 'Gbit/s', [10, 1]],
    ]);
    expect(e.plans[0].label).toBe('web/bitmap/qemu/seed=1');
  });

  it('the paging mode and the kind of mmu_lock that differ between named definitions are columns', () => {
    const [e] = experiments(
      [
        'tracking rw { dirty_log manual, mmu_lock rwlock, mmu tdp }',
        'tracking spin { dirty_log manual, mmu_lock spinlock, mmu shadow }',
        'sweep web with [rw, spin], qemu',
      ].join('\n'),
    );
    expect(e.axes?.map((a) => [a.column, a.source, a.values])).toEqual([
      ['tracking', 'option', ['rw', 'spin']],
      ['mmu_lock', 'differs', ['rwlock', 'spinlock']],
      ['mmu', 'differs', ['tdp', 'shadow']],
    ]);
    expect(e.plans[1].params).toMatchObject({ mmu_lock: 'spinlock', mmu: 'shadow' });
  });

  it('the proposals that differ between named definitions are columns, to group a sweep by', () => {
    const [e] = experiments(
      [
        'tracking pooled { dirty_log ring 1024, ring_topology pool 2 round_robin, ring_reserve 128 }',
        'tracking shared { dirty_log ring 4096, ring_topology per_vm, vcpuless_writes vm_ring }',
        'tracking coarse { dirty_log manual, granularity 2m, split_on_first_clear on }',
        'sweep web with [pooled, shared, coarse], qemu',
      ].join('\n'),
    );
    const differs = e.axes?.filter((a) => a.source === 'differs');
    expect(differs?.map((a) => [a.column, a.values])).toEqual([
      ['dirty_log', ['ring', 'manual']],
      ['ring_entries', [1024, 4096]],
      ['ring_topology', ['pool', 'per_vm']],
      ['pool_rings', [2]],
      ['granularity', ['2m']],
      ['split_on_first_clear', [true]],
      ['ring_reserve', [128]],
      ['vcpuless_writes', ['vm_ring']],
    ]);
    expect(e.plans[1].params).toMatchObject({
      ring_topology: 'per_vm',
      vcpuless_writes: 'vm_ring',
    });
  });

  it('zip pairs axes instead of combining them', () => {
    const [e] = experiments(
      [
        'migration fam { bandwidth [1Gbit/s, 10Gbit/s], downtime [100ms, 300ms] }',
        'sweep web with ring, fam zip bandwidth, downtime',
      ].join('\n'),
    );
    expect(e.plans.map((p) => p.label)).toEqual([
      'web/ring/fam/bandwidth=1Gbit/s/downtime=100ms/seed=1',
      'web/ring/fam/bandwidth=10Gbit/s/downtime=300ms/seed=1',
    ]);
  });

  it('where keeps the points of the product for which the condition holds, units converted', () => {
    const [e] = experiments(
      [
        'migration fam { bandwidth [1Gbit/s, 5Gbit/s, 10Gbit/s], downtime [100ms, 300ms] }',
        'sweep web with [bitmap, ring], fam seeds 1..2 where bandwidth >= 5000Mbit/s and (tracking = ring or downtime > 0.2s)',
      ].join('\n'),
    );
    expect(e.plans.map((p) => p.label)).toEqual([
      'web/bitmap/fam/bandwidth=5Gbit/s/downtime=300ms/seed=1',
      'web/bitmap/fam/bandwidth=5Gbit/s/downtime=300ms/seed=2',
      'web/bitmap/fam/bandwidth=10Gbit/s/downtime=300ms/seed=1',
      'web/bitmap/fam/bandwidth=10Gbit/s/downtime=300ms/seed=2',
      'web/ring/fam/bandwidth=5Gbit/s/downtime=100ms/seed=1',
      'web/ring/fam/bandwidth=5Gbit/s/downtime=100ms/seed=2',
      'web/ring/fam/bandwidth=5Gbit/s/downtime=300ms/seed=1',
      'web/ring/fam/bandwidth=5Gbit/s/downtime=300ms/seed=2',
      'web/ring/fam/bandwidth=10Gbit/s/downtime=100ms/seed=1',
      'web/ring/fam/bandwidth=10Gbit/s/downtime=100ms/seed=2',
      'web/ring/fam/bandwidth=10Gbit/s/downtime=300ms/seed=1',
      'web/ring/fam/bandwidth=10Gbit/s/downtime=300ms/seed=2',
    ]);
    // The axes keep only the values some kept point has, in the order they were written.
    expect(e.axes?.find((a) => a.column === 'bandwidth')?.values).toEqual([5, 10]);
    expect(e.axes?.find((a) => a.column === 'downtime')?.values).toEqual([100, 300]);
  });

  it('where with zip filters the paired points, and a product past the limit may be cut by it', () => {
    const [zipped, cut] = experiments(
      [
        'migration fam { bandwidth [1Gbit/s, 10Gbit/s], downtime [100ms, 300ms] }',
        'sweep web with ring, fam zip bandwidth, downtime where downtime = 300ms',
        'migration wide { bandwidth 1Mbit/s..5000Mbit/s step 1Mbit/s }',
        'sweep web with ring, wide seeds 1..3 where bandwidth <= 10Mbit/s',
      ].join('\n'),
    );
    expect(zipped.plans.map((p) => p.label)).toEqual([
      'web/ring/fam/bandwidth=10Gbit/s/downtime=300ms/seed=1',
    ]);
    expect(cut.plans).toHaveLength(30);
  });

  it('a run option given as a list is an axis, and its label says it as written', () => {
    const [e] = experiments('sweep web with ring, qemu warmup [1s, 500ms]');
    expect(e.axes).toEqual([
      { column: 'warmup', dim: 'time', unit: 's', values: [1, 0.5], source: 'option' },
    ]);
    expect(e.plans.map((p) => [p.label, p.plan.warmupNs])).toEqual([
      ['web/ring/qemu/warmup=1s/seed=1', 1e9],
      ['web/ring/qemu/warmup=500ms/seed=1', 5e8],
    ]);
  });

  it('extending a family keeps its axes; a field set again ends its axis', () => {
    const [keep, reset] = experiments(
      [
        'migration fam { bandwidth [1Gbit/s, 10Gbit/s] }',
        'migration longer extends fam { downtime 1s }',
        'migration fixed extends fam { bandwidth 2Gbit/s, downtime [1s, 2s] }',
        'sweep web with ring, longer',
        'sweep web with ring, fixed',
      ].join('\n'),
    );
    expect(keep.plans.map((p) => p.label)).toEqual([
      'web/ring/longer/bandwidth=1Gbit/s/seed=1',
      'web/ring/longer/bandwidth=10Gbit/s/seed=1',
    ]);
    expect(keep.plans.map((p) => p.plan.migration.downtimeLimitNs)).toEqual([1e9, 1e9]);
    expect(reset.axes?.map((a) => a.column)).toEqual(['downtime']);
    expect(
      reset.plans.map((p) => [p.plan.migration.bandwidth, p.plan.migration.downtimeLimitNs]),
    ).toEqual([
      [2.5e8, 1e9],
      [2.5e8, 2e9],
    ]);
  });

  it('a family is in the scope of the next cell with all its variants', () => {
    const cell1 = compile(`${BASE}\nmigration fam { bandwidth [1Gbit/s, 10Gbit/s] }`);
    const cell2 = compile('sweep web with ring, fam', { scope: cell1.scope });
    expect(cell2.diagnostics).toEqual([]);
    expect(cell2.program.experiments[0].plans).toHaveLength(2);
  });

  it('keeps the plans and labels of a program without families', () => {
    const [e] = experiments('sweep web with [bitmap, ring], qemu seed 3');
    expect(e.plans.map((p) => p.label)).toEqual(['web/bitmap/qemu/seed=3', 'web/ring/qemu/seed=3']);
  });

  it('checks each variant against KVM, telling a problem once', () => {
    const r = compile(
      `${BASE}\ntracking rb { dirty_log ring_with_bitmap [1024, 4096] }\nsweep web with rb, qemu`,
    );
    expect(r.diagnostics.map((d) => d.code)).toEqual(['unsupported-combination']);
  });
});

import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import { parseCst } from '../../dsl/parser.ts';
import { toAst } from '../../dsl/to-ast.ts';
import { parseQuantity, toNumber } from '../../dsl/units.ts';
import { run } from '../../engine/run.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** Every construct of the language, once. */
const ALL = `# every construct
vm db {
  arch x86_64
  vcpus 6
  slot ram0 at 0 size 1GiB backing hugetlb_2m
  slot ram1 at 4GiB size 1.5GiB backing thp readonly
  workload hotset { rate 200k/s per vcpu, set 8MiB, hot 90%, read 10%, vcpus 0..1 }
  workload zipf { rate 1M/s, exponent 0.99, region 0..512MiB, vcpus [2, 3], partition }
  workload uniform { rate 5000 pages/s, vcpus 4 }
  workload sequential { rate 10k/s, vcpus 5 }
  prefill 25%
}
vm arm { arch arm64, vcpus 2, slot r at 0 size 1GiB backing 4k, device its { tables 64KiB }
  workload idle { vcpus all } }
tracking base { dirty_log ring 4096, eager_split on, pml on, fast_page_fault on, split_on_fault in_place }
tracking proposals extends base {
  ring_topology pool 4 lru
  granularity 2m
  split_on_first_clear on, preempt full, ring_reserve 600, vcpuless_writes vm_ring
  reaper 500ms
  clear_shift 20
}
tracking armt { dirty_log ring_with_bitmap 8192, chunk 2MiB, split_on_fault zap }
tracking bm { dirty_log initially_set }
costs slow { vm_exit 700ns, slowPageFault 5us, bitmap_copy_per_byte 0.05ns }
costs slower extends slow { tlb_flush 4us }
migration fast {
  policy precopy
  bandwidth 25Gbit/s, max_bandwidth 2GB/s
  downtime 300ms
  max_iterations 30 then postcopy
  converge auto
  throttle initial 20% increment 10% max 99% trigger 50%
  postcopy after 5 latency 10ms
  zero_scan 10GB/s
  switchover_bandwidth 1GB/s
  device_state 1MiB, bitmap_sync every_tick
}
migration limited extends fast { converge dirty_limit, dirty_limit 1MB/s, policy xen }
run db with base, fast costs slow seed 7 warmup 1s max_time 10s sample 50ms slice 5ms
sweep db with [base, proposals], [fast, limited] costs [slow, slower] seeds 1..3
sweep arm with armt, fast seeds [1, 5]
table summary, iterations, timeline, events, stale
table summary with total_ms, downtime_ms
plot remaining over time
plot dirty_rate over iteration
`;

describe('units', () => {
  it('parses sizes, times, rates, bandwidths and percentages exactly', () => {
    expect(toNumber(parseQuantity('1.5TiB')!)).toBe(1.5 * 2 ** 40);
    expect(toNumber(parseQuantity('4KB')!)).toBe(4000);
    expect(toNumber(parseQuantity('2min')!)).toBe(120e9);
    expect(toNumber(parseQuantity('1.5us')!)).toBe(1500);
    expect(toNumber(parseQuantity('200k/s')!)).toBe(200_000);
    expect(toNumber(parseQuantity('5000 pages/s')!)).toBe(5000);
    expect(toNumber(parseQuantity('25Gbit/s')!)).toBe(25e9 / 8);
    expect(toNumber(parseQuantity('12.5%')!)).toBe(12.5);
    expect(toNumber(parseQuantity('0x1000')!)).toBe(4096);
    expect(parseQuantity('3.0000000000000001GiB')).toMatchObject({ dim: 'size' });
    expect(parseQuantity('4 parsecs')).toBeUndefined();
  });
});

describe('parser and AST', () => {
  it('parses every construct without error', () => {
    const { lexErrors, parseErrors } = parseCst(ALL);
    expect(lexErrors).toEqual([]);
    expect(parseErrors).toEqual([]);
  });

  it('gives every node a source span', () => {
    const ast = toAst(parseCst('tracking t extends u { dirty_log ring 4096 }\n').cst);
    const def = ast.statements[0];
    expect(def).toMatchObject({
      kind: 'definition',
      defKind: 'tracking',
      name: { text: 't', span: { line: 1, column: 10, offset: 9, length: 1 } },
      base: { text: 'u', span: { line: 1, column: 20 } },
      span: { line: 1, column: 1, length: 44 },
    });
    if (def.kind !== 'definition') return;
    expect(def.body.properties[0].args[1]).toMatchObject({
      kind: 'quantity',
      text: '4096',
      span: { line: 1, column: 39, length: 4 },
    });
  });

  it('recovers and reports several syntax errors in one text', () => {
    const text = 'vm { }\ntracking t { dirty_log ring }\nrun db fast\nplot remaining time\n';
    const errors = compile(text).diagnostics.filter((d) => d.code === 'syntax-error');
    expect([...new Set(errors.map((d) => d.line))]).toEqual([1, 3, 4]);
    expect(compile(text).diagnostics.filter((d) => d.code !== 'syntax-error')).toEqual([]);
  });
});

describe('compile', () => {
  it('compiles every construct without diagnostics', () => {
    const { diagnostics, program, ok } = compile(ALL);
    expect(diagnostics).toEqual([]);
    expect(ok).toBe(true);
    expect(program.vms.map((v) => v.name)).toEqual(['db', 'arm']);
    expect(program.outputs).toEqual([
      { kind: 'table', views: ['summary', 'iterations', 'timeline', 'events', 'stale'], line: 43 },
      { kind: 'table', views: ['summary'], columns: ['total_ms', 'downtime_ms'], line: 44 },
      {
        kind: 'plot',
        y: 'remaining',
        x: 'time',
        table: 'timeline',
        xColumn: 'time_s',
        yColumn: 'remaining_pages',
        line: 45,
      },
      {
        kind: 'plot',
        y: 'dirty_rate',
        x: 'iteration',
        table: 'iterations',
        xColumn: 'iteration',
        yColumn: 'dirty_rate_pps',
        line: 46,
      },
    ]);
  });

  it('compiles export statements, csv by default', () => {
    const text = 'export summary, stale to "results/"\nexport timeline to "out/arrow" as arrow\n';
    const { diagnostics, program } = compile(text);
    expect(diagnostics).toEqual([]);
    expect(program.outputs).toEqual([
      { kind: 'export', views: ['summary', 'stale'], dir: 'results/', format: 'csv', line: 1 },
      { kind: 'export', views: ['timeline'], dir: 'out/arrow', format: 'arrow', line: 2 },
    ]);
  });

  it('lowers a vm to the engine VmSpec', () => {
    const db = compile(ALL).program.vms[0];
    expect(db).toEqual({
      name: 'db',
      arch: 'x86_64',
      vcpus: 6,
      prefill: 0.25,
      slots: [
        { name: 'ram0', gpa: 0, size: GiB, backing: 'hugetlb_2m' },
        { name: 'ram1', gpa: 4 * GiB, size: 1.5 * GiB, backing: 'thp', readonly: true },
      ],
      workloads: [
        {
          kind: 'hotset',
          rate: 200_000,
          hotBytes: 8 * MiB,
          hotShare: 0.9,
          readFraction: 0.1,
          vcpus: [0, 1],
        },
        {
          kind: 'zipf',
          rate: 1e6,
          exponent: 0.99,
          region: { offset: 0, size: 512 * MiB },
          vcpus: [2, 3],
          partition: true,
        },
        { kind: 'uniform', rate: 5000, vcpus: [4] },
        { kind: 'sequential', rate: 10_000, vcpus: [5] },
      ],
    });
  });

  it('merges extends: the child overrides, proposals merge field by field', () => {
    const { program } = compile(ALL);
    expect(program.tracking.find((t) => t.name === 'proposals')).toEqual({
      name: 'proposals',
      dirtyLog: 'ring',
      ringEntries: 4096,
      eagerSplit: true,
      pml: true,
      fastPageFault: true,
      splitOnFault: 'in-place',
      reaperIntervalNs: 500e6,
      clearBitmapShift: 20,
      preempt: 'full',
      proposals: {
        ringTopology: { kind: 'pool', rings: 4, select: 'lru' },
        dirtyGranularity: '2m',
        splitOnFirstClear: true,
        ringReserve: 600,
        vcpulessWrites: 'vm-ring',
      },
    });
    expect(program.costs).toEqual([
      { name: 'slow', costs: { vmExit: 700, slowPageFault: 5000, bitmapCopyPerByte: 0.05 } },
      {
        name: 'slower',
        costs: { vmExit: 700, slowPageFault: 5000, bitmapCopyPerByte: 0.05, tlbFlush: 4000 },
      },
    ]);
    const limited = program.migrations.find((m) => m.name === 'limited');
    expect(limited).toMatchObject({
      kind: 'xen',
      bandwidth: 25e9 / 8,
      maxBandwidth: 2e9,
      downtimeLimitNs: 300e6,
      maxIterations: 30,
      onMaxIterations: 'postcopy',
      converge: 'dirty-limit',
      dirtyLimit: 1e6,
      throttleInitial: 20,
      throttleIncrement: 10,
      throttleMax: 99,
      throttleTriggerThreshold: 50,
      postcopyAfterIterations: 5,
      postcopyFaultLatencyNs: 10e6,
      zeroScanBytesPerSec: 10e9,
      availSwitchoverBandwidth: 1e9,
      deviceStateBytes: MiB,
      bitmapSync: 'every-tick',
    });
  });

  it('compiles run options into the plan', () => {
    const [first] = compile(ALL).program.experiments;
    expect(first.plans).toHaveLength(1);
    expect(first.plans[0].label).toBe('db/base/fast/costs=slow/seed=7');
    expect(first.plans[0].plan).toMatchObject({
      seed: 7,
      costs: { vmExit: 700 },
      warmupNs: 1e9,
      maxTimeNs: 10e9,
      samplePeriodNs: 50e6,
      sliceNs: 5e6,
    });
  });

  it('expands a sweep to the cartesian product of its lists', () => {
    const sweep = compile(ALL).program.experiments[1];
    expect(sweep.plans).toHaveLength(2 * 2 * 2 * 3);
    expect(sweep.plans[0].label).toBe('db/base/fast/costs=slow/seed=1');
    expect(sweep.plans.at(-1)?.label).toBe('db/proposals/limited/costs=slower/seed=3');
    expect(new Set(sweep.plans.map((p) => p.label)).size).toBe(24);
  });

  it('uses names from an earlier scope and returns the new scope', () => {
    const cell1 = compile('vm v { slot r at 0 size 1GiB }\ntracking t { dirty_log manual }');
    expect(cell1.ok).toBe(true);
    const cell2 = compile(
      'migration m { bandwidth 1Gbit/s }\ntracking t2 extends t { pml off }\nrun v with t2, m seed 3',
      { scope: cell1.scope },
    );
    expect(cell2.diagnostics).toEqual([]);
    expect(cell2.program.experiments[0].plans[0].plan.tracking).toEqual({
      name: 't2',
      dirtyLog: 'bitmap-manual',
      pml: false,
    });
    expect([...cell2.scope.vm.keys()]).toEqual(['v']);
    expect([...cell2.scope.tracking.keys()]).toEqual(['t', 't2']);
    expect(cell1.scope.migration.size).toBe(0);
  });

  it('leaves definitions with errors out of the new scope', () => {
    const r = compile('migration m { bandwidth 10ms }\ntracking t { dirty_log bitmap }');
    expect(r.ok).toBe(false);
    expect([...r.scope.migration.keys()]).toEqual([]);
    expect([...r.scope.tracking.keys()]).toEqual(['t']);
  });
});

describe('compiled plans on the engine', () => {
  it('runs a small plan to completion with no stale page', () => {
    const text = `vm small {
  vcpus 2
  slot ram0 at 4GiB size 256MiB backing hugetlb_2m
  workload hotset { rate 20k/s per vcpu, set 16MiB, hot 95% }
}
tracking manual { dirty_log manual }
migration fast { bandwidth 10Gbit/s, downtime 300ms }
run small with manual, fast seed 1 warmup 100ms max_time 20s
`;
    const { program, diagnostics } = compile(text);
    expect(diagnostics).toEqual([]);
    const result = run(program.experiments[0].plans[0].plan);
    const summary = result.summary.objects()[0] as Record<string, unknown>;
    expect(summary.status).toBe('completed');
    expect(summary.stale_pages).toBe(0);
  });
});

describe('repetitions', () => {
  it('repeat N runs each combination with N consecutive seeds', () => {
    const src = `vm v {
  vcpus 2
  slot ram0 at 4GiB size 128MiB backing thp
  workload idle {}
}
tracking t { dirty_log manual }
migration m { bandwidth 1Gbit/s }
sweep v with [t], m seeds 1..2 repeat 3
`;
    const r = compile(src);
    expect(r.diagnostics).toEqual([]);
    const seeds = r.program.experiments[0].plans.map((p) => p.plan.seed);
    expect(seeds).toEqual([1, 2, 3, 4]);
  });

  it('rejects repeat 0 with a message naming the range', () => {
    const src = `vm v {
  vcpus 1
  slot ram0 at 4GiB size 128MiB backing thp
}
tracking t { dirty_log manual }
migration m { bandwidth 1Gbit/s }
run v with t, m repeat 0
`;
    const r = compile(src);
    expect(r.diagnostics.map((d) => d.code)).toContain('out-of-range');
  });
});

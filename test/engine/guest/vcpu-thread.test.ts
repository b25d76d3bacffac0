import { describe, expect, it } from 'vitest';
import type { TraceRow } from '../../../engine/plan.ts';
import { run } from '../../../engine/run.ts';
import { buildWorld } from '../../../engine/sim/world.ts';
import { Scheduler } from '../../../engine/sim/scheduler.ts';
import { TimelineSampler } from '../../../engine/sim/timeline.ts';
import { GiB, MiB, migration, plan, smallVm } from '../../helpers/plans.ts';
import { eventsOf, expectNoLoss, rowsOf, summaryOf } from '../../helpers/migration.ts';
import type { TimelineRow } from '../../helpers/migration.ts';

// ---- tunables ----
/** A guest with a ROM (KVM_MEM_READONLY) slot between two RAM slots. */
const ROM_GPA = 3 * GiB;
const ROM_SIZE = 4 * MiB;
/** Trace replay: writes in the first 50 ms of migration, after a 500 ms warm-up. */
const TRACE_WRITES = 400;
const TRACE_SPACING_NS = 100_000;
const TRACE_WARMUP_NS = 500e6;
const SAMPLE_PERIOD_NS = 100e6;
/** Postcopy: each remote fault keeps a vCPU waiting 20 ms, four 5 ms slices. */
const REMOTE_FAULT_NS = 20e6;
const SLICE_NS = 5e6;

describe('VcpuThread writes', () => {
  it('leaves a read-only slot unchanged: the write exits to the VMM and nothing is lost', () => {
    const r = run(
      plan({
        vm: smallVm({
          slots: [
            { name: 'low', gpa: 0, size: 16 * MiB, backing: '4k' },
            { name: 'rom', gpa: ROM_GPA, size: ROM_SIZE, backing: '4k', readonly: true },
            { name: 'high', gpa: 4 * GiB, size: 64 * MiB, backing: 'hugetlb_2m' },
          ],
          workload: { kind: 'uniform', rate: 5_000 },
        }),
        migration: migration({ bandwidth: 100e6 }),
      }),
    );
    expectNoLoss(r);
    expect(summaryOf(r).stall_mmio_ms).toBeGreaterThan(0);
  });
});

describe('VcpuThread trace replay', () => {
  it('plays trace rows from the start of migration, not during the warm-up', () => {
    const base = (4 * GiB) / 4096;
    const rows: TraceRow[] = Array.from({ length: TRACE_WRITES }, (_, k) => ({
      time: k * TRACE_SPACING_NS,
      vcpu: 0,
      gfn: base + k,
      op: 'w',
    }));
    const r = run(
      plan({
        vm: smallVm({ vcpus: 1, ram: 64 * MiB, workload: { kind: 'trace', rows } }),
        migration: migration({ bandwidth: 100e6 }),
        warmupNs: TRACE_WARMUP_NS,
        samplePeriodNs: SAMPLE_PERIOD_NS,
      }),
    );
    expectNoLoss(r);
    const [first, ...rest] = rowsOf<TimelineRow>(r.timeline);
    expect(first.time_s).toBeCloseTo((TRACE_WARMUP_NS + SAMPLE_PERIOD_NS) / 1e9, 9);
    expect(first.guest_writes_per_s * (SAMPLE_PERIOD_NS / 1e9)).toBeCloseTo(TRACE_WRITES, 6);
    for (const row of rest) expect(row.guest_writes_per_s).toBe(0);
  });
});

describe('VcpuThread stalls', () => {
  it('keeps a vCPU waiting through a stall longer than its slice (postcopy remote faults)', () => {
    const vcpus = 4;
    const r = run(
      plan({
        vm: smallVm({
          vcpus,
          ram: 256 * MiB,
          workload: { kind: 'uniform', rate: 20_000 },
        }),
        migration: migration({
          bandwidth: 20e6,
          downtimeLimitNs: 10e6,
          postcopyAfterIterations: 2,
          postcopyFaultLatencyNs: REMOTE_FAULT_NS,
        }),
        sliceNs: SLICE_NS,
      }),
    );
    expectNoLoss(r);
    const [start] = eventsOf(r, 'postcopy');
    const [end] = eventsOf(r, 'completed');
    const s = summaryOf(r);
    // Every vCPU is faulting all the time: at most one fault per latency each.
    const maxFaults = vcpus * Math.ceil((end.time_s - start.time_s) / (REMOTE_FAULT_NS / 1e9));
    expect(s.postcopy_requests).toBeGreaterThan(maxFaults / 2);
    expect(s.postcopy_requests).toBeLessThanOrEqual(maxFaults + vcpus);
    expect(s.stall_remote_fault_ms).toBeCloseTo((s.postcopy_requests * REMOTE_FAULT_NS) / 1e6, 3);
  });
});

describe('VcpuThread slice budget', () => {
  /**
   * One vCPU writing 4 KiB pages of a fresh 1 GiB slot at `rate` per second through a
   * 1 s warm-up (no dirty logging): each write to a page never written before faults
   * once and leaves the page's generation at 1. Pages written twice are rare
   * (about 200 writes over 262,144 pages).
   */
  function warmUpWriter(rate: number): { writes: number; faults: number; written: number } {
    const world = buildWorld(
      plan({
        vm: smallVm({
          vcpus: 1,
          prefill: 0,
          slots: [{ name: 'ram0', gpa: 4 * GiB, size: GiB, backing: '4k' }],
          workload: { kind: 'uniform', rate },
        }),
        warmupNs: 1e9,
        sliceNs: SLICE_NS,
      }),
    );
    new Scheduler(world, new TimelineSampler(world, SAMPLE_PERIOD_NS, 0)).warmUp();
    const slot = world.memory.slots[0];
    return {
      writes: world.threads[0].writes,
      faults: world.vm.getStats().pf_taken,
      written: slot.npages - slot.gen.countEqual(0, slot.npages, 0),
    };
  }

  // 200/s: every 5 ms slice has a budget of exactly one access; 100/s: every second
  // slice does (0.5 carried over); 101/s: never a whole number.
  for (const rate of [200, 100, 101]) {
    it(`sends the last access of a slice through KVM at ${rate} writes/s`, () => {
      const { writes, faults, written } = warmUpWriter(rate);
      expect(writes).toBeGreaterThan(rate * 0.9);
      expect(written).toBe(faults);
      expect(written).toBeGreaterThanOrEqual(writes - 2);
    });
  }
});

import { describe, expect, it } from 'vitest';
import type { Backing, SplitOnFault } from '../../../engine/index.ts';
import type { RunPlan, WorkloadSpec } from '../../../engine/plan.ts';
import { run } from '../../../engine/run.ts';
import { GiB, MiB, migration, plan, smallVm, tracking } from '../../helpers/plans.ts';
import { eventsOf, expectNoLoss, rowsOf, summaryOf } from '../../helpers/migration.ts';
import type { StaleRow } from '../../helpers/migration.ts';

// How the dirty-tracking choices show in a migration: ring size, eager page
// splitting, and the arm64 ITS writing guest memory with no running vCPU.

// ---- tunables ----
/** Ring sizes: one vCPU writing fresh pages of 512 MiB faster than the 1 s reaper empties any ring. */
const RING_SIZES = [1024, 4096, 16384];
const RING_RAM = 512 * MiB;
const RING_WORKLOAD: WorkloadSpec = { kind: 'uniform', rate: 60_000 };
const RING_BANDWIDTH = 40e6;
const RING_MAX_TIME_NS = 1.5e9;
/** Eager split: huge-page slots the guest writes all over during the first pass. */
const SPLIT_CASES: { backing: Backing; size: number; splitOnFault: SplitOnFault }[] = [
  { backing: 'hugetlb_1g', size: GiB, splitOnFault: 'in-place' },
  { backing: 'hugetlb_1g', size: GiB, splitOnFault: 'zap' },
  { backing: 'hugetlb_2m', size: 256 * MiB, splitOnFault: 'in-place' },
  { backing: 'hugetlb_2m', size: 256 * MiB, splitOnFault: 'zap' },
];
const SPLIT_WORKLOAD: WorkloadSpec = { kind: 'uniform', rate: 20_000 };
const SPLIT_BANDWIDTH = 1e9;
/** arm64 ITS: 64 KiB of tables saved into the last 16 pages of a 256 MiB guest. */
const ITS_TABLE_BYTES = 64 * 1024;
const ITS_RAM = 256 * MiB;
const ITS_BANDWIDTH = 1e9;

describe('dirty ring size', () => {
  it(`takes fewer ring-full exits as the ring grows (${RING_SIZES.join(' / ')} entries)`, () => {
    const exits = RING_SIZES.map((ringEntries) => {
      const r = run(
        plan({
          vm: smallVm({ vcpus: 1, ram: RING_RAM, workload: RING_WORKLOAD }),
          tracking: tracking({ dirtyLog: 'ring', ringEntries }),
          migration: migration({ bandwidth: RING_BANDWIDTH }),
          maxTimeNs: RING_MAX_TIME_NS,
        }),
      );
      return summaryOf(r).ring_full_exits;
    });
    expect(exits[exits.length - 1]).toBeGreaterThan(0);
    for (let k = 1; k < exits.length; k++) expect(exits[k]).toBeLessThan(exits[k - 1]);
  });
});

describe('eager page splitting (x86)', () => {
  for (const c of SPLIT_CASES) {
    it(`moves split cost from first-pass vCPU stalls into setup (${c.backing}, split on fault ${c.splitOnFault})`, () => {
      const results = [true, false].map((eagerSplit) =>
        run(
          plan({
            vm: smallVm({
              slots: [{ name: 'ram0', gpa: 4 * GiB, size: c.size, backing: c.backing }],
              workload: SPLIT_WORKLOAD,
            }),
            tracking: tracking({ eagerSplit, splitOnFault: c.splitOnFault }),
            migration: migration({ bandwidth: SPLIT_BANDWIDTH }),
          }),
        ),
      );
      const [on, off] = results.map(summaryOf);
      for (const r of results) expectNoLoss(r);
      expect(on.setup_ms).toBeGreaterThan(off.setup_ms);
      expect(on.stall_split_ms + on.stall_slow_fault_ms).toBeLessThan(
        off.stall_split_ms + off.stall_slow_fault_ms,
      );
    });
  }
});

describe('arm64 ITS tables saved at switchover', () => {
  const itsPlan = (dirtyLog: 'ring' | 'ring-with-bitmap'): RunPlan =>
    plan({
      vm: smallVm({
        arch: 'arm64',
        ram: ITS_RAM,
        // The guest never writes the tables' pages: only the ITS does.
        workload: { kind: 'hotset', rate: 20_000, hotBytes: 64 * MiB, hotShare: 1 },
        devices: [{ kind: 'its', tableBytes: ITS_TABLE_BYTES }],
      }),
      tracking: tracking({ dirtyLog }),
      migration: migration({ bandwidth: ITS_BANDWIDTH }),
    });

  it('loses the tables with a ring and no bitmap: no running vCPU to push them', () => {
    const r = run(itsPlan('ring'));
    const s = summaryOf(r);
    const pages = ITS_TABLE_BYTES / 4096;
    expect(s.status).toBe('completed');
    expect(s.lost_dirty).toBe(pages);
    expect(s.stale_pages).toBe(pages);
    const stale = rowsOf<StaleRow>(r.stale);
    expect(stale).toHaveLength(pages);
    const firstGfn = (4 * GiB + ITS_RAM) / 4096 - pages;
    expect(stale.map((p) => p.gfn)).toEqual(Array.from({ length: pages }, (_, k) => firstGfn + k));
    for (const p of stale) {
      expect(p.cause).toMatch(/^lost-dirty: .*no-running-vcpu-in-ring-mode/);
      expect(p.source_generation).toBeGreaterThan(p.destination_generation);
    }
    const lost = eventsOf(r, 'lost-dirty');
    expect(lost).toHaveLength(1);
    expect(lost[0].detail).toMatch(/no running vCPU and no dirty bitmap/);
  });

  it('keeps the tables with ring-with-bitmap: the final GET_DIRTY_LOG reports them', () => {
    const r = run(itsPlan('ring-with-bitmap'));
    expectNoLoss(r);
    expect(summaryOf(r).lost_dirty).toBe(0);
    expect(eventsOf(r, 'lost-dirty')).toHaveLength(0);
    expect(eventsOf(r, 'its-save')).toHaveLength(1);
  });

  it('stacks an ITS and a vgic-v3 without offsets at the end of RAM: each loses its own pages', () => {
    const p = itsPlan('ring');
    const r = run({
      ...p,
      vm: {
        ...p.vm,
        devices: [
          { kind: 'its', tableBytes: ITS_TABLE_BYTES },
          { kind: 'vgic-v3', tableBytes: ITS_TABLE_BYTES },
        ],
      },
    });
    const pages = ITS_TABLE_BYTES / 4096;
    const s = summaryOf(r);
    // Sharing the last pages of RAM, the two would have lost `pages` between them.
    expect(s.lost_dirty).toBe(2 * pages);
    expect(s.stale_pages).toBe(2 * pages);
    const end = (4 * GiB + ITS_RAM) / 4096;
    const gfns = rowsOf<StaleRow>(r.stale).map((row) => row.gfn);
    expect(gfns).toEqual(Array.from({ length: 2 * pages }, (_, k) => end - 2 * pages + k));
    expect(eventsOf(r, 'its-save')).toHaveLength(1);
    expect(eventsOf(r, 'vgic-save')).toHaveLength(1);
  });

  it('rejects an ITS on an x86 VM', () => {
    const p = itsPlan('ring');
    expect(() => run({ ...p, vm: { ...p.vm, arch: 'x86_64' } })).toThrow(/arm64/);
  });
});

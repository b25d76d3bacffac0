import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run } from '../../engine/run.ts';
import { MMULAB_VERSION, planHash, provenanceOf } from '../../engine/results.ts';
import { DEFAULT_COSTS } from '../../engine/kvm/costs.ts';
import { GiB, MiB, migration, plan, smallVm, tracking } from '../helpers/plans.ts';

describe('run results', () => {
  it('record the version of package.json in their provenance', () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string;
    };
    expect(MMULAB_VERSION).toBe(pkg.version);
    const r = run(plan({ maxTimeNs: 10e9 }));
    expect(r.provenance).toMatchObject({ mmulab_version: pkg.version, seed: 1 });
  });

  it('attach their provenance to every table they return', () => {
    const r = run(plan({ maxTimeNs: 10e9 }));
    for (const t of [r.summary, r.iterations, r.timeline, r.events, r.stale]) {
      expect(provenanceOf(t)).toEqual(r.provenance);
    }
    expect(provenanceOf(r.summary.filter(() => true))).toBeUndefined();
  });

  it('hash plans by content, whatever the key order', () => {
    const a = plan();
    const b = JSON.parse(JSON.stringify(a)) as typeof a;
    const reordered = Object.fromEntries(Object.entries(b).reverse());
    expect(planHash(reordered as typeof a)).toBe(planHash(a));
    expect(planHash({ ...a, seed: 2 })).not.toBe(planHash(a));
  });

  it('count the switchover downtime in the guest slowdown', () => {
    const r = run(plan({ maxTimeNs: 30e9 }));
    const s = r.summary.objects()[0] as Record<string, number>;
    expect(s.status).toBe('completed');
    expect(s.downtime_ms).toBeGreaterThan(0);
    // The guest ran for total_ms minus downtime at best; progress is counted per 5 ms
    // slice (the slice of the switchover runs whole), hence the small margin.
    expect(s.guest_slowdown).toBeGreaterThanOrEqual((s.downtime_ms / s.total_ms) * 0.95);
    expect(s.guest_slowdown).toBeGreaterThan(0.05);
  });

  it("say whether the switchover came from QEMU's rule or from the iteration limit", () => {
    const summary = (p: ReturnType<typeof plan>): Record<string, unknown> =>
      run(p).summary.objects()[0] as Record<string, unknown>;
    const quiet = summary(plan({ maxTimeNs: 30e9 }));
    expect([quiet.status, quiet.switchover]).toEqual(['completed', 'converged']);
    // Uniform writes over 256 MiB never leave less than 10 ms of sending.
    const busy = smallVm({
      workload: { kind: 'uniform', rate: 100_000, region: { offset: 0, size: 256 * MiB } },
    });
    const forced = summary(
      plan({
        vm: busy,
        migration: migration({ downtimeLimitNs: 10e6, maxIterations: 5, onMaxIterations: 'force' }),
        maxTimeNs: 30e9,
      }),
    );
    expect([forced.status, forced.switchover]).toEqual(['completed', 'forced']);
    const endless = summary(
      plan({ vm: busy, migration: migration({ downtimeLimitNs: 10e6 }), maxTimeNs: 3e9 }),
    );
    expect([endless.status, endless.switchover]).toEqual(['not-converged', null]);
  });

  it('give one vcpu_stats row per vCPU whose stalls and ring-full exits add up to the summary', () => {
    const r = run(
      plan({
        vm: smallVm({
          vcpus: 3,
          workload: { kind: 'uniform', rate: 100_000, region: { offset: 0, size: 256 * MiB } },
        }),
        tracking: tracking({ dirtyLog: 'ring', ringEntries: 1024 }),
        maxTimeNs: 10e9,
      }),
    );
    const s = r.summary.objects()[0] as Record<string, number>;
    const rows = r.vcpu_stats.objects() as Record<string, number>[];
    expect(rows.map((v) => v.vcpu)).toEqual([0, 1, 2]);
    const sum = (col: string): number => rows.reduce((a, v) => a + v[col], 0);
    expect(sum('ring_full_exits')).toBe(s.ring_full_exits);
    expect(s.ring_full_exits).toBeGreaterThan(0);
    for (const col of Object.keys(s).filter((c) => c.startsWith('stall_'))) {
      expect(sum(col)).toBeCloseTo(s[col], 6);
    }
    for (const v of rows) {
      expect(v.guest_progress).toBeGreaterThan(0);
      expect(v.guest_progress).toBeLessThanOrEqual(1);
      expect(v.vm_exits).toBeGreaterThan(0);
    }
  });
});

describe('the ioctl and slowdown columns', () => {
  /** A 16 GiB slot on 1 GiB pages, every page mapped in the warm-up. */
  const hugeVm = smallVm({
    vcpus: 2,
    ram: 16 * GiB,
    slots: [{ name: 'ram0', gpa: 4 * GiB, size: 16 * GiB, backing: 'hugetlb_1g' }],
    workload: { kind: 'uniform', rate: 20_000 },
  });
  const summaryOf = (over: Parameters<typeof plan>[0]): Record<string, number | string | null> =>
    run(plan(over)).summary.objects()[0] as Record<string, number | string | null>;

  it('report no setup time for a run cut inside the enabling ioctl', () => {
    const cut = summaryOf({
      vm: hugeVm,
      tracking: tracking({ eagerSplit: true }),
      warmupNs: 200e6,
      maxTimeNs: 50e6,
    });
    expect(cut.status).toBe('not-converged');
    expect([cut.setup_ms, cut.enable_ioctl_ms, cut.enable_split_ms]).toEqual([null, null, null]);
    const whole = summaryOf({
      vm: hugeVm,
      tracking: tracking({ eagerSplit: true }),
      warmupNs: 200e6,
      maxTimeNs: 1e9,
    });
    expect(whole.setup_ms).toBeGreaterThan(50);
    expect(whole.enable_ioctl_ms).toBeLessThanOrEqual(whole.setup_ms as number);
  });

  it('count the enabling ioctl split by split: a page table and 512 SPTEs per huge page', () => {
    const s = summaryOf({
      vm: hugeVm,
      tracking: tracking({ eagerSplit: true }),
      warmupNs: 200e6,
      maxTimeNs: 1e9,
    });
    // 16 × 1 GiB pages, each split to 512 × 2 MiB and those to 4 KiB: 16 × 513 splits.
    expect(s.splits_eager).toBe(16 * 513);
    const perSplit = DEFAULT_COSTS.splitAllocPageTable + 512 * DEFAULT_COSTS.splitPerSpte;
    expect(s.enable_split_ms).toBeCloseTo((16 * 513 * perSplit) / 1e6, 6);
    // The rest of the ioctl clears the D-bit of every new 4 KiB SPTE (PML).
    expect(s.enable_ioctl_ms as number).toBeGreaterThan(3 * (s.enable_split_ms as number));
  });

  it('count the CLEARs, their longest, and their splitting with INITIALLY_SET', () => {
    const s = summaryOf({
      vm: smallVm({
        vcpus: 2,
        slots: [{ name: 'ram0', gpa: 4 * GiB, size: 2 * GiB, backing: 'hugetlb_1g' }],
        workload: { kind: 'uniform', rate: 20_000 },
      }),
      tracking: tracking({ dirtyLog: 'bitmap-initially-set', eagerSplit: true }),
      migration: migration({ bandwidth: 25e9 / 8 }),
      warmupNs: 200e6,
      maxTimeNs: 30e9,
    });
    expect(s.status).toBe('completed');
    // QEMU clears 1 GiB (clear_bitmap_shift 18) at a time: at least one CLEAR per GiB.
    expect(s.clear_ioctls).toBeGreaterThanOrEqual(2);
    expect(s.clear_ioctl_max_ms).toBeLessThanOrEqual(s.clear_ioctl_ms as number);
    expect(s.clear_ioctl_max_ms as number).toBeGreaterThan(0);
    // Both 1 GiB pages were split inside the CLEARs, none when logging was enabled.
    expect(s.splits_eager).toBe(2 * 513);
    expect(s.enable_split_ms).toBe(0);
    expect(s.clear_split_ms as number).toBeGreaterThan(0);
  });

  it('leave the downtime out of the live slowdown', () => {
    const s = summaryOf({ maxTimeNs: 30e9 });
    expect(s.status).toBe('completed');
    const guest = s.guest_slowdown as number;
    const live = s.live_slowdown as number;
    expect(live).toBeGreaterThanOrEqual(0);
    // What the downtime adds is at least its share of the migration, less a slice.
    expect(guest - live).toBeGreaterThan(
      ((s.downtime_ms as number) / (s.total_ms as number)) * 0.9,
    );
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run } from '../../engine/run.ts';
import { MMULAB_VERSION, planHash, provenanceOf } from '../../engine/results.ts';
import { MiB, migration, plan, smallVm } from '../helpers/plans.ts';

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
});

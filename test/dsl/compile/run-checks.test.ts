import { describe, expect, it } from 'vitest';
import { compile } from '../../../dsl/compile.ts';

/**
 * The checks of what a run would reject (checks.ts `checkWorkloadsFit`) see every
 * variant of a family, once per place, and keep a rejected VM out of later cells.
 */

const MIGRATION = 'tracking t { dirty_log manual }\nmigration m { bandwidth 10Gbit/s }';

describe('checks of what a run would reject', () => {
  it('checks every variant of a family, reporting a place once', () => {
    const text = `vm v { vcpus [2, 4, 8], slot r at 0 size 1GiB
  workload uniform { rate 1k/s, vcpus 0..7 } }
${MIGRATION}
sweep v with t, m`;
    const found = compile(text).diagnostics.filter((d) => d.code === 'unknown-vcpu');
    expect(found.map((d) => [d.line, d.column, d.message])).toEqual([
      [2, 39, "This workload runs on vCPUs 2..7, but vm 'v' has 2 vCPUs (0..1)."],
      [2, 39, "This workload runs on vCPUs 4..7, but vm 'v' has 4 vCPUs (0..3)."],
    ]);
  });

  it('passes a family whose every variant has the vCPUs its workloads name', () => {
    const text = `vm v { vcpus [8, 16], slot r at 0 size 1GiB
  workload uniform { rate 1k/s, vcpus 0..7 } }
${MIGRATION}
sweep v with t, m`;
    expect(compile(text).diagnostics).toEqual([]);
  });

  it('keeps a VM its run would reject out of the scope of later cells', () => {
    const bad = compile(
      'vm v { vcpus 1, slot r at 0 size 1GiB, workload uniform { rate 1k/s, vcpus 3 } }',
    );
    expect(bad.ok).toBe(false);
    expect(bad.scope.vm.has('v')).toBe(false);
    const good = compile(
      'vm v { vcpus 4, slot r at 0 size 1GiB, workload uniform { rate 1k/s, vcpus 3 } }',
    );
    expect(good.scope.vm.has('v')).toBe(true);
  });
});

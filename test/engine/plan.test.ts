/**
 * checkPlan: every plan no run can carry out, as a table with a passing twin per row
 * (the same plan with the fix the message names). Each error is a PlanError whose
 * message names what is wrong and how to fix it.
 */
import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../../engine/plan.ts';
import { PlanError, checkPlan } from '../../engine/plan.ts';
import { run } from '../../engine/index.ts';
import { migration, plan, smallVm, tracking } from '../helpers/plans.ts';

interface Row {
  name: string;
  bad: RunPlan;
  /** The message: what is wrong, then the fix. */
  message: RegExp;
  twin: RunPlan;
}

const ROWS: Row[] = [
  {
    name: 'no vCPU',
    bad: plan({ vm: smallVm({ vcpus: 0 }) }),
    message: /whole number of vCPUs >= 1, got 0; set vcpus to 1 or more/,
    twin: plan({ vm: smallVm({ vcpus: 1 }) }),
  },
  {
    name: 'a fractional vCPU count',
    bad: plan({ vm: smallVm({ vcpus: 1.5 }) }),
    message: /got 1.5; set vcpus/,
    twin: plan({ vm: smallVm({ vcpus: 2 }) }),
  },
  {
    name: 'no memory slot',
    bad: plan({ vm: smallVm({ slots: [] }) }),
    message: /VM vm has no memory slot; add one/,
    twin: plan(),
  },
  {
    name: 'an ITS on x86',
    bad: plan({ vm: smallVm({ devices: [{ kind: 'its', tableBytes: 4096 }] }) }),
    message: /x86_64 but has an ITS.*remove the device or use arch arm64/,
    twin: plan({
      vm: smallVm({ arch: 'arm64', devices: [{ kind: 'its', tableBytes: 4096 }] }),
    }),
  },
  {
    name: 'an unknown dirty-log mode',
    bad: plan({ tracking: tracking({ dirtyLog: 'rings' as 'ring' }) }),
    message: /dirty-log mode rings; use one of bitmap, bitmap-manual, .*ring-with-bitmap/,
    twin: plan({ tracking: tracking({ dirtyLog: 'ring' }) }),
  },
  {
    name: 'dirty-limit without a ring',
    bad: plan({ migration: migration({ converge: 'dirty-limit' }) }),
    message: /dirty-limit needs a dirty ring.*use dirtyLog ring/,
    twin: plan({
      migration: migration({ converge: 'dirty-limit' }),
      tracking: tracking({ dirtyLog: 'ring' }),
    }),
  },
];

describe('checkPlan', () => {
  for (const row of ROWS) {
    it(`rejects ${row.name} with a PlanError that names the fix`, () => {
      let error: unknown;
      try {
        checkPlan(row.bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PlanError);
      expect((error as Error).name).toBe('PlanError');
      expect((error as Error).message).toMatch(row.message);
    });

    it(`accepts the twin of ${row.name}`, () => {
      expect(() => checkPlan(row.twin)).not.toThrow();
    });
  }

  it('is what run() throws, before anything is built', () => {
    expect(() => run(ROWS[0].bad)).toThrow(PlanError);
  });
});

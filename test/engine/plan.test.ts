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
    name: 'an ITS and a vgic-v3 whose tables overlap',
    bad: plan({
      vm: smallVm({
        arch: 'arm64',
        devices: [
          { kind: 'its', tableBytes: 64 * 1024, offset: 0 },
          { kind: 'vgic-v3', tableBytes: 64 * 1024, offset: 32 * 1024 },
        ],
      }),
    }),
    message:
      /device its \(64 KiB at 0 KiB\) and device vgic_v3 \(64 KiB at 32 KiB\) overlap; give one an offset outside the other's pages/,
    twin: plan({
      vm: smallVm({
        arch: 'arm64',
        devices: [
          { kind: 'its', tableBytes: 64 * 1024, offset: 0 },
          { kind: 'vgic-v3', tableBytes: 64 * 1024, offset: 64 * 1024 },
        ],
      }),
    }),
  },
  {
    name: 'an offset device over the default place of another',
    bad: plan({
      vm: smallVm({
        arch: 'arm64',
        ram: 1024 * 1024,
        devices: [
          { kind: 'its', tableBytes: 64 * 1024 },
          { kind: 'vgic-v3', tableBytes: 8 * 1024, offset: 1000 * 1024 },
        ],
      }),
    }),
    message: /device its \(64 KiB at 960 KiB, below the end of RAM\) and device vgic_v3/,
    twin: plan({
      vm: smallVm({
        arch: 'arm64',
        ram: 1024 * 1024,
        devices: [
          { kind: 'its', tableBytes: 64 * 1024 },
          { kind: 'vgic-v3', tableBytes: 8 * 1024, offset: 900 * 1024 },
        ],
      }),
    }),
  },
  {
    name: 'device tables past the end of RAM',
    bad: plan({
      vm: smallVm({
        arch: 'arm64',
        ram: 1024 * 1024,
        devices: [{ kind: 'its', tableBytes: 64 * 1024, offset: 1000 * 1024 }],
      }),
    }),
    message:
      /tables of device its \(64 KiB at offset 1000 KiB\) do not fit in its 1024 KiB of RAM; make them smaller or lower the offset/,
    twin: plan({
      vm: smallVm({
        arch: 'arm64',
        ram: 1024 * 1024,
        devices: [{ kind: 'its', tableBytes: 64 * 1024, offset: 900 * 1024 }],
      }),
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

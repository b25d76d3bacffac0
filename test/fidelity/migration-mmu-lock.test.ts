/**
 * Shapes of mmu_lock in a migration (engine/sim/mmu-lock.ts): what a fault waits for
 * the lock grows with the number of vCPUs faulting at once, steeply under the
 * exclusive spinlock of 2012's KVM and far less under the TDP MMU's rwlock, whose
 * readers only share a cache line. The numbers are not checked here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { MmuLockKind } from '../../engine/kvm/contention.ts';
import { simulate } from '../../engine/sim/simulation.ts';
import { STALL_CAUSES } from '../../engine/guest/vcpu-thread.ts';
import { Outcome } from '../../engine/kvm/mmu.ts';
import { GiB, MiB, migration, plan, smallVm, tracking } from '../helpers/plans.ts';

// ---- tunables ----
const VCPUS = [2, 16] as const;
const RAM = 256 * MiB;
/** Writes per second per vCPU, each to its own part of RAM. */
const RATE = 200_000;

/** Lock wait per fault under mmu_lock during the migration, ns. */
function waitPerLockedFault(vcpus: number, mmuLock: MmuLockKind): number {
  const out = simulate(
    plan({
      vm: smallVm({
        vcpus,
        ram: RAM,
        slots: [{ name: 'ram0', gpa: 4 * GiB, size: RAM, backing: '4k' }],
        workload: { kind: 'uniform', rate: RATE, partition: true },
      }),
      tracking: tracking({ pml: false, fastPageFault: false, mmuLock }),
      migration: migration({ bandwidth: 2e8 }),
      warmupNs: 200e6,
      maxTimeNs: 2e9,
    }),
  );
  let faults = 0;
  for (const t of out.threads) faults += t.vcpu.stats.byOutcome[Outcome.SlowFault];
  return out.stallNs[STALL_CAUSES.indexOf('lock_wait')] / faults;
}

describe('mmu_lock in a migration, by vCPU count', () => {
  const waits: Record<MmuLockKind, number[]> = { rwlock: [], spinlock: [] };
  beforeAll(() => {
    for (const kind of ['rwlock', 'spinlock'] as const) {
      waits[kind] = VCPUS.map((v) => waitPerLockedFault(v, kind));
    }
  });

  it('makes each slow fault wait longer with more vCPUs faulting (spinlock)', () => {
    expect(waits.spinlock[1]).toBeGreaterThan(2 * waits.spinlock[0]);
  });

  it("makes the TDP MMU's rwlock cost a fault less than the spinlock at many vCPUs", () => {
    expect(waits.rwlock[1]).toBeLessThan(waits.spinlock[1]);
  });
});

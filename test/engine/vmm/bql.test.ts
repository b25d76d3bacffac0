/**
 * QEMU's big lock as migration holds it (engine/vmm/bql.ts): a vCPU whose exits need
 * the lock waits, in each hold, from its first exit to the hold's end. And what makes
 * a hold longer: the vCPUs that cut in between the pieces of an ioctl's mmu_lock hold
 * (engine/vmm/dirty-sync.ts lockWait).
 */
import { describe, expect, it } from 'vitest';
import { BigQemuLock } from '../../../engine/vmm/bql.ts';
import { OpCost } from '../../../engine/kvm/stats.ts';
import { StallEpisodes } from '../../../engine/sim/stall-episodes.ts';
import { STALL_CAUSES } from '../../../engine/guest/vcpu-thread.ts';
import { buildWorld } from '../../../engine/sim/world.ts';
import { plan, smallVm } from '../../helpers/plans.ts';

const BQL = STALL_CAUSES.indexOf('bql');

function threads(vcpus: number) {
  return buildWorld(plan({ vm: smallVm({ vcpus }) })).threads;
}

describe('BigQemuLock', () => {
  it('makes each vCPU wait out a long hold, less the time to its first exit', () => {
    const ths = threads(2);
    const bql = new BigQemuLock();
    bql.hold(0, 1e9);
    bql.chargeVcpus(ths, 1000, 5e6);
    // first exit after 1 ms on average: the rest of the second is waited
    for (const th of ths) expect(th.stallNs[BQL]).toBeCloseTo(1e9 - 1e6, -3);
    expect(bql.heldNs).toBe(1e9);
  });

  it('costs a vCPU little for a hold shorter than the time between its exits', () => {
    const [th] = threads(1);
    const bql = new BigQemuLock();
    bql.hold(0, 100e3);
    bql.chargeVcpus([th], 1000, 5e6);
    // about r H^2 / 2 = 5 us: one vCPU in ten exits during the hold, and waits half of it
    expect(th.stallNs[BQL]).toBeGreaterThan(4e3);
    expect(th.stallNs[BQL]).toBeLessThan(5e3);
  });

  it('joins a hold that starts where the last one ended into one stretch', () => {
    const split = threads(1);
    const joined = threads(1);
    const a = new BigQemuLock();
    a.hold(0, 50e6);
    a.hold(50e6, 50e6);
    a.chargeVcpus(split, 1000, 5e6);
    const b = new BigQemuLock();
    b.hold(0, 100e6);
    b.chargeVcpus(joined, 1000, 5e6);
    expect(a.heldNs).toBe(100e6);
    // one first exit per stretch: two stretches would cost about 1 ms more
    expect(split[0].stallNs[BQL]).toBeCloseTo(joined[0].stallNs[BQL], -3);
    const apart = threads(1);
    const c = new BigQemuLock();
    c.hold(0, 50e6);
    c.hold(60e6, 50e6);
    c.chargeVcpus(apart, 1000, 5e6);
    expect(apart[0].stallNs[BQL]).toBeLessThan(joined[0].stallNs[BQL] - 0.5e6);
  });

  it('does not make the vCPU that holds the lock (a ring-full reap) wait for itself', () => {
    const [holder, other] = threads(2);
    const bql = new BigQemuLock();
    bql.hold(0, 10e6, holder.id);
    bql.chargeVcpus([holder, other], 1000, 5e6);
    expect(holder.stallNs[BQL]).toBe(0);
    expect(other.stallNs[BQL]).toBeGreaterThan(0);
  });

  it('costs nothing when no vCPU exits to QEMU, and charges each hold once', () => {
    const [th] = threads(1);
    const bql = new BigQemuLock();
    bql.hold(0, 1e9);
    bql.chargeVcpus([th], 0, 5e6);
    bql.chargeVcpus([th], 1000, 5e6);
    expect(th.stallNs[BQL]).toBe(0);
  });
});

describe('StallEpisodes', () => {
  it('joins the slices a vCPU lost entirely into one stall, and keeps short ones apart', () => {
    const [a, b] = threads(2);
    const ep = new StallEpisodes([a, b]);
    const slice = 5e6;
    // a: 12 ms behind the lock from a slice start: two whole slices and 2 ms of a third
    a.stallNs[BQL] += slice;
    b.stallNs[BQL] += 1e6;
    ep.afterSlice(slice);
    a.stallNs[BQL] += slice;
    b.stallNs[BQL] += 1e6;
    ep.afterSlice(slice);
    a.stallNs[BQL] += 2e6;
    ep.afterSlice(slice);
    ep.finish();
    expect(ep.maxNs[0]).toBe(12e6);
    expect(ep.maxNs[1]).toBe(1e6);
    expect(ep.maxStallNs).toBe(12e6);
    expect(ep.quantileNs(0.5)).toBe(1e6);
    expect(ep.quantileNs(0.99)).toBe(12e6);
  });
});

describe('DirtySync.lockWait: a write hold in pieces', () => {
  /** 1 ms under the write lock in 1000 pieces of 1 us. */
  function inPieces(pieces: number): OpCost {
    const cost = new OpCost();
    cost.underWriteLockInPieces(1e6, 1e6 / pieces);
    return cost;
  }

  function sync(exclusive: boolean) {
    const s = buildWorld(plan({ vm: smallVm({ vcpus: 2 }) })).sync;
    s.writerWaitNs = 100;
    // a fault every 10 us, each holding mmu_lock 2 us
    s.vcpuLockRatePerNs = 1e-5;
    s.vcpuLockHoldNs = 2000;
    s.vcpuLockExclusive = exclusive;
    return s;
  }

  it('waits at each release for the vCPUs that came during the piece', () => {
    // exclusive: 999 releases x 0.01 arrivals (1 us at one per 10 us) x 2 us
    expect(sync(true).lockWait(inPieces(1000))).toBeCloseTo(100 + 999 * 0.01 * 2000, 0);
    // readers go in together: 999 x (1 - e^-0.01) x 2 us
    expect(sync(false).lockWait(inPieces(1000))).toBeCloseTo(
      100 + 999 * -Math.expm1(-0.01) * 2000,
      0,
    );
  });

  it('waits only for the readers inside when the hold is one piece, or no vCPU faults', () => {
    expect(sync(true).lockWait(inPieces(1))).toBe(100);
    const idle = sync(true);
    idle.vcpuLockRatePerNs = 0;
    expect(idle.lockWait(inPieces(1000))).toBe(100);
  });
});

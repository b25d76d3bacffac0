/**
 * QEMU's big lock as migration holds it (engine/vmm/bql.ts): a vCPU whose exits need
 * the lock waits, in each hold, from its first exit to the hold's end.
 */
import { describe, expect, it } from 'vitest';
import { BigQemuLock } from '../../../engine/vmm/bql.ts';
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

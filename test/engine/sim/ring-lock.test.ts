/**
 * Proposals only (KVM's per-vCPU rings need no lock): the producer lock of a dirty
 * ring shared by several vCPUs (engine/sim/ring-lock.ts), and the VMM's reaping in
 * several threads (DirtySync.reap with `reapers`).
 */
import { describe, expect, it } from 'vitest';
import { asGfn } from '../../../engine/index.ts';
import type { RingTopology } from '../../../engine/index.ts';
import type { TrackingPolicy } from '../../../engine/plan.ts';
import { STALL_CAUSES } from '../../../engine/guest/vcpu-thread.ts';
import { RingLockSim } from '../../../engine/sim/ring-lock.ts';
import { buildWorld } from '../../../engine/sim/world.ts';
import type { World } from '../../../engine/sim/world.ts';
import { MiB, plan, smallVm, tracking } from '../../helpers/plans.ts';

const RING_LOCK = STALL_CAUSES.indexOf('ring_lock');
const SLICE_NS = 5e6;

/** A world of `vcpus` vCPUs whose one slot logs into rings of `topology`, logging on. */
function ringWorld(
  vcpus: number,
  ringTopology: RingTopology,
  over: Partial<TrackingPolicy> = {},
): World {
  const world = buildWorld(
    plan({
      vm: smallVm({
        vcpus,
        ram: 64 * MiB,
        slots: [{ name: 'ram0', gpa: 0, size: 64 * MiB, backing: '4k' }],
      }),
      tracking: tracking({
        dirtyLog: 'ring',
        ringEntries: 4096,
        pml: false,
        proposals: { ringTopology },
        ...over,
      }),
    }),
  );
  for (const s of world.memory.slots) {
    const m = s.memslot;
    world.vm.setUserMemoryRegion({
      slot: m.slotId,
      flags: m.flags | 1,
      guestPhysAddr: m.baseGfn * 4096,
      memorySize: m.npages * 4096,
    });
  }
  return world;
}

/** Each vCPU writes `pages` distinct pages (faults in, then dirties). */
function writeEach(world: World, pages: number, from = 0): void {
  world.vm.vcpus.forEach((vcpu, k) => {
    for (let p = 0; p < pages; p++) vcpu.write(asGfn(from + k * pages + p));
  });
}

describe('the producer lock of a shared ring (proposals)', () => {
  it('is taken at every push into a per-VM ring, at every claim in a pool, never with per-vCPU rings', () => {
    const taken = (topology: RingTopology): number[] => {
      const world = ringWorld(2, topology);
      writeEach(world, 10);
      return world.vm.vcpus.map((v) => v.stats.ringLockAcquisitions);
    };
    expect(taken({ kind: 'per-vcpu' })).toEqual([0, 0]);
    expect(taken({ kind: 'per-vm' })).toEqual([10, 10]);
    // Without PML each write faults: one exit, one claim, one push.
    expect(taken({ kind: 'pool', rings: 2, select: 'round-robin' })).toEqual([10, 10]);
  });

  it('makes vCPUs that push at the same time wait for each other, more with more of them', () => {
    const waitPerPush = (vcpus: number): number => {
      const world = ringWorld(vcpus, { kind: 'per-vm' });
      const sim = new RingLockSim(world.vm, world.threads);
      // 100 000 pushes per vCPU in a 5 ms slice: one every 50 ns.
      for (const v of world.vm.vcpus) {
        v.stats.ringLockAcquisitions += 100_000;
        v.stats.ringLockHoldNs += 100_000 * world.vm.costs.ringPush;
      }
      sim.afterVcpus(SLICE_NS, SLICE_NS);
      const stalls = world.threads.map((t) => t.stallNs[RING_LOCK]);
      for (const s of stalls) expect(s).toBeCloseTo(stalls[0], 3);
      return stalls[0] / 100_000;
    };
    expect(waitPerPush(1)).toBe(0);
    const two = waitPerPush(2);
    const eight = waitPerPush(8);
    expect(two).toBeGreaterThan(0);
    // saturated: each push waits for the other vCPUs' holds and handoffs
    expect(eight).toBeGreaterThan(4 * two);
  });

  it('charges nothing to a vCPU that took no lock in the slice', () => {
    const world = ringWorld(3, { kind: 'per-vm' });
    const sim = new RingLockSim(world.vm, world.threads);
    for (const v of world.vm.vcpus.slice(0, 2)) {
      v.stats.ringLockAcquisitions += 50_000;
      v.stats.ringLockHoldNs += 50_000 * 15;
    }
    sim.afterVcpus(SLICE_NS, SLICE_NS);
    expect(world.threads[0].stallNs[RING_LOCK]).toBeGreaterThan(0);
    expect(world.threads[2].stallNs[RING_LOCK]).toBe(0);
  });
});

describe('reaping in several threads (proposal)', () => {
  const reapNs = (vcpus: number, topology: RingTopology, reapers: number): number => {
    const world = ringWorld(vcpus, topology, { reapers });
    writeEach(world, 100);
    const ns = world.sync.reap(null);
    expect(world.sync.ringEntriesReaped).toBe(vcpus * 100);
    return ns - world.vm.lastIoctl.ns;
  };

  it('harvests per-vCPU rings in parallel: four rings, four threads, a quarter of the time', () => {
    const one = reapNs(4, { kind: 'per-vcpu' }, 1);
    expect(reapNs(4, { kind: 'per-vcpu' }, 4)).toBeCloseTo(one / 4, 6);
    expect(reapNs(4, { kind: 'per-vcpu' }, 2)).toBeCloseTo(one / 2, 6);
  });

  it('cannot split the one per-VM ring between threads', () => {
    const one = reapNs(4, { kind: 'per-vm' }, 1);
    expect(reapNs(4, { kind: 'per-vm' }, 4)).toBeCloseTo(one, 6);
  });
});

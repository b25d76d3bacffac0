import { describe, expect, it } from 'vitest';
import type { World } from '../../../engine/sim/world.ts';
import type { MmuLockKind } from '../../../engine/kvm/contention.ts';
import { buildWorld } from '../../../engine/sim/world.ts';
import { MmuLockSim } from '../../../engine/sim/mmu-lock.ts';
import { MmuLockMode } from '../../../engine/kvm/types.ts';
import { STALL_CAUSES } from '../../../engine/guest/vcpu-thread.ts';
import { plan, smallVm, tracking } from '../../helpers/plans.ts';

// ---- tunables ----
const SLICE_NS = 5e6;
/** A slow fault's hold of mmu_lock, ns. */
const HOLD_NS = 1_000;
/** Faults per vCPU in a slice: enough for the lock to matter. */
const FAULTS = 2_000;

function world(vcpus: number, mmuLock: MmuLockKind = 'rwlock'): World {
  return buildWorld(plan({ vm: smallVm({ vcpus }), tracking: tracking({ mmuLock }) }));
}

/** Let vCPUs `faulting` take `faults` locked faults each in one slice. */
function fault(w: World, faulting: readonly number[], faults = FAULTS): void {
  for (const id of faulting) {
    const s = w.threads[id].vcpu.stats;
    s.mmuLockAcquisitions += faults;
    s.mmuLockHoldNs += faults * HOLD_NS;
  }
}

/** The vCPUs' wait per fault after one slice in which `faulting` faulted. */
function waitAfter(vcpus: number, faulting: number, kind: MmuLockKind, mode: MmuLockMode): number {
  const w = world(vcpus, kind);
  const lock = new MmuLockSim(w.vm, w.threads);
  fault(
    w,
    Array.from({ length: faulting }, (_, i) => i),
  );
  lock.afterVcpus(SLICE_NS);
  lock.endSlice(0, SLICE_NS, SLICE_NS);
  return lock.vcpuWaitNs[mode];
}

describe('MmuLockSim', () => {
  it('makes a vCPU that faults alone wait for nothing', () => {
    expect(waitAfter(16, 1, 'spinlock', MmuLockMode.Write)).toBe(0);
    expect(waitAfter(16, 1, 'rwlock', MmuLockMode.Read)).toBe(0);
  });

  it('makes faults wait longer the more vCPUs fault at once (spinlock)', () => {
    const few = waitAfter(32, 2, 'spinlock', MmuLockMode.Write);
    const many = waitAfter(32, 32, 'spinlock', MmuLockMode.Write);
    expect(few).toBeGreaterThan(0);
    expect(many).toBeGreaterThan(4 * few);
  });

  it("charges read_lock's cache line, far less than the spinlock's queue (rwlock)", () => {
    const read = waitAfter(32, 32, 'rwlock', MmuLockMode.Read);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(waitAfter(32, 32, 'spinlock', MmuLockMode.Write));
  });

  it('counts a vCPU that faulted a few times as less than a contender', () => {
    const w = world(16, 'spinlock');
    const lock = new MmuLockSim(w.vm, w.threads);
    fault(w, [0, 1], FAULTS);
    fault(
      w,
      Array.from({ length: 14 }, (_, i) => i + 2),
      1,
    );
    lock.afterVcpus(SLICE_NS);
    lock.endSlice(0, SLICE_NS, SLICE_NS);
    const mixed = lock.vcpuWaitNs[MmuLockMode.Write];
    expect(mixed).toBeLessThan(2 * waitAfter(16, 2, 'spinlock', MmuLockMode.Write));
  });

  it('makes faults wait behind a VMM write hold, carried over slices until it ends', () => {
    const w = world(2);
    const lock = new MmuLockSim(w.vm, w.threads);
    const waits: number[] = [];
    // A 12 ms CLEAR in the first slice: held through slices 1 and 2, 2 ms of slice 3.
    for (let k = 0; k < 4; k++) {
      lock.afterVcpus(SLICE_NS);
      lock.endSlice(k === 0 ? 12e6 : 0, SLICE_NS, (k + 1) * SLICE_NS);
      waits.push(lock.vcpuWaitNs[MmuLockMode.Read]);
    }
    expect(waits[0]).toBeCloseTo(2.5e6 + 7e6);
    expect(waits[1]).toBeCloseTo(2.5e6 + 2e6);
    expect(waits[2]).toBeCloseTo((2 / 5) * 1e6);
    expect(waits[3]).toBe(0);
    expect(lock.vcpuWaitNs[MmuLockMode.None]).toBe(0);
  });

  it('makes a fault wait for the piece of a broken-up write hold it lands in, not the hold', () => {
    const w = world(2);
    const lock = new MmuLockSim(w.vm, w.threads);
    const waits: number[] = [];
    // 12 ms of write hold in 100 us pieces (a writer that lets waiters in between).
    for (let k = 0; k < 4; k++) {
      lock.afterVcpus(SLICE_NS);
      lock.endSlice(k === 0 ? 12e6 : 0, SLICE_NS, (k + 1) * SLICE_NS, k === 0 ? 12e6 * 100e3 : 0);
      waits.push(lock.vcpuWaitNs[MmuLockMode.Read]);
    }
    // busy the whole slice, but a fault waits half a piece (and at most a piece more
    // where the piece runs into the next slice)
    expect(waits[0]).toBeGreaterThanOrEqual(50e3);
    expect(waits[0]).toBeLessThanOrEqual(150e3);
    expect(waits[1]).toBeGreaterThanOrEqual(50e3);
    expect(waits[1]).toBeLessThanOrEqual(150e3);
    expect(waits[2]).toBeCloseTo((2 / 5) * 50e3);
    expect(waits[3]).toBe(0);
  });

  it('makes the VMM write_lock wait for vCPUs inside mmu_lock, and not when none is', () => {
    const w = world(4);
    const lock = new MmuLockSim(w.vm, w.threads);
    lock.afterVcpus(SLICE_NS);
    expect(lock.writerWaitNs).toBe(0);
    fault(w, [0, 1, 2, 3]);
    lock.afterVcpus(SLICE_NS);
    expect(lock.writerWaitNs).toBeGreaterThan(0);
    expect(lock.writerWaitNs).toBeLessThan(HOLD_NS);
  });

  it('charges each vCPU the remote TLB flush IPIs it took, from the next slice', () => {
    const w = world(2);
    const lock = new MmuLockSim(w.vm, w.threads);
    w.threads[1].vcpu.stats.tlbFlushIpis += 3;
    lock.afterVcpus(SLICE_NS);
    lock.endSlice(0, SLICE_NS, SLICE_NS);
    const k = STALL_CAUSES.indexOf('tlb_flush');
    expect(w.threads[0].stallNs[k]).toBe(0);
    expect(w.threads[1].stallNs[k]).toBe(3 * w.vm.costs.tlbFlushIpiTarget);
  });

  it('takes idle and paused vCPUs out of guest mode, so flushes IPI only running ones', () => {
    const w = buildWorld(
      plan({
        vm: smallVm({
          vcpus: 2,
          workloads: [
            { kind: 'uniform', rate: 1000, vcpus: [0] },
            { kind: 'idle', vcpus: [1] },
          ],
        }),
      }),
    );
    const lock = new MmuLockSim(w.vm, w.threads);
    lock.enterSlice(false);
    expect(w.threads.map((t) => t.vcpu.inGuestMode)).toEqual([true, false]);
    lock.enterSlice(true);
    expect(w.threads.map((t) => t.vcpu.inGuestMode)).toEqual([false, false]);
  });
});

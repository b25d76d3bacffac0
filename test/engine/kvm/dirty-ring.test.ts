/**
 * The dirty ring (docs/kvm.md#dirty-rings): soft limit and reserved entries, DIRTY_RING_FULL exits,
 * userspace harvest, KVM_RESET_DIRTY_RINGS (in-order reset, re-protection, mask
 * coalescing, garbage entries), the ACQ_REL flavour, and PML feeding the ring.
 */
import { describe, expect, it } from 'vitest';
import {
  Cap,
  DirtyRing,
  KVM_DIRTY_GFN_F_DIRTY,
  KVM_DIRTY_GFN_F_RESET,
  KVM_MEM_LOG_DIRTY_PAGES,
  asGfn,
  makeSlotId,
  ringReservedEntries,
} from '../../../engine/index.ts';
import type { Arch, Vm } from '../../../engine/index.ts';
import { Rng } from '../../../engine/sim/rng.ts';
import {
  KiB,
  MiB,
  expectKvmError,
  harvestRing,
  makeVm,
  setDirtyLogging,
  touchRange,
} from '../../helpers/kvm.ts';
import type { RingEntry } from '../../helpers/kvm.ts';

/** The smallest ring without PML: 4 KiB = 256 entries, soft limit 192. */
const SMALL_RING = 4 * KiB;
/** The ring size api.rst recommends: 64 KiB = 4096 entries. */
const RING_64K = 64 * KiB;
/** Pages of the logged slot (4K backed). */
const SLOT_PAGES = 1024;
const SLOT_BYTES = SLOT_PAGES * 4 * KiB;
/** Seed and length of the random sequences checked against the reset oracle. */
const ORACLE_SEED = 0x5eed;
const ORACLE_RUNS = 200;

interface RingVmOptions {
  arch?: Arch;
  pml?: boolean;
  ringBytes?: number;
  acqRel?: boolean;
  /** Create the slot with LOG_DIRTY_PAGES already set (default true). */
  logging?: boolean;
}

/** A VM with a dirty ring, one 4K-backed slot at gfn 0 and one vCPU. */
function ringVm(o: RingVmOptions = {}): Vm {
  const arch = o.arch ?? 'x86_64';
  const cap = o.acqRel || arch === 'arm64' ? Cap.DirtyLogRingAcqRel : Cap.DirtyLogRing;
  return makeVm({
    arch,
    params: arch === 'x86_64' ? { enablePml: o.pml ?? false } : {},
    caps: [[cap, o.ringBytes ?? SMALL_RING]],
    slots: [
      {
        slot: 0,
        flags: (o.logging ?? true) ? KVM_MEM_LOG_DIRTY_PAGES : 0,
        guestPhysAddr: 0,
        memorySize: SLOT_BYTES,
        backing: '4k',
      },
    ],
    vcpus: 1,
  });
}

function ringOf(vm: Vm, vcpuId = 0): DirtyRing {
  const ring = vm.vcpus[vcpuId].dirtyRing;
  if (!ring) throw new Error(`vcpu ${vcpuId} has no dirty ring`);
  return ring;
}

/** Write pages [start, end) one access at a time; each must complete without an exit. */
function writePages(vm: Vm, start: number, end: number): void {
  for (let g = start; g < end; g++) expect(vm.vcpus[0].write(asGfn(g)).exit).toBeNull();
}

/**
 * Write pages [0, softLimit) of the ring's vCPU: every access completes, except the
 * last, whose fault pushes the soft_limit-th entry; KVM exits with DIRTY_RING_FULL
 * before the guest retries it.
 */
function fillToSoftLimit(vm: Vm): void {
  const limit = ringOf(vm).softLimit;
  writePages(vm, 0, limit - 1);
  expect(vm.vcpus[0].write(asGfn(limit - 1)).exit).toBe('dirty-ring-full');
}

/** Harvest every ring and reset; returns what KVM_RESET_DIRTY_RINGS returned. */
function harvestAndReset(vm: Vm): number {
  for (const ring of vm.dirtyRings()) harvestRing(ring);
  return vm.resetDirtyRings();
}

const entries = (slot: number, offsets: number[]): RingEntry[] =>
  offsets.map((offset) => ({ slot, offset }));

describe('ring size, reserved entries and soft limit', () => {
  it('reserves 64 entries without PML: soft limit is size - 64', () => {
    expect(ringReservedEntries(false)).toBe(64);
    for (const bytes of [SMALL_RING, RING_64K]) {
      const ring = ringOf(ringVm({ ringBytes: bytes }));
      expect(ring.size).toBe(bytes / 16);
      expect(ring.softLimit).toBe(bytes / 16 - 64);
    }
  });

  it('reserves 64 + 512 entries with PML (one full PML buffer): soft limit is size - 576', () => {
    expect(ringReservedEntries(true)).toBe(576);
    for (const bytes of [16 * KiB, RING_64K]) {
      const ring = ringOf(ringVm({ pml: true, ringBytes: bytes }));
      expect(ring.softLimit).toBe(bytes / 16 - 576);
    }
  });

  it('has the same soft limit on arm64 (no PML) as on x86 without PML', () => {
    expect(ringOf(ringVm({ arch: 'arm64' })).softLimit).toBe(SMALL_RING / 16 - 64);
  });

  it('rejects a ring smaller than the reserved entries with PML', () => {
    const vm = makeVm({ params: { enablePml: true } });
    expectKvmError(() => vm.enableCap(Cap.DirtyLogRing, 8 * KiB), 'EINVAL', /minimum/);
    vm.enableCap(Cap.DirtyLogRing, 16 * KiB); // the passing twin
  });
});

describe('DIRTY_RING_FULL exits', () => {
  it('exits with dirty-ring-full right after the access that pushes the soft_limit-th entry', () => {
    const vm = ringVm();
    const ring = ringOf(vm);
    writePages(vm, 0, ring.softLimit - 1);
    expect(ring.softFull).toBe(false);
    // The access ran (its fault pushed the entry), then KVM exited before entering again.
    expect(vm.vcpus[0].write(asGfn(ring.softLimit - 1))).toMatchObject({
      outcome: 'slow-fault',
      exit: 'dirty-ring-full',
    });
    expect(ring.used).toBe(ring.softLimit);
    expect(ring.softFull).toBe(true);
    expect(vm.getStats().dirty_ring_full).toBe(1);
    expect(vm.vcpus[0].write(asGfn(ring.softLimit))).toMatchObject({
      outcome: 'dirty-ring-full',
      exit: 'dirty-ring-full',
    });
    // The access did not run: nothing was mapped or pushed.
    expect(ring.used).toBe(ring.softLimit);
    expect(vm.memslot(0)?.tdp.lookup(ring.softLimit)).toBeNull();
  });

  it('keeps exiting on every access until userspace harvests and resets, counting each exit', () => {
    const vm = ringVm();
    const vcpu = vm.vcpus[0];
    const ring = ringOf(vm);
    fillToSoftLimit(vm);
    expect(vcpu.write(asGfn(500)).outcome).toBe('dirty-ring-full');
    expect(vcpu.read(asGfn(0)).outcome).toBe('dirty-ring-full'); // even a read of a mapped page
    expect(vcpu.runAccesses([1, 2, 3], true)).toMatchObject({
      next: 0,
      exit: 'dirty-ring-full',
      retry: false,
    });
    expect(vm.getStats().dirty_ring_full).toBe(4);
    expect(vcpu.stats.userspaceExits).toBe(4);
    harvestRing(ring);
    expect(vcpu.write(asGfn(500)).outcome).toBe('dirty-ring-full'); // harvested, not yet reset
    expect(vm.resetDirtyRings()).toBe(ring.softLimit);
    expect(vcpu.write(asGfn(500))).toMatchObject({ outcome: 'slow-fault', exit: null });
    expect(vm.getStats().dirty_ring_full).toBe(5);
  });

  it('stops a batch at the access that made the ring soft-full, which the guest retries after RESET', () => {
    const vm = ringVm();
    const ring = ringOf(vm);
    const gfns = Array.from({ length: 300 }, (_, k) => k);
    const vcpu = vm.vcpus[0];
    const r = vcpu.runAccesses(gfns, true);
    expect(r).toMatchObject({ next: ring.softLimit - 1, exit: 'dirty-ring-full', retry: true });
    expect(ring.used).toBe(ring.softLimit);
    expect(harvestAndReset(vm)).toBe(ring.softLimit);
    // RESET re-protected the page, so the retried write faults and is reported again
    // (dirty_log_test allows this page's value to lag for the same reason).
    expect(vcpu.write(asGfn(gfns[r.next]))).toMatchObject({ outcome: 'fast-fault', exit: null });
    expect(harvestRing(ring)).toEqual(entries(0, [ring.softLimit - 1]));
  });
});

describe('harvest (userspace)', () => {
  it('returns slot and offset in push order, from entries KVM flagged DIRTY, and flags them RESET', () => {
    const vm = ringVm();
    vm.setUserMemoryRegion({
      slot: 3,
      flags: KVM_MEM_LOG_DIRTY_PAGES,
      guestPhysAddr: 64 * MiB,
      memorySize: SLOT_BYTES,
    });
    const base3 = (64 * MiB) / 4096;
    const ring = ringOf(vm);
    for (const gfn of [9, base3 + 4, 2, base3 + 1000]) vm.vcpus[0].write(asGfn(gfn));
    expect(Array.from(ring.flags.subarray(0, 5))).toEqual([
      KVM_DIRTY_GFN_F_DIRTY,
      KVM_DIRTY_GFN_F_DIRTY,
      KVM_DIRTY_GFN_F_DIRTY,
      KVM_DIRTY_GFN_F_DIRTY,
      0,
    ]);
    expect(harvestRing(ring)).toEqual([
      { slot: 0, offset: 9 },
      { slot: 3, offset: 4 },
      { slot: 0, offset: 2 },
      { slot: 3, offset: 1000 },
    ]);
    const harvested = KVM_DIRTY_GFN_F_DIRTY | KVM_DIRTY_GFN_F_RESET;
    expect(Array.from(ring.flags.subarray(0, 5))).toEqual([
      harvested,
      harvested,
      harvested,
      harvested,
      0,
    ]);
    expect(harvestRing(ring)).toEqual([]); // stops at the first entry without DIRTY
  });

  it('harvests at most `max` entries and resumes from its fetch index', () => {
    const vm = ringVm();
    writePages(vm, 10, 15);
    const ring = ringOf(vm);
    expect(harvestRing(ring, 2)).toEqual(entries(0, [10, 11]));
    expect(harvestRing(ring)).toEqual(entries(0, [12, 13, 14]));
  });
});

describe('KVM_RESET_DIRTY_RINGS', () => {
  it('returns the number of entries reset and frees them', () => {
    const vm = ringVm();
    const ring = ringOf(vm);
    writePages(vm, 0, 5);
    harvestRing(ring, 3);
    expect(vm.resetDirtyRings()).toBe(3);
    expect(ring.used).toBe(2);
    expect(Array.from(ring.flags.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(vm.resetDirtyRings()).toBe(0); // the other two were not harvested
  });

  it('stops at the first entry userspace did not mark RESET, even if later ones are marked', () => {
    const vm = ringVm();
    const ring = ringOf(vm);
    writePages(vm, 0, 5);
    harvestRing(ring, 2);
    ring.flags[3] |= KVM_DIRTY_GFN_F_RESET; // marked out of order, behind unmarked entry 2
    expect(vm.resetDirtyRings()).toBe(2);
    expect(ring.resetIndex).toBe(2);
    expect(harvestRing(ring)).toEqual(entries(0, [2])); // entry 3 is already marked
    expect(vm.resetDirtyRings()).toBe(2); // entries 2 and 3; entry 4 is not marked
    expect(ring.used).toBe(1);
  });

  it('re-protects reset pages: the next write takes a fast fault and pushes a new entry', () => {
    const vm = ringVm();
    const ring = ringOf(vm);
    expect(vm.vcpus[0].write(asGfn(7)).outcome).toBe('slow-fault');
    harvestRing(ring);
    const flushes = vm.getStats().remote_tlb_flush;
    expect(vm.resetDirtyRings()).toBe(1);
    expect(vm.lastIoctl.tlbFlushes).toBe(1); // one VM-wide kvm_flush_remote_tlbs
    expect(vm.getStats().remote_tlb_flush).toBe(flushes + 1);
    expect(vm.vcpus[0].write(asGfn(7)).outcome).toBe('fast-fault');
    expect(harvestRing(ring)).toEqual(entries(0, [7]));
  });

  it('flushes no TLB when nothing was reset', () => {
    const vm = ringVm();
    writePages(vm, 0, 3);
    expect(vm.resetDirtyRings()).toBe(0);
    expect(vm.lastIoctl.tlbFlushes).toBe(0);
  });

  it('pushes nothing for a write to a page already dirty and not yet reset', () => {
    const vm = ringVm();
    const ring = ringOf(vm);
    vm.vcpus[0].write(asGfn(7));
    expect(vm.vcpus[0].write(asGfn(7)).outcome).toBe('no-fault');
    harvestRing(ring);
    // Harvesting alone re-protects nothing: the SPTE stays writable until the reset.
    expect(vm.vcpus[0].write(asGfn(7)).outcome).toBe('no-fault');
    expect(ring.dirtyIndex).toBe(1);
    expect(vm.getStats().ring_pushes).toBe(1);
  });

  it('fails with EINVAL when the VM has no dirty ring', () => {
    const vm = makeVm({ vcpus: 1 });
    expectKvmError(() => vm.resetDirtyRings(), 'EINVAL', /not enabled/);
  });
});

/** A reset run as kvm_reset_dirty_gfn receives it; the mask as a 64-bit bigint. */
interface Run {
  slot: number;
  offset: number;
  mask: bigint;
}

/** Push `list` on a fresh ring, mark every entry RESET, reset it; returns the runs and count. */
function resetRuns(list: ReadonlyArray<readonly [slot: number, offset: number]>): {
  runs: Run[];
  count: number;
} {
  const ring = new DirtyRing(256, 0);
  for (const [slot, offset] of list) ring.push(slot, offset);
  harvestRing(ring);
  const runs: Run[] = [];
  const count = ring.reset((slot, offset, lo, hi) =>
    runs.push({ slot, offset, mask: (BigInt(hi) << 32n) | BigInt(lo) }),
  );
  return { runs, count };
}

/**
 * Oracle: kvm_dirty_ring_reset's coalescing, transcribed from virt/kvm/dirty_ring.c
 * with 64-bit arithmetic (docs/kvm.md#ring-reset).
 */
function kvmDirtyRingResetOracle(list: ReadonlyArray<readonly [number, number]>): Run[] {
  const runs: Run[] = [];
  const U64 = (1n << 64n) - 1n;
  let cur: Run | null = null;
  for (const [slot, offset] of list) {
    if (cur && slot === cur.slot) {
      const delta = offset - cur.offset;
      if (delta >= 0 && delta < 64) {
        cur.mask |= 1n << BigInt(delta);
        continue;
      }
      if (delta > -64 && delta < 0) {
        const s = BigInt(-delta);
        if (((cur.mask << s) & U64) >> s === cur.mask) {
          cur.offset = offset;
          cur.mask = ((cur.mask << s) & U64) | 1n;
          continue;
        }
      }
    }
    if (cur) runs.push(cur);
    cur = { slot, offset, mask: 1n };
  }
  if (cur) runs.push(cur);
  return runs;
}

describe('DirtyRing.reset coalescing (kvm_dirty_ring_reset)', () => {
  const S = makeSlotId(0, 1);
  const T = makeSlotId(1, 2);
  const run = (slot: number, offset: number, mask: bigint): Run => ({ slot, offset, mask });

  it('merges forward within 64, backwards when the shift loses no bit, and flushes otherwise', () => {
    const { runs, count } = resetRuns([5, 6, 7, 70, 4, 3, 200].map((o) => [S, o] as const));
    expect(count).toBe(7);
    expect(runs).toEqual([
      run(S, 5, 0b111n), // 6 and 7 forward
      run(S, 70, 1n), // 65 ahead of 5: too far, flush
      run(S, 3, 0b11n), // 4 is 66 behind 70: flush; 3 is 1 behind 4: shift and merge
      run(S, 200, 1n),
    ]);
  });

  it('starts a new run whenever the slot changes', () => {
    const { runs } = resetRuns([
      [S, 10],
      [T, 10],
      [S, 11],
      [S, 12],
      [T, 11],
    ]);
    expect(runs).toEqual([run(S, 10, 1n), run(T, 10, 1n), run(S, 11, 0b11n), run(T, 11, 1n)]);
  });

  it('merges an entry 63 ahead into bit 63 and flushes one 64 ahead', () => {
    const { runs } = resetRuns([0, 63, 64].map((o) => [S, o] as const));
    expect(runs).toEqual([run(S, 0, 1n | (1n << 63n)), run(S, 64, 1n)]);
  });

  it('merges an entry 63 behind, but not one 64 behind', () => {
    expect(resetRuns([100, 37].map((o) => [S, o] as const)).runs).toEqual([
      run(S, 37, 1n | (1n << 63n)),
    ]);
    expect(resetRuns([100, 36].map((o) => [S, o] as const)).runs).toEqual([
      run(S, 100, 1n),
      run(S, 36, 1n),
    ]);
  });

  it('flushes instead of merging backwards when the shift would drop bit 63', () => {
    expect(resetRuns([10, 73, 9].map((o) => [S, o] as const)).runs).toEqual([
      run(S, 10, 1n | (1n << 63n)),
      run(S, 9, 1n),
    ]);
    expect(resetRuns([10, 40, 9].map((o) => [S, o] as const)).runs).toEqual([
      run(S, 9, 0b11n | (1n << 31n)),
    ]);
  });

  it('counts repeated offsets once in the mask but every entry in the count', () => {
    const { runs, count } = resetRuns([5, 5, 5].map((o) => [S, o] as const));
    expect(runs).toEqual([run(S, 5, 1n)]);
    expect(count).toBe(3);
  });

  it('agrees with a transcription of kvm_dirty_ring_reset on random sequences', () => {
    const rng = new Rng(ORACLE_SEED);
    for (let n = 0; n < ORACLE_RUNS; n++) {
      const list: [number, number][] = [];
      let offset = rng.int(1000);
      for (let k = 0, len = 1 + rng.int(60); k < len; k++) {
        offset = Math.max(0, offset + rng.int(160) - 80);
        list.push([rng.chance(0.15) ? T : S, offset]);
      }
      expect(resetRuns(list).runs).toEqual(kvmDirtyRingResetOracle(list));
    }
  });
});

describe('garbage entries (kvm_reset_dirty_gfn)', () => {
  it('ignores entries with a bad slot or an offset past the slot, without error, and counts them', () => {
    const vm = ringVm();
    const ring = ringOf(vm);
    writePages(vm, 0, 4); // entries 0..3 for pages 0..3
    ring.slot[1] = makeSlotId(5, 0); // address space 5 does not exist
    ring.slot[2] = 4000; // id 4000: no such slot
    ring.offset[3] = SLOT_PAGES + 100; // past the end of slot 0
    harvestRing(ring);
    expect(vm.resetDirtyRings()).toBe(4);
    expect(vm.vcpus[0].write(asGfn(0)).outcome).toBe('fast-fault'); // the good entry re-protected
    for (const page of [1, 2, 3]) {
      expect(vm.vcpus[0].write(asGfn(page)).outcome).toBe('no-fault'); // never re-protected
    }
  });

  it('drops a whole run whose highest bit is past the slot end, valid pages included', () => {
    // offset + __fls(mask) >= npages: KVM ignores the run, so page npages-2 stays writable.
    const vm = ringVm();
    const ring = ringOf(vm);
    writePages(vm, SLOT_PAGES - 2, SLOT_PAGES);
    ring.offset[1] = SLOT_PAGES + 5; // merges with the entry before it (7 ahead)
    harvestRing(ring);
    expect(vm.resetDirtyRings()).toBe(2);
    expect(vm.vcpus[0].write(asGfn(SLOT_PAGES - 2)).outcome).toBe('no-fault');
    expect(ring.used).toBe(0);
  });
});

describe('KVM_CAP_DIRTY_LOG_RING_ACQ_REL', () => {
  /** A scripted session: fill to the soft limit, exit, harvest part, reset, write again. */
  function transcript(vm: Vm): unknown[] {
    const ring = ringOf(vm);
    const out: unknown[] = [];
    for (let g = 0; g <= ring.softLimit; g++) out.push(vm.vcpus[0].write(asGfn(g)).outcome);
    out.push(harvestRing(ring, 100));
    out.push(vm.resetDirtyRings());
    for (const g of [1, 2, 300, 1]) out.push(vm.vcpus[0].write(asGfn(g)).outcome);
    out.push(harvestRing(ring));
    out.push(vm.resetDirtyRings());
    out.push(vm.getStats());
    return out;
  }

  it('behaves exactly as KVM_CAP_DIRTY_LOG_RING on x86', () => {
    const plain = ringVm();
    const acqRel = ringVm({ acqRel: true });
    expect(acqRel.dirtyRingAcqRel).toBe(true);
    expect(plain.dirtyRingAcqRel).toBe(false);
    expect(transcript(acqRel)).toEqual(transcript(plain));
  });

  it('is the only ring flavour arm64 offers, with the same ring behaviour', () => {
    const vm = makeVm({ arch: 'arm64' });
    expectKvmError(() => vm.enableCap(Cap.DirtyLogRing, SMALL_RING), 'EINVAL', /not supported/);
    const arm = transcript(ringVm({ arch: 'arm64' })) as Array<unknown>;
    const x86 = transcript(ringVm({ acqRel: true })) as Array<unknown>;
    // arm64 faults differ in cost, not in what reaches the ring.
    expect(arm.slice(0, -1)).toEqual(x86.slice(0, -1));
  });
});

describe('PML feeding the ring (x86)', () => {
  /** A ring VM whose slot was fully written before logging, so every 4K SPTE is writable. */
  function pmlVm(ringBytes = RING_64K): Vm {
    const vm = ringVm({ pml: true, ringBytes, logging: false });
    touchRange(vm.vcpus[0], 0, SLOT_PAGES, true);
    setDirtyLogging(vm, 0, true); // PML: clear the D-bit of every 4K SPTE
    return vm;
  }

  it('logs writes to 4K pages whose D-bit was cleared without a VM exit ("pml-logged")', () => {
    const vm = pmlVm();
    for (let g = 0; g < 10; g++) {
      expect(vm.vcpus[0].write(asGfn(g))).toMatchObject({ outcome: 'pml-logged', exit: null });
    }
    expect(vm.vcpus[0].pml?.count).toBe(10);
    expect(ringOf(vm).used).toBe(0); // nothing reaches the ring before an exit
  });

  it('takes a PML-full exit on the 513th logged write and drains 512 entries in write order', () => {
    const vm = pmlVm();
    const order = Array.from({ length: 513 }, (_, k) => (k * 7) % SLOT_PAGES);
    for (const g of order.slice(0, 512)) {
      expect(vm.vcpus[0].write(asGfn(g)).outcome).toBe('pml-logged');
    }
    expect(ringOf(vm).used).toBe(0);
    expect(vm.vcpus[0].write(asGfn(order[512])).outcome).toBe('pml-full-exit');
    expect(vm.getStats().pml_full_exits).toBe(1);
    expect(harvestRing(ringOf(vm))).toEqual(entries(0, order.slice(0, 512)));
    expect(vm.vcpus[0].pml?.count).toBe(1); // the 513th write is in the emptied buffer
  });

  it('moves PML entries to the ring when the vCPUs are kicked', () => {
    const vm = pmlVm();
    for (const g of [30, 10, 20]) vm.vcpus[0].write(asGfn(g));
    expect(vm.kickAllVcpus()).toBeGreaterThan(0);
    expect(harvestRing(ringOf(vm))).toEqual(entries(0, [30, 10, 20]));
    expect(vm.vcpus[0].pml?.count).toBe(0);
  });

  it('moves PML entries to the ring at any VM exit, e.g. a slow fault', () => {
    const vm = ringVm({ pml: true, ringBytes: RING_64K, logging: false });
    touchRange(vm.vcpus[0], 0, 8, true);
    setDirtyLogging(vm, 0, true);
    for (const g of [3, 1]) vm.vcpus[0].write(asGfn(g));
    expect(vm.vcpus[0].write(asGfn(100)).outcome).toBe('slow-fault'); // never mapped
    expect(harvestRing(ringOf(vm))).toEqual(entries(0, [3, 1, 100])); // guest write order
  });

  it('clears the D-bit again at reset: the next write is pml-logged, not a fault', () => {
    const vm = pmlVm();
    vm.vcpus[0].write(asGfn(5));
    expect(vm.vcpus[0].write(asGfn(5)).outcome).toBe('no-fault'); // D already set
    vm.kickAllVcpus();
    expect(harvestAndReset(vm)).toBe(1);
    expect(vm.vcpus[0].write(asGfn(5)).outcome).toBe('pml-logged');
  });

  it('keeps a full PML buffer drained past the soft limit inside the 576 reserved entries', () => {
    const vm = pmlVm(16 * KiB); // 1024 entries, soft limit 448
    const ring = ringOf(vm);
    writePages(vm, 0, 512);
    expect(vm.vcpus[0].write(asGfn(512)).outcome).toBe('pml-full-exit');
    expect(ring.used).toBe(512);
    expect(ring.softFull).toBe(true);
    expect(ring.hardFull).toBe(false);
    expect(vm.lostDirty).toEqual([]);
    expect(vm.vcpus[0].write(asGfn(513)).outcome).toBe('dirty-ring-full');
  });
});

/**
 * Proposals from the design debates, modelled under `params.proposals`. None of this
 * is KVM: KVM has per-vCPU rings, 4K dirty granularity and splits eagerly when
 * logging is enabled (or at CLEAR with INITIALLY_SET). Each block checks what the
 * proposal changes against that baseline.
 */
import { describe, expect, it } from 'vitest';
import {
  Cap,
  DEFAULT_PROPOSALS,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
  asGfn,
  defaultParams,
} from '../../../engine/index.ts';
import type {
  Arch,
  Backing,
  DirtyRing,
  KvmParams,
  Proposals,
  RingPoolSelect,
  RingTopology,
  Vm,
} from '../../../engine/index.ts';
import {
  GiB,
  KiB,
  MiB,
  PAGES_1G,
  PAGES_2M,
  bitmapOf,
  bitmapPages,
  expectPages,
  harvestRing,
  makeVm,
  setDirtyLogging,
} from '../../helpers/kvm.ts';
import type { MakeVmOptions } from '../../helpers/kvm.ts';

/** 4 KiB rings: 256 entries, soft limit 192 without PML. */
const RING_BYTES = 4 * KiB;
const RING_ENTRIES = RING_BYTES / 16;
const SOFT_LIMIT = RING_ENTRIES - 64;
/** A 16 MiB logged slot of 4K pages: room for several rings' worth of distinct pages. */
const RING_SLOT_BYTES = 16 * MiB;
const LOG = KVM_MEM_LOG_DIRTY_PAGES;

/** A ring VM (x86, no PML) with `vcpus` vCPUs and one logged 4K-backed slot at gfn 0. */
function ringVm(ringTopology: RingTopology, vcpus = 1): Vm {
  return makeVm({
    params: { enablePml: false, proposals: { ...DEFAULT_PROPOSALS, ringTopology } },
    caps: [[Cap.DirtyLogRing, RING_BYTES]],
    slots: [{ slot: 0, flags: LOG, guestPhysAddr: 0, memorySize: RING_SLOT_BYTES }],
    vcpus,
  });
}

const pool = (rings: number, select: RingPoolSelect): RingTopology => ({
  kind: 'pool',
  rings,
  select,
});

/** Index (in vm.dirtyRings()) of the ring the vCPU's write of `gfn` pushed to. */
function writeAndFindRing(vm: Vm, vcpuId: number, gfn: number): number {
  const before = vm.dirtyRings().map((r) => r.dirtyIndex);
  expect(vm.vcpus[vcpuId].write(asGfn(gfn)).exit).toBeNull();
  const pushed = vm.dirtyRings().flatMap((r, k) => (r.dirtyIndex !== before[k] ? [k] : []));
  expect(pushed).toHaveLength(1);
  return pushed[0];
}

/** Harvest the given rings and reset: only their entries are freed. */
function harvestAndReset(vm: Vm, rings: readonly DirtyRing[]): number {
  for (const ring of rings) harvestRing(ring);
  return vm.resetDirtyRings();
}

describe('proposal defaults', () => {
  it('default to KVM: per-vCPU rings, 4K granularity, eager split at enable', () => {
    expect(DEFAULT_PROPOSALS).toEqual<Proposals>({
      ringTopology: { kind: 'per-vcpu' },
      dirtyGranularity: '4k',
      splitOnFirstClear: false,
    });
    for (const arch of ['x86_64', 'arm64'] as const) {
      expect(defaultParams(arch).proposals).toEqual(DEFAULT_PROPOSALS);
    }
  });
});

describe('ringTopology per-vm (proposal)', () => {
  it('has one ring for the VM whatever the number of vCPUs, filled by all of them in order', () => {
    const vm = ringVm({ kind: 'per-vm' }, 4);
    expect(vm.dirtyRings()).toHaveLength(1);
    vm.vcpus[0].write(asGfn(1));
    vm.vcpus[3].write(asGfn(2));
    vm.vcpus[1].write(asGfn(3));
    expect(harvestRing(vm.dirtyRings()[0]).map((e) => e.offset)).toEqual([1, 2, 3]);
  });

  it('makes EVERY vCPU exit once the one ring is soft-full, even vCPUs that wrote nothing', () => {
    const vm = ringVm({ kind: 'per-vm' }, 3);
    for (let g = 0; g < SOFT_LIMIT - 1; g++) vm.vcpus[0].write(asGfn(g));
    // vCPU 1 pushes the entry that fills it, and exits before retrying its write.
    expect(vm.vcpus[1].write(asGfn(SOFT_LIMIT - 1)).exit).toBe('dirty-ring-full');
    for (const vcpu of vm.vcpus) {
      expect(vcpu.write(asGfn(4000))).toMatchObject({
        outcome: 'dirty-ring-full',
        exit: 'dirty-ring-full',
      });
    }
    expect(vm.getStats().dirty_ring_full).toBe(4);
    expect(harvestAndReset(vm, vm.dirtyRings())).toBe(SOFT_LIMIT);
    for (const vcpu of vm.vcpus) expect(vcpu.read(asGfn(0)).exit).toBeNull();
  });

  it('contrasts with KVM per-vCPU rings, where only the vCPU whose ring is full exits', () => {
    const vm = ringVm({ kind: 'per-vcpu' }, 2);
    for (let g = 0; g < SOFT_LIMIT; g++) vm.vcpus[0].write(asGfn(g));
    expect(vm.vcpus[0].write(asGfn(4000)).outcome).toBe('dirty-ring-full');
    expect(vm.vcpus[1].write(asGfn(4000)).outcome).toBe('slow-fault');
  });
});

describe('ringTopology pool (proposal)', () => {
  const SELECTS: readonly RingPoolSelect[] = ['round-robin', 'lru', 'last-used'];

  it('allocates N rings whatever the number of vCPUs: N x size x 16 bytes', () => {
    const vcpus = 8;
    const bytes = (t: RingTopology): number => ringVm(t, vcpus).trackingMemory().ringBytes;
    expect(bytes(pool(2, 'lru'))).toBe(2 * RING_ENTRIES * 16);
    expect(bytes({ kind: 'per-vcpu' })).toBe(vcpus * RING_ENTRIES * 16);
    expect(bytes({ kind: 'per-vm' })).toBe(1 * RING_ENTRIES * 16);
  });

  for (const select of SELECTS) {
    it(`${select}: a vCPU whose ring fills moves on, and exits only when every ring is soft-full`, () => {
      const rings = 3;
      const vm = ringVm(pool(rings, select));
      let written = 0;
      while (vm.vcpus[0].write(asGfn(written)).exit === null) written++;
      // The write that pushed the last free entry ran, then the vCPU exited.
      written++;
      expect(written).toBe(rings * SOFT_LIMIT);
      expect(vm.dirtyRings().map((r) => r.used)).toEqual([SOFT_LIMIT, SOFT_LIMIT, SOFT_LIMIT]);
      expect(vm.dirtyRings().every((r) => r.softFull)).toBe(true);
      expect(vm.lostDirty).toEqual([]);
      // Freeing one ring lets the vCPU run again.
      expect(harvestAndReset(vm, [vm.dirtyRings()[1]])).toBe(SOFT_LIMIT);
      expect(writeAndFindRing(vm, 0, written)).toBe(1);
    });
  }

  it('round-robin: successive claims rotate over the rings', () => {
    const vm = ringVm(pool(3, 'round-robin'));
    const picks = [0, 1, 2, 3, 4, 5, 6].map((g) => writeAndFindRing(vm, 0, g));
    expect(picks).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('last-used: each vCPU keeps the ring it used last', () => {
    const vm = ringVm(pool(3, 'last-used'), 2);
    const picks = [0, 1, 0, 1, 0].map((v, k) => writeAndFindRing(vm, v, 100 + k));
    expect(picks).toEqual([0, 1, 0, 1, 0]);
  });

  it('follows the policy when a ring freed by a reset competes with the rotation', () => {
    // Fill ring 0 while rings 1 and 2 are reset after every round, then write three
    // pages (rings 1, 2, 1), then free ring 0. The next claim shows the policy:
    // round-robin continues with ring 2, LRU takes ring 0 (unused the longest),
    // last-used goes back to ring 1.
    const next: Record<RingPoolSelect, number> = { 'round-robin': 2, lru: 0, 'last-used': 1 };
    for (const select of SELECTS) {
      const vm = ringVm(pool(3, select));
      const [r0, r1, r2] = vm.dirtyRings();
      let gfn = 0;
      for (let round = 0; round < SOFT_LIMIT; round++) {
        const picks = [0, 1, 2].map(() => writeAndFindRing(vm, 0, gfn++));
        if (select !== 'last-used') expect(picks).toEqual([0, 1, 2]);
        harvestAndReset(vm, [r1, r2]);
        if (select === 'last-used') break; // last-used never leaves ring 0 while it has room
      }
      if (select === 'last-used') {
        while (!r0.softFull) writeAndFindRing(vm, 0, gfn++);
        // Ring 0 is full: the claim falls back to round-robin (ring 1), which then
        // becomes the vCPU's last-used ring.
        expect([1, 2, 3].map(() => writeAndFindRing(vm, 0, gfn++))).toEqual([1, 1, 1]);
      } else {
        expect(r0.softFull).toBe(true);
        expect([1, 2, 3].map(() => writeAndFindRing(vm, 0, gfn++))).toEqual([1, 2, 1]);
      }
      harvestAndReset(vm, [r0]);
      expect(writeAndFindRing(vm, 0, gfn++)).toBe(next[select]);
    }
  });
});

/** A VM with one 1 GiB slot of `backing` at gpa 0, every page written before logging. */
function hugeVm(options: {
  arch?: Arch;
  backing?: Backing;
  params?: Partial<KvmParams>;
  proposals: Partial<Proposals>;
  caps?: MakeVmOptions['caps'];
}): Vm {
  const vm = makeVm({
    arch: options.arch,
    params: { ...options.params, proposals: { ...DEFAULT_PROPOSALS, ...options.proposals } },
    caps: options.caps,
    slots: [
      {
        slot: 0,
        flags: 0,
        guestPhysAddr: 0,
        memorySize: 1 * GiB,
        backing: options.backing ?? 'hugetlb_1g',
      },
    ],
    vcpus: 1,
  });
  const gfns = Array.from({ length: PAGES_1G / PAGES_2M }, (_, k) => k * PAGES_2M);
  expect(vm.vcpus[0].runAccesses(gfns, true).exit).toBeNull();
  return vm;
}

describe("dirtyGranularity '2m' (proposal)", () => {
  const twoM = { dirtyGranularity: '2m' } as const;

  it('stops eager splitting at 2M: no 4K page after enabling logging on a hugetlb slot', () => {
    for (const backing of ['hugetlb_1g', 'hugetlb_2m', 'thp'] as const) {
      const vm = hugeVm({ backing, params: { eagerPageSplit: true }, proposals: twoM });
      setDirtyLogging(vm, 0, true);
      expectPages(vm).toEqual({ '4k': 0, '2m': 512, '1g': 0 });
    }
  });

  it('splits a 1G page only to 2M on a write fault when eager split is off', () => {
    const vm = hugeVm({ params: { eagerPageSplit: false }, proposals: twoM });
    setDirtyLogging(vm, 0, true);
    expect(vm.vcpus[0].write(asGfn(7)).outcome).toBe('split-on-fault');
    expectPages(vm).toEqual({ '4k': 0, '2m': 512, '1g': 0 });
  });

  it('fixes writes to a write-protected 2M page with a fast fault, again after re-protection', () => {
    const vm = hugeVm({ proposals: twoM });
    setDirtyLogging(vm, 0, true);
    const vcpu = vm.vcpus[0];
    expect(vcpu.write(asGfn(513)).outcome).toBe('fast-fault');
    expect(vcpu.write(asGfn(600)).outcome).toBe('no-fault'); // same 2M page, now writable
    vm.getDirtyLog(0); // clear-on-get re-protects the frame
    expect(vcpu.write(asGfn(600)).outcome).toBe('fast-fault');
    expectPages(vm).toEqual({ '4k': 0, '2m': 512, '1g': 0 });
  });

  it('reports all 512 pages of the written 2M frame in the bitmap', () => {
    const vm = hugeVm({ proposals: twoM });
    setDirtyLogging(vm, 0, true);
    vm.vcpus[0].write(asGfn(513));
    const frame1 = Array.from({ length: PAGES_2M }, (_, k) => PAGES_2M + k);
    expect(bitmapPages(vm.getDirtyLog(0))).toEqual(frame1);
  });

  it('pushes one ring entry per 2M frame, at the frame offset', () => {
    const vm = makeVm({
      params: { enablePml: false, proposals: { ...DEFAULT_PROPOSALS, ...twoM } },
      caps: [[Cap.DirtyLogRing, RING_BYTES]],
      slots: [
        {
          slot: 0,
          flags: LOG,
          guestPhysAddr: 0,
          memorySize: 8 * MiB,
          backing: 'hugetlb_2m',
        },
      ],
      vcpus: 1,
    });
    const vcpu = vm.vcpus[0];
    const ring = vm.dirtyRings()[0];
    for (const g of [513, 600, 1023, 3 * PAGES_2M + 1]) vcpu.write(asGfn(g));
    expect(harvestRing(ring).map((e) => e.offset)).toEqual([PAGES_2M, 3 * PAGES_2M]);
    expect(vm.resetDirtyRings()).toBe(2);
    expect(vcpu.write(asGfn(700)).outcome).toBe('fast-fault'); // re-protected whole frame
    expect(harvestRing(ring).map((e) => e.offset)).toEqual([PAGES_2M]);
  });
});

describe('splitOnFirstClear (proposal)', () => {
  const defer = { splitOnFirstClear: true } as const;
  /** KVM writes guest memory itself (kvm_write_guest): dirty bit set, SPTEs untouched. */
  const DIRTY_PAGE = 100;

  it('splits nothing when logging is enabled (x86, eager_page_split=Y)', () => {
    const vm = hugeVm({ params: { eagerPageSplit: true }, proposals: defer });
    setDirtyLogging(vm, 0, true);
    expectPages(vm).toEqual({ '4k': 0, '2m': 0, '1g': 1 });
    expect(vm.lastIoctl.splits).toBe(0);
  });

  it('splits the range at the first GET_DIRTY_LOG that re-protects it', () => {
    const vm = hugeVm({ params: { eagerPageSplit: true }, proposals: defer });
    setDirtyLogging(vm, 0, true);
    expect(vm.markPageDirtyWithoutVcpu(asGfn(DIRTY_PAGE))).toBe(true);
    expectPages(vm).toEqual({ '4k': 0, '2m': 0, '1g': 1 });
    expect(bitmapPages(vm.getDirtyLog(0))).toEqual([DIRTY_PAGE]);
    expectPages(vm).toEqual({ '4k': 512, '2m': 511, '1g': 0 });
    expect(vm.lastIoctl.splits).toBe(2);
  });

  it('splits the range at the first CLEAR_DIRTY_LOG (manual protect), not at GET', () => {
    const vm = hugeVm({
      params: { eagerPageSplit: true },
      proposals: defer,
      caps: [[Cap.ManualDirtyLogProtect2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE]],
    });
    setDirtyLogging(vm, 0, true);
    vm.markPageDirtyWithoutVcpu(asGfn(DIRTY_PAGE));
    vm.getDirtyLog(0);
    expectPages(vm).toEqual({ '4k': 0, '2m': 0, '1g': 1 });
    vm.clearDirtyLog(0, 64, 64, bitmapOf(64, [DIRTY_PAGE - 64]));
    expectPages(vm).toEqual({ '4k': 512, '2m': 511, '1g': 0 });
  });

  it('splits the range at the first ring reset', () => {
    const vm = makeVm({
      params: { enablePml: false, proposals: { ...DEFAULT_PROPOSALS, ...defer } },
      caps: [[Cap.DirtyLogRing, RING_BYTES]],
      slots: [{ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 1 * GiB, backing: 'hugetlb_1g' }],
      vcpus: 1,
    });
    vm.vcpus[0].read(asGfn(0));
    setDirtyLogging(vm, 0, true);
    expectPages(vm).toEqual({ '4k': 0, '2m': 0, '1g': 1 });
    vm.vcpus[0].markPageDirty(asGfn(DIRTY_PAGE)); // KVM writes guest memory for the vCPU
    expect(harvestRing(vm.dirtyRings()[0])).toEqual([{ slot: 0, offset: DIRTY_PAGE }]);
    expect(vm.resetDirtyRings()).toBe(1);
    expectPages(vm).toEqual({ '4k': 512, '2m': 511, '1g': 0 });
  });

  it('leaves a huge page written before its first clear to split on fault', () => {
    const vm = hugeVm({ params: { eagerPageSplit: true }, proposals: defer });
    setDirtyLogging(vm, 0, true);
    expect(vm.vcpus[0].write(asGfn(DIRTY_PAGE)).outcome).toBe('split-on-fault');
    expectPages(vm).toEqual({ '4k': 512, '2m': 511, '1g': 0 });
  });

  it('defers arm64 eager splitting (chunk size set) to the first GET_DIRTY_LOG too', () => {
    const vm = hugeVm({
      arch: 'arm64',
      proposals: defer,
      caps: [[Cap.ArmEagerSplitChunkSize, 2 * MiB]],
    });
    setDirtyLogging(vm, 0, true);
    expectPages(vm).toEqual({ '4k': 0, '2m': 0, '1g': 1 });
    vm.markPageDirtyWithoutVcpu(asGfn(DIRTY_PAGE));
    vm.getDirtyLog(0);
    expectPages(vm).toEqual({ '4k': 512, '2m': 511, '1g': 0 });
  });
});

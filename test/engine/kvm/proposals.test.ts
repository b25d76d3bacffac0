/**
 * Proposals from the design debates, modelled under `params.proposals`. None of this
 * is KVM: KVM has per-vCPU rings, 4K dirty granularity and splits eagerly when
 * logging is enabled (or at CLEAR with INITIALLY_SET). Each block checks what the
 * proposal changes against that baseline.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Cap,
  DEFAULT_PROPOSALS,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
  Kvm,
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
  expectKvmError,
  expectPages,
  harvestRing,
  makeVm,
  region,
  setDirtyLogging,
  touchRange,
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
  it('default to KVM: per-vCPU rings, 4K granularity, eager split at enable, vCPU-less writes dropped', () => {
    expect(DEFAULT_PROPOSALS).toEqual<Proposals>({
      ringTopology: { kind: 'per-vcpu' },
      dirtyGranularity: '4k',
      splitOnFirstClear: false,
      vcpulessWrites: 'drop',
      ringReserve: null,
    });
    for (const arch of ['x86_64', 'arm64'] as const) {
      expect(defaultParams(arch).proposals).toEqual(DEFAULT_PROPOSALS);
    }
  });
});

describe('ringTopology per-vm (proposal)', () => {
  it('has one ring for the VM whatever the number of vCPUs, filled by all of them in order', () => {
    const vm = ringVm({ kind: 'per-vm' }, 3);
    expect(vm.dirtyRings()).toHaveLength(1);
    vm.vcpus[0].write(asGfn(1));
    vm.vcpus[2].write(asGfn(2));
    vm.vcpus[1].write(asGfn(3));
    expect(harvestRing(vm.dirtyRings()[0]).map((e) => e.offset)).toEqual([1, 2, 3]);
  });

  it('keeps a reserve for every vCPU: the soft limit is the size less one reserve per vCPU', () => {
    for (const vcpus of [1, 2, 3]) {
      expect(ringVm({ kind: 'per-vm' }, vcpus).dirtyRings()[0].softLimit).toBe(
        RING_ENTRIES - 64 * vcpus,
      );
    }
    expect(() => ringVm({ kind: 'per-vm' }, 4)).toThrow(/larger than 256 entries/);
  });

  it('makes EVERY vCPU exit once the one ring is soft-full, even vCPUs that wrote nothing', () => {
    const vm = ringVm({ kind: 'per-vm' }, 3);
    const softLimit = RING_ENTRIES - 3 * 64;
    for (let g = 0; g < softLimit - 1; g++) vm.vcpus[0].write(asGfn(g));
    // vCPU 1 pushes the entry that fills it, and exits before retrying its write.
    expect(vm.vcpus[1].write(asGfn(softLimit - 1)).exit).toBe('dirty-ring-full');
    for (const vcpu of vm.vcpus) {
      expect(vcpu.write(asGfn(4000))).toMatchObject({
        outcome: 'dirty-ring-full',
        exit: 'dirty-ring-full',
      });
    }
    expect(vm.getStats().dirty_ring_full).toBe(4);
    expect(harvestAndReset(vm, vm.dirtyRings())).toBe(softLimit);
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
    expect(ringVm({ kind: 'per-vm' }, 2).trackingMemory().ringBytes).toBe(RING_ENTRIES * 16);
  });

  for (const select of SELECTS) {
    it(`${select}: the vCPU that fills a ring exits, and runs again once that ring is drained`, () => {
      const vm = ringVm(pool(3, select), 2);
      let gfn = 0;
      let exit = null;
      while (exit === null) exit = vm.vcpus[0].write(asGfn(gfn++)).exit;
      const filled = vm.dirtyRings().findIndex((r) => r.softFull);
      expect(vm.dirtyRings()[filled].used).toBe(SOFT_LIMIT);
      expect(vm.vcpus[0].write(asGfn(gfn)).outcome).toBe('dirty-ring-full');
      // Draining the other rings does not let it run.
      harvestAndReset(
        vm,
        vm.dirtyRings().filter((_, k) => k !== filled),
      );
      expect(vm.vcpus[0].write(asGfn(gfn)).outcome).toBe('dirty-ring-full');
      // The filled ring is withheld: the other vCPU claims another one and runs.
      expect(writeAndFindRing(vm, 1, 4000)).not.toBe(filled);
      harvestAndReset(vm, [vm.dirtyRings()[filled]]);
      expect(vm.vcpus[0].write(asGfn(gfn)).exit).toBeNull();
      expect(vm.lostDirty).toEqual([]);
    });
  }

  it('charges ring_pool_claim for every claim', () => {
    const writeNs = (ringPoolClaim: number): number => {
      const kvm = new Kvm({
        arch: 'x86_64',
        params: {
          enablePml: false,
          proposals: { ...DEFAULT_PROPOSALS, ringTopology: pool(2, 'round-robin') },
        },
        costs: { ringPoolClaim },
      });
      const vm = kvm.createVm({});
      vm.enableCap(Cap.DirtyLogRing, RING_BYTES);
      vm.setUserMemoryRegion({
        slot: 0,
        flags: LOG,
        guestPhysAddr: 0,
        memorySize: RING_SLOT_BYTES,
      });
      const vcpu = vm.createVcpu(0);
      return vcpu.write(asGfn(7)).costNs + vcpu.write(asGfn(8)).costNs;
    };
    // Two writes, two exits, two claims.
    expect(writeNs(10_000) - writeNs(0)).toBe(2 * 10_000);
  });

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

  it('picks by the policy when a drained ring competes with the rotation', () => {
    // vCPU 0 fills ring 0 (the other rings are drained as it goes) and waits for its
    // drain; vCPU 1 writes three pages; then ring 0 is drained. vCPU 1's next claim
    // shows the policy: round-robin continues the rotation (ring 2), LRU takes ring 0
    // (returned the longest ago), last-used goes back to the ring it used last (1).
    const next: Record<RingPoolSelect, number> = { 'round-robin': 2, lru: 0, 'last-used': 1 };
    const picked: Record<RingPoolSelect, number> = { 'round-robin': -1, lru: -1, 'last-used': -1 };
    for (const select of SELECTS) {
      const vm = ringVm(pool(3, select), 2);
      const [r0, r1, r2] = vm.dirtyRings();
      let gfn = 0;
      while (!r0.softFull) {
        vm.vcpus[0].write(asGfn(gfn++));
        if (r1.used + r2.used > 0) harvestAndReset(vm, [r1, r2]);
      }
      expect(vm.vcpus[0].ringFull).toBe(true);
      const writes = [1, 2, 3].map(() => writeAndFindRing(vm, 1, gfn++));
      expect(writes).toEqual(select === 'last-used' ? [1, 1, 1] : [1, 2, 1]);
      harvestAndReset(vm, [r0]);
      picked[select] = writeAndFindRing(vm, 1, gfn++);
    }
    expect(picked).toEqual(next);
  });

  it('throttles the vCPU that dirties most with last-used, any vCPU with round-robin or LRU', () => {
    // Two rings, two vCPUs; vCPU 0 writes three pages for each of vCPU 1's. After every
    // ring-full exit the VMM drains every ring (QEMU's kvm_dirty_ring_reap). Sean
    // Christopherson's pool was to give "a facsimile of" per-vCPU throttling "as pushing
    // more pages onto a ring would naturally increase the likelihood of triggering a
    // drain": with last-used each vCPU keeps its ring and only the heavy writer fills
    // one; rotating claims spread both vCPUs over both rings, so the light writer
    // crosses the soft limit too.
    const exitsOf = (select: RingPoolSelect): number[] => {
      const vm = ringVm(pool(2, select), 2);
      const exits = [0, 0];
      let gfn = 0;
      for (let round = 0; round < 4 * SOFT_LIMIT; round++) {
        for (const v of [0, 0, 0, 1]) {
          const r = vm.vcpus[v].write(asGfn(gfn++ % (RING_SLOT_BYTES / 4096)));
          if (r.exit === 'dirty-ring-full') {
            exits[v]++;
            harvestAndReset(vm, vm.dirtyRings());
          }
        }
      }
      expect(vm.lostDirty).toEqual([]);
      return exits;
    };
    const lastUsed = exitsOf('last-used');
    expect(lastUsed[0]).toBeGreaterThan(0);
    expect(lastUsed[1]).toBe(0);
    for (const select of ['round-robin', 'lru'] as const)
      expect(exitsOf(select)[1]).toBeGreaterThan(0);
  });

  it('loses no page, whatever the topology, policy, writers and reaps: every page written is harvested', () => {
    // With PML, as on x86 today: a vCPU's writes reach its ring 512 at a time, at its
    // PML-full exit, and the reserve must hold what that flush pushes past the soft
    // limit. The VMM's part as QEMU plays it: reap every ring at a ring-full exit, and
    // at other times too. A vCPU refused entry (outcome dirty-ring-full) did not
    // write; every other write must come out of some harvest.
    const topologies: RingTopology[] = [
      { kind: 'per-vm' },
      ...[1, 2, 3].flatMap((rings) => SELECTS.map((select) => pool(rings, select))),
    ];
    const pages = RING_SLOT_BYTES / 4096;
    const op = fc.oneof(
      fc.record({
        vcpu: fc.integer({ min: 0, max: 2 }),
        gfn: fc.nat(pages - 1),
        count: fc.integer({ min: 1, max: 700 }),
      }),
      fc.constant('reap' as const),
    );
    fc.assert(
      fc.property(fc.constantFrom(...topologies), fc.array(op, { maxLength: 40 }), (t, ops) => {
        const vm = makeVm({
          params: { enablePml: true, proposals: { ...DEFAULT_PROPOSALS, ringTopology: t } },
          // 1024 entries: KVM's reserve with PML is 64 + 512, for each of 3 vCPUs in a per-VM ring
          caps: [[Cap.DirtyLogRing, (t.kind === 'per-vm' ? 64 : 16) * KiB]],
          slots: [{ slot: 0, flags: LOG, guestPhysAddr: 0, memorySize: RING_SLOT_BYTES }],
          vcpus: 3,
        });
        const written = new Set<number>();
        const harvested = new Set<number>();
        const reapAll = (): void => {
          for (const ring of vm.dirtyRings())
            for (const e of harvestRing(ring)) harvested.add(e.offset);
          vm.resetDirtyRings();
        };
        for (const o of ops) {
          if (o === 'reap') {
            reapAll();
            continue;
          }
          for (let k = 0; k < o.count; k++) {
            const gfn = (o.gfn + k) % pages;
            const r = vm.vcpus[o.vcpu].write(asGfn(gfn));
            if (r.outcome !== 'dirty-ring-full') written.add(gfn);
            if (r.exit === 'dirty-ring-full') reapAll();
          }
        }
        // The end of the migration: the VMM kicks every vCPU (its PML buffer reaches
        // the rings, a pool vCPU pushes what it queued) and reaps until nothing is left.
        for (let round = 0; round < 10; round++) {
          vm.kickAllVcpus();
          reapAll();
          if (!vm.vcpus.some((v) => v.ringFull)) break;
        }
        reapAll();
        expect(vm.lostDirty).toEqual([]);
        for (const g of written) expect(harvested.has(g)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('loses no page when every ring is full: a vCPU that finds none free waits with its entries', () => {
    const vm = ringVm(pool(1, 'round-robin'), 2);
    let gfn = 0;
    while (vm.vcpus[0].write(asGfn(gfn++)).exit === null);
    // The only ring is withheld: vCPU 1's write has no ring to go to and waits.
    const r = vm.vcpus[1].write(asGfn(4000));
    expect(r.exit).toBe('dirty-ring-full');
    expect(vm.vcpus[1].ringFull).toBe(true);
    harvestAndReset(vm, vm.dirtyRings());
    // At its next entry vCPU 1 pushes the waiting entry, then runs.
    expect(vm.vcpus[1].ringFull).toBe(false);
    expect(harvestRing(vm.dirtyRings()[0]).map((e) => e.offset)).toEqual([4000]);
    expect(vm.lostDirty).toEqual([]);
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

describe('ringReserve (proposal)', () => {
  /** x86 with PML, one 4K-backed logged slot written before logging, one vCPU. */
  function pmlRingVm(ringBytes: number, ringReserve: number | null): Vm {
    const vm = makeVm({
      params: {
        enablePml: true,
        proposals: { ...DEFAULT_PROPOSALS, ringReserve },
      },
      caps: [[Cap.DirtyLogRing, ringBytes]],
      slots: [region({ baseGfn: 0, npages: 1024, backing: '4k' })],
      vcpus: 1,
    });
    touchRange(vm.vcpus[0], 0, 1024, true);
    setDirtyLogging(vm, 0, true);
    return vm;
  }

  /** 513 writes to distinct pages: the 513th fills the PML buffer, whose 512 entries go to the ring. */
  function fillPml(vm: Vm): void {
    for (let g = 0; g < 513; g++) vm.vcpus[0].write(asGfn(g));
  }

  it("loses what a PML flush pushes past a reserve smaller than the buffer; KVM's reserve keeps it", () => {
    const small = pmlRingVm(4096, 64);
    fillPml(small);
    expect(small.lostDirty.length).toBe(512 - 256);
    const kvm = pmlRingVm(16384, null);
    fillPml(kvm);
    expect(kvm.lostDirty.length).toBe(0);
  });

  it('takes the reserve into KVM_ENABLE_CAP: a ring smaller than 64 + 512 entries with PML is refused', () => {
    expectKvmError(() => pmlRingVm(4096, null), 'EINVAL', /reserved|rsvd|smaller/i);
  });
});

/**
 * The invariant of KVM's dirty_log_test (tools/testing/selftests/kvm/dirty_log_test.c),
 * checked against an oracle for every dirty-log mode the model has: the guest writes
 * random pages (and reads some), the host collects the dirty log after every
 * iteration, and each collection must report exactly what the guest wrote since the
 * previous one (see DirtyLogOracle for rules (a)-(d)).
 *
 * x86 read faults: a read fault on an unmapped page of a logged x86 slot maps it
 * writable and marks it dirty (docs/kvm.md#read-faults), so the oracle counts such a first read as
 * a write (`readFaultDirties`, evaluated just before the read runs). Reads of mapped
 * pages, and every read on arm64, must not report anything.
 */
import { describe, expect, it } from 'vitest';
import {
  Cap,
  KVM_DIRTY_GFN_SIZE,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
  Kvm,
  KvmError,
  PAGE_SIZE,
  asGfn,
  ringReservedEntries,
} from '../../../engine/index.ts';
import type { Arch, Backing, KvmParams, Vcpu, Vm, VmStats } from '../../../engine/index.ts';
import { Rng } from '../../../engine/sim/rng.ts';
import { DirtyLogOracle, collectDirty, runGuest } from '../../helpers/dirty-log-oracle.ts';
import type { CollectMode } from '../../helpers/dirty-log-oracle.ts';
import { GiB, KiB, MiB } from '../../helpers/kvm.ts';

// ---- tunables ----
/** Seeds of the random write patterns; each (layout, backing) runs with every seed. */
const SEEDS = [1, 2];
/** Collections per run (dirty_log_test `-i`). */
const ITERATIONS = 6;
const VCPUS = 2;
/** Guest accesses per vCPU per iteration. */
const ACCESSES_PER_VCPU = 320;
/** vCPUs take turns in rounds of this many accesses, so their rings fill together. */
const ROUND = 40;
const READ_FRACTION = 0.2;
/** Accesses into the hole between slots (MMIO exits) where the layout has one. */
const HOLE_FRACTION = 0.02;
/** First and last page of a slot, as dirty_log_test also writes the boundary pages. */
const BOUNDARY_FRACTION = 0.03;
/** Accesses inside a per-iteration hot window, so pages are rewritten across iterations. */
const HOT_FRACTION = 0.5;
const HOT_PAGES = 256;
/** Chance, per round, that KVM writes guest memory without a running vCPU. */
const KVM_WRITE_CHANCE = 0.2;
/** Before logging, one page per this many is written so huge and 4K mappings exist. */
const PREFAULT_STRIDE = 64;

// ---- the matrix ----

interface SlotSpec {
  gpa: number;
  size: number;
}

interface Layout {
  name: string;
  slots: readonly SlotSpec[];
  backings: readonly Backing[];
}

const SMALL_BACKINGS: readonly Backing[] = ['4k', 'thp', 'hugetlb_2m'];

const LAYOUTS: readonly Layout[] = [
  { name: 'one slot', slots: [{ gpa: 0, size: 8 * MiB }], backings: SMALL_BACKINGS },
  {
    name: 'two slots with a hole',
    // The second slot's 1124 pages are not a multiple of 64: CLEAR's tail rule.
    slots: [
      { gpa: 0, size: 4 * MiB },
      { gpa: 6 * MiB, size: 4 * MiB + 100 * PAGE_SIZE },
    ],
    backings: SMALL_BACKINGS,
  },
  {
    name: 'slot base not 2M aligned',
    // 64-page CLEAR chunks straddle 2M frames; the partial frames at both ends stay 4K.
    slots: [{ gpa: 2 * MiB + 64 * KiB, size: 8 * MiB }],
    backings: SMALL_BACKINGS,
  },
  { name: '1 GiB slot', slots: [{ gpa: GiB, size: GiB }], backings: ['hugetlb_1g'] },
];

interface ModeCase {
  name: string;
  collect: CollectMode;
  /** KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 args[0]. */
  manual?: number;
  ring?: Cap.DirtyLogRing | Cap.DirtyLogRingAcqRel;
  withBitmap?: boolean;
}

interface ParamCase {
  name: string;
  params: Partial<KvmParams>;
  /** arm64 KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE. */
  armChunk?: number;
}

const MANUAL = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
const MANUAL_INITIALLY_SET = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;

const BITMAP_MODES: readonly ModeCase[] = [
  { name: 'GET_DIRTY_LOG clear-on-get', collect: { kind: 'get' } },
  {
    name: 'manual protect, GET + CLEAR of the whole slot',
    manual: MANUAL,
    collect: { kind: 'get-clear' },
  },
  {
    name: 'manual protect, GET + CLEAR in 64-page chunks',
    manual: MANUAL,
    collect: { kind: 'get-clear', chunkPages: 64 },
  },
  {
    name: 'manual protect with INITIALLY_SET, GET + CLEAR of the whole slot',
    manual: MANUAL_INITIALLY_SET,
    collect: { kind: 'get-clear' },
  },
  {
    name: 'manual protect with INITIALLY_SET, GET + CLEAR in 64-page chunks',
    manual: MANUAL_INITIALLY_SET,
    collect: { kind: 'get-clear', chunkPages: 64 },
  },
];

const MODES: Readonly<Record<Arch, readonly ModeCase[]>> = {
  x86_64: [
    ...BITMAP_MODES,
    {
      name: 'dirty ring (KVM_CAP_DIRTY_LOG_RING)',
      ring: Cap.DirtyLogRing,
      collect: { kind: 'ring' },
    },
    {
      name: 'dirty ring (KVM_CAP_DIRTY_LOG_RING_ACQ_REL)',
      ring: Cap.DirtyLogRingAcqRel,
      collect: { kind: 'ring' },
    },
  ],
  arm64: [
    ...BITMAP_MODES,
    {
      name: 'dirty ring (KVM_CAP_DIRTY_LOG_RING_ACQ_REL)',
      ring: Cap.DirtyLogRingAcqRel,
      collect: { kind: 'ring' },
    },
    {
      name: 'dirty ring with bitmap (ACQ_REL + WITH_BITMAP)',
      ring: Cap.DirtyLogRingAcqRel,
      withBitmap: true,
      collect: { kind: 'ring-with-bitmap' },
    },
  ],
};

const X86_PARAMS: readonly ParamCase[] = [true, false].flatMap((pml) => {
  const p = `PML ${pml ? 'on' : 'off'}`;
  return [
    { name: `${p}, eager split`, params: { enablePml: pml, eagerPageSplit: true } },
    {
      name: `${p}, no eager split, split in place on fault`,
      params: { enablePml: pml, eagerPageSplit: false, splitOnFault: 'in-place' },
    },
    {
      name: `${p}, no eager split, zap on fault`,
      params: { enablePml: pml, eagerPageSplit: false, splitOnFault: 'zap' },
    },
  ];
});

const ARM64_PARAMS: readonly ParamCase[] = [
  { name: 'no eager split (chunk 0), zap on fault', params: {}, armChunk: 0 },
  { name: 'eager split in 2 MiB chunks', params: {}, armChunk: 2 * MiB },
];

const PARAMS: Readonly<Record<Arch, readonly ParamCase[]>> = {
  x86_64: X86_PARAMS,
  arm64: ARM64_PARAMS,
};

// ---- the simulated guest and host ----

interface GuestSpace {
  slots: { base: number; npages: number }[];
  totalPages: number;
  /** [start, end) gfns between the first two slots, or null. */
  hole: [number, number] | null;
}

function guestSpace(layout: Layout): GuestSpace {
  const slots = layout.slots.map((s) => ({ base: s.gpa / PAGE_SIZE, npages: s.size / PAGE_SIZE }));
  const hole: [number, number] | null =
    slots.length > 1 ? [slots[0].base + slots[0].npages, slots[1].base] : null;
  return { slots, totalPages: slots.reduce((n, s) => n + s.npages, 0), hole };
}

/** A uniformly random page of the slots. */
function randomSlotGfn(rng: Rng, space: GuestSpace): number {
  let k = rng.int(space.totalPages);
  for (const s of space.slots) {
    if (k < s.npages) return s.base + k;
    k -= s.npages;
  }
  throw new Error('unreachable: page index past the slots');
}

/** One vCPU's accesses for one iteration: hot window, uniform, boundary and hole pages. */
function guestAccesses(rng: Rng, space: GuestSpace, n: number) {
  const gfns = new Float64Array(n);
  const writes = new Uint8Array(n);
  const hotSlot = space.slots[rng.int(space.slots.length)];
  const hotWidth = Math.min(HOT_PAGES, hotSlot.npages);
  const hotBase = hotSlot.base + rng.int(hotSlot.npages - hotWidth + 1);
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    let gfn: number;
    if (space.hole && r < HOLE_FRACTION) {
      gfn = space.hole[0] + rng.int(space.hole[1] - space.hole[0]);
    } else if (r < HOLE_FRACTION + BOUNDARY_FRACTION) {
      const s = space.slots[rng.int(space.slots.length)];
      gfn = rng.chance(0.5) ? s.base : s.base + s.npages - 1;
    } else if (r < HOLE_FRACTION + BOUNDARY_FRACTION + HOT_FRACTION) {
      gfn = hotBase + rng.int(hotWidth);
    } else {
      gfn = randomSlotGfn(rng, space);
    }
    gfns[i] = gfn;
    writes[i] = rng.chance(READ_FRACTION) ? 0 : 1;
  }
  return { gfns, writes };
}

/** The smallest legal ring: reserved entries (576 with PML, 64 without) and a page. */
function minRingBytes(pml: boolean): number {
  const bytes = Math.max(PAGE_SIZE, ringReservedEntries(pml) * KVM_DIRTY_GFN_SIZE);
  return 2 ** Math.ceil(Math.log2(bytes));
}

/** KVM_CREATE_VM, the capabilities in the order KVM requires, the slots, the vCPUs. */
function bootVm(
  arch: Arch,
  mode: ModeCase,
  pc: ParamCase,
  layout: Layout,
  backing: Backing,
  nrVcpus: number,
): { vm: Vm; vcpus: Vcpu[] } {
  const vm = new Kvm({ arch, params: pc.params }).createVm();
  if (pc.armChunk !== undefined) vm.enableCap(Cap.ArmEagerSplitChunkSize, pc.armChunk);
  if (mode.manual) vm.enableCap(Cap.ManualDirtyLogProtect2, mode.manual);
  if (mode.ring) {
    vm.enableCap(mode.ring, minRingBytes(vm.params.enablePml));
    if (mode.withBitmap) vm.enableCap(Cap.DirtyLogRingWithBitmap);
  }
  layout.slots.forEach((s, id) =>
    vm.setUserMemoryRegion({
      slot: id,
      flags: 0,
      guestPhysAddr: s.gpa,
      memorySize: s.size,
      backing,
    }),
  );
  const vcpus = Array.from({ length: nrVcpus }, (_, id) => vm.createVcpu(id));
  return { vm, vcpus };
}

/** Before logging: write one page per stride so huge and 4K mappings exist, read a few. */
function prefault(rng: Rng, vcpu: Vcpu, space: GuestSpace): void {
  const gfns: number[] = [];
  const writes: number[] = [];
  for (const s of space.slots) {
    for (let rel = 0; rel < s.npages; rel += PREFAULT_STRIDE) {
      if (!rng.chance(0.5)) continue;
      gfns.push(s.base + rel + rng.int(Math.min(PREFAULT_STRIDE, s.npages - rel)));
      writes.push(rng.chance(0.2) ? 0 : 1);
    }
  }
  const r = vcpu.runAccesses(gfns, Uint8Array.from(writes));
  expect(r.next).toBe(gfns.length);
}

/** KVM_MEM_LOG_DIRTY_PAGES on every slot; with INITIALLY_SET every page starts dirty. */
function enableLogging(vm: Vm, layout: Layout, oracle: DirtyLogOracle): void {
  layout.slots.forEach((s, id) => {
    vm.setUserMemoryRegion({
      slot: id,
      flags: KVM_MEM_LOG_DIRTY_PAGES,
      guestPhysAddr: s.gpa,
      memorySize: s.size,
    });
    if (vm.initiallySet) oracle.writeRange(s.gpa / PAGE_SIZE, (s.gpa + s.size) / PAGE_SIZE);
  });
}

interface RunOptions {
  arch: Arch;
  mode: ModeCase;
  pc: ParamCase;
  layout: Layout;
  backing: Backing;
  seed: number;
  iterations?: number;
  vcpus?: number;
  accessesPerVcpu?: number;
  /** Each vCPU also writes its share of every slot in order each iteration (fills rings). */
  sweep?: boolean;
}

/**
 * One dirty_log_test run: boot, prefault, enable logging, then per iteration every
 * vCPU runs its accesses (collecting on ring-full exits), KVM writes a few pages
 * without a vCPU where a bitmap exists, and the host collects and verifies. Ends with
 * a final collection after the guest stopped and the no-lost-page check.
 */
function runDirtyLogTest(o: RunOptions): {
  stats: VmStats;
  oracle: DirtyLogOracle;
  readFaultsDirtied: number;
} {
  const rng = new Rng(o.seed);
  const space = guestSpace(o.layout);
  const nrVcpus = o.vcpus ?? VCPUS;
  const n = o.accessesPerVcpu ?? ACCESSES_PER_VCPU;
  const { vm, vcpus } = bootVm(o.arch, o.mode, o.pc, o.layout, o.backing, nrVcpus);
  const oracle = new DirtyLogOracle(
    `mode=${o.arch} ${o.mode.name}; ${o.pc.name}; layout=${o.layout.name}; backing=${o.backing}; seed=${o.seed}`,
  );
  prefault(rng, vcpus[0], space);
  enableLogging(vm, o.layout, oracle);
  const collect = (): void => oracle.check(collectDirty(vm, o.mode.collect));
  let readFaultsDirtied = 0;
  const hooks = {
    onDirty: (gfn: number, byRead: boolean) => {
      oracle.write(gfn);
      if (byRead) readFaultsDirtied++;
    },
    onRingFull: collect,
  };
  const hasBitmap = vm.useDirtyBitmap;

  for (let it = 1; it <= (o.iterations ?? ITERATIONS); it++) {
    const plans = vcpus.map(() => guestAccesses(rng, space, n));
    for (let pos = 0; pos < n; pos += ROUND) {
      vcpus.forEach((vcpu, k) =>
        runGuest(vcpu, plans[k].gfns, plans[k].writes, hooks, pos, Math.min(pos + ROUND, n)),
      );
      if (hasBitmap && rng.chance(KVM_WRITE_CHANCE)) {
        // KVM writes guest memory from an ioctl (arm64: saving ITS tables).
        const gfn = randomSlotGfn(rng, space);
        vm.allowWriteWithoutRunningVcpu = vm.arch === 'arm64';
        expect(vm.markPageDirtyWithoutVcpu(asGfn(gfn))).toBe(true);
        vm.allowWriteWithoutRunningVcpu = false;
        oracle.write(gfn);
      }
    }
    if (o.sweep) {
      vcpus.forEach((vcpu, k) => {
        for (const s of space.slots) {
          const share = Math.ceil(s.npages / nrVcpus);
          const start = s.base + k * share;
          const end = Math.min(start + share, s.base + s.npages);
          const gfns = Float64Array.from({ length: Math.max(end - start, 0) }, (_, j) => start + j);
          runGuest(vcpu, gfns, new Uint8Array(gfns.length).fill(1), hooks);
        }
      });
    }
    collect();
    oracle.nextIteration();
  }
  // The guest has stopped: one more collection reports everything still pending.
  collect();
  oracle.assertNoLostPage();
  expect(vm.lostDirty).toEqual([]);
  return { stats: vm.getStats(), oracle, readFaultsDirtied };
}

function sumStats(into: Partial<Record<keyof VmStats, number>>, stats: VmStats): void {
  for (const key of Object.keys(stats) as (keyof VmStats)[]) {
    into[key] = (into[key] ?? 0) + stats[key];
  }
}

// ---- tests ----

for (const arch of ['x86_64', 'arm64'] as const) {
  for (const mode of MODES[arch]) {
    describe(`dirty_log_test invariant, ${arch}: ${mode.name}`, () => {
      for (const pc of PARAMS[arch]) {
        it(`reports each written page exactly once, in the first collection after the write (${pc.name})`, () => {
          const total: Partial<Record<keyof VmStats, number>> = {};
          let late = 0;
          let readFaultsDirtied = 0;
          for (const layout of LAYOUTS) {
            for (const backing of layout.backings) {
              for (const seed of SEEDS) {
                const r = runDirtyLogTest({ arch, mode, pc, layout, backing, seed });
                sumStats(total, r.stats);
                late += r.oracle.stats.late;
                readFaultsDirtied += r.readFaultsDirtied;
              }
            }
          }
          // Collection is synchronous here (PML is kicked, ring-full exits are
          // harvested at once), so nothing may even be one collection late.
          expect(late).toBe(0);
          // x86 read faults on unmapped pages dirtied pages; arm64 reads never do.
          if (arch === 'x86_64') expect(readFaultsDirtied).toBeGreaterThan(0);
          else expect(readFaultsDirtied).toBe(0);
          // The paths the case is about were really taken. (With PML the ring's soft
          // limit is 448 entries; the sweeps of the no-lost-page tests reach it.)
          if (mode.ring && !pc.params.enablePml) expect(total.dirty_ring_full).toBeGreaterThan(0);
          if (pc.params.enablePml) expect(total.pml_logged).toBeGreaterThan(0);
          else expect(total.pf_fast).toBeGreaterThan(0);
          const eager = arch === 'arm64' ? (pc.armChunk ?? 0) > 0 : pc.params.eagerPageSplit;
          if (eager) expect(total.eager_splits).toBeGreaterThan(0);
          else if ((pc.params.splitOnFault ?? 'zap') === 'zap') {
            expect(total.fault_zaps).toBeGreaterThan(0);
          } else expect(total.fault_splits).toBeGreaterThan(0);
        });
      }
    });
  }
}

describe('dirty log over many iterations (no lost page)', () => {
  const cases = (['x86_64', 'arm64'] as const).flatMap((arch) =>
    MODES[arch].flatMap((mode) =>
      (arch === 'x86_64' ? [X86_PARAMS[0], X86_PARAMS[5]] : [ARM64_PARAMS[1]]).map((pc) => ({
        arch,
        mode,
        pc,
      })),
    ),
  );
  for (const { arch, mode, pc } of cases) {
    it(`reports every page written by 4 vCPUs after its last write, ${arch} ${mode.name} (${pc.name})`, () => {
      const { oracle, stats } = runDirtyLogTest({
        arch,
        mode,
        pc,
        layout: LAYOUTS[1],
        backing: 'thp',
        seed: 7,
        iterations: 10,
        vcpus: 4,
        accessesPerVcpu: 200,
        sweep: true,
      });
      expect(oracle.pending).toBe(0);
      expect(oracle.stats.collections).toBeGreaterThanOrEqual(11);
      // The sweeps fill the rings: collections also happen on ring-full exits.
      if (mode.ring) expect(stats.dirty_ring_full).toBeGreaterThan(0);
    });
  }
});

describe('writes without a running vCPU (markPageDirtyWithoutVcpu)', () => {
  const GFN = 0x123;
  const layout = LAYOUTS[0];
  const setup = (arch: Arch, mode: ModeCase): Vm => {
    const pc = arch === 'x86_64' ? X86_PARAMS[0] : ARM64_PARAMS[0];
    const { vm, vcpus } = bootVm(arch, mode, pc, layout, '4k', 1);
    enableLogging(vm, layout, new DirtyLogOracle('setup'));
    // A vCPU dirties another page, so the ring is in use.
    vcpus[0].write(asGfn(GFN + 1));
    return vm;
  };
  const byName = (arch: Arch, name: string): ModeCase => {
    const mode = MODES[arch].find((m) => m.name.startsWith(name));
    if (!mode) throw new Error(`no mode ${name} on ${arch}`);
    return mode;
  };

  for (const [arch, name] of [
    ['x86_64', 'GET_DIRTY_LOG'],
    ['x86_64', 'manual protect, GET + CLEAR of the whole slot'],
    ['arm64', 'GET_DIRTY_LOG'],
    ['arm64', 'manual protect, GET + CLEAR in 64-page chunks'],
  ] as const) {
    it(`bitmap mode reports the page through GET_DIRTY_LOG, with KVM's warning (${arch} ${name})`, () => {
      const mode = byName(arch, name);
      const vm = setup(arch, mode);
      expect(vm.markPageDirtyWithoutVcpu(asGfn(GFN))).toBe(true);
      expect([...collectDirty(vm, mode.collect).gfns].sort()).toEqual([GFN, GFN + 1]);
      expect(vm.lostDirty).toEqual([]);
      expect(vm.stats.lost_dirty).toBe(0);
      // CONFIG_HAVE_KVM_DIRTY_RING kernels warn in every mode, ring or not.
      expect(vm.stats.warnings).toBe(1);
    });
  }

  it('bitmap mode does not warn while the arch allows the write (arm64 ITS table save)', () => {
    const mode = byName('arm64', 'GET_DIRTY_LOG');
    const vm = setup('arm64', mode);
    vm.allowWriteWithoutRunningVcpu = true;
    expect(vm.markPageDirtyWithoutVcpu(asGfn(GFN))).toBe(true);
    expect(vm.stats.warnings).toBe(0);
  });

  it('a ring-only VM drops a write before its first vCPU exists, and records it as lost', () => {
    const vm = new Kvm({ arch: 'x86_64', params: { enablePml: false } }).createVm();
    vm.enableCap(Cap.DirtyLogRing, 64 * KiB);
    vm.setUserMemoryRegion({
      slot: 0,
      flags: KVM_MEM_LOG_DIRTY_PAGES,
      guestPhysAddr: 0,
      memorySize: 2 * MiB,
    });
    expect(vm.rings).toBeNull(); // the rings come with the first vCPU
    expect(vm.markPageDirtyWithoutVcpu(asGfn(GFN))).toBe(false);
    expect(vm.lostDirty).toEqual([{ gfn: GFN, slot: 0, reason: 'no-running-vcpu-in-ring-mode' }]);
    expect(vm.stats.warnings).toBe(1);
  });

  for (const name of [
    'dirty ring (KVM_CAP_DIRTY_LOG_RING)',
    'dirty ring (KVM_CAP_DIRTY_LOG_RING_ACQ_REL)',
  ]) {
    it(`x86 ring alone drops the page and records it as lost (${name})`, () => {
      const mode = byName('x86_64', name);
      const vm = setup('x86_64', mode);
      expect(vm.markPageDirtyWithoutVcpu(asGfn(GFN))).toBe(false);
      expect(vm.lostDirty).toEqual([{ gfn: GFN, slot: 0, reason: 'no-running-vcpu-in-ring-mode' }]);
      expect(vm.stats.lost_dirty).toBe(1);
      expect(vm.stats.warnings).toBe(1); // WARN_ON_ONCE: no vCPU, no arch exception
      const c = collectDirty(vm, mode.collect);
      expect([...c.gfns]).toEqual([GFN + 1]);
      expect(c.ringEntries).toBe(c.ringReset);
      expect(() => vm.getDirtyLog(0)).toThrow(KvmError);
    });
  }

  it('arm64 ring alone loses the page even while ITS tables are saved', () => {
    const mode = byName('arm64', 'dirty ring (KVM_CAP_DIRTY_LOG_RING_ACQ_REL)');
    const vm = setup('arm64', mode);
    vm.allowWriteWithoutRunningVcpu = true;
    expect(vm.markPageDirtyWithoutVcpu(asGfn(GFN))).toBe(false);
    expect(vm.lostDirty).toEqual([{ gfn: GFN, slot: 0, reason: 'no-running-vcpu-in-ring-mode' }]);
    expect(vm.stats.lost_dirty).toBe(1);
    expect(vm.stats.warnings).toBe(0);
    expect([...collectDirty(vm, mode.collect).gfns]).toEqual([GFN + 1]);
  });

  it('arm64 ring with bitmap reports the page through GET_DIRTY_LOG, not the ring', () => {
    const mode = byName('arm64', 'dirty ring with bitmap');
    const vm = setup('arm64', mode);
    vm.allowWriteWithoutRunningVcpu = true;
    expect(vm.markPageDirtyWithoutVcpu(asGfn(GFN))).toBe(true);
    vm.allowWriteWithoutRunningVcpu = false;
    const ringGfns = new Set<number>();
    vm.kickAllVcpus();
    for (const ring of vm.dirtyRings()) ring.harvest((_slot, offset) => ringGfns.add(offset));
    expect([...ringGfns]).toEqual([GFN + 1]);
    expect(vm.resetDirtyRings()).toBe(1);
    const bitmap = vm.getDirtyLog(0);
    expect(bitmap[GFN >> 3]).toBe(1 << (GFN & 7));
    expect(bitmap.reduce((n, b) => n + (b === 0 ? 0 : 1), 0)).toBe(1);
    expect(vm.lostDirty).toEqual([]);
    expect(vm.stats.warnings).toBe(0);
  });
});

describe('DirtyLogOracle', () => {
  const collection = (gfns: number[]) => ({ gfns, ringEntries: 0, ringReset: 0 });

  it('accepts a page written in this iteration and reported now', () => {
    const oracle = new DirtyLogOracle('mode=test seed=1');
    oracle.write(5);
    oracle.check(collection([5]));
    oracle.nextIteration();
    oracle.check(collection([]));
    oracle.assertNoLostPage();
  });

  it('fails with "page written but not reported" naming gfn, mode and seed when a write is never reported', () => {
    const oracle = new DirtyLogOracle('mode=test seed=9');
    oracle.write(0x1a3);
    oracle.check(collection([]));
    oracle.nextIteration();
    expect(() => oracle.check(collection([]))).toThrow(
      /page written but not reported: gfn=0x1a3.*mode=test seed=9/,
    );
  });

  it('fails when a page is reported that was never written', () => {
    const oracle = new DirtyLogOracle('mode=test seed=2');
    expect(() => oracle.check(collection([7]))).toThrow(/page reported but not written.*gfn=0x7/);
  });

  it('fails when a page is reported again without a new write', () => {
    const oracle = new DirtyLogOracle('mode=test seed=3');
    oracle.write(7);
    oracle.check(collection([7]));
    expect(() => oracle.check(collection([7]))).toThrow(/reported again without a write/);
  });

  it('fails when ring entries harvested differ from what the reset returned', () => {
    const oracle = new DirtyLogOracle('mode=test seed=4');
    expect(() => oracle.check({ gfns: [], ringEntries: 3, ringReset: 2 })).toThrow(
      /harvested \(3\) differ/,
    );
  });

  it('fails the no-lost-page check when a write was never reported after the guest stopped', () => {
    const oracle = new DirtyLogOracle('mode=test seed=5');
    oracle.write(0x40);
    expect(() => oracle.assertNoLostPage()).toThrow(/gfn=0x40.*seed=5/);
  });
});

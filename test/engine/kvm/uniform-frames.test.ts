/**
 * SlotTdp keeps a freshly split 2M frame's 4K SPTEs as one uniform value until one of
 * them differs (engine/kvm/tdp-mmu.ts). These tests hold that representation to the
 * plain one (every 4K SPTE a byte from the split on) on small slots: the same SPTEs,
 * counts, walk results and listener calls after random sequences of splits, faults,
 * protections, CLEARs and zaps, and the same dirty logs, stats and simulated costs
 * through the UAPI.
 */
import { describe, expect, it } from 'vitest';
import {
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  SPTE_DIRTY,
  SPTE_MMU_WRITABLE,
  SPTE_WRITABLE,
  SlotTdp,
  SpteLevel,
  makeSpte,
} from '../../../engine/index.ts';
import type { Arch, Backing, KvmParams, Vm } from '../../../engine/index.ts';
import { Rng } from '../../../engine/sim/rng.ts';
import { PAGES_1G, PAGES_2M, makeVm, region, setDirtyLogging } from '../../helpers/kvm.ts';
import type { MakeVmOptions } from '../../helpers/kvm.ts';

/** Random operations per SlotTdp sequence, and how often the whole state is compared. */
const TDP_STEPS = 600;
const COMPARE_EVERY = 40;
/** UAPI steps per VM sequence and guest accesses per batch. */
const VM_STEPS = 60;
const BATCH = 256;
/** The VM's one slot: 1 GiB at gfn 0. */
const VM_PAGES = PAGES_1G;

/** A SlotTdp in each representation, with the listener calls each one made. */
interface Pair {
  uniform: SlotTdp;
  plain: SlotTdp;
  uniformCalls: string[];
  plainCalls: string[];
}

function makePair(baseGfn: number, npages: number): Pair {
  const pair: Pair = {
    uniform: new SlotTdp(baseGfn, npages),
    plain: new SlotTdp(baseGfn, npages, { uniformFrames: false }),
    uniformCalls: [],
    plainCalls: [],
  };
  const listen = (tdp: SlotTdp, calls: string[]): void => {
    tdp.listener = {
      rangeProtected: (start, end) => calls.push(`range ${start}-${end}`),
      maskProtected: (relBase, mask) => calls.push(`mask ${relBase}:${mask}`),
    };
  };
  listen(pair.uniform, pair.uniformCalls);
  listen(pair.plain, pair.plainCalls);
  return pair;
}

/** Every SPTE of a slot, read without changing the representation. */
function tdpState(tdp: SlotTdp) {
  const spte4k = new Uint8Array(tdp.npages);
  for (let rel = 0; rel < tdp.npages; rel++) spte4k[rel] = tdp.getSpte(SpteLevel.PG_LEVEL_4K, rel);
  return {
    spte4k,
    spte2m: Uint8Array.from(tdp.spte2m),
    spte1g: Uint8Array.from(tdp.spte1g),
    pages: [tdp.pages4k, tdp.pages2m, tdp.pages1g, tdp.tablePages, tdp.maskWalked],
  };
}

function expectSameTdp(uniform: SlotTdp, plain: SlotTdp): void {
  const u = tdpState(uniform);
  const p = tdpState(plain);
  expect(u.pages).toEqual(p.pages);
  expect(u.spte1g).toEqual(p.spte1g);
  expect(u.spte2m).toEqual(p.spte2m);
  // toEqual on 500 K bytes prints nothing useful: name the first page that differs.
  const first = u.spte4k.findIndex((v, rel) => v !== p.spte4k[rel]);
  expect(first === -1 ? 'same' : `4K SPTE ${first}: ${u.spte4k[first]} vs ${p.spte4k[first]}`).toBe(
    'same',
  );
}

/** A range of slot pages: the whole slot, whole 2M frames, a 64-page CLEAR chunk or any. */
function pickRange(rng: Rng, tdp: SlotTdp): [number, number] {
  const n = tdp.npages;
  switch (rng.int(4)) {
    case 0:
      return [0, n];
    case 1: {
      const j = rng.int(tdp.spte2m.length);
      const start = Math.max(0, tdp.relOf2m(j));
      return [start, Math.min(n, tdp.relOf2m(j + 1 + rng.int(3)))];
    }
    case 2: {
      const start = 64 * rng.int(Math.ceil(n / 64));
      return [start, Math.min(n, start + 64)];
    }
    default: {
      const a = rng.int(n);
      return [a, Math.min(n, a + 1 + rng.int(2 * PAGES_2M))];
    }
  }
}

/** A frame of `level` lies wholly in the slot, so a huge page may map it. */
function frameInSlot(tdp: SlotTdp, level: SpteLevel, rel: number): boolean {
  const start =
    level === SpteLevel.PG_LEVEL_1G ? tdp.relOf1g(tdp.idx1g(rel)) : tdp.relOf2m(tdp.idx2m(rel));
  const size = level === SpteLevel.PG_LEVEL_1G ? PAGES_1G : PAGES_2M;
  return start >= 0 && start + size <= tdp.npages;
}

/**
 * One random operation, decided on the plain SlotTdp (which reading never changes)
 * and applied to both; each returns the same result in both representations.
 */
function step(rng: Rng, pair: Pair): void {
  const { uniform, plain } = pair;
  const both = <T>(op: (tdp: SlotTdp) => T): void => {
    expect(op(uniform)).toEqual(op(plain));
  };
  const rel = rng.int(plain.npages);
  const level = plain.leafLevel(rel);
  const bit = rng.chance(0.5) ? SPTE_WRITABLE : SPTE_DIRTY;
  switch (rng.int(12)) {
    case 0:
    case 1: {
      // A fault on an unmapped page: map it huge where the frame allows, else 4K.
      if (level !== 0) return;
      const i = plain.idx1g(rel);
      const j = plain.idx2m(rel);
      let at = SpteLevel.PG_LEVEL_4K;
      if (
        plain.spte1g[i] === 0 &&
        frameInSlot(plain, SpteLevel.PG_LEVEL_1G, rel) &&
        rng.chance(0.6)
      ) {
        at = SpteLevel.PG_LEVEL_1G;
      } else if (
        plain.spte2m[j] === 0 &&
        frameInSlot(plain, SpteLevel.PG_LEVEL_2M, rel) &&
        rng.chance(0.5)
      ) {
        at = SpteLevel.PG_LEVEL_2M;
      }
      const spte = makeSpte(rng.chance(0.7), true);
      both((tdp) => [tdp.leafLevel(rel), tdp.mapLeaf(rel, at, spte)]);
      return;
    }
    case 2: {
      const [start, end] = pickRange(rng, plain);
      const target = rng.chance(0.8) ? SpteLevel.PG_LEVEL_4K : SpteLevel.PG_LEVEL_2M;
      both((tdp) => tdp.splitHugePages(start, end, target));
      return;
    }
    case 3:
      if (level === SpteLevel.PG_LEVEL_2M || level === SpteLevel.PG_LEVEL_1G) {
        both((tdp) => tdp.splitHugeSpte(level, rel));
      }
      return;
    case 4: {
      const [start, end] = pickRange(rng, plain);
      const minLevel = rng.chance(0.7) ? SpteLevel.PG_LEVEL_4K : SpteLevel.PG_LEVEL_2M;
      both((tdp) => tdp.wrprotRange(start, end, minLevel));
      return;
    }
    case 5: {
      const [start, end] = pickRange(rng, plain);
      both((tdp) => tdp.clearDirtyRange(start, end));
      return;
    }
    case 6: {
      // A bitmap word of GET or CLEAR: usually all 32 pages, sometimes a few.
      const relBase = 32 * rng.int(Math.ceil(plain.npages / 32));
      const kind = rng.int(3);
      const mask = kind === 0 ? -1 : kind === 1 ? 0xffffffff : rng.nextU32() | 0;
      both((tdp) => tdp.clearBitsMasked(relBase, mask, bit));
      return;
    }
    case 7:
    case 8: {
      // A write fault fixed in place (fast or slow path): the leaf becomes W and D.
      if (level === 0) return;
      const spte = plain.getSpte(level, rel) | SPTE_WRITABLE | SPTE_DIRTY | SPTE_MMU_WRITABLE;
      both((tdp) => {
        const l = tdp.leafLevel(rel);
        tdp.setLeafSpte(level, rel, spte);
        return [l, tdp.getSpte(level, rel)];
      });
      return;
    }
    case 9:
      if (level !== 0 && rng.chance(0.5)) both((tdp) => tdp.zapLeaf(level, rel));
      else both((tdp) => tdp.wrprotHugeCovering(rel));
      return;
    case 10: {
      const [start, end] = pickRange(rng, plain);
      const max = [SpteLevel.PG_LEVEL_4K, SpteLevel.PG_LEVEL_2M, SpteLevel.PG_LEVEL_1G][rng.int(3)];
      if (rng.chance(0.02)) both((tdp) => tdp.zapAll());
      else both((tdp) => tdp.zapCollapsible(start, end, () => max));
      return;
    }
    default: {
      const end = Math.min(plain.npages, rel + 1 + rng.int(PAGES_2M));
      both((tdp) => [tdp.lookup(rel), [...tdp.forEachLeaf(rel, end)]]);
    }
  }
}

describe('SlotTdp uniform frames', () => {
  const slots = [
    { name: 'a slot aligned to 1G', baseGfn: 0, npages: PAGES_1G + 4 * PAGES_2M },
    // 2M frames start 24 pages into the slot and the last ones are cut off.
    { name: 'a slot not aligned to 2M', baseGfn: PAGES_1G - 1000, npages: PAGES_1G + 1703 },
  ];
  for (const { name, baseGfn, npages } of slots) {
    for (const seed of [1, 2, 3]) {
      it(`hold the same SPTEs, counts and listener calls as plain bytes (${name}, seed ${seed})`, () => {
        const rng = new Rng(seed);
        const pair = makePair(baseGfn, npages);
        for (let k = 1; k <= TDP_STEPS; k++) {
          step(rng, pair);
          if (k % COMPARE_EVERY === 0) expectSameTdp(pair.uniform, pair.plain);
        }
        expect(pair.uniformCalls).toEqual(pair.plainCalls);
      });
    }
  }

  it('write a split 1G page out only where an SPTE comes to differ', () => {
    const { uniform, plain } = makePair(0, PAGES_1G);
    for (const tdp of [uniform, plain]) {
      tdp.mapLeaf(0, SpteLevel.PG_LEVEL_1G, makeSpte(true, true));
      tdp.splitHugePages(0, PAGES_1G, SpteLevel.PG_LEVEL_4K);
      tdp.clearDirtyRange(0, PAGES_1G);
    }
    // The uniform representation has written no 4K byte; the plain one all of them.
    expect(uniform.spte4k.some((v) => v !== 0)).toBe(false);
    expect(plain.spte4k.every((v) => v !== 0)).toBe(true);
    // A write fault on page 1000 writes out its 2M frame [512, 1024) and nothing else.
    for (const tdp of [uniform, plain]) {
      expect(tdp.leafLevel(1000)).toBe(SpteLevel.PG_LEVEL_4K);
      tdp.setLeafSpte(SpteLevel.PG_LEVEL_4K, 1000, tdp.spte4k[1000] | SPTE_DIRTY);
    }
    const written = uniform.spte4k.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
    expect(written).toBe(PAGES_2M);
    expect(uniform.spte4k[512]).toBe(plain.spte4k[512]);
    expectSameTdp(uniform, plain);
  });
});

/** A UAPI setup and the VM it makes. */
interface VmMode {
  name: string;
  arch?: Arch;
  params?: Partial<KvmParams>;
  caps?: MakeVmOptions['caps'];
  backing: Backing;
}

const PROTECT = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
const VM_MODES: readonly VmMode[] = [
  { name: 'x86 eager split, PML', params: { enablePml: true }, backing: 'hugetlb_1g' },
  { name: 'x86 eager split, no PML', params: { enablePml: false }, backing: 'hugetlb_1g' },
  {
    name: 'x86 manual protect, INITIALLY_SET',
    params: { enablePml: false },
    caps: [[Cap.ManualDirtyLogProtect2, PROTECT | KVM_DIRTY_LOG_INITIALLY_SET]],
    backing: 'hugetlb_1g',
  },
  {
    name: 'x86 manual protect, PML, THP',
    params: { enablePml: true },
    caps: [[Cap.ManualDirtyLogProtect2, PROTECT]],
    backing: 'thp',
  },
  {
    name: 'x86 split on fault in place',
    params: { eagerPageSplit: false, splitOnFault: 'in-place' },
    backing: 'hugetlb_1g',
  },
  {
    name: 'arm64 eager split in 2 MiB chunks',
    arch: 'arm64',
    caps: [[Cap.ArmEagerSplitChunkSize, 2 * 1024 * 1024]],
    backing: 'hugetlb_1g',
  },
];

/** Slot 0 (VM_PAGES at gfn 0), its SPTEs kept plain when `plain`. */
function makeModeVm(mode: VmMode, plain: boolean): Vm {
  const vm = makeVm({ arch: mode.arch, params: mode.params, caps: mode.caps, vcpus: 1 });
  vm.setUserMemoryRegion(region({ baseGfn: 0, npages: VM_PAGES, backing: mode.backing }));
  const slot = vm.memslot(0);
  if (!slot) throw new Error('no memslot 0');
  // Nothing is mapped yet: the slot's page tables can be swapped for plain ones.
  if (plain) slot.tdp = new SlotTdp(slot.baseGfn, slot.npages, { uniformFrames: false });
  return vm;
}

function tdpOf(vm: Vm): SlotTdp {
  const slot = vm.memslot(0);
  if (!slot) throw new Error('no memslot 0');
  return slot.tdp;
}

/** Guest accesses: a hot 2M frame, pages anywhere, or a run of consecutive pages. */
function accesses(rng: Rng): Float64Array {
  const gfns = new Float64Array(BATCH);
  const hot = rng.int(VM_PAGES / PAGES_2M) * PAGES_2M;
  const run = rng.int(VM_PAGES - BATCH);
  for (let k = 0; k < BATCH; k++) {
    const kind = rng.int(3);
    gfns[k] = kind === 0 ? hot + rng.int(PAGES_2M) : kind === 1 ? rng.int(VM_PAGES) : run + k;
  }
  return gfns;
}

describe('uniform frames through the UAPI', () => {
  for (const mode of VM_MODES) {
    it(`give the dirty logs, stats and costs of plain SPTE bytes (${mode.name})`, () => {
      const vms = [makeModeVm(mode, false), makeModeVm(mode, true)];
      const manual = (mode.caps ?? []).some(([cap]) => cap === Cap.ManualDirtyLogProtect2);
      const rng = new Rng(7);
      let logging = false;
      for (let k = 0; k < VM_STEPS; k++) {
        const kind = k < 3 ? 0 : rng.int(6);
        const gfns = accesses(rng);
        const writes = Uint8Array.from(gfns, () => (rng.chance(0.7) ? 1 : 0));
        const toggle = kind === 1 && (!logging || rng.chance(0.3));
        const results = vms.map((vm) => {
          if (kind === 0 || kind >= 3) {
            const r = vm.vcpus[0].runAccesses(gfns, writes);
            return { counts: [...r.counts], costNs: r.costNs };
          }
          if (toggle) {
            setDirtyLogging(vm, 0, !logging);
            return { ns: vm.lastIoctl.ns, split: vm.lastIoctl.splitNs };
          }
          if (!logging) return null;
          const bitmap = vm.getDirtyLog(0);
          if (manual) vm.clearDirtyLog(0, 0, VM_PAGES, bitmap);
          return { bitmap: [...bitmap], ns: vm.lastIoctl.ns };
        });
        if (toggle) logging = !logging;
        expect(results[0]).toEqual(results[1]);
        expect(vms[0].getStats()).toEqual(vms[1].getStats());
        if (k % 10 === 9) expectSameTdp(tdpOf(vms[0]), tdpOf(vms[1]));
      }
      expectSameTdp(tdpOf(vms[0]), tdpOf(vms[1]));
    });
  }
});

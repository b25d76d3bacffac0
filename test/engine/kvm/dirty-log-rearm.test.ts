/**
 * enableLogDirtyPtMasked skips the walk for 64 pages that nothing maps (SlotTdp.emptyAt):
 * on random slots, part mapped huge, part at 4K, part never touched, it must leave
 * the SPTEs, the stats and every field of the ioctl's cost exactly as the walk does.
 */
import { describe, expect, it } from 'vitest';
import {
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
  asGfn,
} from '../../../engine/index.ts';
import type { Backing, Gfn, KvmParams, Memslot, Vm } from '../../../engine/index.ts';
import {
  enableLogDirtyPtMasked,
  enableLogDirtyPtMaskedWalk,
} from '../../../engine/kvm/dirty-log.ts';
import { OpCost } from '../../../engine/kvm/stats.ts';
import { Rng } from '../../../engine/sim/rng.ts';
import { makeVm, region } from '../../helpers/kvm.ts';

// ---- tunables ----
const PREFAULTS = 12;
const STEPS = 600;
const SEEDS = [1, 2, 3];
const PAGES_1G = 512 * 512;

interface Case {
  name: string;
  params: Partial<KvmParams>;
  backing: Backing;
  baseGfn: number;
  npages: number;
  /** The guest writes only pages [from, to) of the slot: what lies outside is never mapped. */
  written: readonly [from: number, to: number];
}

/**
 * Small slots whose base is not 64-aligned in 2M frames (280 = 4 * 64 + 24), so that
 * 2M frames begin 40 pages into a 64-page word, in its upper half: frames are
 * [232, 744), [744, 1256) ... in the slot, with a ragged tail. The written pages leave
 * frames empty below and above, so that words cross from an empty frame into a mapped
 * one and back. And a 1G-backed slot whose first 1G page is mapped whole and whose
 * second is never touched.
 */
const SMALL = { baseGfn: 0x100 + 280, npages: 6 * 512 + 100, written: [1000, 2200] as const };
const CASES: readonly Case[] = [
  { name: 'thp, eager split, PML', params: { eagerPageSplit: true }, backing: 'thp', ...SMALL },
  {
    name: 'hugetlb 2M, no eager split, no PML',
    params: { eagerPageSplit: false, enablePml: false },
    backing: 'hugetlb_2m',
    ...SMALL,
  },
  { name: '4k, eager split, no PML', params: { enablePml: false }, backing: '4k', ...SMALL },
  {
    name: 'shadow paging',
    params: { tdp: false, enablePml: false },
    backing: 'thp',
    ...SMALL,
  },
  {
    name: 'hugetlb 1G, no eager split',
    params: { eagerPageSplit: false },
    backing: 'hugetlb_1g',
    baseGfn: PAGES_1G,
    npages: 2 * PAGES_1G,
    written: [0, PAGES_1G],
  },
];

/** A random page the guest of case `c` writes. */
function writtenGfn(c: Case, rng: Rng): Gfn {
  const [from, to] = c.written;
  return asGfn(c.baseGfn + from + rng.int(to - from));
}

/** A VM with one INITIALLY_SET slot, PREFAULTS pages written before logging and after. */
function prepared(c: Case, seed: number): { vm: Vm; slot: Memslot } {
  const vm = makeVm({
    params: c.params,
    caps: [
      [
        Cap.ManualDirtyLogProtect2,
        KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
      ],
    ],
  });
  const vcpu = vm.createVcpu(0);
  const { baseGfn, npages, backing } = c;
  vm.setUserMemoryRegion(region({ baseGfn, npages, backing }));
  const rng = new Rng(seed);
  for (let k = 0; k < PREFAULTS; k++) vcpu.write(writtenGfn(c, rng));
  vm.setUserMemoryRegion(region({ baseGfn, npages, backing, flags: KVM_MEM_LOG_DIRTY_PAGES }));
  const slot = vm.memslot(0);
  if (!slot) throw new Error('slot 0 was not created');
  return { vm, slot };
}

/**
 * The fields of `a` that differ from `b`'s (typed arrays compared as bytes: a 1G
 * slot's SPTE arrays are too large for a deep comparison element by element).
 */
function differingFields(a: object, b: object): string[] {
  const other = new Map(Object.entries(b));
  const out: string[] = [];
  for (const [key, value] of Object.entries(a)) {
    const twin: unknown = other.get(key);
    if (ArrayBuffer.isView(value) && ArrayBuffer.isView(twin)) {
      const x = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      const y = Buffer.from(twin.buffer, twin.byteOffset, twin.byteLength);
      if (!x.equals(y)) out.push(key);
    } else if (JSON.stringify(value) !== JSON.stringify(twin)) out.push(key);
  }
  return out;
}

describe('enableLogDirtyPtMasked on pages nothing maps', () => {
  for (const c of CASES) {
    for (const seed of SEEDS) {
      it(`charges and changes exactly what the walk does (${c.name}, seed ${seed})`, () => {
        const a = prepared(c, seed);
        const b = prepared(c, seed);
        const vcpuA = a.vm.vcpus[0];
        const vcpuB = b.vm.vcpus[0];
        const rng = new Rng(100 + seed);
        let empty = 0;
        let mapped = 0;
        for (let step = 0; step < STEPS; step++) {
          if (rng.chance(0.3)) {
            const gfn = writtenGfn(c, rng);
            vcpuA.write(gfn);
            vcpuB.write(gfn);
            continue;
          }
          const relBase = 64 * rng.int(Math.ceil(c.npages / 64));
          const inSlot = Math.min(64, c.npages - relBase);
          // Full words (a first pass), random ones, and empty halves (an empty word too).
          let lo = rng.chance(0.3) ? -1 : rng.chance(0.2) ? 0 : rng.nextU32() | 0;
          let hi = rng.chance(0.3) ? -1 : rng.chance(0.2) ? 0 : rng.nextU32() | 0;
          if (inSlot < 64) {
            // Bits past the slot's end are never set in KVM's bitmap.
            lo &= inSlot >= 32 ? -1 : (1 << inSlot) - 1;
            hi &= inSlot >= 64 ? -1 : inSlot <= 32 ? 0 : (1 << (inSlot - 32)) - 1;
          }
          if (a.slot.tdp.emptyAt(relBase, Math.min(relBase + 63, c.npages - 1))) empty++;
          else mapped++;
          const costA = new OpCost();
          const costB = new OpCost();
          const flushA = enableLogDirtyPtMasked(a.vm, a.slot, relBase, lo >>> 0, hi >>> 0, costA);
          const flushB = enableLogDirtyPtMaskedWalk(
            b.vm,
            b.slot,
            relBase,
            lo >>> 0,
            hi >>> 0,
            costB,
          );
          expect(flushA).toBe(flushB);
          expect(costA).toEqual(costB);
        }
        // Every SPTE array and count of the two slots' page tables.
        expect(differingFields(a.slot.tdp, b.slot.tdp)).toEqual([]);
        expect(a.vm.stats).toEqual(b.vm.stats);
        // Both kinds of word were seen: the shortcut and the walk.
        expect(empty).toBeGreaterThan(50);
        expect(mapped).toBeGreaterThan(50);
      });
    }
  }
});

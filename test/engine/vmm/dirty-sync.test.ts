import { describe, expect, it } from 'vitest';
import {
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
} from '../../../engine/index.ts';
import { Rng } from '../../../engine/sim/rng.ts';
import { GuestMemory } from '../../../engine/guest/memory.ts';
import { DirtySync } from '../../../engine/vmm/dirty-sync.ts';
import { makeVm, region } from '../../helpers/kvm.ts';
import { buildWorld } from '../../../engine/sim/world.ts';
import { runWorld } from '../../../engine/sim/simulation.ts';
import { buildResult } from '../../../engine/results.ts';
import { MiB, migration, plan, smallVm, tracking } from '../../helpers/plans.ts';

// ---- tunables ----
/** Clear chunks of 64 pages (QEMU's x-clear-bitmap-shift at its floor), four of them. */
const CLEAR_SHIFT = 6;
const PAGES = 4 * 64;
/** Written before the first sync: in chunks 0, 1 and 2. */
const BEFORE = [3, 64 + 5, 64 + 40, 128 + 7];
/** Written between the first sync and the last stage: in chunks 1 and 3. */
const BETWEEN = [64 + 20, 192 + 1];

/** The pages set in a KVM_GET_DIRTY_LOG of slot 0 (manual protect: the GET clears nothing). */
function kvmDirty(vm: ReturnType<typeof makeVm>): number[] {
  const bytes = vm.getDirtyLog(0);
  const out: number[] = [];
  for (let p = 0; p < PAGES; p++) if ((bytes[p >>> 3] >>> (p & 7)) & 1) out.push(p);
  return out;
}

describe('DirtySync with manual protect', () => {
  it("leaves the last stage's new bits to KVM: a CLEAR due from before clears only what its GET fetched", () => {
    const vm = makeVm({
      caps: [[Cap.ManualDirtyLogProtect2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE]],
      slots: [region({ slot: 0, baseGfn: 0, npages: PAGES, backing: '4k' })],
      vcpus: 1,
    });
    const memory = new GuestMemory(vm.memslots());
    vm.setUserMemoryRegion({
      slot: 0,
      flags: KVM_MEM_LOG_DIRTY_PAGES,
      guestPhysAddr: 0,
      memorySize: PAGES * 4096,
    });
    const sync = new DirtySync(vm, memory, 'bitmap-manual', CLEAR_SHIFT);
    for (const p of BEFORE) vm.vcpus[0].accessFast(p, true);
    expect(sync.sync(false).newPages).toBe(BEFORE.length);
    // Chunk 0 is sent: its CLEAR takes page 3 out of KVM's bitmap.
    sync.beforeSend(0, 0);
    for (const p of BETWEEN) vm.vcpus[0].accessFast(p, true);
    // The guest stops; the last stage's GET finds the new pages.
    expect(sync.sync(true).newPages).toBe(BETWEEN.length);
    // Chunks 1 and 2 still had their CLEARs due from the first GET: they clear pages
    // 69, 104 and 135, and leave 84 (written after that GET) for the next GET.
    sync.beforeSend(0, 64);
    sync.beforeSend(0, 128);
    expect(kvmDirty(vm)).toEqual(BETWEEN);
    // Chunk 3 had nothing in the first GET: no CLEAR is due, its page stays.
    const clears = sync.clears;
    sync.beforeSend(0, 192);
    expect(sync.clears).toBe(clears);
    expect(sync.bmap[0].count).toBe(BEFORE.length + BETWEEN.length);
  });
});

describe('DirtySync merging only the lines KVM changed', () => {
  // The shortcut against the whole GET and merge, on whole migrations: same tables.
  for (const dirtyLog of ['bitmap-manual', 'bitmap-initially-set'] as const) {
    it(`gives the results of whole GETs (${dirtyLog})`, () => {
      const runOnce = (changedLinesOnly: boolean) => {
        const world = buildWorld(
          plan({
            vm: smallVm({
              ram: 256 * MiB,
              workload: { kind: 'hotset', rate: 40_000, hotBytes: 24 * MiB, hotShare: 0.9 },
            }),
            tracking: tracking({ dirtyLog, clearBitmapShift: 12 }),
            migration: migration({ bandwidth: 150e6, maxIterations: 8 }),
          }),
        );
        world.sync.changedLinesOnly = changedLinesOnly;
        const r = buildResult(runWorld(world));
        return ['summary', 'iterations', 'timeline'].map((t) =>
          JSON.stringify(r[t as 'summary'].objects()),
        );
      };
      const [summary, iterations, timeline] = runOnce(true);
      const reference = runOnce(false);
      expect(summary).toBe(reference[0]);
      expect(iterations).toBe(reference[1]);
      expect(timeline).toBe(reference[2]);
      expect(JSON.parse(iterations).length).toBeGreaterThan(3);
    });
  }
});

describe("DirtySync's ones region (the first GET of an initially-set log)", () => {
  // Twin VMs with INITIALLY_SET, one synced with changed-line GETs (whose first GET
  // leaves KVM's all-set suffix unwritten in the fetched bitmap), one with whole GETs
  // that write every word, driven alike. Same pages newly dirty, ns, CLEARs, migration
  // bitmap and KVM bitmap throughout.
  const PAGES = 9 * 512 + 37;
  const initiallySet: [Cap, number] = [
    Cap.ManualDirtyLogProtect2,
    KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
  ];

  function twinSyncs(shift: number) {
    const twins = [true, false].map((changedLinesOnly) => {
      const vm = makeVm({
        caps: [initiallySet],
        slots: [region({ slot: 0, baseGfn: 0, npages: PAGES, backing: '4k' })],
        vcpus: 1,
      });
      for (let p = 0; p < PAGES; p += 7) vm.vcpus[0].accessFast(p, true);
      const memory = new GuestMemory(vm.memslots());
      const sync = new DirtySync(vm, memory, 'bitmap-initially-set', shift);
      sync.changedLinesOnly = changedLinesOnly;
      return { vm, sync };
    });
    const logging = (on: boolean) => {
      for (const { vm } of twins) {
        vm.setUserMemoryRegion({
          slot: 0,
          flags: on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
          guestPhysAddr: 0,
          memorySize: PAGES * 4096,
        });
      }
    };
    logging(true);
    for (const { sync } of twins) sync.setAll();
    return {
      lazy: twins[0].sync,
      logging,
      write: (p: number) => {
        for (const { vm } of twins) vm.vcpus[0].accessFast(p, true);
      },
      /** Send up to `n` dirty pages from `p` within its chunk, as sendDirty does. */
      send: (p: number, n: number) => {
        const ns = twins.map(({ sync }) => sync.beforeSend(0, p));
        expect(ns[0]).toBe(ns[1]);
        const chunkEnd = Math.min(PAGES, (Math.floor(p / 2 ** shift) + 1) * 2 ** shift);
        for (const { sync } of twins) sync.bmap[0].clearRange(p, Math.min(chunkEnd, p + n));
      },
      sync: (lastStage: boolean) => {
        const got = twins.map(({ sync }) => sync.sync(lastStage));
        expect(got[0]).toEqual(got[1]);
      },
      expectSame: () => {
        const [a, b] = twins;
        expect(a.sync.bmap[0].count).toBe(b.sync.bmap[0].count);
        expect(a.sync.clears).toBe(b.sync.clears);
      },
      expectSameAtEnd: () => {
        const [a, b] = twins;
        const pagesOf = (bits: { has(i: number): boolean }) =>
          Array.from({ length: PAGES }, (_, i) => bits.has(i));
        expect(pagesOf(a.sync.bmap[0])).toEqual(pagesOf(b.sync.bmap[0]));
        expect(Array.from(a.vm.getDirtyLog(0))).toEqual(Array.from(b.vm.getDirtyLog(0)));
        expect(a.vm.getStats()).toEqual(b.vm.getStats());
      },
    };
  }

  for (const shift of [6, 10]) {
    it(`syncs and CLEARs as the whole GETs do (chunks of ${2 ** shift} pages)`, () => {
      // A first pass sending in order while the guest writes, then sends and CLEARs
      // anywhere, last-stage syncs, logging turned off and on.
      const t = twinSyncs(shift);
      const rng = new Rng(70 + shift);
      let cursor = 0;
      for (let step = 0; step < 400; step++) {
        const r = rng.next();
        if (r < 0.35) {
          t.write(rng.int(PAGES));
        } else if (r < 0.6) {
          // The first pass's order: the next dirty page from the cursor.
          const p = t.lazy.bmap[0].nextSet(cursor, PAGES);
          if (p < 0) cursor = 0;
          else {
            const n = 1 + rng.int(2 ** shift);
            t.send(p, n);
            cursor = Math.min(PAGES, p + n);
          }
        } else if (r < 0.72 && step >= 150) {
          t.send(rng.int(PAGES), 1 + rng.int(64));
        } else if (r < 0.94) {
          t.sync(rng.chance(0.1));
        } else if (r < 0.95 && step >= 200) {
          // A bitmap made anew: INITIALLY_SET's ones again, under the fetched words.
          t.logging(false);
          t.logging(true);
        }
        t.expectSame();
      }
      t.expectSameAtEnd();
    });
  }

  it('syncs and CLEARs as the whole GETs do after last stages during the first pass', () => {
    // The guest stopped twice before the first pass got far (the chunks it had not
    // reached still have their CLEARs due), then the pass goes on.
    const t = twinSyncs(6);
    t.sync(false);
    for (let p = 0; p < 640; p += 64) t.send(p, 64);
    t.write(700);
    t.write(3000);
    t.sync(true);
    t.sync(true);
    for (let p = 640; p < PAGES; p += 64) {
      t.send(p, 64);
      t.expectSame();
    }
    t.sync(false);
    t.expectSameAtEnd();
  });

  it('writes no word of the region in a first pass in order, nor where a new bitmap puts it', () => {
    const vm = makeVm({
      caps: [initiallySet],
      slots: [region({ slot: 0, baseGfn: 0, npages: PAGES, flags: KVM_MEM_LOG_DIRTY_PAGES })],
      vcpus: 1,
    });
    const sync = new DirtySync(vm, new GuestMemory(vm.memslots()), 'bitmap-initially-set', 6);
    // Private: what the fetched bitmap holds, not what it stands for.
    const fetched = sync['fetched'][0];
    sync.setAll();
    sync.sync(false);
    for (let p = 0; p < PAGES; p += 64) {
      // Writes ahead of the pass change lines of KVM's suffix, which a GET copies.
      if (p === 1024) {
        for (const q of [1500, 2100, 4000]) vm.vcpus[0].accessFast(q, true);
        sync.sync(false);
      }
      sync.beforeSend(0, p);
      sync.bmap[0].clearRange(p, Math.min(PAGES, p + 64));
    }
    expect(sync.clears).toBe(Math.ceil(PAGES / 64));
    expect(sync.bmap[0].count).toBe(0);
    expect(fetched.every((w) => w === 0)).toBe(true);
    expect(vm.getDirtyLog(0).every((b) => b === 0)).toBe(true);
    // Written and fetched, then a bitmap made anew: its suffix starts at 0 again.
    for (const q of [10, 600, 3000]) vm.vcpus[0].accessFast(q, true);
    sync.sync(false);
    expect(fetched.some((w) => w !== 0)).toBe(true);
    for (const flags of [0, KVM_MEM_LOG_DIRTY_PAGES]) {
      vm.setUserMemoryRegion({ slot: 0, flags, guestPhysAddr: 0, memorySize: PAGES * 4096 });
    }
    sync.sync(false);
    expect(fetched.every((w) => w === 0)).toBe(true);
  });

  it('neither writes nor reads, in the GET after a first pass, the lines it knows are zeros', () => {
    const vm = makeVm({
      caps: [initiallySet],
      slots: [region({ slot: 0, baseGfn: 0, npages: PAGES, flags: KVM_MEM_LOG_DIRTY_PAGES })],
      vcpus: 1,
    });
    // Clear chunks of one line (512 pages).
    const sync = new DirtySync(vm, new GuestMemory(vm.memslots()), 'bitmap-initially-set', 9);
    const fetched = sync['fetched'][0];
    sync.setAll();
    sync.sync(false);
    for (let p = 0; p < PAGES; p += 512) {
      // A write ahead of the pass: its line (6) is copied into the ones region (and
      // its words zeroed back), then CLEARed by the pass like the others.
      if (p === 1024) {
        vm.vcpus[0].accessFast(3300, true);
        expect(sync.sync(false).newPages).toBe(0);
      }
      sync.beforeSend(0, p);
      sync.bmap[0].clearRange(p, Math.min(PAGES, p + 512));
    }
    // Every line changed by its CLEAR, one written since. Probes in two other lines'
    // words (which hold zeros, as KVM's do) stay: the GET neither wrote nor merged them.
    vm.vcpus[0].accessFast(2000, true);
    fetched[6 * 16 + 5] = 0xf0;
    fetched[8 * 16 + 1] = 0x0f;
    expect(sync.sync(false).newPages).toBe(1);
    expect([fetched[6 * 16 + 5], fetched[8 * 16 + 1]]).toEqual([0xf0, 0x0f]);
    expect(sync.bmap[0].count).toBe(1);
    expect((fetched[2000 >>> 5] >>> (2000 & 31)) & 1).toBe(1);
  });
});

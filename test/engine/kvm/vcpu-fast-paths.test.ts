/**
 * The vCPU's shortcuts, held to the general path on small random inputs:
 * `Vcpu.accessFast` dirties a clean writable 4K SPTE and logs it without going through
 * handleAccess (engine/kvm/vcpu.ts); the PML drain marks runs of same-slot entries at
 * once (flushPmlBuffer, engine/kvm/pml.ts); `Vcpu.runAccesses` retires writes that
 * need nothing from KVM in a tight loop and fast page faults in bulk. Each must leave
 * exactly what the general path leaves: SPTEs, PML buffers, bitmaps and their line
 * owners, stats and costs.
 */
import { describe, expect, it } from 'vitest';
import {
  ACCESS_OUTCOMES,
  Cap,
  Outcome,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
  Kvm,
  SpteLevel,
} from '../../../engine/index.ts';
import type { Backing, Costs, KvmParams, Vcpu, Vm } from '../../../engine/index.ts';
import { markPageDirtyInSlot } from '../../../engine/kvm/dirty-log.ts';
import { flushPmlBuffer } from '../../../engine/kvm/pml.ts';
import { Rng } from '../../../engine/sim/rng.ts';
import { harvestRing, region, setDirtyLogging } from '../../helpers/kvm.ts';

/**
 * Two slots of SLOT_PAGES with a hole of HOLE_PAGES between them (MMIO). Not a
 * multiple of 64: the bitmap's last word is partly past the slot.
 */
const SLOT_PAGES = 16384 - 37;
const HOLE_PAGES = 64;
/** Pages of the window that half the accesses go to. */
const HOT_PAGES = 8192;
const VCPUS = 2;
const ACCESS_STEPS = 10000;
const COMPARE_EVERY = 200;
const DRAIN_ROUNDS = 200;
const BATCHES = 300;

interface Setup {
  name: string;
  backing: Backing;
  manual: number;
  costs?: Partial<Costs>;
  params?: Partial<KvmParams>;
  /** KVM_CAP_DIRTY_LOG_RING_ACQ_REL size in bytes (x86: no WITH_BITMAP). */
  ringBytes?: number;
}

const SETUPS: readonly Setup[] = [
  { name: 'bitmap, 4K backing', backing: '4k', manual: 0 },
  { name: 'bitmap, THP', backing: 'thp', manual: 0 },
  {
    name: 'manual protect, initially set, THP',
    backing: 'thp',
    manual: KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
  },
  {
    name: 'manual protect, fractional costs',
    backing: '4k',
    manual: KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
    costs: { pmlDrainPerEntry: 10.3, markDirtyBitmap: 4.7, cacheLineTransfer: 50.1 },
  },
];

function makeTwin(setup: Setup, logging: boolean): Vm {
  const kvm = new Kvm({ arch: 'x86_64', params: setup.params, costs: setup.costs });
  const vm = kvm.createVm();
  if (setup.ringBytes !== undefined) {
    vm.enableCap(Cap.DirtyLogRingAcqRel, setup.ringBytes);
  }
  if (setup.manual) vm.enableCap(Cap.ManualDirtyLogProtect2, setup.manual);
  const flags = logging ? KVM_MEM_LOG_DIRTY_PAGES : 0;
  vm.setUserMemoryRegion(
    region({ slot: 0, baseGfn: 0, npages: SLOT_PAGES, flags, backing: setup.backing }),
  );
  vm.setUserMemoryRegion(
    region({
      slot: 1,
      baseGfn: SLOT_PAGES + HOLE_PAGES,
      npages: SLOT_PAGES,
      flags,
      backing: setup.backing,
    }),
  );
  for (let id = 0; id < VCPUS; id++) vm.createVcpu(id);
  return vm;
}

/**
 * Everything either path can change, as plain data for toEqual (the SPTEs unless
 * `sptes` is false: a drain does not touch them).
 */
function snapshot(vm: Vm, sptes = true) {
  const slots = [0, 1].map((id) => {
    const slot = vm.memslot(id);
    if (!slot) throw new Error(`no slot ${id}`);
    const tdp = slot.tdp;
    const sptes4k: number[] = [];
    for (let rel = 0; sptes && rel < slot.npages; rel++) {
      sptes4k.push(tdp.getSpte(SpteLevel.PG_LEVEL_4K, rel));
    }
    return {
      sptes4k,
      spte2m: [...tdp.spte2m],
      spte1g: [...tdp.spte1g],
      bitmap: slot.dirtyBitmap ? [...slot.dirtyBitmap] : null,
      lineOwners: [...slot.bitmapLineOwner],
    };
  });
  const vcpus = vm.vcpus.map((v: Vcpu) => ({
    accesses: v.stats.accesses,
    byOutcome: [...v.stats.byOutcome],
    nsByOutcome: [...v.stats.nsByOutcome],
    pml: v.pml ? [...v.pml.gfns.subarray(0, v.pml.count)] : null,
    pmlIndex: v.pml?.index,
  }));
  return { slots, vcpus, stats: vm.getStats() };
}

/** First gfn of slot 0 or 1. */
function slotBase(slot: number): number {
  return slot * (SLOT_PAGES + HOLE_PAGES);
}

/**
 * A gfn in the hole (rarely: its MMIO exits drain PML) or in a slot, half the time
 * within the hot window at `hot` so that pages repeat.
 */
function pickGfn(rng: Rng, hot: number): number {
  if (rng.chance(0.0003)) return SLOT_PAGES + rng.int(HOLE_PAGES);
  if (rng.chance(0.5)) return hot + rng.int(HOT_PAGES);
  return slotBase(rng.int(2)) + rng.int(SLOT_PAGES);
}

/** The first or last page of a slot, or the page just outside it. */
function pickBoundary(rng: Rng): number {
  const base = slotBase(rng.int(2));
  const pages = [base - 1, base, base + SLOT_PAGES - 1, base + SLOT_PAGES];
  return Math.max(pages[rng.int(pages.length)], 0);
}

describe('a PML-logged write through accessFast leaves what the general path leaves', () => {
  for (const setup of SETUPS) {
    it(setup.name, () => {
      const fast = makeTwin(setup, true);
      const general = makeTwin(setup, true);
      const rng = new Rng(7);
      const logging = [true, true];
      let hot = 0;
      let pmlLogged = 0;
      const access = (id: number, gfn: number, write: boolean): void => {
        const outcome = fast.vcpus[id].accessFast(gfn, write);
        const cost = fast.vcpus[id].lastCostNs;
        const want = general.vcpus[id].access(gfn as never, write);
        expect({ gfn, outcome: ACCESS_OUTCOMES[outcome], cost }).toEqual({
          gfn,
          outcome: want.outcome,
          cost: want.costNs,
        });
        if (want.outcome === 'pml-logged') pmlLogged++;
      };
      // Map every page (one slow fault each at 4K), then collect the log: the writes
      // below mostly find clean writable SPTEs, so PML buffers fill between faults.
      for (let gfn = 0; gfn < 2 * SLOT_PAGES + HOLE_PAGES; gfn++) {
        access(rng.int(VCPUS), gfn, true);
      }
      for (const slot of [0, 1]) {
        for (const vm of [fast, general]) {
          const bitmap = vm.getDirtyLog(slot);
          if (setup.manual) vm.clearDirtyLog(slot, 0, SLOT_PAGES, bitmap);
        }
      }
      for (let step = 0; step < ACCESS_STEPS; step++) {
        if (step === ACCESS_STEPS * 0.6 || step === ACCESS_STEPS * 0.8) {
          // A stretch with logging off in both slots: PML inactive, D set without a log.
          const on = step !== ACCESS_STEPS * 0.6;
          for (const slot of [0, 1]) {
            if (logging[slot] === on) continue;
            logging[slot] = on;
            setDirtyLogging(fast, slot, on);
            setDirtyLogging(general, slot, on);
          }
        }
        const r = rng.next();
        if (r < 0.0004) {
          // GET (and CLEAR) a slot's log on both: re-arms D bits or write protection.
          const slot = rng.int(2);
          if (!logging[slot]) continue;
          const a = fast.getDirtyLog(slot);
          const b = general.getDirtyLog(slot);
          expect(a).toEqual(b);
          if (setup.manual) {
            fast.clearDirtyLog(slot, 0, SLOT_PAGES, a);
            general.clearDirtyLog(slot, 0, SLOT_PAGES, b);
          }
        } else if (r < 0.0006) {
          // Logging off (PML inactive once both are off) or back on.
          const slot = rng.int(2);
          logging[slot] = !logging[slot];
          setDirtyLogging(fast, slot, logging[slot]);
          setDirtyLogging(general, slot, logging[slot]);
        } else if (r < 0.0008) {
          const id = rng.int(VCPUS);
          expect(fast.vcpus[id].kick()).toBe(general.vcpus[id].kick());
        } else if (r < 0.004) {
          hot = slotBase(rng.int(2)) + rng.int(SLOT_PAGES - HOT_PAGES);
        } else {
          // Mostly vCPU 0, so that its buffer fills before something drains it.
          access(rng.chance(0.8) ? 0 : 1, pickGfn(rng, hot), rng.chance(0.85));
        }
        if (step % COMPARE_EVERY === 0) expect(snapshot(fast)).toEqual(snapshot(general));
      }
      expect(snapshot(fast)).toEqual(snapshot(general));
      // The shortcut ran, and so did the exits it leaves to handleAccess.
      const stats = general.getStats();
      expect(pmlLogged).toBeGreaterThan(3000);
      expect(stats.pml_full_exits).toBeGreaterThan(2);
      expect(stats.pf_taken).toBeGreaterThan(0);
    });
  }
});

describe('the PML drain marks each entry as markPageDirtyInSlot does, in write order', () => {
  const drainSetups: readonly Setup[] = [
    ...SETUPS,
    { name: 'dirty ring', backing: '4k', manual: 0, ringBytes: 64 * 1024 },
  ];
  for (const setup of drainSetups) {
    it(setup.name, () => {
      const batched = makeTwin(setup, true);
      const entryByEntry = makeTwin(setup, true);
      // Slot 1 without a bitmap some of the time: its entries mark nothing.
      const rng = new Rng(11);
      let slot1Logging = true;
      for (let round = 0; round < DRAIN_ROUNDS; round++) {
        if (rng.chance(0.05)) {
          slot1Logging = !slot1Logging;
          setDirtyLogging(batched, 1, slot1Logging);
          setDirtyLogging(entryByEntry, 1, slot1Logging);
        }
        const id = rng.int(VCPUS);
        const vcpu = batched.vcpus[id];
        const pml = vcpu.pml;
        if (!pml) throw new Error('PML is on in these VMs');
        const n = 1 + rng.int(512);
        // Runs of neighbouring pages (same slot, same bitmap lines) and stray entries.
        let gfn = rng.int(2 * SLOT_PAGES + HOLE_PAGES);
        for (let k = 0; k < n; k++) {
          if (rng.chance(0.02)) gfn = pickBoundary(rng);
          else if (rng.chance(0.1)) gfn = rng.int(2 * SLOT_PAGES + HOLE_PAGES);
          else gfn = Math.min(gfn + rng.int(40), 2 * SLOT_PAGES + HOLE_PAGES - 1);
          pml.log(gfn);
        }
        const logged = [...pml.gfns.subarray(0, n)];
        const ns = flushPmlBuffer(batched, vcpu, pml);
        let want = 0;
        const reference = entryByEntry.vcpus[id];
        for (const g of logged) {
          const slot = entryByEntry.findSlot(g);
          want += entryByEntry.costs.pmlDrainPerEntry;
          if (slot) want += markPageDirtyInSlot(entryByEntry, reference, slot, g - slot.baseGfn);
        }
        expect({ round, ns }).toEqual({ round, ns: want });
        expect(pml.count).toBe(0);
        expect(snapshot(batched, false)).toEqual(snapshot(entryByEntry, false));
        if (setup.ringBytes !== undefined) {
          // Harvest and reset both VMs' rings, so that pushes never overflow them.
          for (const vm of [batched, entryByEntry]) {
            for (const v of vm.vcpus) if (v.dirtyRing) harvestRing(v.dirtyRing);
            vm.resetDirtyRings();
          }
        }
      }
      const stats = entryByEntry.getStats();
      expect(stats.bitmap_marks + stats.ring_pushes).toBeGreaterThan(DRAIN_ROUNDS * 100);
    });
  }
});

describe('a batch through runAccesses leaves what its accesses one at a time leave', () => {
  // Integer costs (the defaults): runAccesses charges fast faults in bulk.
  const batchSetups: readonly Setup[] = [
    {
      name: 'no PML, manual protect, 4K backing (inline fast faults)',
      backing: '4k',
      manual: KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
      params: { enablePml: false },
    },
    { name: 'no PML, bitmap, THP', backing: 'thp', manual: 0, params: { enablePml: false } },
    {
      name: 'PML, manual protect, initially set, THP',
      backing: 'thp',
      manual: KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
    },
  ];
  for (const setup of batchSetups) {
    it(setup.name, () => {
      // Half the pages mapped before logging starts, so that some first marks find
      // bitmap lines nobody wrote yet.
      const batched = makeTwin(setup, false);
      const oneByOne = makeTwin(setup, false);
      for (const vm of [batched, oneByOne]) {
        for (let gfn = 0; gfn < 2 * SLOT_PAGES + HOLE_PAGES; gfn += 2) {
          vm.vcpus[gfn & 1].accessFast(gfn, true);
        }
        setDirtyLogging(vm, 0, true);
        setDirtyLogging(vm, 1, true);
      }
      const rng = new Rng(5);
      let hot = 0;
      const counts = new Float64Array(ACCESS_OUTCOMES.length);
      for (let b = 0; b < BATCHES; b++) {
        if (rng.chance(0.1)) {
          // GET (and CLEAR) a slot's log on both: the next writes fault or log again.
          const slot = rng.int(2);
          const x = batched.getDirtyLog(slot);
          const y = oneByOne.getDirtyLog(slot);
          expect(x).toEqual(y);
          if (setup.manual) {
            batched.clearDirtyLog(slot, 0, SLOT_PAGES, x);
            oneByOne.clearDirtyLog(slot, 0, SLOT_PAGES, y);
          }
        }
        if (rng.chance(0.1)) hot = slotBase(rng.int(2)) + rng.int(SLOT_PAGES - HOT_PAGES);
        const n = 1 + rng.int(600);
        const gfns = new Float64Array(n);
        let gfn = pickGfn(rng, hot);
        for (let k = 0; k < n; k++) {
          if (rng.chance(0.01)) gfn = pickBoundary(rng);
          else if (rng.chance(0.3)) gfn = pickGfn(rng, hot);
          else gfn = Math.min(gfn + rng.int(8), 2 * SLOT_PAGES + HOLE_PAGES - 1);
          gfns[k] = gfn;
        }
        const kind = rng.int(3);
        const flags = new Uint8Array(n);
        for (let k = 0; k < n; k++) flags[k] = rng.chance(0.85) ? 1 : 0;
        const writes = kind === 0 ? true : kind === 1 ? false : flags;
        const start = rng.int(Math.min(n, 4));
        const id = rng.int(VCPUS);
        const r = batched.vcpus[id].runAccesses(gfns, writes, start, n);
        counts.fill(0);
        let costNs = 0;
        const vcpu = oneByOne.vcpus[id];
        for (let k = start; k < n; k++) {
          const write = writes === true || (writes !== false && writes[k] === 1);
          counts[vcpu.accessFast(gfns[k], write)]++;
          costNs += vcpu.lastCostNs;
        }
        expect({ b, next: r.next, exit: r.exit, counts: [...r.counts], costNs: r.costNs }).toEqual({
          b,
          next: n,
          exit: null,
          counts: [...counts],
          costNs,
        });
        if (b % 10 === 0) expect(snapshot(batched)).toEqual(snapshot(oneByOne));
      }
      expect(snapshot(batched)).toEqual(snapshot(oneByOne));
      const stats = oneByOne.getStats();
      expect(stats.pf_fast + stats.pml_logged).toBeGreaterThan(1000);
      expect(oneByOne.vcpus[0].stats.byOutcome[Outcome.NoFault]).toBeGreaterThan(10000);
    });
  }
});

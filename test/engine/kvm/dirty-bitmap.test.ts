import { describe, expect, it } from 'vitest';
import {
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
  asGfn,
} from '../../../engine/index.ts';
import { Rng } from '../../../engine/sim/rng.ts';
import { allPagesWord, writeDirtyBitmapOnesTo } from '../../../engine/kvm/memslot.ts';
import { clearDirtyLog } from '../../../engine/kvm/dirty-bitmap.ts';
import type { Vm } from '../../../engine/index.ts';
import { SPTE_DIRTY, SPTE_WRITABLE } from '../../../engine/kvm/spte.ts';
import { makeVm, region } from '../../helpers/kvm.ts';

// ---- tunables ----
/** Not a multiple of 64, so the bitmap has a partial last word. */
const NPAGES = 1000;
const BYTES = (Math.ceil(NPAGES / 64) * 64) / 8;
const WRITTEN = [0, 1, 31, 32, 63, 64, 500, 999];

/** A VM with one logged slot and WRITTEN pages written once by vCPU 0. */
function loggedVm(manual: boolean): Vm {
  const vm = makeVm({ params: { enablePml: false } });
  if (manual) vm.enableCap(Cap.ManualDirtyLogProtect2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
  vm.setUserMemoryRegion(region({ baseGfn: 0, npages: NPAGES, flags: KVM_MEM_LOG_DIRTY_PAGES }));
  const vcpu = vm.createVcpu(0);
  for (const p of WRITTEN) vcpu.write(asGfn(p));
  return vm;
}

/** A VM with one logged slot of `npages`, manual protect and INITIALLY_SET. */
function initiallySetVm(npages: number): Vm {
  return makeVm({
    caps: [
      [
        Cap.ManualDirtyLogProtect2,
        KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
      ],
    ],
    slots: [region({ baseGfn: 0, npages, flags: KVM_MEM_LOG_DIRTY_PAGES })],
  });
}

describe('getDirtyLog into a user buffer', () => {
  for (const manual of [true, false]) {
    const mode = manual ? 'manual protect' : 'clear on GET';
    it(`writes the same bytes as a fresh array and overwrites what the buffer held (${mode})`, () => {
      const fresh = Array.from(loggedVm(manual).getDirtyLog(0));
      expect(fresh.filter((b) => b !== 0).length).toBeGreaterThan(0);
      const buffer = new Uint8Array(BYTES).fill(0xa5);
      const got = loggedVm(manual).getDirtyLog(0, buffer);
      expect(got).toBe(buffer);
      expect(Array.from(got)).toEqual(fresh);
    });

    it(`fills a longer or unaligned buffer's first ALIGN(npages, 64) / 8 bytes (${mode})`, () => {
      const fresh = Array.from(loggedVm(manual).getDirtyLog(0));
      const backing = new Uint8Array(BYTES + 9).fill(0xff);
      const unaligned = backing.subarray(1);
      const got = loggedVm(manual).getDirtyLog(0, unaligned);
      expect(got.byteLength).toBe(BYTES);
      expect(Array.from(got)).toEqual(fresh);
      expect(backing[0]).toBe(0xff);
      expect(backing[BYTES + 1]).toBe(0xff);
    });
  }
});

describe('clearDirtyLog from a user buffer', () => {
  it('clears the same bits from an unaligned buffer as from an aligned one', () => {
    // Every other written page: the CLEAR leaves the rest for the next GET.
    const bits = new Uint8Array(BYTES);
    for (const [k, p] of WRITTEN.entries()) if (k % 2 === 0) bits[p >>> 3] |= 1 << (p & 7);
    const aligned = loggedVm(true);
    aligned.clearDirtyLog(0, 0, NPAGES, bits.slice());
    const backing = new Uint8Array(BYTES + 1);
    backing.set(bits, 1);
    const unaligned = loggedVm(true);
    unaligned.clearDirtyLog(0, 0, NPAGES, backing.subarray(1));
    const left = Array.from(aligned.getDirtyLog(0));
    expect(Array.from(unaligned.getDirtyLog(0))).toEqual(left);
    const leftPages = WRITTEN.filter((p) => (left[p >>> 3] >>> (p & 7)) & 1);
    expect(leftPages).toEqual(WRITTEN.filter((_, k) => k % 2 === 1));
  });
});

describe('clearDirtyLog masks', () => {
  // Bit 31 of a 32-bit mask is its sign bit: pages 31 and 63 of every 64 must be
  // re-armed like the pages below them, whatever sign the masks carry.
  const PAGES = 256;
  for (const pml of [true, false]) {
    it(`re-arms pages 31 and 63 of every 64 like the pages below them (${pml ? 'PML' : 'write protection'})`, () => {
      const vm = makeVm({
        params: { enablePml: pml },
        caps: [[Cap.ManualDirtyLogProtect2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE]],
        vcpus: 1,
      });
      vm.setUserMemoryRegion(
        region({ baseGfn: 0, npages: PAGES, flags: KVM_MEM_LOG_DIRTY_PAGES, backing: '4k' }),
      );
      for (let p = 0; p < PAGES; p++) vm.vcpus[0].write(asGfn(p));
      const all = vm.getDirtyLog(0);
      expect(Array.from(all).every((b) => b === 0xff)).toBe(true);
      const tdp = vm.memslot(0)!.tdp;
      const walkedBefore = tdp.maskWalked;
      vm.clearDirtyLog(0, 0, PAGES, all.slice());
      expect(tdp.maskWalked - walkedBefore).toBe(PAGES);
      const bit = pml ? SPTE_DIRTY : SPTE_WRITABLE;
      const armed = Array.from(tdp.spte4k.subarray(0, PAGES), (spte) => (spte & bit) === 0);
      expect(armed.every(Boolean)).toBe(true);
      expect(Array.from(vm.getDirtyLog(0)).every((b) => b === 0)).toBe(true);
      // Written again, the top pages of each mask are logged, and only they.
      const top = [31, 63, 95, 127, 159, 191, 223, 255];
      for (const p of top) vm.vcpus[0].write(asGfn(p));
      const got = vm.getDirtyLog(0);
      const dirty = [];
      for (let p = 0; p < PAGES; p++) if ((got[p >>> 3] >>> (p & 7)) & 1) dirty.push(p);
      expect(dirty).toEqual(top);
    });
  }
});

describe('getDirtyLogChanged (GET copying the lines changed since its last call)', () => {
  // Two identical VMs driven alike, as QEMU's lazy clear drives them: writes, GETs
  // into a buffer kept between GETs, CLEARs of 64-page chunks from that buffer, which
  // is then zeroed. One GETs whole, the other changed lines only.
  const LINE = 512;
  const PAGES = 5 * LINE + 300;
  for (const [name, pml, initiallySet] of [
    ['PML, initially set', true, true],
    ['fast faults (no PML)', false, false],
  ] as const) {
    it(`gives the buffer, the cost and the kernel bitmap of a whole GET (${name})`, () => {
      const mode =
        KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | (initiallySet ? KVM_DIRTY_LOG_INITIALLY_SET : 0);
      const vms = [0, 1].map(() => {
        const vm = makeVm({
          params: { enablePml: pml },
          caps: [[Cap.ManualDirtyLogProtect2, mode]],
          vcpus: 2,
        });
        vm.setUserMemoryRegion(
          region({ baseGfn: 0, npages: PAGES, flags: KVM_MEM_LOG_DIRTY_PAGES, backing: '4k' }),
        );
        return vm;
      });
      const words = Math.ceil(PAGES / 64) * 2;
      const whole = new Uint32Array(words);
      const delta = new Uint32Array(words);
      const lines = new Uint32Array(Math.ceil(PAGES / LINE));
      const rng = new Rng(initiallySet ? 31 : 32);
      let partial = 0;
      for (let step = 0; step < 400; step++) {
        const r = rng.next();
        if (r < 0.6) {
          // A burst of writes by one vCPU, near one place.
          const vcpu = rng.int(2);
          const at = rng.int(PAGES);
          for (let k = 0; k < 1 + rng.int(40); k++) {
            const p = Math.min(PAGES - 1, at + rng.int(200));
            for (const vm of vms) vm.vcpus[vcpu].write(asGfn(p));
          }
        } else if (r < 0.8) {
          const before = Uint32Array.from(delta);
          vms[0].getDirtyLog(0, new Uint8Array(whole.buffer));
          const n = vms[1].getDirtyLogChanged(0, delta, lines, false);
          expect(Array.from(delta)).toEqual(Array.from(whole));
          expect(vms[1].lastIoctl.ns).toBe(vms[0].lastIoctl.ns);
          if (n >= 0) {
            partial++;
            // Every word that changed lies in a line it reported.
            const copied = new Set(Array.from(lines.subarray(0, n)));
            for (let w = 0; w < words; w++) {
              if (delta[w] !== before[w])
                expect(copied.has(Math.floor((w * 32) / LINE))).toBe(true);
            }
          }
        } else {
          // CLEAR one 64-page chunk with the words the last GET fetched, then zero them.
          const first = 64 * rng.int(Math.ceil(PAGES / 64));
          const num = Math.min(64, PAGES - first);
          const w = first / 32;
          for (const vm of vms)
            vm.clearDirtyLog(0, first, num, new Uint8Array(delta.slice(w, w + 2).buffer));
          whole.fill(0, w, w + 2);
          delta.fill(0, w, w + 2);
          expect(vms[1].lastIoctl.ns).toBe(vms[0].lastIoctl.ns);
        }
      }
      expect(partial).toBeGreaterThan(20);
      const kernel = vms.map((vm) => Array.from(vm.getDirtyLog(0)));
      expect(kernel[1]).toEqual(kernel[0]);
    });
  }

  it('copies every line the first time, when told, and refuses a VM without manual protect', () => {
    const vm = loggedVm(true);
    const into = new Uint32Array(BYTES / 4);
    const lines = new Uint32Array(2);
    expect(vm.getDirtyLogChanged(0, into, lines, false)).toBe(-1);
    expect(vm.getDirtyLogChanged(0, into, lines, false)).toBe(0);
    vm.vcpus[0].write(asGfn(600));
    expect(vm.getDirtyLogChanged(0, into, lines, false)).toBe(1);
    expect(lines[0]).toBe(1);
    expect(vm.getDirtyLogChanged(0, into, lines, true)).toBe(-1);
    expect(() => loggedVm(false).getDirtyLogChanged(0, into, lines, false)).toThrow(
      /without manual protect a GET clears the bitmap/,
    );
  });

  it('leaves the all-set suffix to the caller when asked, and says where it begins', () => {
    const vm = initiallySetVm(NPAGES);
    // The first pass CLEARs pages [0, 128): the suffix begins at word 4.
    vm.clearDirtyLog(0, 0, 128, new Uint8Array(16).fill(0xff));
    const whole = new Uint32Array(vm.getDirtyLog(0).buffer);
    const into = new Uint32Array(BYTES / 4).fill(7);
    const lines = new Uint32Array(2);
    const onesLeft = { fromWord: -1 };
    expect(vm.getDirtyLogChanged(0, into, lines, true, onesLeft)).toBe(-1);
    expect(onesLeft.fromWord).toBe(4);
    expect(Array.from(into.subarray(0, 4))).toEqual(Array.from(whole.subarray(0, 4)));
    expect(into.subarray(4).every((w) => w === 7)).toBe(true);
    expect(Array.from(whole.subarray(4))).toEqual(
      Array.from(into.subarray(4), (_, k) => allPagesWord(NPAGES, (4 + k) * 32)),
    );
    // Without a suffix the copy is whole.
    expect(loggedVm(true).getDirtyLogChanged(0, into, lines, true, onesLeft)).toBe(-1);
    expect(onesLeft.fromWord).toBe(into.length);
  });

  it("writes no zeros into the caller's lines marked as zeros, and unmarks the lines it writes", () => {
    // 1024 pages: two lines. The first pass CLEARs line 0 whole (zeros nobody wrote);
    // line 1 stays in the all-set suffix.
    const vm = initiallySetVm(1024);
    vm.clearDirtyLog(0, 0, 512, new Uint8Array(64).fill(0xff));
    const into = new Uint32Array(32).fill(7);
    const lines = new Uint32Array(2);
    const zeroLines = new Uint8Array([1, 1]);
    // Line 0 is marked: its words (7, as if zeros) are left; line 1 is written with ones.
    expect(vm.getDirtyLogChanged(0, into, lines, true, undefined, zeroLines)).toBe(-1);
    expect(into.subarray(0, 16).every((w) => w === 7)).toBe(true);
    expect(into.subarray(16).every((w) => w === 0xffffffff)).toBe(true);
    expect(Array.from(zeroLines)).toEqual([1, 0]);
    // Unmarked, line 0 is written with its zeros.
    zeroLines[0] = 0;
    vm.getDirtyLogChanged(0, into, lines, true, undefined, zeroLines);
    expect(into.subarray(0, 16).every((w) => w === 0)).toBe(true);
    expect(() => vm.getDirtyLogChanged(0, into, lines, true, undefined, new Uint8Array(1))).toThrow(
      /intoZeroLines has 1 lines, 2 are needed/,
    );
  });

  it('neither copies nor lists a line a CLEAR alone changed whose zeros the caller holds', () => {
    // 1536 pages: three lines. The first pass CLEARs line 0, a whole GET copies line 1
    // and 2's ones; then the pass CLEARs lines 1 and 2, which the caller zeroes too (as
    // QEMU zeroes dirty_bmap after a CLEAR) but marks only line 1 as zeros.
    const vm = initiallySetVm(1536);
    const ones = new Uint8Array(64).fill(0xff);
    vm.clearDirtyLog(0, 0, 512, ones);
    const into = new Uint32Array(48);
    const lines = new Uint32Array(3);
    const zeroLines = new Uint8Array([1, 1, 1]);
    expect(vm.getDirtyLogChanged(0, into, lines, true, undefined, zeroLines)).toBe(-1);
    // The pass CLEARs the first 64 pages of line 1: the rest is still in the suffix, so
    // the line is copied though marked.
    vm.clearDirtyLog(0, 512, 64, ones);
    into.fill(0, 16, 18);
    zeroLines[1] = 1;
    expect(vm.getDirtyLogChanged(0, into, lines, false, undefined, zeroLines)).toBe(1);
    expect(lines[0]).toBe(1);
    expect(Array.from(into.subarray(16, 20))).toEqual([0, 0, 0xffffffff, 0xffffffff]);
    vm.clearDirtyLog(0, 576, 448, ones);
    vm.clearDirtyLog(0, 1024, 512, ones);
    // A probe in line 1 (which the caller says holds zeros) shows it is not written.
    into.fill(0, 16);
    into[20] = 7;
    zeroLines[1] = 1;
    expect(vm.getDirtyLogChanged(0, into, lines, false, undefined, zeroLines)).toBe(1);
    expect(lines[0]).toBe(2);
    expect(into[20]).toBe(7);
    // Without marks every line changed is copied and listed.
    vm.clearDirtyLog(0, 0, 1536, new Uint8Array(192).fill(0xff));
    expect(vm.getDirtyLogChanged(0, into, lines, false)).toBe(3);
    expect(into[20]).toBe(0);
  });
});

describe("INITIALLY_SET's ones as an all-set suffix (Memslot.dirtyBitmapOnesFrom)", () => {
  // Two identical VMs, one with its suffix written out at once (the plain bitmap),
  // driven alike: a first pass of CLEARs in order while pages ahead of it fault and are
  // marked, then CLEARs of random chunks with random masks too; GETs throughout. Same
  // GETs, costs, stats and SPTEs.
  const PAGES = 40 * 64 + 37;
  for (const pml of [true, false]) {
    it(`reads and changes as the written-out bitmap does (${pml ? 'PML' : 'fast faults'})`, () => {
      const vms = [0, 1].map(() => {
        const vm = makeVm({
          params: { enablePml: pml },
          caps: [
            [
              Cap.ManualDirtyLogProtect2,
              KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
            ],
          ],
          vcpus: 2,
        });
        vm.setUserMemoryRegion(region({ baseGfn: 0, npages: PAGES, backing: '4k' }));
        for (let p = 0; p < PAGES; p += 3) vm.vcpus[p & 1].write(asGfn(p));
        vm.setUserMemoryRegion(
          region({ baseGfn: 0, npages: PAGES, flags: KVM_MEM_LOG_DIRTY_PAGES, backing: '4k' }),
        );
        return vm;
      });
      const plain = vms[1].memslot(0)!;
      writeDirtyBitmapOnesTo(plain, PAGES);
      expect(plain.dirtyBitmapOnesFrom).toBe(PAGES);
      expect(vms[0].memslot(0)!.dirtyBitmapOnesFrom).toBe(0);
      const rng = new Rng(pml ? 51 : 52);
      let cursor = 0;
      const get = () => vms.map((vm) => Array.from(vm.getDirtyLog(0)));
      // Each VM's buffer of changed-line GETs too, zeroed after a CLEAR of what it held.
      const words = Math.ceil(PAGES / 64) * 2;
      const deltas = vms.map(() => new Uint32Array(words));
      const lines = new Uint32Array(Math.ceil(PAGES / 512));
      for (let step = 0; step < 300; step++) {
        const r = rng.next();
        if (r < 0.4) {
          // A write, after a read half of the time (a read fault maps the page
          // writable with D clear: the write is then PML-logged, not faulted).
          const vcpu = rng.int(2);
          const p = rng.int(PAGES);
          const readFirst = rng.chance(0.5);
          for (const vm of vms) {
            if (readFirst) vm.vcpus[vcpu].read(asGfn(p));
            vm.vcpus[vcpu].write(asGfn(p));
          }
        } else if (r < 0.7) {
          // The first pass: the next 64-page chunk at the cursor, with what a GET fetched.
          const [mask] = get();
          const num = Math.min(64, PAGES - cursor);
          const bytes = new Uint8Array(mask.slice(cursor / 8, cursor / 8 + 8));
          for (const vm of vms) vm.clearDirtyLog(0, cursor, num, bytes.slice());
          for (const d of deltas) d.fill(0, cursor / 32, cursor / 32 + 2);
          cursor = cursor + 64 >= PAGES ? 0 : cursor + 64;
        } else if (r < 0.85 && step >= 150) {
          // CLEARs anywhere only after a first pass that cleared in order alone.
          const first = 64 * rng.int(Math.ceil(PAGES / 64));
          const num = Math.min(64 * (1 + rng.int(3)), PAGES - first);
          const bytes = new Uint8Array(Math.ceil(num / 64) * 8);
          for (let k = 0; k < bytes.length; k++) bytes[k] = rng.int(256);
          for (const vm of vms) vm.clearDirtyLog(0, first, num, bytes.slice());
        } else if (r < 0.92) {
          const [a, b] = get();
          expect(a).toEqual(b);
        } else {
          vms.forEach((vm, k) => vm.getDirtyLogChanged(0, deltas[k], lines, false));
          expect(Array.from(deltas[0])).toEqual(Array.from(deltas[1]));
          const [a] = get();
          expect(Array.from(deltas[0])).toEqual(
            Array.from(new Uint32Array(new Uint8Array(a).buffer)),
          );
        }
        expect(vms[0].lastIoctl.ns).toBe(vms[1].lastIoctl.ns);
      }
      const [a, b] = get();
      expect(a).toEqual(b);
      expect(vms[0].getStats()).toEqual(vms[1].getStats());
      const lazy = vms[0].memslot(0)!;
      expect(Array.from(lazy.tdp.spte4k)).toEqual(Array.from(plain.tdp.spte4k));
      expect(Array.from(lazy.bitmapLineOwner)).toEqual(Array.from(plain.bitmapLineOwner));
      // A first pass moved the suffix up without writing the words it passed.
      expect(lazy.dirtyBitmapOnesFrom).toBeGreaterThan(0);
    });
  }
});

describe('CLEAR of a range nothing maps', () => {
  // Twin VMs, one CLEARing with the whole-range check, one asking the page tables for
  // every 64 pages: a slot mapped in a few places, CLEARs of random ranges and masks.
  const PAGES = 64 * 512;
  for (const initiallySet of [false, true]) {
    it(`charges and re-arms as the check per 64 pages does (${initiallySet ? 'initially set' : 'manual'})`, () => {
      const mode =
        KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | (initiallySet ? KVM_DIRTY_LOG_INITIALLY_SET : 0);
      const vms = [0, 1].map(() => {
        const vm = makeVm({ caps: [[Cap.ManualDirtyLogProtect2, mode]], vcpus: 1 });
        vm.setUserMemoryRegion(region({ baseGfn: 0, npages: PAGES, backing: 'thp' }));
        // Mapped: two 2M frames and a few scattered pages.
        for (const p of [0, 5, 512 * 7 + 3, 512 * 7 + 300, 20_000, 31_000])
          vm.vcpus[0].write(asGfn(p));
        vm.setUserMemoryRegion(
          region({ baseGfn: 0, npages: PAGES, flags: KVM_MEM_LOG_DIRTY_PAGES, backing: 'thp' }),
        );
        return vm;
      });
      const rng = new Rng(initiallySet ? 61 : 62);
      let unmappedRanges = 0;
      for (let step = 0; step < 200; step++) {
        if (rng.chance(0.3)) {
          const p = rng.int(PAGES);
          for (const vm of vms) vm.vcpus[0].write(asGfn(p));
        }
        // First a pass in order with every bit (INITIALLY_SET's first pass), then anywhere.
        const inOrder = step < 60;
        const first = inOrder ? step * 256 : 64 * rng.int(PAGES / 64);
        const num = Math.min(inOrder ? 256 : 64 * (1 + rng.int(40)), PAGES - first);
        const bytes = new Uint8Array((num / 64) * 8);
        for (let k = 0; k < bytes.length; k++) {
          bytes[k] = inOrder || rng.chance(0.7) ? 0xff : rng.int(256);
        }
        if (vms[0].memslot(0)!.tdp.emptyAt(first, first + num - 1)) unmappedRanges++;
        clearDirtyLog(vms[0], 0, first, num, bytes.slice(), true);
        clearDirtyLog(vms[1], 0, first, num, bytes.slice(), false);
        expect({ ...vms[0].lastIoctl }).toEqual({ ...vms[1].lastIoctl });
      }
      expect(unmappedRanges).toBeGreaterThan(20);
      expect(Array.from(vms[0].getDirtyLog(0))).toEqual(Array.from(vms[1].getDirtyLog(0)));
      expect(vms[0].getStats()).toEqual(vms[1].getStats());
      expect(Array.from(vms[0].memslot(0)!.tdp.spte4k)).toEqual(
        Array.from(vms[1].memslot(0)!.tdp.spte4k),
      );
    });
  }
});

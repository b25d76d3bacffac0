import { describe, expect, it } from 'vitest';
import {
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
  asGfn,
} from '../../../engine/index.ts';
import { Rng } from '../../../engine/sim/rng.ts';
import type { Vm } from '../../../engine/index.ts';
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
});

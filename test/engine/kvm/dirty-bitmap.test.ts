import { describe, expect, it } from 'vitest';
import {
  Cap,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
  asGfn,
} from '../../../engine/index.ts';
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

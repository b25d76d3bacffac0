import { describe, expect, it } from 'vitest';
import type { KvmParams } from '../../../engine/kvm/params.ts';
import type { Backing } from '../../../engine/kvm/types.ts';
import { Kvm } from '../../../engine/kvm/kvm.ts';
import { MmuLockMode } from '../../../engine/kvm/types.ts';
import { KVM_MEM_LOG_DIRTY_PAGES } from '../../../engine/kvm/uapi.ts';

// ---- tunables ----
const MiB = 2 ** 20;
const SLOT = 8 * MiB;
const PAGES = SLOT / 4096;

const SHADOW: Partial<KvmParams> = { tdp: false, enablePml: false };
const TDP: Partial<KvmParams> = { tdp: true, enablePml: false };

/** A VM with one slot; `touch` pages written before logging starts (step 1: every page). */
function vmWith(params: Partial<KvmParams>, backing: Backing, touch: number) {
  const vm = new Kvm({ params }).createVm();
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: SLOT, backing });
  const vcpu = vm.createVcpu(0);
  if (touch > 0)
    vcpu.runAccesses(
      Float64Array.from({ length: touch }, (_, k) => k),
      true,
    );
  vm.setUserMemoryRegion({
    slot: 0,
    flags: KVM_MEM_LOG_DIRTY_PAGES,
    guestPhysAddr: 0,
    memorySize: SLOT,
  });
  return { vm, vcpu, enableNs: vm.lastIoctl.ns };
}

describe('shadow paging (tdp false)', () => {
  it('takes a write-protection fault on the slow path, mmu_lock held for write', () => {
    const { vm, vcpu } = vmWith(SHADOW, '4k', PAGES);
    expect(vcpu.write(5 as never).outcome).toBe('slow-fault');
    expect(vcpu.lastMmuLock).toBe(MmuLockMode.Write);
    expect(vm.stats.pf_fast).toBe(0);
  });

  it('fixes the same fault locklessly with TDP (the twin)', () => {
    const { vcpu } = vmWith(TDP, '4k', PAGES);
    expect(vcpu.write(5 as never).outcome).toBe('fast-fault');
    expect(vcpu.lastMmuLock).toBe(MmuLockMode.None);
  });

  it('charges the guest page-table walk on every shadow fault', () => {
    const shadow = vmWith(SHADOW, '4k', PAGES);
    const tdp = vmWith({ ...TDP, fastPageFault: false }, '4k', PAGES);
    const a = shadow.vcpu.write(5 as never).costNs;
    const b = tdp.vcpu.write(5 as never).costNs;
    expect(a - b).toBe(shadow.vm.costs.shadowGuestWalk);
  });

  it('drops a huge SPTE on a write fault instead of splitting it in place, and splits nothing eagerly', () => {
    const { vm, vcpu } = vmWith(
      { ...SHADOW, eagerPageSplit: true, splitOnFault: 'in-place' },
      'hugetlb_2m',
      PAGES,
    );
    expect(vm.stats.eager_splits).toBe(0);
    expect(vcpu.write(5 as never).outcome).toBe('zap-on-fault');
    expect(vm.stats.fault_splits).toBe(0);
  });

  it('write-protects through rmaps: enabling logging costs per gfn, mapped or not', () => {
    const none = vmWith(SHADOW, '4k', 0).enableNs;
    const all = vmWith(SHADOW, '4k', PAGES).enableNs;
    // The same walk; mapped pages add only the remote TLB flush their protection needs.
    expect(all - none).toBeLessThan(none / 100);
    expect(none).toBeGreaterThan(PAGES * vmWith(SHADOW, '4k', 0).vm.costs.rmapWalkPerGfn);
  });

  it('walks only what is mapped with the TDP MMU (the twin)', () => {
    expect(vmWith(TDP, '4k', PAGES).enableNs).toBeGreaterThan(vmWith(TDP, '4k', 0).enableNs);
  });

  it.each([
    ['on arm64', { arch: 'arm64' as const, params: { tdp: false } }, /x86-only/],
    ['with PML', { params: { tdp: false, enablePml: true } }, /PML needs EPT|enablePml needs EPT/],
  ])('is rejected %s, saying why', (_what, options, message) => {
    expect(() => new Kvm(options)).toThrow(message);
  });

  it('is accepted on x86 with PML off (the twin)', () => {
    expect(new Kvm({ params: SHADOW }).params.tdp).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { Kvm, KVM_MEM_LOG_DIRTY_PAGES, asGfn } from '../../../engine/index.ts';

describe('a VM with one slot', () => {
  it('maps a 1G huge page on first touch and reports a written page after logging starts', () => {
    const vm = new Kvm({ arch: 'x86_64', params: { enablePml: false } }).createVm();
    vm.setUserMemoryRegion({
      slot: 0,
      flags: 0,
      guestPhysAddr: 0,
      memorySize: 2 ** 30,
      backing: 'hugetlb_1g',
    });
    const vcpu = vm.createVcpu(0);
    expect(vcpu.write(asGfn(5)).outcome).toBe('slow-fault');
    expect(vm.getStats().pages_1g).toBe(1);
    vm.setUserMemoryRegion({
      slot: 0,
      flags: KVM_MEM_LOG_DIRTY_PAGES,
      guestPhysAddr: 0,
      memorySize: 2 ** 30,
    });
    expect(vm.getStats()).toMatchObject({ pages_1g: 0, pages_2m: 0, pages_4k: 262144 });
    expect(vcpu.write(asGfn(7)).outcome).toBe('fast-fault');
    const bitmap = vm.getDirtyLog(0);
    expect(bitmap[0]).toBe(1 << 7);
    expect(vm.getDirtyLog(0)[0]).toBe(0);
  });
});

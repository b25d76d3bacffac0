/**
 * Vm.saveItsTables: the arm64 ITS writes its tables into guest RAM with no running
 * vCPU, which KVM allows only while the save is in progress
 * (kvm_arch_allow_write_without_running_vcpu). With the ring alone the pages are
 * lost; with ring + bitmap they reach the bitmap; outside the save the same write
 * warns again.
 */
import { describe, expect, it } from 'vitest';
import { Cap, KVM_MEM_LOG_DIRTY_PAGES, asGfn } from '../../../engine/index.ts';
import type { Vm } from '../../../engine/index.ts';
import { buildWorld } from '../../../engine/sim/world.ts';
import { bitmapPages, expectKvmError, makeVm, region } from '../../helpers/kvm.ts';
import { plan, smallVm, tracking } from '../../helpers/plans.ts';

const NPAGES = 1024;
const TABLE_GFNS = [asGfn(10), asGfn(11), asGfn(12)];

function arm64Vm(withBitmap: boolean): Vm {
  return makeVm({
    arch: 'arm64',
    caps: withBitmap
      ? [[Cap.DirtyLogRingAcqRel, 4096 * 16], [Cap.DirtyLogRingWithBitmap]]
      : [[Cap.DirtyLogRingAcqRel, 4096 * 16]],
    slots: [region({ baseGfn: 0, npages: NPAGES, flags: KVM_MEM_LOG_DIRTY_PAGES })],
    vcpus: 1,
  });
}

describe('Vm.saveItsTables', () => {
  it('loses every page with the ring alone, without a warning', () => {
    const vm = arm64Vm(false);
    expect(vm.saveItsTables(TABLE_GFNS)).toBe(3);
    expect(vm.lostDirty.map((e) => e.gfn)).toEqual([10, 11, 12]);
    expect(vm.stats.warnings).toBe(0);
  });

  it('puts every page in the bitmap with ring + bitmap', () => {
    const vm = arm64Vm(true);
    expect(vm.saveItsTables(TABLE_GFNS)).toBe(0);
    expect(bitmapPages(vm.getDirtyLog(0))).toEqual([10, 11, 12]);
  });

  it('allows writes without a vCPU only while the save runs', () => {
    const vm = arm64Vm(true);
    vm.saveItsTables(TABLE_GFNS);
    expect(vm.allowWriteWithoutRunningVcpu).toBe(false);
    vm.markPageDirtyWithoutVcpu(asGfn(20));
    expect(vm.stats.warnings).toBe(1);
  });

  it('is an arm64 device: x86 has no ITS (ENXIO)', () => {
    const vm = makeVm({ slots: [region({ baseGfn: 0, npages: NPAGES })] });
    expectKvmError(() => vm.saveItsTables(TABLE_GFNS), 'ENXIO', /GICv3 device of arm64/);
  });
});

describe('Vm.saveVgicPendingTables', () => {
  it('writes in the same no-vCPU window as the ITS: lost with the ring alone, in the bitmap with ring + bitmap', () => {
    const ringOnly = arm64Vm(false);
    expect(ringOnly.saveVgicPendingTables(TABLE_GFNS)).toBe(3);
    expect(ringOnly.stats.warnings).toBe(0);
    const withBitmap = arm64Vm(true);
    expect(withBitmap.saveVgicPendingTables(TABLE_GFNS)).toBe(0);
    expect(bitmapPages(withBitmap.getDirtyLog(0))).toEqual([10, 11, 12]);
    expect(withBitmap.allowWriteWithoutRunningVcpu).toBe(false);
  });

  it('is the GICv3 of arm64: x86 has none (ENXIO)', () => {
    const vm = makeVm({ slots: [region({ baseGfn: 0, npages: NPAGES })] });
    expectKvmError(() => vm.saveVgicPendingTables(TABLE_GFNS), 'ENXIO', /GICv3 of arm64/);
  });
});

describe('a VMM that enables WITH_BITMAP once its memslots exist', () => {
  it('is refused by KVM with EINVAL when the run builds the VM', () => {
    const arm = smallVm({
      arch: 'arm64',
      slots: [{ name: 'r', gpa: 0, size: 64 * 2 ** 20, backing: '4k' }],
    });
    const build = (when: 'before-memslots' | 'after-memslots'): unknown =>
      buildWorld(
        plan({
          vm: arm,
          tracking: tracking({
            dirtyLog: 'ring-with-bitmap',
            ringEntries: 4096,
            ringBitmapEnable: when,
          }),
        }),
      );
    expectKvmError(() => build('after-memslots'), 'EINVAL', /memslots exist/);
    expect(build('before-memslots')).toBeDefined();
  });
});

describe("the proposals for vCPU-less writes in ring-only mode (Peter Xu's vcpu0 ring, Paolo Bonzini's VM ring)", () => {
  function proposalVm(vcpulessWrites: 'vcpu0-ring' | 'vm-ring', ringBytes = 4096 * 16): Vm {
    return makeVm({
      arch: 'arm64',
      params: {
        proposals: {
          ringTopology: { kind: 'per-vcpu' },
          dirtyGranularity: '4k',
          splitOnFirstClear: false,
          vcpulessWrites,
          ringReserve: null,
        },
      },
      caps: [[Cap.DirtyLogRingAcqRel, ringBytes]],
      slots: [region({ baseGfn: 0, npages: NPAGES, flags: KVM_MEM_LOG_DIRTY_PAGES })],
      vcpus: 2,
    });
  }

  it("keeps every page of the ITS save in vCPU 0's ring", () => {
    const vm = proposalVm('vcpu0-ring');
    expect(vm.saveItsTables(TABLE_GFNS)).toBe(0);
    expect(vm.dirtyRings()[0].used).toBe(3);
    expect(vm.dirtyRings()[1].used).toBe(0);
  });

  it("keeps every page in a ring of the VM's own, beside the vCPUs' rings", () => {
    const vm = proposalVm('vm-ring');
    expect(vm.dirtyRings()).toHaveLength(3);
    expect(vm.saveItsTables(TABLE_GFNS)).toBe(0);
    expect(vm.rings?.vmRing?.used).toBe(3);
  });

  it('loses what finds the ring hard-full: no vCPU can be stopped for it', () => {
    const vm = proposalVm('vm-ring', 4096);
    const many = Array.from({ length: 300 }, (_, k) => asGfn(k));
    expect(vm.saveItsTables(many)).toBe(300 - 256);
  });
});

/**
 * The dirty-log mode table: each row's caps, enabled on a fresh VM, give the mode the
 * VM reports (Vm.dirtyLogMode, derived from the caps as KVM does), and the row's
 * flags agree with what the VM then does.
 */
import { describe, expect, it } from 'vitest';
import type { Arch } from '../../../engine/index.ts';
import { Kvm } from '../../../engine/index.ts';
import { LOG_MODES } from '../../../engine/vmm/log-mode.ts';
import { tracking } from '../../helpers/plans.ts';

const KVM_MODE = {
  bitmap: 'bitmap',
  'bitmap-manual': 'bitmap-manual',
  'bitmap-initially-set': 'bitmap-manual-initially-set',
  ring: 'ring',
  'ring-with-bitmap': 'ring-with-bitmap',
} as const;

describe('LOG_MODES', () => {
  for (const mode of Object.values(LOG_MODES)) {
    const arch: Arch = mode.withBitmap ? 'arm64' : 'x86_64';
    it(`${mode.name}: its caps put a new ${arch} VM in that mode`, () => {
      const vm = new Kvm({ arch }).createVm();
      for (const cap of mode.caps(tracking({ dirtyLog: mode.name }), arch)) vm.enableCapRaw(cap);
      expect(vm.dirtyLogMode).toBe(KVM_MODE[mode.name]);
      expect(vm.useDirtyBitmap).toBe(!mode.ring || mode.withBitmap);
      expect(vm.initiallySet).toBe(mode.initiallySet);
      expect(vm.manualProtect !== 0).toBe(mode.manualClear);
    });
  }

  it('sizes the ring from the policy, in 16-byte entries', () => {
    const vm = new Kvm({ arch: 'x86_64' }).createVm();
    for (const cap of LOG_MODES.ring.caps(
      tracking({ dirtyLog: 'ring', ringEntries: 8192 }),
      'x86_64',
    ))
      vm.enableCapRaw(cap);
    expect(vm.dirtyRingSize).toBe(8192 * 16);
    expect(vm.dirtyRingAcqRel).toBe(false);
  });

  it('uses the ACQ_REL ring on arm64, where it is the only one', () => {
    const vm = new Kvm({ arch: 'arm64' }).createVm();
    for (const cap of LOG_MODES.ring.caps(tracking({ dirtyLog: 'ring' }), 'arm64'))
      vm.enableCapRaw(cap);
    expect(vm.dirtyRingAcqRel).toBe(true);
  });
});

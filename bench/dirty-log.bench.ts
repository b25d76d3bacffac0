/**
 * GET + CLEAR of a 1 TiB slot's dirty log (manual protect), with 1 GiB of pages
 * dirtied at random: wall time of each ioctl and its simulated duration.
 */
import {
  Kvm,
  Cap,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
  asGfn,
} from '../engine/index.ts';
import { Rng } from '../engine/sim/rng.ts';
import { GiB, TiB, peakRssMiB, row, timeMs } from './util.ts';

const SIZE = 1 * TiB;
const GPA = 2 ** 32;
const BASE = GPA / 4096;
const npages = SIZE / 4096;
const vm = new Kvm({ arch: 'x86_64', params: { enablePml: false } }).createVm();
vm.enableCap(Cap.ManualDirtyLogProtect2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
vm.setUserMemoryRegion({
  slot: 0,
  flags: 0,
  guestPhysAddr: GPA,
  memorySize: SIZE,
  backing: 'hugetlb_1g',
});
const vcpu = vm.createVcpu(0);
for (let g = 0; g < npages; g += 262144) vcpu.write(asGfn(BASE + g));
vm.setUserMemoryRegion({
  slot: 0,
  flags: KVM_MEM_LOG_DIRTY_PAGES,
  guestPhysAddr: GPA,
  memorySize: SIZE,
});

const rng = new Rng(3);
const gfns = new Float64Array(GiB / 4096);
for (let i = 0; i < gfns.length; i++) gfns[i] = BASE + rng.int(npages);
vcpu.runAccesses(gfns, true);

let bitmap: Uint8Array = new Uint8Array(0);
const getMs = timeMs(() => {
  bitmap = vm.getDirtyLog(0);
});
const getSim = vm.lastIoctl.ns;
const clearMs = timeMs(() => vm.clearDirtyLog(0, 0, npages, bitmap));
const clearSim = vm.lastIoctl.ns;
const emptyGetMs = timeMs(() => {
  bitmap = vm.getDirtyLog(0);
});
row(
  'GET_DIRTY_LOG, 1 TiB slot, ~1 GiB dirty: wall',
  `${getMs.toFixed(1)} ms (simulated ${(getSim / 1e6).toFixed(1)} ms)`,
);
row(
  'CLEAR_DIRTY_LOG of the whole slot: wall',
  `${clearMs.toFixed(1)} ms (simulated ${(clearSim / 1e6).toFixed(1)} ms)`,
);
row('GET_DIRTY_LOG again, nothing dirty: wall', `${emptyGetMs.toFixed(1)} ms`);
row('peak RSS', `${peakRssMiB().toFixed(0)} MiB`);

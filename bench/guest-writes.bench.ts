/**
 * Simulated guest writes per second of wall time, beside a bare typed-array loop
 * doing the same accesses in the same run. Steady state: every page already
 * writable and dirty, so KVM sees nothing (the case that dominates long runs).
 * Then the same for writes that each take a fast page fault after a CLEAR.
 */
import {
  Kvm,
  Cap,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
} from '../engine/index.ts';
import { Rng } from '../engine/sim/rng.ts';
import { GiB, fmt, row, timeMs } from './util.ts';

const SLOT_BYTES = 64 * GiB;
const HOT_BYTES = 1 * GiB;
const ACCESSES = 20_000_000;
const BASE_GFN = (4 * GiB) / 4096;

const kvm = new Kvm({ arch: 'x86_64', params: { enablePml: false } });
const vm = kvm.createVm();
vm.enableCap(Cap.ManualDirtyLogProtect2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
vm.setUserMemoryRegion({
  slot: 0,
  flags: 0,
  guestPhysAddr: BASE_GFN * 4096,
  memorySize: SLOT_BYTES,
  backing: 'hugetlb_1g',
});
const vcpu = vm.createVcpu(0);
const npages = SLOT_BYTES / 4096;

function stream(pages: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const gfns = new Float64Array(ACCESSES);
  for (let i = 0; i < ACCESSES; i++) gfns[i] = BASE_GFN + rng.int(pages);
  return gfns;
}

/** The bare loop: one flag byte per page, the same test-and-set the model's fast check does. */
function bare(gfns: Float64Array, flags: Uint8Array): number {
  let changed = 0;
  for (let i = 0; i < gfns.length; i++) {
    const rel = gfns[i] - BASE_GFN;
    const b = flags[rel];
    if ((b & 0x25) !== 0x25) {
      flags[rel] = b | 0x25;
      changed++;
    }
  }
  return changed;
}

// Map everything huge, then start logging: eager split leaves 4K SPTEs everywhere.
for (let g = 0; g < npages; g += 262144) vcpu.runAccesses([BASE_GFN + g], true);
vm.setUserMemoryRegion({
  slot: 0,
  flags: KVM_MEM_LOG_DIRTY_PAGES,
  guestPhysAddr: BASE_GFN * 4096,
  memorySize: SLOT_BYTES,
});

for (const [label, pages] of [
  ['random writes over a 64 GiB slot', npages],
  ['random writes over a 1 GiB hot set', HOT_BYTES / 4096],
] as const) {
  const gfns = stream(pages, 7);
  vcpu.runAccesses(gfns, true); // warm: the first write to each page faults once
  const flags = new Uint8Array(npages).fill(0x25);
  bare(gfns, flags);
  const model = timeMs(() => vcpu.runAccesses(gfns, true), 3);
  const loop = timeMs(() => bare(gfns, flags), 3);
  const modelRate = ACCESSES / (model / 1e3);
  const loopRate = ACCESSES / (loop / 1e3);
  row(`${label}: model`, `${fmt(modelRate)} writes/s`);
  row(`${label}: bare typed-array loop`, `${fmt(loopRate)} writes/s`);
  row(`${label}: ratio model / bare`, `${(modelRate / loopRate).toFixed(2)}x (goal >= 0.5x)`);
}

// State-changing writes: after a whole-slot CLEAR every first write is a fast page fault.
{
  const gfns = stream(HOT_BYTES / 4096, 11);
  const bitmap = vm.getDirtyLog(0);
  vm.clearDirtyLog(0, 0, npages, bitmap);
  const r = { faults: 0 };
  const ms = timeMs(() => {
    const b = vcpu.runAccesses(gfns, true);
    r.faults = b.counts[3];
  });
  row(
    'writes after CLEAR (1 GiB hot set), fast faults included',
    `${fmt(ACCESSES / (ms / 1e3))} writes/s`,
  );
  row('  of which fast page faults', `${fmt(r.faults)} (${fmt(r.faults / (ms / 1e3))} faults/s)`);
}

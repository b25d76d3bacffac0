import type { Vcpu } from './vcpu.ts';
import type { Vm } from './vm.ts';
import { markPageDirtyInSlot, markPagesDirtyInRuns } from './dirty-log.ts';
import { PML_LOG_NR_ENTRIES } from './uapi.ts';

/**
 * A vCPU's Page-Modification Log (Intel PML, arch/x86/kvm/vmx): 512 GPAs the CPU
 * appends when it sets a D-bit 0 -> 1. The model stores gfns in write order; the index
 * counts down from 511 as GUEST_PML_INDEX does.
 */
export class PmlBuffer {
  /** The logged gfns in write order: entries [0, count) are valid. */
  readonly gfns = new Float64Array(PML_LOG_NR_ENTRIES);
  /** GUEST_PML_INDEX: the next free slot, counting down from 511; -1 when full. */
  index = PML_LOG_NR_ENTRIES - 1;

  get count(): number {
    return PML_LOG_NR_ENTRIES - 1 - this.index;
  }

  get full(): boolean {
    return this.index < 0;
  }

  /** Log one gfn. Precondition: not full (the CPU takes a PML-full exit instead). */
  log(gfn: number): void {
    this.gfns[PML_LOG_NR_ENTRIES - 1 - this.index] = gfn;
    this.index--;
  }

  /** Empty the buffer (GUEST_PML_INDEX back to 511) once its entries were handled. */
  reset(): void {
    this.index = PML_LOG_NR_ENTRIES - 1;
  }
}

/**
 * `vmx_flush_pml_buffer`: mark every gfn logged in `vcpu`'s buffer dirty, in write
 * order (the 2025 change), with `vcpu` as the writer, and empty the buffer. Returns
 * the cost in ns: `pmlDrainPerEntry` per entry plus what marking each one costs.
 */
export function flushPmlBuffer(vm: Vm, vcpu: Vcpu, pml: PmlBuffer): number {
  const n = pml.count;
  const gfns = pml.gfns;
  const costs = vm.costs;
  let ns = 0;
  if (marksInRuns(vm)) {
    // Runs of entries in one slot at once, for performance: with integer costs the
    // bulk sum is the sum entry by entry.
    ns = n * costs.pmlDrainPerEntry + markPagesDirtyInRuns(vm, vcpu, gfns, n);
  } else {
    for (let k = 0; k < n; k++) {
      const gfn = gfns[k];
      const slot = vm.findSlot(gfn);
      ns += costs.pmlDrainPerEntry;
      if (slot) ns += markPageDirtyInSlot(vm, vcpu, slot, gfn - slot.baseGfn);
    }
  }
  pml.reset();
  return ns;
}

/**
 * Whether the drain may mark runs of entries at once: bitmap mode at 4K (no ring,
 * whose entries keep the write order and can overflow) and integer costs (so that
 * counting them in bulk sums to exactly what adding them entry by entry does).
 */
function marksInRuns(vm: Vm): boolean {
  const costs = vm.costs;
  return (
    vm.dirtyRingSize === 0 &&
    vm.dirtyGranularityPages === 1 &&
    Number.isInteger(costs.pmlDrainPerEntry) &&
    Number.isInteger(costs.markDirtyBitmap) &&
    Number.isInteger(costs.cacheLineTransfer)
  );
}

import { PML_LOG_NR_ENTRIES } from './uapi.ts';

/**
 * A vCPU's Page-Modification Log (Intel PML, arch/x86/kvm/vmx): 512 GPAs the CPU
 * appends when it sets a D-bit 0 -> 1. The model stores gfns in write order; the index
 * counts down from 511 as GUEST_PML_INDEX does.
 */
export class PmlBuffer {
  private readonly gfns = new Float64Array(PML_LOG_NR_ENTRIES);
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

  /**
   * `vmx_flush_pml_buffer`: hand every logged gfn to `mark` in write order (the 2025
   * change) and reset the index. Returns the number drained.
   */
  drain(mark: (gfn: number) => void): number {
    const n = this.count;
    for (let k = 0; k < n; k++) mark(this.gfns[k]);
    this.index = PML_LOG_NR_ENTRIES - 1;
    return n;
  }
}

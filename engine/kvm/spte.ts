/**
 * SPTE bits, after arch/x86/kvm/mmu/spte.h. The model keeps one byte per SPTE, so
 * only the bits the dirty-logging story needs are kept, each at its own position.
 *
 * Invariant (spte.h): WRITABLE implies MMU_WRITABLE implies HOST_WRITABLE.
 * Dirty-logging write protection clears only WRITABLE, keeping MMU_WRITABLE, so the
 * next write can be fixed locklessly by fast_page_fault.
 */

/** The SPTE is shadow-present (`is_shadow_present_pte`). */
export const SPTE_PRESENT = 1 << 0;
/** The SPTE is a leaf (`is_last_spte`): at 4K always; at 2M/1G, a huge page (PT_PAGE_SIZE_MASK). */
export const SPTE_LEAF = 1 << 1;
/** Hardware writable bit (PT_WRITABLE_MASK). */
export const SPTE_WRITABLE = 1 << 2;
/** KVM's MMU allows writes (`shadow_mmu_writable_mask`). */
export const SPTE_MMU_WRITABLE = 1 << 3;
/** The host mapping allows writes (`shadow_host_writable_mask`). */
export const SPTE_HOST_WRITABLE = 1 << 4;
/** Hardware dirty bit (`shadow_dirty_mask`); with PML, setting it logs the GPA. */
export const SPTE_DIRTY = 1 << 5;

export const ALL_SPTE_BITS = [
  SPTE_PRESENT,
  SPTE_LEAF,
  SPTE_WRITABLE,
  SPTE_MMU_WRITABLE,
  SPTE_HOST_WRITABLE,
  SPTE_DIRTY,
] as const;

/** A write needs no help from KVM when the leaf is present, writable and already dirty. */
export const SPTE_WRITE_OK = SPTE_PRESENT | SPTE_WRITABLE | SPTE_DIRTY;

/** A non-leaf SPTE pointing at a lower-level page table. */
export const SPTE_TABLE = SPTE_PRESENT;

export function isLastSpte(spte: number): boolean {
  return (spte & (SPTE_PRESENT | SPTE_LEAF)) === (SPTE_PRESENT | SPTE_LEAF);
}

/**
 * make_spte for a leaf: a writable SPTE is created dirty (A/D enabled), and one that
 * may become writable later keeps MMU_WRITABLE. `hostWritable` false (READONLY slot)
 * gives a read-only SPTE that fast_page_fault can never fix.
 */
export function makeSpte(writable: boolean, hostWritable: boolean): number {
  let spte = SPTE_PRESENT | SPTE_LEAF;
  if (hostWritable) spte |= SPTE_HOST_WRITABLE | SPTE_MMU_WRITABLE;
  if (writable && hostWritable) spte |= SPTE_WRITABLE | SPTE_DIRTY;
  return spte;
}

/** make_huge_page_split_spte: a child keeps its parent's permissions, W and D included. */
export function makeHugePageSplitSpte(hugeSpte: number): number {
  return hugeSpte | SPTE_LEAF;
}

/** Describe an SPTE for error messages: `0x3d(P|L|W|MW|HW|D)`. */
export function describeSpte(spte: number): string {
  const names: string[] = [];
  if (spte & SPTE_PRESENT) names.push('P');
  if (spte & SPTE_LEAF) names.push('L');
  if (spte & SPTE_WRITABLE) names.push('W');
  if (spte & SPTE_MMU_WRITABLE) names.push('MW');
  if (spte & SPTE_HOST_WRITABLE) names.push('HW');
  if (spte & SPTE_DIRTY) names.push('D');
  return `0x${spte.toString(16)}(${names.join('|')})`;
}

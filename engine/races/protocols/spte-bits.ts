import { constants } from '../build.ts';
import type { FlagDecl } from '../types.ts';

/**
 * The SPTE bits the protocols use, one cell per SPTE. Positions are the model's own;
 * names follow arch/x86/kvm/mmu/spte.h and the 2012 fast page fault series.
 *
 * Invariant (spte.h, merged protocol): W implies MMU_W implies HOST_W.
 */
export const SPTE_BITS = {
  /** Hardware writable bit (PT_WRITABLE_MASK). */
  W: 1 << 0,
  /** KVM's MMU allows writes: cleared only by write-protection for shadow paging (SPTE_MMU_WRITEABLE). */
  MMU_W: 1 << 1,
  /** The host mapping allows writes (SPTE_HOST_WRITEABLE). */
  HOST_W: 1 << 2,
  /** Avi Kivity's page-fault bit: a lockless fault is in progress. */
  PF: 1 << 3,
  /** Avi Kivity's write-protect bit, kept in the SPTE itself. */
  WP: 1 << 4,
  /** Shadow-present (is_shadow_present_pte), for readable traces. */
  P: 1 << 7,
  /** The first proposal's "identification": spare SPTE bits holding a vCPU id + 1. */
  ID: 0xf << 8,
  ID_SHIFT: 8,
} as const;

export const S = constants(SPTE_BITS);

/** How traces print an SPTE. */
export const SPTE_FLAGS: FlagDecl[] = [
  { name: 'P', mask: SPTE_BITS.P },
  { name: 'W', mask: SPTE_BITS.W },
  { name: 'MMU_W', mask: SPTE_BITS.MMU_W },
  { name: 'HOST_W', mask: SPTE_BITS.HOST_W },
  { name: 'PF', mask: SPTE_BITS.PF },
  { name: 'WP', mask: SPTE_BITS.WP },
  { name: 'ID', mask: SPTE_BITS.ID },
];

/** The declarations of the SPTE constants a protocol uses, for its `constants`. */
export function spteConstants(
  ...names: (keyof typeof SPTE_BITS)[]
): { name: string; value: number }[] {
  return names.map((name) => ({ name, value: SPTE_BITS[name] }));
}

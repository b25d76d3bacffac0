import type { Vm } from '../kvm/vm.ts';
import type { GuestMemory } from '../guest/memory.ts';
import type { Destination, StalePage } from '../vmm/destination.ts';
import type { GuestBalloon } from './balloon.ts';

/** A stale page and why it is stale. */
export type StaleCause = StalePage & { cause: string };

/** What the destination's check found (DESIGN "Verification"). */
export interface Verification {
  /** Pages the guest uses whose destination generation differs from the source's. */
  stalePages: number;
  /** With a balloon: stale pages the guest holds free (discarded or hinted by design). */
  staleFreePages: number;
  /** The first stale pages in order, with their causes. */
  stale: StaleCause[];
}

/**
 * Stale pages listed with their causes, at most, per run (the count is always exact):
 * a broken tracking mode can leave millions, and the first thousand show the cause.
 */
export const STALE_LIST_LIMIT = 1000;

/**
 * After a completed migration, every page's destination generation against the
 * source's (the oracle of dirty_log_test.c, at the scale of a whole migration).
 * With a balloon only the pages the guest uses must match: free pages may have been
 * discarded (zero on the source) or hinted (never sent). Pages KVM dropped from the
 * dirty log are named as such.
 */
export function verifyDestination(
  dest: Destination,
  memory: GuestMemory,
  vm: Vm,
  balloon: GuestBalloon | null,
): Verification {
  const inUse = balloon
    ? (slot: number, rel: number): boolean => balloon.inUse(memory.slots[slot].ramStart + rel)
    : undefined;
  const stalePages = inUse ? dest.countStaleWhere(inUse) : dest.countStale();
  const staleFreePages = inUse ? dest.countStale() - stalePages : 0;
  // None to list (a correct run): listing would scan every page's generation again.
  if (stalePages === 0) return { stalePages, staleFreePages, stale: [] };
  const lost = new Map(vm.lostDirty.map((e) => [e.gfn as number, e.reason]));
  const stale = dest.listStale(STALE_LIST_LIMIT, inUse).map((p) => ({
    ...p,
    cause: lost.has(p.gfn)
      ? `lost-dirty: KVM dropped the write (${lost.get(p.gfn)})`
      : p.destinationGeneration < 0
        ? 'never sent'
        : 'written after its last send and never reported by the dirty log',
  }));
  return { stalePages, staleFreePages, stale };
}

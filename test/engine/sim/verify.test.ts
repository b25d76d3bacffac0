import { describe, expect, it } from 'vitest';
import { verifyDestination } from '../../../engine/sim/verify.ts';
import type { Destination, StalePage } from '../../../engine/vmm/destination.ts';
import type { GuestMemory } from '../../../engine/guest/memory.ts';
import type { Vm } from '../../../engine/kvm/vm.ts';

/** A destination whose check finds `stale`, counting its calls to listStale. */
function destinationWith(stale: StalePage[]): { dest: Destination; lists: () => number } {
  let lists = 0;
  const dest = {
    countStale: () => stale.length,
    listStale: (limit: number) => {
      lists++;
      return stale.slice(0, limit);
    },
  };
  return { dest: dest as unknown as Destination, lists: () => lists };
}

const memory = { slots: [] } as unknown as GuestMemory;
const vm = { lostDirty: [{ gfn: 7, reason: 'proposal-ring-overflow' }] } as unknown as Vm;

describe('verifyDestination', () => {
  it('lists no stale page, without asking for a list, when none is stale', () => {
    const { dest, lists } = destinationWith([]);
    expect(verifyDestination(dest, memory, vm, null)).toEqual({
      stalePages: 0,
      staleFreePages: 0,
      stale: [],
    });
    expect(lists()).toBe(0);
  });

  it('lists the stale pages with their causes when some are', () => {
    const { dest, lists } = destinationWith([
      { gfn: 5, sourceGeneration: 2, destinationGeneration: -1 },
      { gfn: 7, sourceGeneration: 3, destinationGeneration: 1 },
      { gfn: 9, sourceGeneration: 4, destinationGeneration: 3 },
    ]);
    const v = verifyDestination(dest, memory, vm, null);
    expect(lists()).toBe(1);
    expect(v.stalePages).toBe(3);
    expect(v.stale.map((p) => p.cause)).toEqual([
      'never sent',
      'lost-dirty: KVM dropped the write (proposal-ring-overflow)',
      'written after its last send and never reported by the dirty log',
    ]);
  });
});

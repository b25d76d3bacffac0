/**
 * SPTE bit layout (STYLE R3, after spte.h's static_asserts): each flag is one bit of
 * its own, the flags do not overlap, and the composite masks are made of them.
 */
import { describe, expect, it } from 'vitest';
import {
  ALL_SPTE_BITS,
  SPTE_DIRTY,
  SPTE_HOST_WRITABLE,
  SPTE_LEAF,
  SPTE_MMU_WRITABLE,
  SPTE_PRESENT,
  SPTE_TABLE,
  SPTE_WRITABLE,
  SPTE_WRITE_OK,
  SimInvariantError,
  SlotTdp,
  SpteLevel,
  describeSpte,
  makeSpte,
} from '../../../engine/index.ts';

const popcount = (n: number): number => n.toString(2).replace(/0/g, '').length;

describe('SPTE masks', () => {
  it('are one bit each', () => {
    for (const bit of ALL_SPTE_BITS) expect(popcount(bit)).toBe(1);
  });

  it('do not overlap', () => {
    for (let a = 0; a < ALL_SPTE_BITS.length; a++) {
      for (let b = a + 1; b < ALL_SPTE_BITS.length; b++) {
        expect(ALL_SPTE_BITS[a] & ALL_SPTE_BITS[b], `bits ${a} and ${b}`).toBe(0);
      }
    }
  });

  it('fit in the byte the model keeps per SPTE', () => {
    expect(ALL_SPTE_BITS.reduce((m, b) => m | b, 0)).toBeLessThan(256);
  });

  it('build the composite masks from the flags', () => {
    expect(SPTE_WRITE_OK).toBe(SPTE_PRESENT | SPTE_WRITABLE | SPTE_DIRTY);
    expect(SPTE_TABLE & SPTE_LEAF).toBe(0);
  });
});

describe('makeSpte', () => {
  it('keeps WRITABLE => MMU_WRITABLE => HOST_WRITABLE', () => {
    for (const writable of [false, true]) {
      for (const hostWritable of [false, true]) {
        const spte = makeSpte(writable, hostWritable);
        if (spte & SPTE_WRITABLE) expect(spte & SPTE_MMU_WRITABLE).not.toBe(0);
        if (spte & SPTE_MMU_WRITABLE) expect(spte & SPTE_HOST_WRITABLE).not.toBe(0);
      }
    }
  });
});

describe('describeSpte', () => {
  it('names every set flag after the value in hex', () => {
    expect(describeSpte(makeSpte(true, true))).toBe('0x3f(P|L|W|MW|HW|D)');
    expect(describeSpte(SPTE_TABLE)).toBe('0x1(P)');
    expect(describeSpte(0)).toBe('0x0()');
  });

  it('shows the old SPTE in the TDP MMU invariant errors', () => {
    const tdp = new SlotTdp(0, 1024);
    tdp.mapLeaf(0, SpteLevel.PG_LEVEL_2M, makeSpte(false, true));
    expect(() => tdp.mapLeaf(0, SpteLevel.PG_LEVEL_2M, makeSpte(true, true))).toThrow(
      new SimInvariantError('mapLeaf 2M over a present SPTE rel=0x0 oldSpte=0x1b(P|L|MW|HW)'),
    );
  });
});

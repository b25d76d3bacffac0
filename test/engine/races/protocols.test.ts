import { describe, expect, it } from 'vitest';
import { explore } from '../../../engine/races/explore.ts';
import {
  BUILTIN_PROTOCOLS,
  builtinProtocol,
  dirtyLogProtocol,
  identificationProtocol,
  SPTE_BITS,
  twoBitProtocol,
} from '../../../engine/races/protocols/index.ts';
import type { ExploreResult, MemoryModel, Trace, TraceStep } from '../../../engine/races/types.ts';

/** [states, violated property, shortest trace length] of each built-in, under SC and TSO. */
const EXPECTED: Record<string, Record<MemoryModel, [number, string | null, number | null]>> = {
  'identification-unique': { sc: [903, null, null], tso: [1268, null, null] },
  'identification-shared': {
    sc: [668, 'write-protect-holds', 13],
    tso: [957, 'write-protect-holds', 17],
  },
  'two-bit': { sc: [977, 'write-protect-holds', 8], tso: [1352, 'write-protect-holds', 10] },
  'two-bit-cmpxchg': { sc: [568, null, null], tso: [686, null, null] },
  // 3 vCPUs, the shadow write-protect, GET + CLEAR + GET. Every access to a shared cell is
  // a locked operation (cmpxchg, xchg, fetch_andnot, set_bit) or a load, so TSO adds nothing.
  'mmu-writable': { sc: [49432, null, null], tso: [49432, null, null] },
  'mmu-writable-plain-store': {
    sc: [87248, 'write-protect-holds', 15],
    tso: [101588, 'write-protect-holds', 16],
  },
  'dirty-log': {
    sc: [215, 'write-reported-by-next-get', 14],
    tso: [215, 'write-reported-by-next-get', 14],
  },
};

function outcome(r: ExploreResult): [number, string | null, number | null] {
  const v = r.violations[0];
  return [r.states, v?.property ?? null, v ? v.trace.steps.length : null];
}

describe('built-in protocols', () => {
  for (const b of BUILTIN_PROTOCOLS) {
    for (const memory of ['sc', 'tso'] as const) {
      it(`${b.name} under ${memory}: ${EXPECTED[b.name][memory].join(', ')}`, () => {
        const r = explore(b.build(), { memory });
        expect(r.truncated).toBe(false);
        expect(outcome(r)).toEqual(EXPECTED[b.name][memory]);
        expect(r.violations.length).toBeLessThanOrEqual(1);
      });
    }
  }

  it('refuses an unknown name and lists the built-ins', () => {
    expect(() => builtinProtocol('oops')).toThrow(
      'unknown protocol: oops (built-ins: identification-unique, identification-shared, two-bit, two-bit-cmpxchg, mmu-writable, mmu-writable-plain-store, dirty-log)',
    );
  });
});

/** The SPTE value each memory write (a store under SC, a flush under TSO) leaves, in order. */
function spteWrites(trace: Trace): { index: number; thread: string; value: number }[] {
  return trace.steps.flatMap((s) =>
    s.writes
      .filter((w) => w.var === 'spte' && w.via === 'memory')
      .map((w) => ({ index: s.index, thread: s.thread, value: w.value })),
  );
}

/**
 * Seed 002's OOPS interleaving, up to which fault is "vCPU 0" and which "vCPU 2":
 * fault A publishes its identification and reads the flag clear; the write-protect
 * sets the flag, reads A's identification and clears it, and unlocks; fault B then
 * publishes the same identification; A's cmpxchg succeeds, last.
 */
function isSeedOops(trace: Trace): boolean {
  const steps = trace.steps;
  const last = steps.at(-1);
  if (!last) return false;
  const a = last.thread;
  const find = (thread: string, label: string): TraceStep | undefined =>
    steps.find((s) => s.thread === thread && s.kind === 'step' && s.label.startsWith(label));
  const at = (thread: string, label: string): number => find(thread, label)?.index ?? -1;
  const writes = spteWrites(trace);
  const aId = writes.find((w) => w.thread === a && (w.value & SPTE_BITS.ID) !== 0);
  const wp = 'vcpu1';
  const clearIdx = writes.findIndex((w) => w.thread === wp && (w.value & SPTE_BITS.ID) === 0);
  const b = writes.find(
    (w, i) => i > clearIdx && w.thread !== a && w.thread !== wp && w.value === aId?.value,
  );
  const flagRead = find(a, '(3) read the rmap');
  return (
    last.label.startsWith('(3) cmpxchg') &&
    (last.writes[0]?.value & SPTE_BITS.W) !== 0 &&
    aId !== undefined &&
    flagRead !== undefined &&
    flagRead.reads[0]?.value === 0 &&
    aId.index < flagRead.index &&
    flagRead.index < at(wp, '(1) set the rmap') &&
    clearIdx >= 0 &&
    writes[clearIdx].index < at(wp, '(4) spin_unlock') &&
    b !== undefined &&
    at(wp, '(4) spin_unlock') < b.index &&
    b.index < last.index
  );
}

describe('seed 002: the first proposal', () => {
  it('with one identification for all vCPUs, finds the OOPS interleaving (13 steps, 3 vCPUs)', () => {
    const r = explore(builtinProtocol('identification-shared'));
    const [v] = r.violations;
    expect(v.property).toBe('write-protect-holds');
    expect(isSeedOops(v.trace)).toBe(true);
    expect(new Set(v.trace.steps.map((s) => s.thread))).toEqual(
      new Set(['vcpu0', 'vcpu1', 'vcpu2']),
    );
    expect(v.trace.final.shown.spte).toBe('0x81 (P|W)');
    expect(v.trace.final.memory.wp_done).toBe(1);
  });

  it('finds the same interleaving under TSO (the barriers keep stores in order)', () => {
    const [v] = explore(builtinProtocol('identification-shared'), { memory: 'tso' }).violations;
    expect(isSeedOops(v.trace)).toBe(true);
  });

  it('does not find it with one identification per vCPU', () => {
    expect(isSeedOops({ initial: emptySnap(), steps: [], final: emptySnap() })).toBe(false);
    for (const memory of ['sc', 'tso'] as const)
      expect(explore(builtinProtocol('identification-unique'), { memory }).violations).toEqual([]);
  });

  for (const barrier of ['faultBarrier', 'wpBarrier'] as const) {
    it(`without the ${barrier === 'faultBarrier' ? "fault path's" : "write-protect path's"} smp_mb: violated under TSO only`, () => {
      const p = identificationProtocol({ uniqueIds: true, [barrier]: false });
      expect(explore(p, { memory: 'sc' }).violations).toEqual([]);
      const [v] = explore(p, { memory: 'tso' }).violations;
      expect(v.property).toBe('write-protect-holds');
      // The handshake fails as in SB: a store still in a buffer while the other side reads.
      const kinds = v.trace.steps.map((s) => s.kind);
      expect(kinds).toContain('flush');
      expect(v.trace.steps.some((s) => s.writes.some((w) => w.via === 'buffer'))).toBe(true);
      expect(v.trace.steps.length).toBe(11);
    });
  }
});

describe("Avi Kivity's two bits", () => {
  it('with PF set by a plain store, the store erases WP and the cmpxchg succeeds (2 threads)', () => {
    const [v] = explore(twoBitProtocol()).violations;
    expect(v.trace.steps.map((s) => `${s.thread}: ${s.text}`)).toEqual([
      'vcpu0: s = load spte → 0x80 (P)',
      'vcpu1: lock',
      'vcpu1: s = load spte → 0x80 (P)',
      'vcpu1: store spte = 0x90 (P|WP)',
      'vcpu0: store spte = 0x88 (P|PF)',
      'vcpu0: fence',
      'vcpu0: cmpxchg spte: found 0x88 (P|PF) as expected → 0x81 (P|W)',
      'vcpu1: unlock',
    ]);
  });
});

describe('the merged protocol and dirty logging', () => {
  it('with a plain store instead of the cmpxchg, a stale SPTE value undoes the write-protect', () => {
    const [v] = explore(builtinProtocol('mmu-writable-plain-store')).violations;
    const labels = v.trace.steps.map((s) => `${s.thread}: ${s.label}`);
    const read = labels.indexOf('vcpu0: fast_page_fault: read the SPTE');
    const wp = labels.indexOf('wp: mmu_spte_update: xchg without W, MMU_W');
    const stale = labels.indexOf('vcpu0: store old|W (not KVM)');
    expect([read < wp, wp < stale]).toEqual([true, true]);
    expect(labels.at(-1)).toBe('wp: write_unlock(mmu_lock)');
    expect(v.trace.final.shown.spte).toBe('0x87 (P|W|MMU_W|HOST_W)');
  });

  it('reports every write after CLEAR by a later GET, but not always by the next one', () => {
    const r = explore(dirtyLogProtocol());
    expect(r.violations.map((v) => v.property)).toEqual(['write-reported-by-next-get']);
    // The window: the fault's cmpxchg made the SPTE writable, another vCPU writes through
    // it, the next GET reads the bitmap, and only then mark_page_dirty_in_slot sets the bit.
    const steps = r.violations[0].trace.steps.map((s) => `${s.thread}: ${s.label}`);
    const fix = steps.indexOf('vcpu0: fast_pf_fix_direct_spte: cmpxchg old → old|W');
    const otherWrite = steps.indexOf('vcpu1: guest write (TLB hit, or walk finds W)', fix);
    const get = steps.indexOf('vmm: next KVM_GET_DIRTY_LOG: copy the bitmap');
    const mark = steps.indexOf('vcpu0: mark_page_dirty_in_slot');
    expect(fix).toBeGreaterThan(0);
    expect([fix < otherWrite, otherWrite < get, get < mark]).toEqual([true, true, true]);
    expect(
      explore(dirtyLogProtocol({ dirtyLog: 'legacy' })).violations.map((v) => v.property),
    ).toEqual(['write-reported-by-next-get']);
  });

  it('loses a write for good without the TLB flush after write-protecting', () => {
    const r = explore(dirtyLogProtocol({ tlbFlush: false }));
    expect(r.violations.map((v) => v.property)).toEqual([
      'write-reported',
      'write-reported-by-next-get',
    ]);
    // A write through a TLB entry cached before CLEAR write-protected the SPTE: no fault,
    // so nothing marks the page dirty.
    const stale = r.violations[0].trace.steps.find((s) =>
      s.locals.some((l) => l.text === 'ghost written1 = 1'),
    );
    expect(stale?.text).toBe('atomic: read tlb1 = 1');
  });
});

function emptySnap(): Trace['final'] {
  return { memory: {}, shown: {}, threads: [], locks: {} };
}

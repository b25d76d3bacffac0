import {
  band,
  bor,
  clear,
  cmpxchg,
  fence,
  ghost,
  k,
  load,
  lock,
  reg,
  ret,
  store,
  thread,
  unlock,
  when,
} from '../build.ts';
import type { Protocol, Stmt, ThreadDecl } from '../types.ts';
import { writeProtectHolds } from './identification.ts';
import { S, SPTE_BITS, SPTE_FLAGS, spteConstants } from './spte-bits.ts';

/**
 * Avi Kivity's question in the review of the first fast page fault series ("is it not
 * sufficient to use just two bits?"): replace the identification with one page-fault
 * bit (PF) and the rmap flag with a write-protect bit (WP) in the SPTE itself, and let
 * the fault path's cmpxchg check both: it expects PF set and WP clear.
 *
 * fast path (vCPU 0 and vCPU 2): read the SPTE; give up if W (spurious) or WP (slow
 * path); (1) set PF, as the first proposal wrote its identification; (2) smp_mb();
 * (3) cmpxchg(spte, old + PF, old + W).
 * write-protect path (vCPU 1), under mmu_lock: read the SPTE, write it back with WP
 * set and W and PF cleared (the soft MMU's read-check-modify), unlock.
 *
 * With `setPf: 'store'` (the first proposal's way of publishing) the fault's plain
 * store of "old + PF" can overwrite the WP bit written in between, and the cmpxchg
 * then succeeds: the reason the series ended with "always atomically update the spte
 * if it can be updated out of mmu-lock" (v5, v7 cover letters). With `setPf:
 * 'cmpxchg'` the two bits suffice; the series went further and kept one bit
 * (MMU-writable, v5: "drop SPTE_WRITE_PROTECT bit, now, only one bit is needed").
 */
export interface TwoBitOptions {
  /** How the fault sets PF. Default `store`, as the first proposal published its identification. */
  setPf?: 'store' | 'cmpxchg';
  name?: string;
}

export function twoBitProtocol(o: TwoBitOptions = {}): Protocol {
  const setPf = o.setPf ?? 'store';
  return {
    name: o.name ?? (setPf === 'store' ? 'two-bit' : 'two-bit-cmpxchg'),
    description:
      "Avi Kivity's two-bit proposal: a page-fault bit and a write-protect bit in the " +
      `SPTE, both checked by the fault's cmpxchg; PF set with a ${setPf === 'store' ? 'plain store' : 'cmpxchg'}.`,
    constants: spteConstants('W', 'PF', 'WP', 'P'),
    vars: [
      { name: 'spte', init: SPTE_BITS.P, flags: SPTE_FLAGS },
      { name: 'wp_done', init: 0, ghost: true },
    ],
    locks: [{ name: 'mmu_lock' }],
    threads: [fastPath(0, setPf), writeProtect(1), fastPath(2, setPf)],
    invariants: [writeProtectHolds],
  };
}

function fastPath(n: number, setPf: 'store' | 'cmpxchg'): ThreadDecl {
  const s = reg('s');
  const publish: Stmt[] =
    setPf === 'store'
      ? [store('spte', bor(s, S.PF), '(1) set the page-fault bit')]
      : [
          cmpxchg(
            {
              var: 'spte',
              expected: s,
              desired: bor(s, S.PF),
              ok: 'ok',
              onFailure: [ret('SPTE changed: slow path')],
            },
            '(1) cmpxchg: set the page-fault bit',
          ),
        ];
  return thread(
    `vcpu${n}`,
    ['s', 'ok'],
    [
      load('s', 'spte', 'read the SPTE (lockless walk)'),
      when(band(s, S.W), [ret('spurious: already writable')]),
      when(band(s, S.WP), [ret('write-protected: slow path')]),
      ...publish,
      fence('(2) smp_mb'),
      cmpxchg(
        { var: 'spte', expected: bor(s, S.PF), desired: bor(s, S.W), ok: 'ok' },
        '(3) cmpxchg old+PF (WP clear) → old+W',
      ),
    ],
  );
}

function writeProtect(n: number): ThreadDecl {
  const s = reg('s');
  return thread(
    `vcpu${n}`,
    ['s'],
    [
      lock('mmu_lock', 'spin_lock(mmu_lock)'),
      load('s', 'spte', 'read the SPTE'),
      store('spte', clear(bor(s, S.WP), bor(S.W, S.PF)), 'set WP, clear W and PF'),
      unlock('mmu_lock', 'spin_unlock(mmu_lock)'),
      ghost('wp_done', k(1), 'the write-protect has completed'),
    ],
  );
}

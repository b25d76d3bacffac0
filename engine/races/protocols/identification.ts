import {
  always,
  band,
  bor,
  cell,
  clear,
  cmpxchg,
  fence,
  ghost,
  implies,
  k,
  load,
  lock,
  not,
  reg,
  ret,
  store,
  thread,
  unlock,
  when,
} from '../build.ts';
import type { Protocol, Stmt, ThreadDecl } from '../types.ts';
import { S, SPTE_BITS, SPTE_FLAGS, spteConstants } from './spte-bits.ts';

/**
 * The first proposal of the fast page fault series (Xiao Guangrong, "[PATCH 00/13]
 * KVM: MMU: fast page fault", LKML 2012-03-29; patches 07 "store more bits in rmap",
 * 09 "get expected spte out of mmu-lock"), as the thread walks through it:
 *
 * fast path, without mmu_lock (vCPU 0 and vCPU 2):
 *   (1) write an identification (the vCPU's id) into spare bits of the SPTE;
 *   (2) smp_mb();
 *   (3) if the rmap's WRITE_PROTECT flag is clear,
 *       cmpxchg(spte, old + identification, old + W − identification).
 * write-protect path, under mmu_lock (vCPU 1):
 *   (1) set the rmap's WRITE_PROTECT flag; (2) smp_mb();
 *   (3) if the SPTE has W or an identification, clear both; (4) unlock.
 *
 * Each side publishes its intent, fences, then reads the other's: a Dekker handshake,
 * so without either barrier a store buffer lets both sides miss each other. The
 * identification must be unique: with one value for every vCPU the thread's
 * "OOPS!!!" interleaving makes a write-protected SPTE writable.
 *
 * The model starts from a present, read-only SPTE that a guest write faults on.
 * Property: once the write-protect path has unlocked, the SPTE stays read-only (the
 * rmap flag stays set, so no fault after it may make the SPTE writable).
 */
export interface IdentificationOptions {
  /** Each vCPU writes its own id (true: the proposal) or all write the same value (the OOPS case). */
  uniqueIds: boolean;
  /** smp_mb() between publishing the identification and reading the flag. Default true. */
  faultBarrier?: boolean;
  /** smp_mb() between setting the flag and reading the SPTE. Default true. */
  wpBarrier?: boolean;
  name?: string;
}

export function identificationProtocol(o: IdentificationOptions): Protocol {
  const faultBarrier = o.faultBarrier ?? true;
  const wpBarrier = o.wpBarrier ?? true;
  const name =
    o.name ??
    [
      o.uniqueIds ? 'identification-unique' : 'identification-shared',
      faultBarrier ? '' : 'no-fault-mb',
      wpBarrier ? '' : 'no-wp-mb',
    ]
      .filter(Boolean)
      .join('-');
  // vCPU n writes n + 1 (0 means "no identification"); the OOPS case writes 1 for all.
  const id = (vcpu: number): number => (o.uniqueIds ? vcpu + 1 : 1) << SPTE_BITS.ID_SHIFT;
  return {
    name,
    description:
      'The first fast page fault proposal (2012): an identification in the SPTE, ' +
      'a barrier on each side and the rmap WRITE_PROTECT flag' +
      (o.uniqueIds ? '.' : ', with one identification value for every vCPU (OOPS).'),
    constants: spteConstants('W', 'P', 'ID', 'ID_SHIFT'),
    vars: [
      { name: 'spte', init: SPTE_BITS.P, flags: SPTE_FLAGS },
      { name: 'rmap_wp', init: 0 },
      { name: 'wp_done', init: 0, ghost: true },
    ],
    locks: [{ name: 'mmu_lock' }],
    threads: [
      fastPath(0, id(0), faultBarrier),
      writeProtect(1, wpBarrier),
      fastPath(2, id(2), faultBarrier),
    ],
    invariants: [writeProtectHolds],
  };
}

/** Once the write-protect path has unlocked, no fault makes the SPTE writable again. */
export const writeProtectHolds = always(
  'write-protect-holds',
  implies(cell('wp_done'), not(band(cell('spte'), S.W))),
  'the SPTE is writable after the write-protect completed',
);

/** The lockless fault of vCPU `n`, writing identification value `id`. */
function fastPath(n: number, id: number, barrier: boolean): ThreadDecl {
  const ID = k(id, `ID${n}`);
  const s = reg('s');
  const body: Stmt[] = [
    load('s', 'spte', 'read the SPTE (lockless walk)'),
    when(band(s, S.W), [ret('spurious: already writable')]),
    when(band(s, S.ID), [ret('identification bits taken: slow path')]),
    store('spte', bor(s, ID), '(1) write the identification'),
    ...(barrier ? [fence('(2) smp_mb')] : []),
    load('f', 'rmap_wp', '(3) read the rmap WRITE_PROTECT flag'),
    when(reg('f'), [ret('write-protected: slow path')]),
    cmpxchg(
      {
        var: 'spte',
        expected: bor(s, ID),
        desired: bor(s, S.W),
        ok: 'ok',
      },
      '(3) cmpxchg old+id → old+W',
    ),
  ];
  return thread(`vcpu${n}`, ['s', 'f', 'ok'], body);
}

/** The write-protect path (rmap_write_protect under mmu_lock), run by vCPU `n`. */
function writeProtect(n: number, barrier: boolean): ThreadDecl {
  const s = reg('s');
  return thread(
    `vcpu${n}`,
    ['s'],
    [
      lock('mmu_lock', 'spin_lock(mmu_lock)'),
      store('rmap_wp', k(1), '(1) set the rmap WRITE_PROTECT flag'),
      ...(barrier ? [fence('(2) smp_mb')] : []),
      load('s', 'spte', '(3) read the SPTE'),
      when(band(s, bor(S.W, S.ID)), [
        store('spte', clear(s, bor(S.W, S.ID)), '(3) clear W and the identification'),
      ]),
      unlock('mmu_lock', '(4) spin_unlock(mmu_lock)'),
      ghost('wp_done', k(1), 'the write-protect has completed'),
    ],
  );
}

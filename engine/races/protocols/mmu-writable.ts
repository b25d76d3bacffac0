import {
  always,
  assign,
  atEnd,
  atomic,
  band,
  bor,
  brk,
  cell,
  clear,
  cmpxchg,
  eq,
  ghost,
  implies,
  k,
  load,
  lock,
  loop,
  not,
  or,
  reg,
  ret,
  rmw,
  store,
  thread,
  unlock,
  when,
} from '../build.ts';
import type { InvariantDecl, Protocol, SharedVar, Stmt, ThreadDecl } from '../types.ts';
import { writeProtectHolds } from './identification.ts';
import { S, SPTE_BITS, SPTE_FLAGS, spteConstants } from './spte-bits.ts';

/**
 * What was merged (Linux 3.6): no identification; the SPTE's MMU-writable bit says
 * "write-protected only for dirty logging" and the fast path makes an SPTE writable
 * only by a cmpxchg from a value with MMU-writable set.
 *
 * - vCPUs: a guest write goes through the TLB (an atomic hardware step: a cached
 *   writable translation, or a walk that finds W and fills the TLB); otherwise the
 *   fault runs fast_page_fault (arch/x86/kvm/mmu/mmu.c): read the SPTE; spurious if
 *   W; slow path (not modelled: the vCPU stops) unless MMU-writable;
 *   fast_pf_fix_direct_spte: try_cmpxchg64(sptep, old, old | W), then
 *   mark_page_dirty_in_slot (set_bit_le: a locked op); retry on a failed cmpxchg, at
 *   most `retries` times (KVM gives up after 4 retries); then the guest retries the
 *   write.
 * - write-protect for shadow paging (rmap_write_protect → spte_write_protect with
 *   pt_protect) under mmu_lock: clear W and MMU-writable with mmu_spte_update, which
 *   uses xchg because an MMU-writable SPTE has "volatile bits"
 *   (spte_has_volatile_bits); flush remote TLBs.
 * - dirty logging with manual protect (the QEMU default): KVM_GET_DIRTY_LOG copies
 *   the bitmap; KVM_CLEAR_DIRTY_LOG, under mmu_lock, atomic_long_fetch_andnot()s the
 *   bits and write-protects the pages whose bits were set
 *   (kvm_arch_mmu_enable_log_dirty_pt_masked: clear W only, keeping MMU-writable),
 *   then after unlocking kvm_flush_remote_tlbs_memslot; then the next GET. Legacy
 *   mode: GET xchg()s the bitmap word and write-protects under mmu_lock
 *   (kvm_get_dirty_log_protect).
 *
 * Properties: once the shadow write-protect completed, the SPTE is never writable
 * again; W implies MMU-writable (spte.h); every guest write made after CLEAR's
 * write-protect and TLB flush is reported by a later GET (the VMM copies the page
 * after CLEAR, so a write no GET reports is lost to migration); optionally, by the
 * very next GET. The last one does not hold in KVM: fast_pf_fix_direct_spte marks
 * the page dirty *after* its cmpxchg made the SPTE writable, so another vCPU can
 * write through it and a GET can read the bitmap in between; the bit is set just
 * after, for the GET that follows (at the latest the final one, with the vCPUs
 * stopped). make_spte, on the slow path, marks the page dirty before the SPTE is
 * installed and has no such window.
 */
export interface MmuWritableOptions {
  name?: string;
  description?: string;
  /** vCPU threads, each making one guest write to the page. Default 3. */
  vcpus?: number;
  /** `cmpxchg` (KVM) or `store`: the fault makes the SPTE writable with a plain store. */
  fix?: 'cmpxchg' | 'store';
  /** A thread write-protecting the page for shadow paging. Default true. */
  shadowWriteProtect?: boolean;
  /** Dirty logging: `manual` (GET, CLEAR, GET), `legacy` (GET, GET) or `off`. Default `manual`. */
  dirtyLog?: 'manual' | 'legacy' | 'off';
  /** The dirty log flushes remote TLBs after write-protecting. Default true. */
  tlbFlush?: boolean;
  /**
   * fast_page_fault attempts; default 5, KVM's (`if (++retry_count > 4) break`). In
   * these protocols no execution needs more than 2: the state count is the same.
   */
  retries?: number;
  /** Tries of the guest write (each after a fault). Default 2. */
  writeAttempts?: number;
  /**
   * Also check that the *next* GET reports every write after the write-protect (not
   * only a later one). Default false (`dirtyLogProtocol`: true).
   */
  strictNextGet?: boolean;
}

export function mmuWritableProtocol(o: MmuWritableOptions = {}): Protocol {
  const vcpus = o.vcpus ?? 3;
  const fix = o.fix ?? 'cmpxchg';
  const shadow = o.shadowWriteProtect ?? true;
  const dirtyLog = o.dirtyLog ?? 'manual';
  const logging = dirtyLog !== 'off';
  const tlbs = Array.from({ length: vcpus }, (_, n) => `tlb${n}`);
  const vars: SharedVar[] = [
    {
      name: 'spte',
      init: SPTE_BITS.P | SPTE_BITS.HOST_W | SPTE_BITS.MMU_W | SPTE_BITS.W,
      flags: SPTE_FLAGS,
    },
    // Every vCPU starts with the writable translation in its TLB.
    ...tlbs.map((name) => ({ name, init: 1 })),
  ];
  const invariants: InvariantDecl[] = [
    always(
      'writable-implies-mmu-writable',
      implies(band(cell('spte'), S.W), band(cell('spte'), S.MMU_W)),
      'the SPTE is writable but not MMU-writable (spte.h: W implies MMU-writable)',
    ),
  ];
  if (logging) {
    vars.push(
      { name: 'dirty', init: 1 },
      { name: 'phase', init: 0, ghost: true },
      { name: 'written1', init: 0, ghost: true },
      { name: 'reported2', init: 0, ghost: true },
    );
    // When every thread has finished the vCPUs are out of KVM_RUN, as for the final
    // sync of a migration: a bit still set in the bitmap is reported by that GET.
    invariants.push(
      atEnd(
        'write-reported',
        implies(cell('written1'), or(cell('reported2'), cell('dirty'))),
        'a guest write after the write-protect is reported by no later GET',
      ),
    );
    if (o.strictNextGet)
      invariants.push(
        atEnd(
          'write-reported-by-next-get',
          implies(cell('written1'), cell('reported2')),
          'a guest write after the write-protect is not reported by the next GET',
        ),
      );
  }
  if (shadow) {
    vars.push({ name: 'wp_done', init: 0, ghost: true });
    invariants.unshift(writeProtectHolds);
  }
  const threads: ThreadDecl[] = [];
  for (let n = 0; n < vcpus; n++) threads.push(vcpuThread(n, fix, logging, o));
  if (shadow) threads.push(shadowWriteProtect(tlbs));
  if (logging) threads.push(dirtyLogThread(dirtyLog, tlbs, o));
  return {
    name:
      o.name ??
      [
        'mmu-writable',
        fix === 'store' ? 'plain-store' : '',
        o.tlbFlush === false ? 'no-tlb-flush' : '',
      ]
        .filter(Boolean)
        .join('-'),
    description:
      o.description ??
      `The merged protocol: MMU-writable bit + ${fix === 'cmpxchg' ? 'cmpxchg' : 'a plain store (not KVM)'} on the SPTE; ` +
        `${vcpus} vCPUs${shadow ? ', a shadow-paging write-protect' : ''}` +
        `${logging ? `, dirty logging (${dirtyLog})` : ''}.`,
    constants: spteConstants('W', 'MMU_W', 'HOST_W', 'P'),
    vars,
    locks: [{ name: 'mmu_lock' }],
    threads,
    invariants,
  };
}

/** A vCPU writing the page once: through its TLB, or after a (fast) page fault. */
function vcpuThread(
  n: number,
  fix: 'cmpxchg' | 'store',
  logging: boolean,
  o: MmuWritableOptions,
): ThreadDecl {
  const s = reg('s');
  const t = reg('t');
  const ok = reg('ok');
  const tlb = `tlb${n}`;
  const makeWritable: Stmt[] =
    fix === 'cmpxchg'
      ? [
          cmpxchg(
            { var: 'spte', expected: s, desired: bor(s, S.W), ok: 'ok' },
            'fast_pf_fix_direct_spte: cmpxchg old → old|W',
          ),
        ]
      : [store('spte', bor(s, S.W), 'store old|W (not KVM)'), assign('ok', k(1))];
  return thread(
    `vcpu${n}`,
    ['t', 's', 'ok'],
    [
      loop(o.writeAttempts ?? 2, [
        atomic(
          [
            load('t', tlb),
            when(not(t), [
              load('s', 'spte'),
              when(band(s, S.W), [store(tlb, k(1)), assign('t', k(1))]),
            ]),
            ...(logging
              ? [when(t, [ghost('written1', or(cell('written1'), eq(cell('phase'), k(1))))])]
              : []),
          ],
          'guest write (TLB hit, or walk finds W)',
        ),
        when(t, [brk('the write went through')]),
        assign('ok', k(0)),
        loop(o.retries ?? 5, [
          load('s', 'spte', 'fast_page_fault: read the SPTE'),
          when(band(s, S.W), [assign('ok', k(1)), brk('spurious: already writable')]),
          when(not(band(s, S.MMU_W)), [brk('not MMU-writable: slow path')]),
          ...makeWritable,
          when(ok, [
            ...(logging ? [rmw('or', 'dirty', k(1), undefined, 'mark_page_dirty_in_slot')] : []),
            brk(),
          ]),
        ]),
        when(not(ok), [ret('slow path (not modelled)')]),
      ]),
    ],
  );
}

/** rmap_write_protect for shadow paging (pt_protect): W and MMU-writable cleared. */
function shadowWriteProtect(tlbs: readonly string[]): ThreadDecl {
  const s = reg('s');
  return thread(
    'wp',
    ['s'],
    [
      lock('mmu_lock', 'write_lock(mmu_lock)'),
      load('s', 'spte', 'spte_write_protect: read the SPTE'),
      when(band(s, bor(S.W, S.MMU_W)), [
        rmw(
          'xchg',
          'spte',
          clear(s, bor(S.W, S.MMU_W)),
          undefined,
          'mmu_spte_update: xchg without W, MMU_W',
        ),
      ]),
      flushTlbs(tlbs),
      unlock('mmu_lock', 'write_unlock(mmu_lock)'),
      ghost('wp_done', k(1), 'the write-protect has completed'),
    ],
  );
}

function flushTlbs(tlbs: readonly string[]): Stmt {
  return atomic(
    tlbs.map((t) => store(t, k(0))),
    'kvm_flush_remote_tlbs',
  );
}

/** Write-protect for dirty logging: clear W only, keeping MMU-writable. */
function dirtyWriteProtect(): Stmt[] {
  const s = reg('s');
  return [
    load('s', 'spte', 'write-protect: read the SPTE'),
    when(band(s, S.W), [
      rmw('xchg', 'spte', clear(s, S.W), undefined, 'spte_write_protect: xchg without W'),
    ]),
  ];
}

/** The VMM's dirty-log calls, one round then the next GET. */
function dirtyLogThread(
  mode: 'manual' | 'legacy',
  tlbs: readonly string[],
  o: MmuWritableOptions,
): ThreadDecl {
  const x = reg('x');
  const m = reg('m');
  const flush = o.tlbFlush === false ? [] : [when(m, [flushTlbs(tlbs)])];
  const phase1 = ghost('phase', k(1), 'write-protect done: the VMM copies the page now');
  const report = [ghost('reported2', x), ghost('phase', k(2))];
  const body: Stmt[] =
    mode === 'manual'
      ? [
          load('x', 'dirty', 'KVM_GET_DIRTY_LOG: copy the bitmap'),
          lock('mmu_lock', 'KVM_CLEAR_DIRTY_LOG: lock mmu_lock'),
          rmw('andnot', 'dirty', x, 'm', 'CLEAR: atomic_long_fetch_andnot'),
          assign('m', band(m, x), 'mask = bits set and cleared'),
          when(m, dirtyWriteProtect()),
          unlock('mmu_lock', 'CLEAR: unlock mmu_lock'),
          ...flush,
          phase1,
          load('x', 'dirty', 'next KVM_GET_DIRTY_LOG: copy the bitmap'),
          ...report,
        ]
      : [
          lock('mmu_lock', 'KVM_GET_DIRTY_LOG: lock mmu_lock'),
          rmw('xchg', 'dirty', k(0), 'm', 'GET: xchg(bitmap word, 0)'),
          when(m, dirtyWriteProtect()),
          unlock('mmu_lock', 'GET: unlock mmu_lock'),
          ...flush,
          phase1,
          lock('mmu_lock', 'next GET: lock mmu_lock'),
          rmw('xchg', 'dirty', k(0), 'x', 'next GET: xchg(bitmap word, 0)'),
          ...report,
          unlock('mmu_lock', 'next GET: unlock mmu_lock'),
        ];
  return thread('vmm', ['x', 'm', 's'], body);
}

/** Built-in (6): the fast path against GET_DIRTY_LOG / CLEAR_DIRTY_LOG, no shadow paging. */
export function dirtyLogProtocol(o: MmuWritableOptions = {}): Protocol {
  const mode = o.dirtyLog ?? 'manual';
  return mmuWritableProtocol({
    vcpus: 2,
    shadowWriteProtect: false,
    strictNextGet: true,
    ...o,
    name:
      o.name ??
      [
        'dirty-log',
        mode === 'legacy' ? 'legacy' : '',
        o.fix === 'store' ? 'plain-store' : '',
        o.tlbFlush === false ? 'no-tlb-flush' : '',
      ]
        .filter(Boolean)
        .join('-'),
    description:
      o.description ??
      `The fast page fault against ${mode === 'manual' ? 'KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG (manual protect)' : 'legacy KVM_GET_DIRTY_LOG'}: ` +
        'is every write after the write-protect reported by the next GET?',
  });
}

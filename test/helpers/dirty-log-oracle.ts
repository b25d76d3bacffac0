/**
 * The dirty log as userspace sees it, and an oracle for it, after KVM's
 * tools/testing/selftests/kvm/dirty_log_test.c (`vm_dirty_log_verify`,
 * `host_bmap_track`). Reusable by migration tests:
 *
 * ```ts
 * const oracle = new DirtyLogOracle('mode=ring seed=3');
 * runGuest(vcpu, gfns, writes, { onDirty: (g) => oracle.write(g), onRingFull: collect });
 * oracle.check(collectDirty(vm, { kind: 'ring' }));
 * oracle.nextIteration();
 * ```
 */
import type { Memslot, Vcpu, Vm } from '../../engine/index.ts';

/** How userspace collects the dirty log (dirty_log_test `-M`, QEMU's collectors). */
export type CollectMode =
  /** KVM_GET_DIRTY_LOG without manual protect: reading clears and re-protects. */
  | { readonly kind: 'get' }
  /**
   * Manual protect: KVM_GET_DIRTY_LOG, then KVM_CLEAR_DIRTY_LOG of what it returned,
   * the whole slot in one call or `chunkPages` (a multiple of 64) per call. Chunks
   * with no bit set are not cleared, as QEMU skips them.
   */
  | { readonly kind: 'get-clear'; readonly chunkPages?: number }
  /** Dirty ring: kick every vCPU (PML flush), harvest every ring, KVM_RESET_DIRTY_RINGS. */
  | { readonly kind: 'ring' }
  /** arm64 ring + KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP: the rings, then GET_DIRTY_LOG. */
  | { readonly kind: 'ring-with-bitmap' };

/** One collection of the dirty log. */
export interface DirtyCollection {
  /** Every gfn reported, by the bitmaps and the rings; a ring may repeat a gfn (KVM does not deduplicate). */
  readonly gfns: number[];
  /** Ring entries harvested (0 without a ring). */
  readonly ringEntries: number;
  /** What KVM_RESET_DIRTY_RINGS returned (0 without a ring). */
  readonly ringReset: number;
}

/**
 * Collect the dirty log of every logging memslot as `mode` says, re-arming tracking
 * the way the mode does (GET clears; CLEAR; ring reset). Throws if KVM reports a page
 * outside its slot (a bitmap bit past npages, a ring offset past npages).
 */
export function collectDirty(vm: Vm, mode: CollectMode): DirtyCollection {
  const gfns: number[] = [];
  let ringEntries = 0;
  let ringReset = 0;
  if (mode.kind === 'ring' || mode.kind === 'ring-with-bitmap') {
    // api.rst: kick the vCPUs first so PML buffers are flushed into the rings.
    vm.kickAllVcpus();
    for (const ring of vm.dirtyRings()) {
      ringEntries += ring.harvest((slotId, offset) => {
        const slot = vm.memslot(slotId);
        if (!slot || offset >= slot.npages) {
          throw new Error(`dirty ring entry outside any memslot: slot=${slotId} offset=${offset}`);
        }
        gfns.push(slot.baseGfn + offset);
      });
    }
    ringReset = vm.resetDirtyRings();
  }
  if (mode.kind !== 'ring') {
    for (const slot of vm.memslots()) {
      if (!slot.dirtyLogging) continue;
      const bitmap = vm.getDirtyLog(slot.slotId);
      addBitmapGfns(gfns, slot, bitmap);
      if (mode.kind === 'get-clear') clearReported(vm, slot, bitmap, mode.chunkPages);
    }
  }
  return { gfns, ringEntries, ringReset };
}

/** Add the gfns of a KVM_GET_DIRTY_LOG bitmap (bit i of byte j is page 8j + i). */
export function addBitmapGfns(into: number[], slot: Memslot, bitmap: Uint8Array): void {
  for (let j = 0; j < bitmap.length; j++) {
    let byte = bitmap[j];
    while (byte !== 0) {
      const bit = 31 - Math.clz32(byte & -byte);
      byte &= byte - 1;
      const rel = j * 8 + bit;
      if (rel >= slot.npages) {
        throw new Error(`dirty bitmap bit past the slot's end: slot=${slot.slotId} page=${rel}`);
      }
      into.push(slot.baseGfn + rel);
    }
  }
}

/** KVM_CLEAR_DIRTY_LOG of `bitmap` (as GET returned it), whole or in 64-aligned chunks. */
function clearReported(vm: Vm, slot: Memslot, bitmap: Uint8Array, chunkPages?: number): void {
  const npages = slot.npages;
  if (chunkPages === undefined) {
    vm.clearDirtyLog(slot.slotId, 0, npages, bitmap);
    return;
  }
  if (chunkPages <= 0 || chunkPages % 64 !== 0) {
    throw new Error(`clear chunk of ${chunkPages} pages: use a positive multiple of 64`);
  }
  for (let first = 0; first < npages; first += chunkPages) {
    const num = Math.min(chunkPages, npages - first);
    const bytes = bitmap.subarray(first / 8, first / 8 + Math.ceil(num / 64) * 8);
    if (bytes.some((b) => b !== 0)) vm.clearDirtyLog(slot.slotId, first, num, bytes);
  }
}

/**
 * Whether a guest read of `gfn` dirties the page in KVM's eyes: on x86 a read fault
 * on a page with no SPTE, in a logged slot backed by writable host memory, maps the
 * page writable and marks it dirty (`hva_to_pfn` + `make_spte`, docs/kvm.md#read-faults). arm64
 * maps such a read read-only. A read of a page that is mapped takes no fault.
 */
export function readFaultDirties(vm: Vm, gfn: number): boolean {
  if (!vm.params.readFaultMapsWritable) return false;
  const slot = vm.findSlot(gfn);
  if (!slot || !slot.dirtyLogging || slot.readonly) return false;
  return slot.tdp.leafLevel(gfn - slot.baseGfn) === 0;
}

/** What `runGuest` tells its caller. */
export interface GuestHooks {
  /**
   * The access dirtied `gfn`: a write to a logged slot, or (`byRead` true) an x86 read
   * fault that mapped the page writable (`readFaultDirties`).
   */
  onDirty(gfn: number, byRead: boolean): void;
  /** The vCPU exited with KVM_EXIT_DIRTY_RING_FULL: harvest and reset; the run then resumes. */
  onRingFull(): void;
}

/**
 * Run accesses [start, end) of `gfns` on `vcpu` (`writes[i]` non-zero for a write),
 * with `vcpu.runAccesses` in batches. Reads run one at a time so `readFaultDirties`
 * sees the SPTEs just before the read. Every executed access that dirties a page is
 * passed to `hooks.onDirty` before the next collection can run; a ring-full exit
 * calls `hooks.onRingFull` and resumes from `next` (the access KVM saw before the
 * exit is made again, as the guest retries it).
 */
export function runGuest(
  vcpu: Vcpu,
  gfns: ArrayLike<number>,
  writes: Uint8Array,
  hooks: GuestHooks,
  start = 0,
  end = gfns.length,
): void {
  const vm = vcpu.vm;
  let i = start;
  let stalls = 0;
  while (i < end) {
    let batchEnd = i + 1;
    if (writes[i] !== 0) while (batchEnd < end && writes[batchEnd] !== 0) batchEnd++;
    const readDirties = writes[i] === 0 && readFaultDirties(vm, gfns[i]);
    const r = vcpu.runAccesses(gfns, writes, i, batchEnd);
    const next = r.next;
    const exit = r.exit;
    for (let k = i; k < next; k++) {
      const gfn = gfns[k];
      if (writes[k] !== 0) {
        if (writeDirties(vm, gfn)) hooks.onDirty(gfn, false);
      } else if (readDirties) hooks.onDirty(gfn, true);
    }
    if (r.retry) {
      // The access at `next` reached KVM and filled the ring: its page may already be
      // on the ring, collected before the guest retries the write (dirty_log_test's
      // "last page before a ring full" case). The guest is writing it now.
      const gfn = gfns[next];
      if (writes[next] !== 0) {
        if (writeDirties(vm, gfn)) hooks.onDirty(gfn, false);
      } else if (readDirties) hooks.onDirty(gfn, true);
    }
    stalls = next === i && !r.retry ? stalls + 1 : 0;
    if (stalls > 1) {
      throw new Error(`vcpu ${vcpu.id} stays ring-full after harvest and reset at access ${i}`);
    }
    i = next;
    if (exit === 'dirty-ring-full') hooks.onRingFull();
  }
}

/** A write dirties a page of a logged, writable slot (MMIO and READONLY slots exit instead). */
function writeDirties(vm: Vm, gfn: number): boolean {
  const slot = vm.findSlot(gfn);
  return slot !== null && slot.dirtyLogging && !slot.readonly;
}

/** Counters of a DirtyLogOracle run. */
export interface OracleStats {
  collections: number;
  /** Distinct pages reported, summed over collections. */
  reported: number;
  /** Pages reported one collection after the first collection that followed their write. */
  late: number;
}

/** Per-page oracle state lives in typed arrays of this many gfns (R3: no object per page). */
const CHUNK_PAGES = 4096;
/** Written since the page was last reported. */
const F_UNREPORTED = 1;
/** `host_bmap_track`: unreported at the previous collection, so due now. */
const F_DUE = 2;
/** Already seen in the collection being checked (a ring may repeat a gfn). */
const F_SEEN = 4;

interface PageChunk {
  /** Iteration of the guest's last write; 0 if never written. */
  lastWrite: Int32Array;
  flags: Uint8Array;
}

/**
 * dirty_log_test's verification (`vm_dirty_log_verify` + `host_bmap_track`) against
 * the guest's own record of its writes. The guest stamps each write with `iteration`;
 * after each collection `check` asserts, for collection `iteration` = i:
 * (a) every reported page was last written in iteration i or i - 1;
 * (b) a page written and not reported is reported by the next collection, else
 *     "page written but not reported";
 * (c) a page reported is not reported again until it is written again;
 * (d) ring entries harvested equal what KVM_RESET_DIRTY_RINGS returned.
 * Failures throw an Error naming the gfn and `context` (mode, layout, seed).
 */
export class DirtyLogOracle {
  /** The guest's iteration stamp; collections during iteration i are checked against it. */
  iteration = 1;
  readonly stats: OracleStats = { collections: 0, reported: 0, late: 0 };
  private readonly chunks = new Map<number, PageChunk>();
  private lastChunkKey = -1;
  private lastChunk: PageChunk | null = null;
  /** Exactly the pages with F_UNREPORTED, each once. */
  private unreported: number[] = [];

  constructor(readonly context: string) {}

  /** The guest (or KVM on its behalf) wrote `gfn` in the current iteration. */
  write(gfn: number): void {
    const c = this.chunk(gfn, true) as PageChunk;
    const i = gfn % CHUNK_PAGES;
    c.lastWrite[i] = this.iteration;
    if ((c.flags[i] & F_UNREPORTED) === 0) {
      c.flags[i] |= F_UNREPORTED;
      this.unreported.push(gfn);
    }
  }

  /** Every page of [start, end) counts as written (INITIALLY_SET: all bits start set). */
  writeRange(start: number, end: number): void {
    for (let gfn = start; gfn < end; gfn++) this.write(gfn);
  }

  /** Check one collection (rules (a)-(d) above). */
  check(collection: DirtyCollection): void {
    const it = this.iteration;
    if (collection.ringEntries !== collection.ringReset) {
      this.fail(
        `ring entries harvested (${collection.ringEntries}) differ from KVM_RESET_DIRTY_RINGS (${collection.ringReset}) in iteration ${it}`,
      );
    }
    let distinct = 0;
    for (const gfn of collection.gfns) {
      const c = this.chunk(gfn, false);
      const i = gfn % CHUNK_PAGES;
      const w = c ? c.lastWrite[i] : 0;
      if (c && c.flags[i] & F_SEEN) continue;
      if (!c || (w !== it && w !== it - 1)) {
        this.fail(
          `page reported but not written in iteration ${it} or ${it - 1}: gfn=${hex(gfn)} (${w === 0 ? 'never written' : `last written in iteration ${w}`})`,
        );
      }
      if ((c.flags[i] & F_UNREPORTED) === 0) {
        this.fail(
          `page reported again without a write since its last report: gfn=${hex(gfn)} (last written in iteration ${w})`,
        );
      }
      if (c.flags[i] & F_DUE) this.stats.late++;
      c.flags[i] = (c.flags[i] & ~F_UNREPORTED) | F_SEEN;
      distinct++;
    }
    for (const gfn of collection.gfns) {
      (this.chunk(gfn, false) as PageChunk).flags[gfn % CHUNK_PAGES] &= ~F_SEEN;
    }
    const still: number[] = [];
    for (const gfn of this.unreported) {
      const c = this.chunk(gfn, false) as PageChunk;
      const i = gfn % CHUNK_PAGES;
      const f = c.flags[i];
      if ((f & F_UNREPORTED) === 0) {
        c.flags[i] = f & ~F_DUE;
        continue;
      }
      if (f & F_DUE) {
        this.fail(
          `page written but not reported: gfn=${hex(gfn)} written in iteration ${c.lastWrite[i]}, missing from two collections (iteration ${it})`,
        );
      }
      c.flags[i] = f | F_DUE;
      still.push(gfn);
    }
    this.unreported = still;
    this.stats.collections++;
    this.stats.reported += distinct;
  }

  /** The host moves to the next iteration (after the iteration's collection). */
  nextIteration(): void {
    this.iteration++;
  }

  /** Pages written since their last report. */
  get pending(): number {
    return this.unreported.length;
  }

  /**
   * No lost page: after the guest stopped and a final collection, every page ever
   * written was reported at least once after its last write.
   */
  assertNoLostPage(): void {
    if (this.unreported.length === 0) return;
    const first = [...this.unreported].sort((a, b) => a - b).slice(0, 8);
    const c = this.chunk(first[0], false) as PageChunk;
    this.fail(
      `page written but not reported: ${this.unreported.length} page(s) never reported after their last write, e.g. gfn=${first.map(hex).join(', ')} (last written in iteration ${c.lastWrite[first[0] % CHUNK_PAGES]})`,
    );
  }

  private chunk(gfn: number, create: boolean): PageChunk | null {
    const key = Math.floor(gfn / CHUNK_PAGES);
    if (key === this.lastChunkKey) return this.lastChunk;
    let c = this.chunks.get(key) ?? null;
    if (!c && create) {
      c = { lastWrite: new Int32Array(CHUNK_PAGES), flags: new Uint8Array(CHUNK_PAGES) };
      this.chunks.set(key, c);
    }
    if (c) {
      this.lastChunkKey = key;
      this.lastChunk = c;
    }
    return c;
  }

  private fail(message: string): never {
    throw new Error(`${message}; ${this.context}`);
  }
}

const hex = (n: number): string => `0x${n.toString(16)}`;

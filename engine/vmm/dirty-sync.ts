import type { Vm } from '../kvm/vm.ts';
import type { Vcpu } from '../kvm/vcpu.ts';
import type { OpCost } from '../kvm/stats.ts';
import type { GuestMemory } from '../guest/memory.ts';
import type { DirtyLogChoice } from '../plan.ts';
import type { LogMode } from './log-mode.ts';
import { Bitset } from './bitset.ts';
import type { DirtyLogOnesLeft } from '../kvm/dirty-bitmap.ts';
import { BITMAP_LINE_PAGES, allPagesWord } from '../kvm/memslot.ts';
import { LOG_MODES } from './log-mode.ts';

/** ns QEMU spends merging one 64-bit word of a KVM bitmap into a RAMBlock bitmap. */
const MERGE_WORD_NS = 1;
/** 32-bit words of a line of KVM's bitmap as getDirtyLogChanged copies them (512 pages). */
const LINE_WORDS = BITMAP_LINE_PAGES / 32;

/** zeroLines[l] = 0 for every line with a word in [from, to). */
function unmarkZeroLines(zeroLines: Uint8Array, from: number, to: number): void {
  zeroLines.fill(0, Math.floor(from / LINE_WORDS), Math.ceil(to / LINE_WORDS));
}

/** out[w] = the word of a bitmap of `npages` set pages starting at page 32w, for w in [from, end). */
function writeOnes(out: Uint32Array, npages: number, from: number, end: number): void {
  const full = Math.max(from, Math.min(end, Math.floor(npages / 32)));
  out.fill(0xffffffff, from, full);
  for (let w = full; w < end; w++) out[w] = allPagesWord(npages, w * 32);
}

/**
 * How QEMU gets dirty pages out of KVM (accel/kvm/kvm-all.c, migration/ram.c):
 * `bmap` is each RAMBlock's migration bitmap, `dirtyMemory` QEMU's own dirty bitmap
 * that ring reaps fill. Bitmap modes GET per slot at a sync; manual-protect modes
 * CLEAR lazily, one `clear_bmap` chunk at a time, just before the chunk's first page
 * is sent. Ring modes reap every vCPU's ring into `dirtyMemory` and reset the rings.
 * Every method returns the simulated ns the calling thread spent, the wait for
 * mmu_lock included, and adds the mmu_lock write-hold time of its ioctls to
 * `lockWriteNs`.
 */
export class DirtySync {
  readonly vm: Vm;
  readonly memory: GuestMemory;
  readonly mode: DirtyLogChoice;
  /** How the mode gets dirty pages out of KVM (its row of LOG_MODES). */
  readonly logMode: LogMode;
  readonly bmap: Bitset[];
  readonly dirtyMemory: Bitset[];
  /**
   * The bits of each slot fetched by the last GET (QEMU's `KVMSlot.dirty_bmap`), which
   * the lazy CLEARs take their masks from; without manual protect, just the buffer
   * every GET writes into. Only the chunks with a CLEAR due matter: the GET that made
   * a chunk due wrote all of its words, or left them to the ones region below.
   */
  private readonly fetched: Uint32Array[];
  /**
   * Per slot, where the ones region of `fetched` begins (a word index, even): the words
   * from there on stand for the ones of KVM's INITIALLY_SET suffix as the last whole GET
   * found it (getDirtyLogChanged's `onesLeft`, `allPagesWord` each), but hold 0, never
   * written: a 1 TiB slot's first GET would write 32 MiB of ones, faulted in page by
   * page. Every chunk of the region has a CLEAR due, and KVM's bits there are still all
   * set (only those CLEARs clear them). The first pass CLEARs chunk by chunk from the
   * region's start, which moves past each chunk: the zeros QEMU writes after a CLEAR are
   * already there. `fetched.length` when there is none.
   */
  private readonly fetchedOnesFrom: number[];
  /** Per slot, whether a GET has written into `fetched` (its words are 0 until then). */
  private readonly fetchedWritten: boolean[];
  /**
   * Per slot, per line of `fetched` (16 words), 1 where its words are known to be 0, so
   * that a GET need not write the zeros of a line KVM holds as zeros nobody wrote: after
   * a first pass every line is such a line, changed by its CLEAR, and writing them would
   * fault all of a 1 TiB slot's `fetched` in. Every write of `fetched` clears the marks
   * of the lines it writes; a CLEAR's zeroing sets the marks of the lines it zeroes.
   */
  private readonly fetchedZeroLines: Uint8Array[];
  /** Where getDirtyLogChanged's whole copies stop. */
  private readonly onesLeft: DirtyLogOnesLeft = { fromWord: 0 };
  /** A CLEAR's bitmap of a whole chunk of ones (allocated at first use). */
  private chunkOnes: Uint32Array | null = null;
  /**
   * Per slot: `fetched` holds what the last getLogChanged wrote, changed since only
   * where a CLEAR changed KVM's words too, so the next GET may copy changed lines only.
   */
  private readonly fetchedByChangedLines: boolean[];
  /** Per slot, the line indexes getLogChanged reads back (allocated at its first use). */
  private readonly changedLines: (Uint32Array | undefined)[] = [];
  /**
   * Whether lazy-clear syncs GET and merge only the lines KVM changed (getLogChanged);
   * false copies and merges every word, the reference its test holds it to.
   */
  changedLinesOnly = true;
  /** Per slot, per clear chunk: a CLEAR is due before the chunk's next page is sent. */
  private readonly clearPending: Uint8Array[];
  readonly clearChunkPages: number;
  /** log2 of the 32-bit bitmap words per clear chunk. */
  private readonly clearChunkWordShift: number;
  /** mmu_lock write hold by syncs since the scheduler last read it. */
  lockWriteNs = 0;
  /** Sum of the squared pieces of that hold (OpCost.mmuLockWritePieceSqNs). */
  lockWriteSqNs = 0;
  /**
   * Expected wait of one write_lock for the vCPUs inside mmu_lock, set by the
   * scheduler each slice (engine/sim/mmu-lock.ts).
   */
  writerWaitNs = 0;
  /**
   * The vCPUs' mmu_lock acquisitions per ns, the mean hold of one, and whether their
   * faults exclude each other (spinlock, shadow MMU), set by the scheduler each slice:
   * what cuts in when a write hold releases the lock between pieces.
   */
  vcpuLockRatePerNs = 0;
  vcpuLockHoldNs = 0;
  vcpuLockExclusive = false;
  /** ns the VMM's ioctls waited, between the pieces of their write holds, for vCPUs that cut in. */
  cutInNs = 0;
  /**
   * Proposal: threads that harvest the rings in parallel (TrackingPolicy.reapers);
   * QEMU has one. Ring k goes to thread k mod `reapers`.
   */
  reapers = 1;
  /** Counters for the results. */
  clears = 0;
  /** The CLEARs' simulated time (the ioctls alone), the longest one, and their splitting. */
  clearNs = 0;
  clearMaxNs = 0;
  clearSplitNs = 0;
  reaps = 0;
  ringEntriesReaped = 0;

  constructor(vm: Vm, memory: GuestMemory, mode: DirtyLogChoice, clearBitmapShift: number) {
    this.vm = vm;
    this.memory = memory;
    this.mode = mode;
    this.logMode = LOG_MODES[mode];
    this.bmap = memory.slots.map((s) => new Bitset(s.npages));
    this.dirtyMemory = memory.slots.map((s) => new Bitset(s.npages));
    this.fetched = memory.slots.map((s) => new Uint32Array(Math.ceil(s.npages / 64) * 2));
    this.fetchedOnesFrom = this.fetched.map((f) => f.length);
    this.fetchedWritten = this.fetched.map(() => false);
    this.fetchedZeroLines = this.fetched.map((f) =>
      new Uint8Array(Math.ceil(f.length / LINE_WORDS)).fill(1),
    );
    this.fetchedByChangedLines = memory.slots.map(() => false);
    // KVM's CLEAR works on 64-page units, so a chunk is never smaller than that.
    this.clearChunkPages = 2 ** Math.max(6, clearBitmapShift);
    this.clearChunkWordShift = Math.max(6, clearBitmapShift) - 5;
    this.clearPending = memory.slots.map(
      (s) => new Uint8Array(Math.ceil(s.npages / this.clearChunkPages)),
    );
  }

  get manual(): boolean {
    return this.logMode.manualClear;
  }

  get ring(): boolean {
    return this.logMode.ring;
  }

  /** Pages waiting to be sent (QEMU `migration_dirty_pages`). */
  get dirtyPages(): number {
    let n = 0;
    for (const b of this.bmap) n += b.count;
    return n;
  }

  /** ram_init_bitmaps: every page is dirty, so the first pass sends all of RAM. */
  setAll(): void {
    for (const b of this.bmap) b.setAll();
  }

  /**
   * migration_bitmap_sync: pull dirty state from KVM into `bmap`. `lastStage` with
   * the VM stopped adds the final GET of ring + bitmap (arm64). Returns the ns spent
   * and the pages newly dirty in `bmap`.
   */
  sync(lastStage: boolean): { ns: number; newPages: number } {
    const vm = this.vm;
    let ns = 0;
    let newPages = 0;
    if (this.ring) {
      ns += vm.kickAllVcpus(); // synchronous kick: PML buffers reach the rings
      ns += this.reap(null);
      for (let k = 0; k < this.bmap.length; k++)
        newPages += this.bmap[k].takeFrom(this.dirtyMemory[k]);
      if (this.logMode.withBitmap && lastStage) {
        for (const s of this.memory.slots) {
          const got = this.getLog(s.index, this.fetched[s.index]);
          ns += got.ns;
          newPages += this.bmap[s.index].orWords(got.words);
          this.fetchedByChangedLines[s.index] = false;
        }
      }
      return { ns, newPages };
    }
    for (const s of this.memory.slots) {
      // With manual protect the GET goes straight into `fetched`: its bits are cleared
      // in KVM lazily, chunk by chunk (clear_bmap), just before the chunk's first send.
      // The last stage's GET must leave them to the CLEARs still due: the chunks that
      // have one are put aside and put back.
      const lazyClear = this.manual && !lastStage;
      if (this.manual && this.changedLinesOnly) {
        const got = this.getLogChanged(s.index, lastStage);
        ns += got.ns;
        newPages += got.newPages;
        continue;
      }
      this.writeFetchedOnesTo(s.index, Infinity);
      const keep = this.manual && lastStage ? this.pendingChunkWords(s.index) : null;
      const got = this.getLog(s.index, this.fetched[s.index]);
      ns += got.ns;
      if (lazyClear) {
        // A chunk with a bit in the GET gets its CLEAR before its first send.
        newPages += this.bmap[s.index].orWordsMarking(
          got.words,
          this.clearPending[s.index],
          this.clearChunkWordShift,
        );
      } else {
        newPages += this.bmap[s.index].orWords(got.words);
      }
      if (keep) this.putBack(s.index, keep);
    }
    return { ns, newPages };
  }

  /** The fetched words of each chunk of `slot` with a CLEAR due, copied, with their offsets. */
  private pendingChunkWords(slot: number): [number, Uint32Array][] {
    const pending = this.clearPending[slot];
    const fetched = this.fetched[slot];
    const words = 2 ** this.clearChunkWordShift;
    const out: [number, Uint32Array][] = [];
    for (let c = 0; c < pending.length; c++) {
      if (pending[c] === 1) out.push([c * words, fetched.slice(c * words, (c + 1) * words)]);
    }
    return out;
  }

  /**
   * migration_clear_memory_region_dirty_bitmap: before sending `rel` of `slot`, issue
   * the CLEAR of its chunk if one is due. Returns the ns spent.
   */
  beforeSend(slot: number, rel: number): number {
    if (!this.manual) return 0;
    const c = Math.floor(rel / this.clearChunkPages);
    const pending = this.clearPending[slot];
    if (pending[c] === 0) return 0;
    pending[c] = 0;
    const s = this.memory.slots[slot];
    const first = c * this.clearChunkPages;
    const num = Math.min(this.clearChunkPages, s.npages - first);
    const w0 = first / 32;
    const w1 = w0 + Math.ceil(num / 64) * 2;
    const onesFrom = this.fetchedOnesFrom[slot];
    // The chunk at the start of the ones region (the first pass's order) is CLEARed
    // from a buffer of ones, and the region moves past it: its words hold the zeros
    // written after a CLEAR already. Elsewhere the region's ones are written out first.
    const fromOnes = w0 === onesFrom && w1 > onesFrom;
    if (!fromOnes && w1 > onesFrom) this.writeFetchedOnesTo(slot, w1);
    const words = fromOnes
      ? this.chunkOnesFor(s.npages, w0, w1)
      : this.fetched[slot].subarray(w0, w1);
    const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
    this.vm.clearDirtyLog(s.memslot.slotId, first, num, bytes);
    if (fromOnes) this.fetchedOnesFrom[slot] = w1;
    else words.fill(0);
    // The lines wholly inside the chunk hold zeros now (the region's hold them already).
    this.fetchedZeroLines[slot].fill(1, Math.ceil(w0 / LINE_WORDS), Math.floor(w1 / LINE_WORDS));
    this.clears++;
    const cost = this.vm.lastIoctl;
    this.clearNs += cost.ns;
    this.clearMaxNs = Math.max(this.clearMaxNs, cost.ns);
    this.clearSplitNs += cost.splitNs;
    return cost.ns + this.lockWait(cost);
  }

  /**
   * kvm_dirty_ring_reap: harvest every ring (or only `only`'s, as QEMU does when
   * dirty-limit is on) into `dirtyMemory`, then KVM_RESET_DIRTY_RINGS. Returns ns:
   * with several reapers (proposal) the harvest takes as long as the busiest thread's
   * rings; the reset is one VM ioctl either way.
   */
  reap(only: Vcpu | null): number {
    const vm = this.vm;
    const rings = only ? [only.dirtyRing].filter((r) => r !== null) : vm.dirtyRings();
    let entries = 0;
    const gran = vm.dirtyGranularityPages;
    const threads = Math.max(1, Math.min(this.reapers, rings.length));
    const perThread = new Float64Array(threads);
    for (const [k, ring] of rings.entries()) {
      if (!ring) continue;
      const before = entries;
      entries += ring.harvest((slotId, offset) => {
        const slot = this.memory.slots.find((s) => s.memslot.slotId === slotId);
        if (!slot) return;
        const bits = this.dirtyMemory[slot.index];
        if (gran > 1) bits.setRange(offset, Math.min(offset + gran, slot.npages));
        else bits.set(offset);
      });
      perThread[k % threads] += entries - before;
    }
    this.reaps++;
    this.ringEntriesReaped += entries;
    let ns = Math.max(...perThread) * vm.costs.ringHarvestPerEntry;
    vm.resetDirtyRings();
    ns += vm.lastIoctl.ns + this.lockWait(vm.lastIoctl);
    return ns;
  }

  /** Bytes of the VMM's bitmaps (migration bitmap, dirty memory, fetched copies). */
  get bytes(): number {
    let n = 0;
    for (let k = 0; k < this.bmap.length; k++) {
      n += this.bmap[k].bytes + this.dirtyMemory[k].bytes + this.fetched[k].byteLength;
    }
    return n;
  }

  /**
   * The manual-protect sync's GET of `slot` into `fetched` and its merge into `bmap`,
   * for the lines KVM changed since the last one only (Vm.getDirtyLogChanged); before
   * the last stage, marking the chunks with a CLEAR due. The lines not copied hold what
   * the last GET put there, in `fetched` and already in `bmap`: such a line's words are
   * 0, or in a chunk whose CLEAR is still due, where no page has been sent (nor its bit
   * cleared) since. So the GET's words, the pages newly dirty and the marks are the full
   * merge's. The last stage, as sync's whole GET does, puts the words of the chunks
   * with a CLEAR due back as they were and leaves the next GET to copy all. Returns
   * the ns as getLog charges them and the pages newly dirty.
   */
  private getLogChanged(slot: number, lastStage: boolean): { ns: number; newPages: number } {
    const s = this.memory.slots[slot];
    const into = this.fetched[slot];
    const lines = (this.changedLines[slot] ??= new Uint32Array(s.memslot.bitmapLineChanged.length));
    // The last stage's copy is whole to the end (no ones region) where it copies all,
    // as the words it puts back may lie anywhere.
    if (lastStage) this.writeFetchedOnesTo(slot, Infinity);
    const keep = lastStage ? this.pendingChunkWords(slot) : null;
    const onesLeft = lastStage ? undefined : this.onesLeft;
    const whole = !this.fetchedByChangedLines[slot];
    const zeroLines = this.fetchedZeroLines[slot];
    const n = this.vm.getDirtyLogChanged(s.memslot.slotId, into, lines, whole, onesLeft, zeroLines);
    this.fetchedByChangedLines[slot] = !lastStage;
    const written = this.fetchedWritten[slot];
    this.fetchedWritten[slot] = true;
    const cost = this.vm.lastIoctl;
    const ns = cost.ns + this.lockWait(cost) + (into.length / 2) * MERGE_WORD_NS;
    const bmap = this.bmap[slot];
    const marks = lastStage ? null : this.clearPending[slot];
    const shift = this.clearChunkWordShift;
    let newPages = 0;
    if (n < 0) {
      const onesFrom = onesLeft ? onesLeft.fromWord : into.length;
      // The region's words hold 0: any it takes back from a region further on (a
      // bitmap made anew, logging turned off and on) were written since.
      const old = this.fetchedOnesFrom[slot];
      if (onesFrom < old && written) into.fill(0, onesFrom, old);
      this.fetchedOnesFrom[slot] = onesFrom;
      newPages = bmap.orWordsMarking(into, marks, shift, 0, onesFrom) + this.mergeOnes(slot, marks);
    } else {
      const onesFrom = this.fetchedOnesFrom[slot];
      for (let k = 0; k < n; k++) {
        // A line still known to be zeros adds nothing, and is not read: read, a page
        // the GET did not write would be faulted in as well.
        if (zeroLines[lines[k]] === 1) continue;
        const w = lines[k] * LINE_WORDS;
        newPages += bmap.orWordsMarking(into, marks, shift, w, w + LINE_WORDS);
        // A line reaching into the ones region copied KVM's words there, all set still
        // (as the region reads): its words there go back to 0.
        if (w + LINE_WORDS > onesFrom) into.fill(0, Math.max(w, onesFrom), w + LINE_WORDS);
      }
    }
    if (keep) this.putBack(slot, keep);
    return { ns, newPages };
  }

  /**
   * Merge the ones region of `fetched[slot]` into `bmap` as orWordsMarking merges
   * words: every page of it is dirty, every chunk with one of its pages gets its mark.
   * Returns the pages newly dirty in `bmap`.
   */
  private mergeOnes(slot: number, marks: Uint8Array | null): number {
    const npages = this.memory.slots[slot].npages;
    const start = this.fetchedOnesFrom[slot] * 32;
    if (start >= npages) return 0;
    const shift = this.clearChunkWordShift;
    if (marks) marks.fill(1, (start >>> 5) >>> shift, (((npages - 1) >>> 5) >>> shift) + 1);
    const bmap = this.bmap[slot];
    const before = bmap.count;
    bmap.setRange(start, npages);
    return bmap.count - before;
  }

  /** Write out the ones of `fetched[slot]`'s ones region below word `to`; the region starts there. */
  private writeFetchedOnesTo(slot: number, to: number): void {
    const fetched = this.fetched[slot];
    const from = this.fetchedOnesFrom[slot];
    const end = Math.min(to, fetched.length);
    if (end <= from) return;
    writeOnes(fetched, this.memory.slots[slot].npages, from, end);
    unmarkZeroLines(this.fetchedZeroLines[slot], from, end);
    this.fetchedOnesFrom[slot] = end;
  }

  /** Put the words of `keep` (pendingChunkWords) back into `fetched[slot]`. */
  private putBack(slot: number, keep: [number, Uint32Array][]): void {
    for (const [at, words] of keep) {
      this.fetched[slot].set(words, at);
      unmarkZeroLines(this.fetchedZeroLines[slot], at, at + words.length);
    }
  }

  /** A CLEAR's bitmap for words [w0, w1) of a slot of `npages` pages, all of whose pages are set. */
  private chunkOnesFor(npages: number, w0: number, w1: number): Uint32Array {
    const n = w1 - w0;
    if (w1 * 32 > npages) {
      // The slot's last chunk: its last words are partial or 0.
      const out = new Uint32Array(n);
      writeOnes(out, npages - w0 * 32, 0, n);
      return out;
    }
    if (this.chunkOnes === null || this.chunkOnes.length < n) {
      this.chunkOnes = new Uint32Array(n).fill(0xffffffff);
    }
    return this.chunkOnes.subarray(0, n);
  }

  /** KVM_GET_DIRTY_LOG of `slot` into `into` (ALIGN(npages, 64) / 32 words). */
  private getLog(slot: number, into: Uint32Array): { ns: number; words: Uint32Array } {
    this.fetchedByChangedLines[slot] = false;
    this.fetchedWritten[slot] = true;
    this.fetchedZeroLines[slot].fill(0);
    const s = this.memory.slots[slot];
    this.vm.getDirtyLog(
      s.memslot.slotId,
      new Uint8Array(into.buffer, into.byteOffset, into.byteLength),
    );
    const cost = this.vm.lastIoctl;
    return { ns: cost.ns + this.lockWait(cost) + (into.length / 2) * MERGE_WORD_NS, words: into };
  }

  /**
   * An ioctl that took mmu_lock for write: its hold goes to `lockWriteNs` (the
   * vCPUs wait behind it), and the ns it waited for the vCPUs inside is returned.
   * A hold in pieces (a walk that yields, tdp_mmu_iter_cond_resched or
   * cond_resched_rwlock_write; a split that drops the lock to allocate) lets the
   * vCPUs that came during a piece in at its end, and takes the lock back after them:
   * with faults arriving at rate r and a mean piece m, some came with probability
   * 1 - e^(-r·m), and readers (the TDP MMU's faults) then hold it for about one
   * fault's hold together; under an exclusive lock each of the r·m that came holds it
   * in turn. So the ioctl, and whatever the VMM holds around it (QEMU's big lock
   * around the enabling ioctl), grows with the vCPUs' faults.
   */
  lockWait(cost: OpCost): number {
    if (cost.mmuLockWriteNs <= 0) return 0;
    this.lockWriteNs += cost.mmuLockWriteNs;
    this.lockWriteSqNs += cost.mmuLockWritePieceSqNs;
    const pieces = cost.mmuLockWritePieces;
    let cutIn = 0;
    if (pieces > 1 && this.vcpuLockRatePerNs > 0) {
      const arrivals = (this.vcpuLockRatePerNs * cost.mmuLockWriteNs) / pieces;
      const perRelease = this.vcpuLockExclusive ? arrivals : -Math.expm1(-arrivals);
      cutIn = (pieces - 1) * perRelease * this.vcpuLockHoldNs;
      this.cutInNs += cutIn;
    }
    return this.writerWaitNs + cutIn;
  }
}

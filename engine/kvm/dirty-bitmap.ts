import type { Memslot } from './memslot.ts';
import type { Vm } from './vm.ts';
import { KvmError } from './errors.ts';
import {
  BITMAP_LINE_IOCTL,
  BITMAP_LINE_PAGES,
  allPagesWord,
  writeDirtyBitmapOnesTo,
} from './memslot.ts';
import { enableLogDirtyPtMasked } from './dirty-log.ts';
import { OpCost } from './stats.ts';
import { INTERNAL } from './internal.ts';

/**
 * KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG (virt/kvm/kvm_main.c
 * `kvm_get_dirty_log_protect`, `kvm_clear_dirty_log_protect`), with KVM's checks in
 * KVM's order. Bitmaps cross the UAPI as bytes: bit i of byte j is page 8j + i.
 */

/**
 * Copy words [w0, w1) of `slot`'s dirty bitmap into `out`: the stored words below the
 * all-set suffix, ones from it on. The suffix's stored words are not read: never
 * written, the OS would fault them in for a read as well. With `outZeroLines` (per
 * line, 1 where `out` holds zeros already), a line of zeros nobody wrote is not written
 * where `out` has zeros either (a never-touched page of `out` would be faulted in just
 * to hold zeros), and every line written with anything else loses its mark.
 */
function copyWords(
  slot: Memslot,
  out: Uint32Array,
  w0: number,
  w1: number,
  outZeroLines: Uint8Array | null = null,
): void {
  const bitmap = slot.dirtyBitmap as Uint32Array;
  // The suffix starts at a multiple of 64 pages, or at npages (no suffix).
  const stored = slot.dirtyBitmapOnesFrom >= slot.npages ? w1 : slot.dirtyBitmapOnesFrom / 32;
  const mid = Math.max(w0, Math.min(w1, stored));
  const zero = slot.bitmapLineZero;
  const changed = slot.bitmapLineChanged;
  // Line by line: a line of zeros nobody wrote is written as zeros, not read; the
  // lines between are copied a stretch at a time.
  let copyFrom = w0;
  for (let w = slot.bitmapHasZeroLines ? w0 : mid; w < mid;) {
    const l = (w / LINE_WORDS) | 0;
    const end = Math.min(mid, (l + 1) * LINE_WORDS);
    if (zero[l] === 1 && changed[l] !== 1) {
      copyStretch(bitmap, out, copyFrom, w, outZeroLines);
      if (outZeroLines === null || outZeroLines[l] !== 1) out.fill(0, w, end);
      copyFrom = end;
    }
    w = end;
  }
  copyStretch(bitmap, out, copyFrom, mid, outZeroLines);
  // Ones: whole words at once, then the words of the slot's last pages.
  const full = Math.max(mid, Math.min(w1, Math.floor(slot.npages / 32)));
  if (full > mid) out.fill(0xffffffff, mid, full);
  for (let w = full; w < w1; w++) out[w] = allPagesWord(slot.npages, w * 32);
  if (outZeroLines !== null && w1 > mid) unmarkLines(outZeroLines, mid, w1);
}

/**
 * out[w] = bitmap[w] for w in [from, to): a loop for a few words, else one set. The
 * lines written lose their marks in `outZeroLines`.
 */
function copyStretch(
  bitmap: Uint32Array,
  out: Uint32Array,
  from: number,
  to: number,
  outZeroLines: Uint8Array | null,
): void {
  if (to - from > 64) out.set(bitmap.subarray(from, to), from);
  else for (let w = from; w < to; w++) out[w] = bitmap[w];
  if (outZeroLines !== null && to > from) unmarkLines(outZeroLines, from, to);
}

/** zeroLines[l] = 0 for every line with a word in [from, to). */
function unmarkLines(zeroLines: Uint8Array, from: number, to: number): void {
  zeroLines.fill(0, (from / LINE_WORDS) | 0, Math.ceil(to / LINE_WORDS));
}

/**
 * Where a whole copy of getDirtyLogChanged stopped: words [fromWord, length) of the
 * caller's buffer were left as they were and stand for the slot's all-set suffix,
 * each word `allPagesWord(npages, 32 * w)`. `length` when the slot has no suffix.
 */
export interface DirtyLogOnesLeft {
  fromWord: number;
}

/** 32-bit words of the bitmap per line of `Memslot.bitmapLineChanged` (512 pages). */
const LINE_WORDS = BITMAP_LINE_PAGES / 32;

/** Resolve a UAPI slot number for GET/CLEAR: ENXIO, EINVAL, ENOENT as KVM orders them. */
function dirtyLogSlot(vm: Vm, slotId: number, ioctl: string, checkAlign?: () => void): Memslot {
  if (!vm.useDirtyBitmap) {
    throw new KvmError(
      'ENXIO',
      `${ioctl}: the VM uses a dirty ring without a bitmap; harvest the rings instead, or enable Cap.DirtyLogRingWithBitmap`,
    );
  }
  const asId = slotId >>> 16;
  const id = slotId & 0xffff;
  if (asId >= vm.nrAddressSpaces || id >= vm.userMemSlots) {
    throw new KvmError('EINVAL', `${ioctl}: slot ${slotId} is out of range`);
  }
  checkAlign?.();
  const slot = vm.memslot(slotId);
  if (!slot || !slot.dirtyBitmap) {
    throw new KvmError(
      'ENOENT',
      `${ioctl}: slot ${slotId} ${slot ? 'is not logging dirty pages; set KVM_MEM_LOG_DIRTY_PAGES' : 'does not exist'}`,
    );
  }
  return slot;
}

/**
 * KVM_GET_DIRTY_LOG. Without manual protect, reading clears: each non-zero word is
 * exchanged with 0 and its pages re-armed under mmu_lock, then one TLB flush. With
 * manual protect the live bitmap is copied and nothing changes.
 * Returns ALIGN(npages, 64) / 8 bytes: `into` when given (the user buffer, at least
 * that long, else EFAULT as copy_to_user fails), else a new array. Reusing a buffer
 * matters for a large slot: a fresh 32 MiB per GET of a 1 TiB slot costs more in
 * page faults than the copy itself.
 */
export function getDirtyLog(vm: Vm, slotId: number, into?: Uint8Array): Uint8Array {
  const slot = dirtyLogSlot(vm, slotId, 'KVM_GET_DIRTY_LOG');
  const bitmap = slot.dirtyBitmap as Uint32Array;
  if (into && into.byteLength < bitmap.byteLength) {
    throw new KvmError(
      'EFAULT',
      `KVM_GET_DIRTY_LOG: the bitmap has ${into.byteLength} bytes, ${bitmap.byteLength} are needed for slot ${slotId} (${slot.npages} pages)`,
    );
  }
  const cost = new OpCost();
  cost.add(vm.costs.ioctl);
  vm[INTERNAL].syncDirtyLog(cost);
  const aligned = into !== undefined && into.byteOffset % 4 === 0;
  const out = aligned
    ? new Uint32Array(into.buffer, into.byteOffset, bitmap.length)
    : new Uint32Array(bitmap.length);
  if (vm.manualProtect) {
    copyWords(slot, out, 0, bitmap.length);
  } else {
    writeDirtyBitmapOnesTo(slot, slot.npages);
    let flush = false;
    const words = bitmap.length;
    cost.underWriteLock((words / 2) * vm.costs.bitmapWordScan);
    if (aligned) out.fill(0);
    for (let w = 0; w < words; w += 2) {
      // Signed, as CLEAR's masks: not boxed for the call below.
      const lo = bitmap[w] | 0;
      const hi = bitmap[w + 1] | 0;
      if ((lo | hi) === 0) continue;
      out[w] = lo;
      out[w + 1] = hi;
      bitmap[w] = 0;
      bitmap[w + 1] = 0;
      slot.bitmapLineOwner[(w * 32) >>> 9] = BITMAP_LINE_IOCTL; // xchg takes the line
      slot.bitmapLineChanged[(w * 32) >>> 9] = 1;
      flush = enableLogDirtyPtMasked(vm, slot, w * 32, lo, hi, cost) || flush;
    }
    if (flush) vm[INTERNAL].flushRemoteTlbs(cost);
  }
  cost.add(out.byteLength * vm.costs.bitmapCopyPerByte);
  vm[INTERNAL].finishIoctl(cost);
  if (!into) return new Uint8Array(out.buffer);
  if (!aligned) into.set(new Uint8Array(out.buffer));
  return into.byteLength === out.byteLength ? into : into.subarray(0, out.byteLength);
}

/**
 * KVM_GET_DIRTY_LOG with manual protect, for a caller whose buffer `into` still holds
 * what its last call wrote, changed since only in lines (512 pages, 16 words) whose
 * kernel words changed too (QEMU's KVMSlot.dirty_bmap: a chunk is zeroed only after
 * its CLEAR, which writes those lines): the same words, cost and side effects as
 * getDirtyLog, copying only the lines written since that call (a simulator shortcut:
 * a 1 TiB slot's GET copies 32 MiB, most of it unchanged). `whole` (or a bitmap the
 * last call did not copy) copies every line. Writes the indexes of the lines copied
 * into `lines` (one entry per line of the slot) and returns their count, or -1 when
 * all were copied. One such caller per slot: the call consumes `bitmapLineChanged`.
 * With `onesLeft`, a whole copy stops where the slot's all-set suffix (INITIALLY_SET's
 * ones nobody wrote) begins and says where: the caller takes the words from there on
 * as ones (a 1 TiB slot's first GET would otherwise write 32 MiB of them, which the OS
 * faults into the caller's buffer page by page). With `intoZeroLines` (one entry per
 * line of the slot, 1 where `into` is known to hold zeros, kept up to date by the caller
 * for its own writes), a line of zeros nobody wrote is not written where `into` holds
 * zeros already, and the lines written with anything else lose their marks.
 */
export function getDirtyLogChanged(
  vm: Vm,
  slotId: number,
  into: Uint32Array,
  lines: Uint32Array,
  whole: boolean,
  onesLeft?: DirtyLogOnesLeft,
  intoZeroLines?: Uint8Array,
): number {
  const slot = dirtyLogSlot(vm, slotId, 'KVM_GET_DIRTY_LOG');
  const bitmap = slot.dirtyBitmap as Uint32Array;
  if (!vm.manualProtect) {
    throw new Error(
      'getDirtyLogChanged: without manual protect a GET clears the bitmap; use getDirtyLog',
    );
  }
  if (into.length < bitmap.length || lines.length < slot.bitmapLineChanged.length) {
    throw new KvmError(
      'EFAULT',
      `KVM_GET_DIRTY_LOG: the bitmap has ${into.length} words and room for ${lines.length} lines, ${bitmap.length} and ${slot.bitmapLineChanged.length} are needed for slot ${slotId} (${slot.npages} pages)`,
    );
  }
  if (intoZeroLines && intoZeroLines.length < slot.bitmapLineChanged.length) {
    throw new RangeError(
      `getDirtyLogChanged: intoZeroLines has ${intoZeroLines.length} lines, ${slot.bitmapLineChanged.length} are needed`,
    );
  }
  const cost = new OpCost();
  cost.add(vm.costs.ioctl);
  vm[INTERNAL].syncDirtyLog(cost);
  const changed = slot.bitmapLineChanged;
  let n = -1;
  if (whole || slot.deltaBitmap !== bitmap) {
    // The suffix starts at a multiple of 64 pages, or at npages (no suffix).
    const end =
      onesLeft && slot.dirtyBitmapOnesFrom < slot.npages
        ? slot.dirtyBitmapOnesFrom / 32
        : bitmap.length;
    copyWords(slot, into, 0, end, intoZeroLines ?? null);
    if (onesLeft) onesLeft.fromWord = end;
    changed.fill(0);
    slot.deltaBitmap = bitmap;
  } else {
    n = copyChangedLines(slot, into, lines, intoZeroLines ?? null);
  }
  cost.add(bitmap.byteLength * vm.costs.bitmapCopyPerByte);
  vm[INTERNAL].finishIoctl(cost);
  return n;
}

/**
 * getDirtyLogChanged's copy of the lines changed since its last call: copies them into
 * `into`, writes their indexes into `lines` and returns how many, consuming
 * `bitmapLineChanged`; a line `into` holds already (zeros, marked in `intoZeroLines`)
 * is neither copied nor listed. A function of its own: run once per GET over every line of a
 * large slot, its loop is optimized as the function is, not compiled anew on the
 * stack of each call and dropped at its end.
 */
function copyChangedLines(
  slot: Memslot,
  into: Uint32Array,
  lines: Uint32Array,
  intoZeroLines: Uint8Array | null,
): number {
  const changed = slot.bitmapLineChanged;
  const zero = slot.bitmapLineZero;
  const words = (slot.dirtyBitmap as Uint32Array).length;
  // Lines wholly below this are below the all-set suffix.
  const belowSuffix = Math.floor(slot.dirtyBitmapOnesFrom / BITMAP_LINE_PAGES);
  let n = 0;
  for (let l = 0; l < changed.length; l++) {
    if (changed[l] === 0) continue;
    // Changed by a CLEAR alone, zeros nobody wrote, where `into` holds zeros too (after
    // a first pass, every line of the slot): `into` has the line already.
    if (
      changed[l] === 2 &&
      zero[l] === 1 &&
      intoZeroLines !== null &&
      intoZeroLines[l] === 1 &&
      (l < belowSuffix || slot.dirtyBitmapOnesFrom >= slot.npages)
    ) {
      changed[l] = 0;
      continue;
    }
    const w0 = l * LINE_WORDS;
    copyWords(slot, into, w0, Math.min(w0 + LINE_WORDS, words), intoZeroLines);
    // A writer wrote the line: its words are no longer zeros nobody wrote.
    if (changed[l] === 1) slot.bitmapLineZero[l] = 0;
    changed[l] = 0;
    lines[n++] = l;
  }
  return n;
}

/**
 * A CLEAR of every page of the pair at `page`, the all-set suffix's start, whose words
 * stay 0 (as they now read): the ioctl takes the pair's bitmap line, which this CLEAR
 * alone changed (2) unless a writer came too (1); a line whose first pair goes this way
 * holds zeros nobody wrote (bitmapLineZero).
 */
function suffixPairCleared(slot: Memslot, page: number): void {
  const line = page >>> 9;
  slot.bitmapLineOwner[line] = BITMAP_LINE_IOCTL;
  if (slot.bitmapLineChanged[line] !== 1) slot.bitmapLineChanged[line] = 2;
  if ((page & (BITMAP_LINE_PAGES - 1)) === 0) {
    slot.bitmapLineZero[line] = 1;
    slot.bitmapHasZeroLines = true;
  }
}

/**
 * KVM_CLEAR_DIRTY_LOG: clear the bits of `bitmap` (relative to `firstPage`) in the
 * slot's dirty bitmap and re-arm tracking for the pages whose bits were set.
 * `firstPage` must be a multiple of 64, and `numPages` too unless the range runs to
 * the end of the slot.
 */
export function clearDirtyLog(
  vm: Vm,
  slotId: number,
  firstPage: number,
  numPages: number,
  bitmap: Uint8Array,
  rangeShortcut = true,
): void {
  const slot = dirtyLogSlot(vm, slotId, 'KVM_CLEAR_DIRTY_LOG', () => {
    if (firstPage % 64 !== 0) {
      throw new KvmError(
        'EINVAL',
        `KVM_CLEAR_DIRTY_LOG: first_page ${firstPage} is not a multiple of 64`,
      );
    }
  });
  const npages = slot.npages;
  if (firstPage > npages || numPages > npages - firstPage) {
    throw new KvmError(
      'EINVAL',
      `KVM_CLEAR_DIRTY_LOG: pages [${firstPage}, ${firstPage + numPages}) run past the slot's ${npages} pages`,
    );
  }
  if (numPages < npages - firstPage && numPages % 64 !== 0) {
    throw new KvmError(
      'EINVAL',
      `KVM_CLEAR_DIRTY_LOG: num_pages ${numPages} must be a multiple of 64 unless the range reaches the slot's end`,
    );
  }
  const nWords64 = Math.ceil(numPages / 64);
  if (bitmap.byteLength < nWords64 * 8) {
    throw new KvmError(
      'EFAULT',
      `KVM_CLEAR_DIRTY_LOG: the bitmap has ${bitmap.byteLength} bytes, ${nWords64 * 8} are needed for ${numPages} pages`,
    );
  }
  const cost = new OpCost();
  cost.add(vm.costs.ioctl + nWords64 * 8 * vm.costs.bitmapCopyPerByte);
  vm[INTERNAL].syncDirtyLog(cost);
  // The user's bitmap as 32-bit words, as getDirtyLog reads the kernel's (a
  // little-endian host); an unaligned buffer is copied first.
  const user =
    bitmap.byteOffset % 4 === 0
      ? new Uint32Array(bitmap.buffer, bitmap.byteOffset, nWords64 * 2)
      : new Uint32Array(bitmap.slice(0, nWords64 * 8).buffer);
  const kernel = slot.dirtyBitmap as Uint32Array;
  const base = firstPage / 32;
  let flush = false;
  cost.underWriteLock(nWords64 * vm.costs.bitmapWordScan);
  const owners = slot.bitmapLineOwner;
  const changedLines = slot.bitmapLineChanged;
  // Nothing mapped anywhere in the range (most of a large slot when a first pass CLEARs
  // it, chunk by chunk): each mask's re-arm is enableLogDirtyPtMasked's shortcut for
  // pages nothing maps, charged the same, without asking the page tables for every 64
  // pages again (nothing in the loop maps a page). `rangeShortcut` false: the test's
  // reference.
  const unmapped =
    rangeShortcut &&
    nWords64 > 0 &&
    vm.params.tdp &&
    vm.arch !== 'arm64' &&
    vm.dirtyGranularityPages === 1 &&
    slot.tdp.emptyAt(firstPage, Math.min(firstPage + nWords64 * 64, npages) - 1);
  const maskNs = vm.costs.enableLogDirtyMask;
  for (let i = 0; i < nWords64; i++) {
    const uLo = user[2 * i];
    const uHi = user[2 * i + 1];
    if ((uLo | uHi) === 0) continue;
    const w = base + i * 2;
    const page = firstPage + i * 64;
    if (unmapped && page === slot.dirtyBitmapOnesFrom && (uLo & uHi) === -1) {
      // A first pass through pages nothing maps, every bit CLEARed (most of a large
      // slot's): the pairs of whole words at the suffix's start, as the loop below takes
      // them one at a time, without a call for each.
      let j = i;
      let at = page;
      for (; j < nWords64 && at + 64 <= npages && (user[2 * j] & user[2 * j + 1]) === -1; j++) {
        suffixPairCleared(slot, at);
        at += 64;
      }
      if (j > i) {
        slot.dirtyBitmapOnesFrom = at;
        cost.underWriteLockRepeated(maskNs, j - i);
        i = j - 1;
        continue;
      }
    }
    if (page >= slot.dirtyBitmapOnesFrom) {
      // In the all-set suffix: a CLEAR of every page of the pair at its start moves the
      // start past it (the words stay 0, as they now read); any other writes it out.
      const kLo = allPagesWord(npages, page);
      const kHi = allPagesWord(npages, page + 32);
      if (page === slot.dirtyBitmapOnesFrom && (kLo & ~uLo) === 0 && (kHi & ~uHi) === 0) {
        slot.dirtyBitmapOnesFrom = Math.min(npages, page + 64);
        suffixPairCleared(slot, page);
        if (unmapped) cost.underWriteLock(maskNs);
        else flush = enableLogDirtyPtMasked(vm, slot, page, kLo | 0, kHi | 0, cost) || flush;
        continue;
      }
      writeDirtyBitmapOnesTo(slot, page + 64);
    }
    // atomic_long_fetch_andnot: only bits that were set are re-armed. Bits past the
    // slot's end are never set in the kernel bitmap, so garbage there is harmless.
    // The masks stay signed 32-bit: an unsigned one with bit 31 set (most masks of a
    // dirty hot set) would be boxed on the heap for the call, 32 bytes per pair.
    const mLo = uLo & kernel[w];
    const mHi = uHi & kernel[w + 1];
    kernel[w] &= ~uLo;
    kernel[w + 1] &= ~uHi;
    const line = (w * 32) >>> 9;
    owners[line] = BITMAP_LINE_IOCTL; // the atomic takes the line
    changedLines[line] = 1;
    if ((mLo | mHi) !== 0) {
      if (unmapped) cost.underWriteLock(maskNs);
      else flush = enableLogDirtyPtMasked(vm, slot, firstPage + i * 64, mLo, mHi, cost) || flush;
    }
  }
  if (flush) vm[INTERNAL].flushRemoteTlbs(cost);
  vm[INTERNAL].finishIoctl(cost);
}

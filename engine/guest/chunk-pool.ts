import { SimInvariantError } from '../kvm/errors.ts';

/**
 * Chunks of PagedU32 (paged-u32.ts) kept for reuse, so that a thread running plan
 * after plan (a pool's worker, `mmulab run`, the kernel's simulation thread, tslab)
 * does not allocate and drop a guest's per-page state anew for each. A 64 GiB plan
 * materializes ~144 chunks of 1 MiB (the source's and the destination's generations);
 * as fresh ArrayBuffers that is external memory V8 answers with collections, and
 * memory the OS zeroes page by page on first touch, both on the cores the plans need.
 *
 * A taken chunk is indistinguishable from a new one: every entry is set to the
 * requested value (or the copied source), whatever the chunk held before. A chunk is
 * given back only by the array that owned it, once it dropped its reference (a chunk
 * made uniform, or a whole array released at the end of a run): two owners of one
 * chunk would write each other's pages.
 */

/**
 * What the thread's pool keeps at most (bytes). A 64 GiB plan's ~144 MiB fits, so a
 * sweep of such plans reuses every chunk; after a larger run (a 1 TiB guest writes
 * GiBs of chunks) the rest goes to the collector, so an idle thread never holds more
 * than this, one such budget per thread of a pool.
 */
export const CHUNK_POOL_MAX_BYTES = 256 * 2 ** 20;

export class U32ChunkPool {
  /** Kept chunks by length (a PagedU32's chunks share one length, bar a short last one). */
  private readonly free = new Map<number, Uint32Array[]>();
  /** Every kept chunk: a second give of one is a double owner, caught here. */
  private readonly kept = new Set<Uint32Array>();
  private keptBytes = 0;

  /** `maxBytes`: the most the pool keeps; a chunk given beyond it is left to the collector. */
  constructor(readonly maxBytes: number) {
    if (!(maxBytes >= 0)) throw new RangeError(`chunk pool size must be >= 0, got ${maxBytes}`);
  }

  /** Bytes of the chunks kept now. */
  get bytes(): number {
    return this.keptBytes;
  }

  /** A chunk of `length` entries, each `fill >>> 0`: a kept one refilled, or a new one. */
  take(length: number, fill: number): Uint32Array {
    const d = this.reuse(length);
    if (d === undefined) {
      const fresh = new Uint32Array(length);
      if (fill >>> 0 !== 0) fresh.fill(fill);
      return fresh;
    }
    // Zero too: a kept chunk holds its last owner's entries.
    d.fill(fill);
    return d;
  }

  /** A chunk holding a copy of `src`'s entries: a kept one overwritten, or a new one. */
  takeCopy(src: Uint32Array): Uint32Array {
    const d = this.reuse(src.length);
    if (d === undefined) return src.slice();
    d.set(src);
    return d;
  }

  /**
   * Keep `chunk` for a later take, if there is room. The caller gives up the chunk:
   * it holds no reference to it any more. Only a chunk with a buffer of its own is
   * kept (a view would keep a larger buffer alive).
   */
  give(chunk: Uint32Array): void {
    if (this.kept.has(chunk)) {
      throw new SimInvariantError(
        `chunk pool: a chunk of ${chunk.length} entries was given back twice (two owners)`,
      );
    }
    const bytes = chunk.byteLength;
    if (bytes === 0 || chunk.byteOffset !== 0 || chunk.buffer.byteLength !== bytes) return;
    if (this.keptBytes + bytes > this.maxBytes) return;
    let list = this.free.get(chunk.length);
    if (list === undefined) this.free.set(chunk.length, (list = []));
    list.push(chunk);
    this.kept.add(chunk);
    this.keptBytes += bytes;
  }

  /** Drop every kept chunk (to the collector). */
  clear(): void {
    this.free.clear();
    this.kept.clear();
    this.keptBytes = 0;
  }

  /** A kept chunk of `length` entries, no longer kept, or undefined. */
  private reuse(length: number): Uint32Array | undefined {
    const d = this.free.get(length)?.pop();
    if (d !== undefined) {
      this.kept.delete(d);
      this.keptBytes -= d.byteLength;
    }
    return d;
  }
}

/**
 * This thread's pool, which every PagedU32 takes from unless given another: module
 * state is per thread (a worker thread loads its own copy of the engine), so plans on
 * different threads never share a chunk.
 */
export const threadChunkPool = new U32ChunkPool(CHUNK_POOL_MAX_BYTES);

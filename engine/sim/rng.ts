/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32, so the same
 * seed gives the same sequence on every machine (no Math.random anywhere in the engine).
 */
export class Rng {
  // The state is kept as int32 (`| 0`), never as uint32 (`>>> 0`): V8 stores int32 in
  // small integers, while uint32 values above 2^31 become heap numbers, which made each
  // draw ~3x slower. The bit patterns, and so every draw, are the same either way.
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
    let s = Math.floor(seed) >>> 0;
    const next = (): number => {
      // splitmix32
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const b = this.b;
    const x = Math.imul(b, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const c = this.c ^ this.a;
    const d = this.d ^ b;
    this.b = b ^ c;
    this.a ^= d;
    this.c = c ^ (b << 9);
    this.d = (d << 11) | (d >>> 21);
    return result;
  }

  /** A uniform float in [0, 1) with 53 bits of randomness. */
  next(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * A uniform float in [0, 1) with 32 bits of randomness: half the work of `next`,
   * enough to pick among up to a few million items (page picks, component picks).
   */
  next32(): number {
    return this.nextU32() / 4294967296;
  }

  /** A uniform integer in [0, n), for n up to 2^53. */
  int(n: number): number {
    // A 53-bit float keeps the bias below 2^-20 for any n below 2^33.
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Copy the state into `out[at .. at + 4)` (see `restore`). */
  save(out: Int32Array, at: number): void {
    out[at] = this.a;
    out[at + 1] = this.b;
    out[at + 2] = this.c;
    out[at + 3] = this.d;
  }

  /** Go back to a state `save` copied: the draws after it come again, the same. */
  restore(from: Int32Array, at: number): void {
    this.a = from[at];
    this.b = from[at + 1];
    this.c = from[at + 2];
    this.d = from[at + 3];
  }

  /** A new generator derived from this one (for independent streams per vCPU). */
  fork(): Rng {
    return new Rng(this.nextU32());
  }
}

/**
 * `Rng.nextU32` on a state `save` copied into `s[0 .. 4)`, advancing it there, as an
 * int32 (`>>> 0` gives the same uint32). For hot loops that keep the state out of the
 * object between draws (VcpuThread's plans): a small function V8 inlines, and an int32
 * never becomes a heap number, where a call of `next32` from a large caller did both.
 * The same stream as `Rng`: `restore` the state afterwards and the object goes on from it.
 */
export function nextI32In(s: Int32Array): number {
  const a = s[0];
  const b = s[1];
  const x = Math.imul(b, 5);
  const result = Math.imul((x << 7) | (x >>> 25), 9);
  const c = s[2] ^ a;
  const d = s[3] ^ b;
  s[1] = b ^ c;
  s[0] = a ^ d;
  s[2] = c ^ (b << 9);
  s[3] = (d << 11) | (d >>> 21);
  return result;
}

/** `Rng.next` on a saved state, as nextI32In: two draws, the high one first. */
export function nextIn(s: Int32Array): number {
  const hi = nextI32In(s) >>> 5;
  return (hi * 67108864 + (nextI32In(s) >>> 6)) / 9007199254740992;
}

/** `Rng.next32` on a saved state, as nextI32In. */
export function next32In(s: Int32Array): number {
  return (nextI32In(s) >>> 0) / 4294967296;
}

/**
 * The set of states seen, as TLC and SPIN keep it: every state vector once, in one
 * growing arena, found again through an open-addressing hash table. A state's id is
 * its discovery order, so breadth-first exploration needs no queue: it visits ids in
 * increasing order. For each state the store keeps how it was first reached (parent
 * and action), which is enough to replay the shortest path to it.
 */
export class StateStore {
  private arena: Int32Array;
  private table: Int32Array;
  private mask: number;
  private parents: Int32Array;
  private actions: Int32Array;
  private depths: Int32Array;
  count = 0;

  constructor(
    readonly stride: number,
    initialCapacity = 1 << 12,
  ) {
    this.arena = new Int32Array(initialCapacity * stride);
    this.parents = new Int32Array(initialCapacity);
    this.actions = new Int32Array(initialCapacity);
    this.depths = new Int32Array(initialCapacity);
    this.table = new Int32Array(initialCapacity * 2);
    this.mask = this.table.length - 1;
  }

  /**
   * The id of `st`: a new one (>= 0) when it was not seen, recorded as reached from
   * `parent` by `action`; else `-(id + 1)` of the known state.
   */
  insert(st: Int32Array, parent: number, action: number, depth: number): number {
    const stride = this.stride;
    let slot = hash(st, stride) & this.mask;
    for (;;) {
      const entry = this.table[slot];
      if (entry === 0) break;
      const id = entry - 1;
      if (this.equals(id, st)) return -(id + 1);
      slot = (slot + 1) & this.mask;
    }
    const id = this.count;
    if (id >= this.parents.length) this.grow();
    this.arena.set(st, id * stride);
    this.parents[id] = parent;
    this.actions[id] = action;
    this.depths[id] = depth;
    this.table[slot] = id + 1;
    this.count++;
    if (this.count * 2 > this.table.length) this.rehash();
    return id;
  }

  /** Copies state `id` into `out`. */
  read(id: number, out: Int32Array): void {
    out.set(this.arena.subarray(id * this.stride, (id + 1) * this.stride));
  }

  parent(id: number): number {
    return this.parents[id];
  }

  action(id: number): number {
    return this.actions[id];
  }

  depth(id: number): number {
    return this.depths[id];
  }

  /** The actions from the initial state (id 0) to `id`, in order. */
  pathTo(id: number): number[] {
    const path: number[] = [];
    for (let s = id; s > 0; s = this.parents[s]) path.push(this.actions[s]);
    return path.reverse();
  }

  private equals(id: number, st: Int32Array): boolean {
    const base = id * this.stride;
    const a = this.arena;
    for (let k = 0; k < this.stride; k++) if (a[base + k] !== st[k]) return false;
    return true;
  }

  private grow(): void {
    const cap = this.parents.length * 2;
    const arena = new Int32Array(cap * this.stride);
    arena.set(this.arena);
    this.arena = arena;
    for (const key of ['parents', 'actions', 'depths'] as const) {
      const next = new Int32Array(cap);
      next.set(this[key]);
      this[key] = next;
    }
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    const stride = this.stride;
    for (let id = 0; id < this.count; id++) {
      let slot = hash(this.arena.subarray(id * stride, (id + 1) * stride), stride) & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id + 1;
    }
    this.table = table;
    this.mask = mask;
  }
}

/** MurmurHash3's 32-bit mixing over the words of a state. */
function hash(st: Int32Array, n: number): number {
  let h = 0x9747b28c ^ n;
  for (let k = 0; k < n; k++) {
    let w = Math.imul(st[k], 0xcc9e2d51);
    w = (w << 15) | (w >>> 17);
    h ^= Math.imul(w, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

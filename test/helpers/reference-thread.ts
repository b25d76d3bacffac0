/**
 * A brute-force vCPU thread for the reference test (test/engine/sim/reference.test.ts):
 * every access of the workload goes through the KVM model one by one, and every write
 * bumps its page's generation. Nothing is counted in bulk.
 *
 * It is coupled to the sampled VcpuThread so that the two can be compared exactly:
 * - the accesses the sampler draws one by one (to sensitive pages) are drawn from the
 *   thread's own random stream, with the same numbers in the same order: the gap to
 *   the next sensitive access (inverse geometric), the component, the page
 *   (rejection while dense, rank select while sparse), read or write;
 * - every other access, which the sampler counts in bulk, is drawn here page by page
 *   from a second, independent stream, from the workload's distribution restricted to
 *   the pages outside the sensitive set, and made through KVM like any access;
 * - while the sensitive mass is at least DIRECT_MIN_MASS the sampler draws no gap but
 *   the accesses themselves until one is sensitive: here each of those is made through
 *   KVM as drawn, the invisible ones too (their read or write share from the second
 *   stream, as the sampler counts them in bulk).
 * The sensitive mass is recounted from the sets before every gap (no cached counts),
 * and whether the next access is the sensitive one is decided access by access from
 * the whole-access budget, not by the sampler's bulk arithmetic.
 */
import type { SliceContext } from '../../engine/guest/vcpu-thread.ts';
import type { AccessPattern, Component } from '../../engine/guest/workload.ts';
import type { PageSet } from '../../engine/guest/page-set.ts';
import type { RamSlot } from '../../engine/guest/memory.ts';
import {
  DIRECT_MIN_MASS,
  REJECTION_MAX_DRAWS,
  VcpuThread,
  soleComponent,
} from '../../engine/guest/vcpu-thread.ts';
import { Outcome } from '../../engine/kvm/mmu.ts';
import { writeIsInvisibleToKvm } from '../../engine/guest/memory.ts';
import { Rng } from '../../engine/sim/rng.ts';

type Mixture = Extract<AccessPattern, { kind: 'mixture' }>;
type Sequential = Extract<AccessPattern, { kind: 'sequential' }>;

/** What the reference saw of the accesses the sampler would count in bulk. */
export interface BulkAudit {
  /** Accesses made outside the sensitive set. */
  accesses: number;
  /** Of those, ones KVM saw (any outcome but no-fault) or that cost the vCPU time. */
  visible: number;
  /** The first few visible ones, for the failure message. */
  examples: string[];
  /**
   * Sensitive pages found by drawing the accesses themselves (direct), and after a
   * geometric gap by rejection (dense) and by rank select (sparse).
   */
  directPicks: number;
  densePicks: number;
  sparsePicks: number;
}

/** An audit with nothing seen yet. */
export function emptyAudit(): BulkAudit {
  return { accesses: 0, visible: 0, examples: [], directPicks: 0, densePicks: 0, sparsePicks: 0 };
}

export class ReferenceThread extends VcpuThread {
  readonly audit: BulkAudit = emptyAudit();
  /** The stream for the accesses outside the sensitive set (never the thread's own). */
  private readonly bulkRng: Rng;

  constructor(sampled: VcpuThread, bulkSeed: number) {
    super(sampled.vcpu, sampled.pattern, sampled.rng);
    this.bulkRng = new Rng(bulkSeed);
  }

  protected override runMixture(
    p: Mixture,
    budget: number,
    accessNs: number,
    ctx: SliceContext,
  ): number {
    const rng = this.rng;
    // Accesses to make before the next sensitive one; -1: not drawn yet.
    let untilSensitive = -1;
    // The sensitive mass is at least DIRECT_MIN_MASS: every access is drawn from the
    // thread's stream until one is sensitive (no gap is drawn).
    let direct = false;
    const sole = soleComponent(p.components);
    while (budget >= 1) {
      if (untilSensitive < 0 && !direct) {
        const mass = sensitiveMass(p.components, ctx.missing);
        if (mass <= 0) untilSensitive = Infinity;
        else if (mass >= DIRECT_MIN_MASS) direct = true;
        else {
          const u = rng.next(); // drawn even when every access is sensitive, as the sampler does
          untilSensitive = mass >= 1 ? 0 : Math.floor(Math.log(1 - u) / Math.log(1 - mass));
        }
      }
      let ns = 0;
      if (direct) {
        // One access of the workload: the component by weight (none when the weights
        // leave a share to no component), then a uniform page in it.
        const ci = sole >= 0 ? sole : pickByWeight(p.components, rng);
        const c = ci >= 0 ? p.components[ci] : null;
        const rel = c ? c.start + Math.floor(rng.next32() * (c.end - c.start)) : -1;
        if (c && setOf(c, ctx.missing).has(rel)) {
          direct = false;
          this.audit.directPicks++;
          const write = p.readFraction === 0 || rng.next() >= p.readFraction;
          ns = this.touch(c.slot, rel, write, ctx);
        } else {
          const write = p.readFraction === 0 || this.bulkRng.next() >= p.readFraction;
          if (c) ns = this.accessOutside(c.slot, rel, write, ctx);
          else this.countAccesses(1, write ? 0 : 1);
        }
      } else if (untilSensitive === 0) {
        untilSensitive = -1;
        const hit = pickSensitive(p.components, ctx.missing, rng, this.audit);
        if (hit === null) {
          untilSensitive = Infinity; // rounding left no candidate: the sampler goes bulk
          continue;
        }
        const write = p.readFraction === 0 || rng.next() >= p.readFraction;
        ns = this.touch(hit.slot, hit.rel, write, ctx);
      } else {
        untilSensitive--;
        const page = pickOutside(p.components, ctx.missing, this.bulkRng);
        const write = p.readFraction === 0 || this.bulkRng.next() >= p.readFraction;
        ns = page ? this.accessOutside(page.slot, page.rel, write, ctx) : 0;
        if (!page) this.countAccesses(1, write ? 0 : 1);
      }
      budget -= 1 + ns / accessNs;
    }
    return budget;
  }

  protected override runSequential(
    p: Sequential,
    budget: number,
    accessNs: number,
    ctx: SliceContext,
  ): number {
    while (budget >= 1) {
      const { slot, rel } = pageAt(p, p.cursor);
      p.cursor = (p.cursor + 1) % p.total;
      const set = ctx.missing ? ctx.missing[slot.index] : slot.sensitive;
      let ns: number;
      if (set.has(rel)) {
        const write = p.readFraction === 0 || this.rng.next() >= p.readFraction;
        ns = this.touch(slot, rel, write, ctx);
      } else {
        const write = p.readFraction === 0 || this.bulkRng.next() >= p.readFraction;
        ns = this.accessOutside(slot, rel, write, ctx);
      }
      budget -= 1 + ns / accessNs;
    }
    return budget;
  }

  /**
   * An access to a page outside the sensitive set, made for real: through KVM, and a
   * write bumps the generation whatever the destination holds. Returns the ns lost.
   */
  private accessOutside(slot: RamSlot, rel: number, write: boolean, ctx: SliceContext): number {
    this.audit.accesses++;
    if (ctx.missing) {
      // Postcopy, a page already at the destination: the guest runs there, where the
      // model has no KVM; nothing to see.
      this.countAccesses(1, write ? 0 : 1);
      return 0;
    }
    const setBefore = slot.sensitive.version;
    const vcpu = this.vcpu;
    const outcome = vcpu.accessFast(slot.memslot.baseGfn + rel, write);
    const ns = vcpu.lastCostNs;
    this.accesses++;
    if (write) {
      this.writes++;
      if (!slot.memslot.readonly) slot.gen.set(rel, slot.gen.get(rel) + 1);
    }
    if (outcome !== Outcome.NoFault || ns !== 0 || slot.sensitive.version !== setBefore) {
      this.audit.visible++;
      if (this.audit.examples.length < 5) {
        this.audit.examples.push(
          `vcpu ${this.id} ${write ? 'write' : 'read'} slot ${slot.index} page ${rel}: outcome ${Outcome[outcome]}, ${ns} ns, invisible ${writeIsInvisibleToKvm(slot.memslot, rel)}`,
        );
      }
    }
    return ns;
  }
}

/** The component of one access by the components' weights, as the sampler draws it. */
function pickByWeight(comps: readonly Component[], rng: Rng): number {
  let pick = rng.next32();
  for (let q = 0; q < comps.length; q++) {
    if (pick < comps[q].weight) return q;
    pick -= comps[q].weight;
  }
  return -1;
}

/** Sum over components of weight x share of its pages in the set, counted afresh. */
function sensitiveMass(comps: readonly Component[], missing: PageSet[] | null): number {
  let mass = 0;
  for (const c of comps) {
    const count = setOf(c, missing).countRange(c.start, c.end);
    mass += (c.weight * count) / (c.end - c.start);
  }
  return mass;
}

/**
 * A sensitive page with probability proportional to its weight, drawing from `rng`
 * exactly as the sampler does (engine/guest/vcpu-thread.ts runMixture).
 */
function pickSensitive(
  comps: readonly Component[],
  missing: PageSet[] | null,
  rng: Rng,
  audit: BulkAudit,
): { slot: RamSlot; rel: number } | null {
  const counts = comps.map((c) => setOf(c, missing).countRange(c.start, c.end));
  let mass = 0;
  comps.forEach((c, k) => (mass += (c.weight * counts[k]) / (c.end - c.start)));
  let pick = rng.next32() * mass;
  let chosen = -1;
  for (let k = 0; k < comps.length; k++) {
    if (counts[k] === 0) continue;
    chosen = k;
    const m = (comps[k].weight * counts[k]) / (comps[k].end - comps[k].start);
    if (pick < m) break;
    pick -= m;
  }
  if (chosen < 0) return null;
  const c = comps[chosen];
  const set = setOf(c, missing);
  const size = c.end - c.start;
  let rel: number;
  if (counts[chosen] * REJECTION_MAX_DRAWS >= size) {
    audit.densePicks++;
    do rel = c.start + Math.floor(rng.next32() * size);
    while (!set.has(rel));
  } else {
    audit.sparsePicks++;
    rel = set.selectInRange(c.start, c.end, Math.floor(rng.next() * counts[chosen]));
  }
  return { slot: c.slot, rel };
}

/** A page outside the set with probability proportional to its weight, or null if none. */
function pickOutside(
  comps: readonly Component[],
  missing: PageSet[] | null,
  rng: Rng,
): { slot: RamSlot; rel: number } | null {
  const outside = comps.map(
    (c) => (c.end - c.start - setOf(c, missing).countRange(c.start, c.end)) * c.weight,
  );
  const masses = outside.map((o, k) => o / (comps[k].end - comps[k].start));
  const total = masses.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return null;
  let pick = rng.next() * total;
  let k = 0;
  while (k < comps.length - 1 && (masses[k] === 0 || pick >= masses[k])) {
    pick -= masses[k];
    k++;
  }
  while (masses[k] === 0) k--;
  const c = comps[k];
  const set = setOf(c, missing);
  const size = c.end - c.start;
  // Rejection, then a scan from a random page if the component is nearly all in the set.
  for (let draw = 0; draw < 64; draw++) {
    const rel = c.start + Math.floor(rng.next() * size);
    if (!set.has(rel)) return { slot: c.slot, rel };
  }
  const from = Math.floor(rng.next() * size);
  for (let i = 0; i < size; i++) {
    const rel = c.start + ((from + i) % size);
    if (!set.has(rel)) return { slot: c.slot, rel };
  }
  return null;
}

function setOf(c: Component, missing: PageSet[] | null): PageSet {
  return missing ? missing[c.slot.index] : c.slot.sensitive;
}

/** The page at position `pos` of a sequential stream's ranges. */
function pageAt(p: Sequential, pos: number): { slot: RamSlot; rel: number } {
  for (const r of p.ranges) {
    const len = r.end - r.start;
    if (pos < len) return { slot: r.slot, rel: r.start + pos };
    pos -= len;
  }
  throw new Error(`sequential position ${pos} is past the stream's ${p.total} pages`);
}

import type { Vcpu } from '../kvm/vcpu.ts';
import type { Rng } from '../sim/rng.ts';
import type { AccessPattern, Component } from './workload.ts';
import type { GuestMemory, RamSlot } from './memory.ts';
import type { PageSet } from './page-set.ts';
import { Outcome } from '../kvm/mmu.ts';
import { writeIsInvisibleToKvm } from './memory.ts';
import { next32In, nextIn } from '../sim/rng.ts';

/** Where a vCPU's time goes when it is not running guest code, one bucket each. */
export const STALL_CAUSES = [
  'fast_fault',
  'slow_fault',
  'split',
  'pml',
  'ring_full',
  'throttle',
  'lock_wait',
  'remote_fault',
  'mmio',
  'tlb_flush',
  'tlb_miss',
  'bql',
  'ring_lock',
] as const;
export type StallCause = (typeof STALL_CAUSES)[number];

/** Each cause's index in STALL_CAUSES (stallFor runs per vCPU and slice: no search). */
const STALL_INDEX = Object.fromEntries(STALL_CAUSES.map((c, i) => [c, i])) as Record<
  StallCause,
  number
>;

const CAUSE_OF_OUTCOME: readonly number[] = [
  -1, // no-fault
  STALL_CAUSES.indexOf('pml'),
  STALL_CAUSES.indexOf('pml'),
  STALL_CAUSES.indexOf('fast_fault'),
  STALL_CAUSES.indexOf('slow_fault'),
  STALL_CAUSES.indexOf('split'),
  STALL_CAUSES.indexOf('split'),
  STALL_CAUSES.indexOf('mmio'),
  STALL_CAUSES.indexOf('ring_full'),
];
const RING_FULL = STALL_CAUSES.indexOf('ring_full');
const THROTTLE = STALL_CAUSES.indexOf('throttle');
const LOCK_WAIT = STALL_CAUSES.indexOf('lock_wait');
const REMOTE_FAULT = STALL_CAUSES.indexOf('remote_fault');
const SLOW_FAULT = STALL_CAUSES.indexOf('slow_fault');

/** What the scheduler tells a vCPU thread for one time slice. */
export interface SliceContext {
  /** Simulated time at the start of the slice, ns since the run began. */
  now: number;
  sliceNs: number;
  memory: GuestMemory;
  /** Share of time the vCPU is throttled (auto-converge), 0..0.99. */
  throttle: number;
  /**
   * Expected wait for mmu_lock per fault in this slice, indexed by how the fault takes
   * it (MmuLockMode; 0 for lockless faults): engine/sim/mmu-lock.ts.
   */
  mmuLockWaitNs: Float64Array;
  /** When migration starts, ns since the run began: trace rows count their time from it. */
  migrationStartNs: number;
  /** The vCPU exited with KVM_EXIT_DIRTY_RING_FULL: the VMM reaps; returns ns spent. */
  onRingFull: (thread: VcpuThread) => number;
  /** Postcopy: pages not yet at the destination, per slot (null during precopy). */
  missing: PageSet[] | null;
  /** Postcopy: a vCPU touched a missing page; returns the ns it waits for it. */
  onRemoteFault: (slot: RamSlot, rel: number) => number;
  /** The host's side of guest RAM when it can discard pages (a balloon), else absent. */
  host?: HostView | null;
}

/** What a vCPU tells the host about an access KVM mapped (engine/vmm/host-memory.ts). */
export interface HostView {
  /** Returns the ns of host fault work beyond KVM's (a discarded page comes back zero). */
  onAccess(slot: RamSlot, rel: number): number;
}

/**
 * A vCPU thread running its workload. Each slice it gets a time budget; accesses
 * that change no state (the page is writable and dirty in KVM and the destination is
 * already behind) are counted in bulk, and only accesses to sensitive pages are drawn
 * one by one: the number of invisible accesses before the next sensitive one is
 * geometric with p = share of the workload's probability mass on sensitive pages.
 * While that share is large (DIRECT_MIN_MASS) the accesses themselves are drawn until
 * one is sensitive, which is cheaper and the same process. The cost of a slice
 * therefore follows the state changes, not the guest's writes.
 */
export class VcpuThread {
  readonly id: number;
  readonly vcpu: Vcpu;
  readonly rng: Rng;
  pattern: AccessPattern;
  /** ns lost per cause (STALL_CAUSES order), cumulative. */
  readonly stallNs = new Float64Array(STALL_CAUSES.length);
  /** Accesses completed (reads and writes), cumulative. */
  accesses = 0;
  writes = 0;
  /** Accesses the guest would have done without any stall. */
  idealAccesses = 0;
  /** Sleeping until this time (dirty-limit), ns. */
  blockedUntil = 0;
  /**
   * Guest kernel work owed by this vCPU (free page reporting or hinting runs in a
   * kworker here), taken from its next slices, and the total taken, ns.
   */
  stealNs = 0;
  balloonNs = 0;
  /** Fraction of an access left over from the last slice. */
  private carry = 0;
  /** Sensitive accesses drawn ahead of running them (runMixture). */
  private readonly plan = new SensitivePlan();
  /** Page-table bytes and generation bits read ahead of the planned accesses (kept so the reads stay). */
  private readAhead = 0;
  /** The last accessSensitive was a PML-logged write that took its page out of the sensitive set. */
  private logged = false;
  /**
   * The vCPU is still inside a stall that ran past the end of an earlier slice (a
   * postcopy remote fault, a ring-full reap) until this time, ns. The stall's time is
   * already in `stallNs`; this only keeps the vCPU from running during it.
   */
  private busyUntil = 0;

  constructor(vcpu: Vcpu, pattern: AccessPattern, rng: Rng) {
    this.id = vcpu.id;
    this.vcpu = vcpu;
    this.pattern = pattern;
    this.rng = rng;
  }

  /**
   * Time the vCPU could not run at all (the guest is stopped for the switchover):
   * count what the workload would have done, so guest slowdown includes downtime.
   */
  countStopped(now: number, ns: number): void {
    const pattern = activePattern(this.pattern, now);
    if (pattern.kind === 'mixture' || pattern.kind === 'sequential' || pattern.kind === 'alloc') {
      this.idealAccesses += (ns * pattern.rate) / 1e9;
    }
  }

  /**
   * The vCPU lost `ns` to something outside its own accesses (a remote TLB flush's
   * IPI from another thread): counted under `cause`, and taken from the time it runs
   * from `fromNs` on.
   */
  stallFor(cause: StallCause, ns: number, fromNs: number): void {
    this.stallNs[STALL_INDEX[cause]] += ns;
    this.busyUntil = Math.max(this.busyUntil, fromNs) + ns;
  }

  /** Run one slice. */
  step(ctx: SliceContext): void {
    let avail = ctx.sliceNs;
    if (this.busyUntil > ctx.now) avail -= Math.min(this.busyUntil - ctx.now, avail);
    if (this.blockedUntil > ctx.now) {
      const blocked = Math.min(this.blockedUntil - ctx.now, avail);
      this.stallNs[THROTTLE] += blocked;
      avail -= blocked;
    }
    if (ctx.throttle > 0) {
      const t = avail * ctx.throttle;
      this.stallNs[THROTTLE] += t;
      avail -= t;
    }
    if (this.stealNs > 0) {
      const s = Math.min(this.stealNs, avail);
      this.stealNs -= s;
      this.balloonNs += s;
      avail -= s;
    }
    const pattern = activePattern(this.pattern, ctx.now);
    if (pattern.kind === 'idle') return;
    if (pattern.kind === 'trace') {
      this.runTrace(pattern, ctx);
      return;
    }
    if (pattern.kind === 'alloc') {
      this.runAlloc(pattern, avail, ctx);
      return;
    }
    const accessNs = pattern.rate > 0 ? 1e9 / pattern.rate : Infinity;
    this.idealAccesses += ctx.sliceNs / accessNs;
    let budget = avail / accessNs + this.carry;
    if (!(budget > 0)) return;
    budget =
      pattern.kind === 'mixture'
        ? this.runMixture(pattern, budget, accessNs, ctx)
        : this.runSequential(pattern, budget, accessNs, ctx);
    this.carry = Math.max(0, Math.min(budget, 1));
    // A stall that overran the slice holds the vCPU into the next ones: forgiving the
    // overrun would let a vCPU whose stalls are longer than a slice (a 10 ms remote
    // fault in 5 ms slices) run twice as many of them as wall time allows.
    if (budget < 0) this.busyUntil = ctx.now + ctx.sliceNs - budget * accessNs;
  }

  /**
   * Returns the budget left (< 1 access, or negative when a stall overran the slice).
   *
   * The sensitive accesses of a slice are drawn a plan at a time (drawPlan; each after a
   * geometric gap, or directly while the sensitive mass is at least DIRECT_MIN_MASS): the random
   * numbers the loop of runMixtureSerial would draw, on the assumption that each access
   * takes its page out of the sensitive set and costs no time, which is nearly always
   * what happens. Then the plan runs: its pages' page-table bytes and generation bits
   * are read first, all at once, so that the cache misses overlap instead of stalling
   * each access in turn;
   * then the accesses, in order, each checked against the assumption. Where one did
   * more (a fault that split a huge page, a ring reset that protected pages again) or
   * cost enough time to end the slice sooner, the rest of the plan is undone and the
   * random stream rewound to the point the serial loop would be at. So the draws, and
   * every result, are those of runMixtureSerial.
   */
  protected runMixture(
    p: Extract<AccessPattern, { kind: 'mixture' }>,
    sliceBudget: number,
    accessNs: number,
    ctx: SliceContext,
  ): number {
    const comps = p.components;
    // Postcopy samples the missing pages, and several slots mean several sets whose
    // changes the checks below do not follow: one access at a time there.
    if (ctx.missing !== null || !inOneSlot(comps)) {
      return this.runMixtureSerial(p, sliceBudget, accessNs, ctx);
    }
    // The budget lives in memory, not in a local: a fraction carried by a local from one
    // access to the next, and also returned or passed on, is boxed on the heap by V8 at
    // every access (16 bytes each, millions of them).
    const budget = this.plan.budget;
    budget[0] = sliceBudget;
    const slot = comps[0].slot;
    const set = slot.sensitive;
    const rng = this.rng;
    const plan = this.plan;
    const readFraction = p.readFraction;
    const single = soleComponent(comps);
    plan.single = single;
    let mass = refreshCounts(comps, null);
    while (budget[0] >= 1) {
      mass =
        single >= 0 && readFraction === 0 && mass >= DIRECT_MIN_MASS
          ? this.drawPlanSole(p, budget[0])
          : this.drawPlan(p, budget[0]);
      const k = plan.length;
      const s4 = slot.memslot.tdp.spte4k;
      const gen = slot.gen;
      let ahead = 0;
      for (let j = 0; j < k; j++) ahead |= s4[plan.rel[j]] | gen.readAhead(plan.rel[j]);
      this.readAhead = ahead;
      let i = 0;
      for (; i < k; i++) {
        if (!(budget[0] >= 1)) {
          // The accesses so far cost enough time to end the slice before this draw.
          rng.restore(plan.before, 4 * i);
          undoPlan(plan, i, set);
          return budget[0];
        }
        const gap = plan.gap[i];
        const n = Math.floor(budget[0]);
        if (gap >= n) {
          this.rewindToGap(i, n, comps);
          undoPlan(plan, i, set);
          this.countAccesses(n, readFraction);
          return budget[0] - n;
        }
        this.countAccesses(gap, readFraction);
        budget[0] -= gap;
        const rel = plan.rel[i];
        const version = set.version;
        const ns = this.accessSensitive(slot, rel, plan.write[i] === 1, ctx);
        budget[0] -= 1 + ns / accessNs;
        const leaves = this.logged || leavesSensitive(slot, rel);
        if (set.version !== version || !leaves) {
          // Not the assumed effect: leave the set as this access did, drop the rest of
          // the plan and draw again from where the serial loop would be now.
          if (leaves) set.delete(rel);
          else set.add(rel);
          undoPlan(plan, i + 1, set);
          rng.restore(plan.before, 4 * (i + 1));
          mass = refreshCounts(comps, null);
          break;
        }
      }
      if (i < k) continue;
      // Every planned access ran as drawn: the plan's end decides the rest.
      if (!(budget[0] >= 1)) {
        rng.restore(plan.before, 4 * k);
        return budget[0];
      }
      const end = plan.end;
      if (end === PLAN_FULL) continue;
      if (end === PLAN_NO_MASS) {
        this.countAccesses(Math.floor(budget[0]), readFraction);
        return budget[0] - Math.floor(budget[0]);
      }
      // PLAN_GAP (or PLAN_BUDGET): the real budget is at most the planned one, so the
      // gap that ended the plan ends the slice too.
      const gap = plan.gap[k];
      const n = Math.floor(budget[0]);
      if (end !== PLAN_GAP || !(gap >= n)) {
        throw new Error(
          `vcpu ${this.id}: a sensitive-access plan ended (${end}) where the slice goes on`,
        );
      }
      // Drawn directly, the plan stopped after the planned budget's accesses: fewer
      // may fit the real one.
      if (plan.direct[k] === 1) this.rewindToGap(k, n, comps);
      this.countAccesses(n, readFraction);
      return budget[0] - n;
    }
    return budget[0];
  }

  /**
   * Put the random stream where the serial loop is when the slice ends after `n`
   * invisible accesses before the plan's access `i` (they were at least `n`): after
   * the geometric gap's draw, or after `n` direct draws.
   */
  private rewindToGap(i: number, n: number, comps: readonly Component[]): void {
    const plan = this.plan;
    if (plan.direct[i] === 1) {
      this.rng.restore(plan.before, 4 * i);
      replayMisses(this.rng, n, comps, plan.single);
    } else {
      this.rng.restore(plan.afterGap, 4 * i);
    }
  }

  /**
   * Draw the next plan of sensitive accesses from `budget` as the serial
   * loop would, assuming each access takes its page out of the set (done here, so
   * later draws see it) and costs no time. Returns the sensitive mass after them.
   *
   * The draws and the arithmetic are runMixtureSerial's (pickComponent, pickPage,
   * countsAfterLeaving, refreshCounts), kept in local arrays: every component's cached
   * count is current on entry (runMixture refreshed them, and only this loop changes
   * the set until the plan runs), so a draw only takes one page from one count.
   */
  private drawPlan(p: Extract<AccessPattern, { kind: 'mixture' }>, budget: number): number {
    const plan = this.plan;
    const comps = p.components;
    const nc = comps.length;
    const set = comps[0].slot.sensitive;
    const version = set.version;
    plan.ensureComponents(nc);
    const counts = plan.counts;
    const terms = plan.terms;
    for (let q = 0; q < nc; q++) {
      const c = comps[q];
      if (c.countSet !== set || c.countVersion !== version) {
        throw new Error(`vcpu ${this.id}: a sensitive-access plan drawn from stale counts`);
      }
      counts[q] = c.count;
      terms[q] = (c.weight * c.count) / (c.end - c.start);
    }
    // The thread's random state is drawn from here (nextIn, next32In: rng.next and
    // rng.next32, inline) and put back at the end.
    const st = plan.rngState;
    this.rng.save(st, 0);
    const before = plan.before;
    const afterGap = plan.afterGap;
    const readFraction = p.readFraction;
    const single = plan.single;
    const singleStart = single >= 0 ? comps[single].start : 0;
    const singleSize = single >= 0 ? comps[single].end - comps[single].start : 0;
    // Integers only are carried from one draw to the next (drawPlanSole says why): the
    // whole accesses used, the planned budget being budget - used, and the mass is
    // summed afresh from the terms, as refreshCounts sums it.
    let used = 0;
    let k = 0;
    while (true) {
      copyState(st, before, 4 * k);
      const b = budget - used;
      // refreshCounts' sum, in the same order.
      let m = 0;
      for (let q = 0; q < nc; q++) m += terms[q];
      if (k === PLAN_MAX) {
        plan.end = PLAN_FULL;
        break;
      }
      if (!(b >= 1)) {
        plan.end = PLAN_BUDGET;
        break;
      }
      if (m <= 0) {
        plan.end = PLAN_NO_MASS;
        break;
      }
      let ci = -1;
      let rel = -1;
      if (m >= DIRECT_MIN_MASS) {
        // drawAccesses: accesses one by one until one is sensitive or the whole
        // accesses of the budget are spent.
        const n = Math.floor(b);
        let misses = 0;
        if (single >= 0) {
          misses = drawHit(set, singleStart, singleSize, n, st, plan.hit);
          if (misses < n) {
            rel = plan.hit[0];
            ci = single;
          }
        } else {
          for (; misses < n; misses++) {
            let pick = next32In(st);
            for (let q = 0; q < nc; q++) {
              const w = comps[q].weight;
              if (pick < w) {
                ci = q;
                break;
              }
              pick -= w;
            }
            if (ci < 0) continue;
            const c = comps[ci];
            rel = c.start + Math.floor(next32In(st) * (c.end - c.start));
            if (set.has(rel)) break;
            ci = -1;
          }
        }
        plan.gap[k] = misses;
        plan.direct[k] = 1;
        if (misses >= n) {
          plan.end = PLAN_GAP;
          break;
        }
        used += misses;
      } else {
        const u = nextIn(st);
        // u < m - margin: the gap is 0 (log(1 - u) / log(1 - m) < 1 by far more than
        // rounding), found without the two logarithms.
        const gap =
          m >= 1 || u < m - GAP_ZERO_MARGIN ? 0 : Math.floor(Math.log(1 - u) / Math.log(1 - m));
        plan.gap[k] = gap;
        plan.direct[k] = 0;
        copyState(st, afterGap, 4 * k);
        if (gap >= Math.floor(b)) {
          plan.end = PLAN_GAP;
          break;
        }
        used += gap;
        // pickComponent
        let pick = next32In(st) * m;
        for (let q = 0; q < nc; q++) {
          if (counts[q] === 0) continue;
          ci = q;
          if (pick < terms[q]) break;
          pick -= terms[q];
        }
        // m > 0 comes from fresh counts, one of them not 0: a component is always found.
        if (ci < 0) {
          throw new Error(`vcpu ${this.id}: sensitive mass ${m} but no component to pick`);
        }
        // pickPage
        const c = comps[ci];
        const size = c.end - c.start;
        const count = counts[ci];
        if (count * REJECTION_MAX_DRAWS >= size) {
          rel = drawMember(set, c.start, size, st);
        } else {
          rel = set.selectInRange(c.start, c.end, Math.floor(nextIn(st) * count));
        }
      }
      const c = comps[ci];
      const size = c.end - c.start;
      const count = counts[ci];
      plan.rel[k] = rel;
      plan.write[k] = readFraction === 0 || nextIn(st) >= readFraction ? 1 : 0;
      set.delete(rel);
      // countsAfterLeaving, then refreshCounts' sum, in the same order.
      counts[ci] = count - 1;
      terms[ci] = (c.weight * (count - 1)) / size;
      used += 1;
      k++;
    }
    this.rng.restore(st, 0);
    plan.length = k;
    const after = set.version;
    for (let q = 0; q < nc; q++) {
      comps[q].count = counts[q];
      comps[q].countVersion = after;
    }
    let m = 0;
    for (let q = 0; q < nc; q++) m += terms[q];
    return m;
  }

  /**
   * drawPlan for writes to a component that takes every access (plan.single) while its
   * sensitive mass is at least DIRECT_MIN_MASS, the hot set's common case: the same
   * draws and the same plan, with the random state in locals between draws instead of
   * the plan's array, and the mass from the one count. When the mass falls below
   * DIRECT_MIN_MASS the plan ends as if full, and drawPlan draws the next.
   */
  private drawPlanSole(p: Extract<AccessPattern, { kind: 'mixture' }>, budget: number): number {
    const plan = this.plan;
    const comps = p.components;
    const c = comps[plan.single];
    const set = c.slot.sensitive;
    const version = set.version;
    // Indexed loops: a for-of's iterator is allocated here, once per plan, millions of times.
    for (let i = 0; i < comps.length; i++) {
      const q = comps[i];
      if (q.countSet !== set || q.countVersion !== version) {
        throw new Error(`vcpu ${this.id}: a sensitive-access plan drawn from stale counts`);
      }
    }
    const start = c.start;
    const size = c.end - c.start;
    const weight = c.weight;
    // A power-of-two range (a hot set of whole GiBs) takes its page from the draw's top
    // bits: floor((r / 2^32) * size) is then exactly r >>> (32 - log2 size), without the
    // trip through a double.
    const shift = size >= 2 && (size & (size - 1)) === 0 ? 32 - Math.log2(size) : 0;
    const st = plan.rngState;
    this.rng.save(st, 0);
    // nextI32In's state, in locals.
    let s0 = st[0];
    let s1 = st[1];
    let s2 = st[2];
    let s3 = st[3];
    const before = plan.before;
    const rels = plan.rel;
    // The loop carries integers only: a fractional number carried from one access to the
    // next was boxed on the heap each time (16 bytes per access, the run's main garbage).
    // The planned budget is `budget - used`: taking whole accesses from it one by one is
    // exact, so this is the number the serial loop's subtractions give. The mass is the
    // one component's term, as refreshCounts sums it (the other components weigh 0).
    let count = c.count;
    let used = 0;
    let k = 0;
    while (true) {
      const at = 4 * k;
      before[at] = s0;
      before[at + 1] = s1;
      before[at + 2] = s2;
      before[at + 3] = s3;
      if (k === PLAN_MAX || !((weight * count) / size >= DIRECT_MIN_MASS)) {
        plan.end = PLAN_FULL;
        break;
      }
      const b = budget - used;
      if (!(b >= 1)) {
        plan.end = PLAN_BUDGET;
        break;
      }
      const n = Math.floor(b);
      let misses = 0;
      let rel = -1;
      for (; misses < n; misses++) {
        // nextI32In, then next32In's scaling, as drawHit draws.
        const x = Math.imul(s1, 5);
        const r = Math.imul((x << 7) | (x >>> 25), 9);
        const t = s2 ^ s0;
        const d = s3 ^ s1;
        s2 = t ^ (s1 << 9);
        s1 ^= t;
        s0 ^= d;
        s3 = (d << 11) | (d >>> 21);
        rel =
          shift !== 0 ? start + (r >>> shift) : start + Math.floor(((r >>> 0) / 4294967296) * size);
        if (set.has(rel)) break;
      }
      plan.gap[k] = misses;
      plan.direct[k] = 1;
      if (misses >= n) {
        plan.end = PLAN_GAP;
        break;
      }
      rels[k] = rel;
      plan.write[k] = 1;
      set.delete(rel);
      count--;
      used += misses + 1;
      k++;
    }
    st[0] = s0;
    st[1] = s1;
    st[2] = s2;
    st[3] = s3;
    this.rng.restore(st, 0);
    plan.length = k;
    c.count = count;
    const after = set.version;
    for (let i = 0; i < comps.length; i++) comps[i].countVersion = after;
    return (weight * count) / size;
  }

  /** runMixture one sensitive access at a time (postcopy, workloads over several slots). */
  private runMixtureSerial(
    p: Extract<AccessPattern, { kind: 'mixture' }>,
    budget: number,
    accessNs: number,
    ctx: SliceContext,
  ): number {
    const comps = p.components;
    const missing = ctx.missing;
    let mass = refreshCounts(comps, missing);
    const rng = this.rng;
    const single = soleComponent(comps);
    while (budget >= 1) {
      if (mass <= 0) {
        this.countAccesses(Math.floor(budget), p.readFraction);
        return budget - Math.floor(budget);
      }
      // `n` whole accesses fit in the budget; the sensitive one is access gap + 1, so it
      // happens in this slice unless gap >= n (then all n are invisible: count them).
      const n = Math.floor(budget);
      let ci = -1;
      let rel = -1;
      if (mass >= DIRECT_MIN_MASS) {
        // drawAccesses: the accesses themselves until one is sensitive.
        let misses = 0;
        for (; misses < n; misses++) {
          ci = single >= 0 ? single : pickByWeight(comps, rng);
          if (ci < 0) continue;
          const c = comps[ci];
          rel = c.start + Math.floor(rng.next32() * (c.end - c.start));
          if (setFor(c, missing).has(rel)) break;
        }
        this.countAccesses(misses, p.readFraction);
        if (misses >= n) return budget - n;
        budget -= misses;
      } else {
        const u = rng.next();
        const gap = mass >= 1 ? 0 : Math.floor(Math.log(1 - u) / Math.log(1 - mass));
        if (gap >= n) {
          this.countAccesses(n, p.readFraction);
          return budget - n;
        }
        this.countAccesses(gap, p.readFraction);
        budget -= gap;
        // Pick the component by its sensitive mass, then a sensitive page in it.
        ci = pickComponent(comps, mass, rng);
        if (ci < 0) {
          mass = 0;
          continue;
        }
        rel = pickPage(comps[ci], setFor(comps[ci], missing), rng);
      }
      const c = comps[ci];
      const set = setFor(c, missing);
      const write = p.readFraction === 0 || rng.next() >= p.readFraction;
      const before = set.version;
      const ns = this.touch(c.slot, rel, write, ctx);
      budget -= 1 + ns / accessNs;
      if (set.version === before + 1 && !set.has(rel)) {
        // The only change was this page leaving the set: adjust the cached counts
        // instead of recounting (components are disjoint, so only `c` lost a page).
        mass = countsAfterLeaving(comps, c, set, before, missing);
      } else if (set.version !== before) {
        mass = refreshCounts(comps, missing);
      }
    }
    return budget;
  }

  protected runSequential(
    p: Extract<AccessPattern, { kind: 'sequential' }>,
    budget: number,
    accessNs: number,
    ctx: SliceContext,
  ): number {
    while (budget >= 1) {
      const n = Math.floor(budget);
      const hit = nextSensitive(p, n, ctx);
      if (hit === null) {
        this.countAccesses(n, p.readFraction);
        p.cursor = (p.cursor + n) % p.total;
        return budget - n;
      }
      this.countAccesses(hit.distance, p.readFraction);
      budget -= hit.distance;
      p.cursor = (p.cursor + hit.distance + 1) % p.total;
      const write = p.readFraction === 0 || this.rng.next() >= p.readFraction;
      const ns = this.touch(hit.slot, hit.rel, write, ctx);
      budget -= 1 + ns / accessNs;
    }
    return budget;
  }

  /**
   * An allocate/free workload: its churn operations first (each allocation writes
   * every page of its block, as the kernel clears a page it hands out), then accesses
   * into its live blocks with the time left. Accesses to pages whose state a write
   * would not change are counted without going through KVM, as elsewhere.
   */
  private runAlloc(
    p: Extract<AccessPattern, { kind: 'alloc' }>,
    avail: number,
    ctx: SliceContext,
  ): void {
    const accessNs = p.rate > 0 ? 1e9 / p.rate : Infinity;
    if (p.rate > 0) this.idealAccesses += ctx.sliceNs / accessNs;
    let ops = (p.churn * avail) / 1e9 + p.opCarry;
    let spent = 0;
    while (ops >= 1) {
      ops--;
      const got = p.state.step(this.rng);
      if (got === null) continue;
      const n = 1 << got.order;
      this.idealAccesses += n;
      for (let q = got.head; q < got.head + n; q++) spent += this.accessRamPage(q, true, ctx);
    }
    p.opCarry = ops;
    let budget = (avail - spent) / accessNs + this.carry;
    while (budget >= 1) {
      const page = p.state.pickPage(this.rng);
      if (page < 0) {
        budget = 0;
        break;
      }
      const write = p.readFraction === 0 || this.rng.next() >= p.readFraction;
      budget -= 1 + this.accessRamPage(page, write, ctx) / accessNs;
    }
    this.carry = Math.max(0, Math.min(budget, 1));
  }

  /** One access to a RAM page; returns the ns lost to it. */
  private accessRamPage(page: number, write: boolean, ctx: SliceContext): number {
    const slot = ctx.memory.slotOfRamPage(page);
    const rel = page - slot.ramStart;
    const set = ctx.missing ? ctx.missing[slot.index] : slot.sensitive;
    if (set.has(rel)) return this.touch(slot, rel, write, ctx);
    this.countAccesses(1, write ? 0 : 1);
    return 0;
  }

  private runTrace(p: Extract<AccessPattern, { kind: 'trace' }>, ctx: SliceContext): void {
    const rows = p.rows;
    if (rows.length === 0) return;
    // Row times count from the start of migration (plan.ts TraceRow), not from the
    // start of the run: the trace does not play during the warm-up.
    const end = ctx.now + ctx.sliceNs - ctx.migrationStartNs;
    const vm = this.vcpu.vm;
    while (true) {
      if (p.next >= rows.length) {
        if (!p.loop) return;
        p.next = 0;
        for (const r of rows) (r as { time: number }).time += p.periodNs;
      }
      const row = rows[p.next];
      if (row.time >= end) return;
      p.next++;
      this.idealAccesses++;
      const memslot = vm.findSlot(row.gfn);
      const slot = memslot ? ctx.memory.slots.find((s) => s.memslot === memslot) : undefined;
      if (!slot) continue;
      const rel = row.gfn - slot.memslot.baseGfn;
      const set = ctx.missing ? ctx.missing[slot.index] : slot.sensitive;
      if (set.has(rel)) this.touch(slot, rel, row.op === 'w', ctx);
      else this.countAccesses(1, row.op === 'w' ? 0 : 1);
    }
  }

  /** Bulk-count accesses that change no state. */
  protected countAccesses(n: number, readFraction: number): void {
    if (n <= 0) return;
    this.accesses += n;
    this.writes += n * (1 - readFraction);
  }

  /**
   * One access to a sensitive page: through KVM (retrying after a ring-full exit),
   * then the truth (generation) and the page's place in the sensitive set.
   * Returns the ns the vCPU lost to it.
   */
  protected touch(slot: RamSlot, rel: number, write: boolean, ctx: SliceContext): number {
    const ns = this.accessSensitive(slot, rel, write, ctx);
    if (ctx.missing === null && leavesSensitive(slot, rel)) slot.sensitive.delete(rel);
    return ns;
  }

  /** `touch` but for its last step, the page's place in the sensitive set. */
  private accessSensitive(slot: RamSlot, rel: number, write: boolean, ctx: SliceContext): number {
    this.accesses++;
    if (write) this.writes++;
    if (ctx.missing) {
      // Postcopy: the page is fetched from the source before the access completes.
      const ns = ctx.onRemoteFault(slot, rel);
      this.stallNs[REMOTE_FAULT] += ns;
      return ns;
    }
    const gfn = slot.memslot.baseGfn + rel;
    const vcpu = this.vcpu;
    let outcome = vcpu.accessFast(gfn, write);
    let ns = vcpu.lastCostNs;
    this.logged = false;
    if (outcome === Outcome.PmlLogged) {
      // The common case, what the loop below does for it: no exit, so no mmu_lock
      // (its wait for None is 0) and the ring as accessFast found it, not soft-full.
      this.stallNs[CAUSE_OF_OUTCOME[Outcome.PmlLogged]] += ns;
      // The write set D on a writable 4K leaf (so the slot is not read-only: KVM never
      // maps such a page writable) and makes the page behind below: its next write
      // changes nothing, which is what leavesSensitive would find. The host's side
      // (ctx.host) changes neither.
      this.logged = true;
    } else if (outcome !== Outcome.NoFault) {
      ns = 0;
      while (true) {
        const cost = vcpu.lastCostNs;
        ns += cost;
        const cause = CAUSE_OF_OUTCOME[outcome];
        if (cause >= 0) this.stallNs[cause] += cost;
        // The fault waited for mmu_lock behind the other vCPUs and the VMM's ioctls.
        const wait = ctx.mmuLockWaitNs[vcpu.lastMmuLock];
        if (wait > 0) {
          this.stallNs[LOCK_WAIT] += wait;
          ns += wait;
        }
        if (outcome === Outcome.DirtyRingFull) {
          const handled = ctx.onRingFull(this);
          ns += handled;
          this.stallNs[RING_FULL] += handled;
        } else {
          // The access pushed the ring past its soft limit (or a PML-full exit drained
          // the buffer into it): KVM exits to userspace before it enters the guest
          // again, not at the vCPU's next access that KVM happens to see (the accesses
          // in between are counted in bulk, without KVM). The guest then retries the
          // access, after the VMM's RESET re-armed its page: KVM sees it again.
          const exit = vcpu.checkRingFullOnEntry();
          if (exit === 0) break;
          const handled = ctx.onRingFull(this);
          ns += exit + handled;
          this.stallNs[RING_FULL] += exit + handled;
        }
        outcome = vcpu.accessFast(gfn, write);
      }
    }
    if (ctx.host) {
      // The host backs the page again; a discarded one is faulted in as a zero page.
      const h = ctx.host.onAccess(slot, rel);
      this.stallNs[SLOW_FAULT] += h;
      ns += h;
    }
    // A write to a KVM_MEM_READONLY slot never reaches memory: KVM exits to the VMM
    // (KVM_EXIT_MMIO), which emulates it as a device access (a ROM ignores it).
    if (write && !slot.memslot.readonly) slot.gen.write(rel);
    return ns;
  }
}

/**
 * After an access to `rel`: its next write would change nothing, neither in KVM (the
 * SPTE is writable and dirty) nor for the truth (the destination is behind: after a
 * write it always is). Such a page leaves the sensitive set.
 */
function leavesSensitive(slot: RamSlot, rel: number): boolean {
  return writeIsInvisibleToKvm(slot.memslot, rel) && slot.gen.isBehind(rel);
}

/** Most sensitive accesses drawn ahead of running them (VcpuThread.runMixture). */
export const PLAN_MAX = 64;
/** Why drawing a plan stopped: PLAN_MAX accesses drawn. */
const PLAN_FULL = 0;
/** The budget would be spent even if no access cost time. */
const PLAN_BUDGET = 1;
/** No sensitive mass left. */
const PLAN_NO_MASS = 2;
/** The next sensitive access falls past the budget even if no access cost time. */
const PLAN_GAP = 3;

/**
 * Sensitive accesses drawn ahead of running them, with the random state before each
 * one's gap draw and right after it, so the stream can be rewound to either point.
 */
class SensitivePlan {
  readonly rel = new Int32Array(PLAN_MAX);
  readonly write = new Uint8Array(PLAN_MAX);
  /** Gap before each access; at `length`, the gap that ended the plan (PLAN_GAP). */
  readonly gap = new Float64Array(PLAN_MAX + 1);
  readonly before = new Int32Array(4 * (PLAN_MAX + 1));
  readonly afterGap = new Int32Array(4 * (PLAN_MAX + 1));
  length = 0;
  end = PLAN_FULL;
  /** Per component while drawing: its sensitive count and its term of the mass. */
  counts = new Float64Array(8);
  terms = new Float64Array(8);
  /** The thread's random state while drawing (drawPlan). */
  readonly rngState = new Int32Array(4);
  /** The slice's budget while runMixture runs its plans (see there). */
  readonly budget = new Float64Array(1);
  /** Per access: 1 if it was drawn directly (DIRECT_MIN_MASS), 0 after a geometric gap. */
  readonly direct = new Uint8Array(PLAN_MAX + 1);
  /** The component that takes every access (soleComponent), or -1. */
  single = -1;
  /** The page drawHit found. */
  readonly hit = new Int32Array(1);

  /** Room for `n` components in `counts` and `terms`. */
  ensureComponents(n: number): void {
    if (this.counts.length < n) {
      this.counts = new Float64Array(n);
      this.terms = new Float64Array(n);
    }
  }
}

/** Copy a random state (4 words, Rng.save's layout) into `out[at .. at + 4)`. */
function copyState(st: Int32Array, out: Int32Array, at: number): void {
  out[at] = st[0];
  out[at + 1] = st[1];
  out[at + 2] = st[2];
  out[at + 3] = st[3];
}

/**
 * A draw u below m - GAP_ZERO_MARGIN has gap floor(log(1 - u) / log(1 - m)) = 0: the
 * logarithms differ by at least the margin while |log(1 - m)| < 37 for any m < 1, so
 * the quotient stays below 1 - 2.7e-11, far from rounding (1e-16).
 */
const GAP_ZERO_MARGIN = 1e-9;

/**
 * pickPage's rejection loop on a saved random state `st` (nextI32In): uniform pages
 * of [start, start + size) until one is in `set`. A function of its own so that V8
 * inlines the draws into it: a draw's result never leaves it as a heap number.
 */
function drawMember(set: PageSet, start: number, size: number, st: Int32Array): number {
  let rel: number;
  do rel = start + Math.floor(next32In(st) * size);
  while (!set.has(rel));
  return rel;
}

/**
 * Direct draws of one component that takes every access (DIRECT_MIN_MASS): up to `n`
 * uniform pages of [start, start + size) from the saved random state `st`, stopping at
 * the first in `set`, which goes to `hit[0]`. Returns the pages drawn before it (the
 * invisible accesses), `n` if none of the `n` was in the set.
 */
function drawHit(
  set: PageSet,
  start: number,
  size: number,
  n: number,
  st: Int32Array,
  hit: Int32Array,
): number {
  for (let misses = 0; misses < n; misses++) {
    const rel = start + Math.floor(next32In(st) * size);
    if (set.has(rel)) {
      hit[0] = rel;
      return misses;
    }
  }
  return n;
}

/**
 * The random draws of `n` direct accesses that were all invisible (drawAccesses),
 * made again on `rng` to put it where the serial loop would be after them: one draw
 * per access for a component that takes every access, else a draw for the component
 * and, when one is picked, one for the page.
 */
function replayMisses(rng: Rng, n: number, comps: readonly Component[], single: number): void {
  for (let t = 0; t < n; t++) {
    if (single < 0) {
      const q = pickByWeight(comps, rng);
      if (q < 0) continue;
    }
    rng.next32();
  }
}

/**
 * The component of one access, drawn by the components' weights (their share of all
 * accesses); -1 for an access outside every component (weights summing below 1).
 */
function pickByWeight(comps: readonly Component[], rng: Rng): number {
  let pick = rng.next32();
  for (let q = 0; q < comps.length; q++) {
    const w = comps[q].weight;
    if (pick < w) return q;
    pick -= w;
  }
  return -1;
}

/**
 * The component that takes every access of a pattern (the only one of weight > 0,
 * weighing 1 or more), whose direct draws need no draw for the component; else -1.
 */
export function soleComponent(comps: readonly Component[]): number {
  let sole = -1;
  for (let q = 0; q < comps.length; q++) {
    if (!(comps[q].weight > 0)) continue;
    if (sole >= 0) return -1;
    sole = q;
  }
  return sole >= 0 && comps[sole].weight >= 1 ? sole : -1;
}

/** Put back the pages of accesses [from, length) of the plan, which did not run. */
function undoPlan(plan: SensitivePlan, from: number, set: PageSet): void {
  for (let j = from; j < plan.length; j++) set.add(plan.rel[j]);
}

/** True if every component samples the same slot (one sensitive set). */
function inOneSlot(comps: readonly Component[]): boolean {
  for (let k = 1; k < comps.length; k++) if (comps[k].slot !== comps[0].slot) return false;
  return comps.length > 0;
}

/**
 * The component of a sensitive access, drawn by sensitive mass; -1 if rounding left
 * none (every count 0). Rounding can leave `pick` past the last one: the last
 * candidate is taken.
 */
function pickComponent(comps: readonly Component[], mass: number, rng: Rng): number {
  let pick = rng.next32() * mass;
  let chosen = -1;
  for (let k = 0; k < comps.length; k++) {
    const comp = comps[k];
    if (comp.count === 0) continue;
    chosen = k;
    const m = (comp.weight * comp.count) / (comp.end - comp.start);
    if (pick < m) break;
    pick -= m;
  }
  return chosen;
}

/** A sensitive page of `c`, uniformly, given its cached count is current. */
function pickPage(c: Component, set: PageSet, rng: Rng): number {
  const size = c.end - c.start;
  if (c.count * REJECTION_MAX_DRAWS >= size) {
    // Dense: draw uniform pages until one is sensitive (at most a few draws, and
    // exactly uniform over the sensitive ones), cheaper than a Fenwick select.
    let rel: number;
    do rel = c.start + Math.floor(rng.next32() * size);
    while (!set.has(rel));
    return rel;
  }
  return set.selectInRange(c.start, c.end, Math.floor(rng.next() * c.count));
}

/**
 * The sensitive mass after page of `c` left `set` (and nothing else changed; version
 * `before` until then): the cached counts are adjusted instead of recounted when they
 * were current (components are disjoint, so only `c` lost a page).
 */
function countsAfterLeaving(
  comps: Component[],
  c: Component,
  set: PageSet,
  before: number,
  missing: PageSet[] | null = null,
): number {
  if (c.countVersion === before) {
    for (const k of comps) {
      if (k.countSet === set && k.countVersion === before) {
        k.countVersion = set.version;
        if (k === c) k.count--;
      }
    }
  }
  return refreshCounts(comps, missing);
}

/** The pattern in force at `now` (phases switch by time since the run began). */
export function activePattern(
  p: AccessPattern,
  now: number,
): Exclude<AccessPattern, { kind: 'phases' }> {
  if (p.kind !== 'phases') return p;
  let t = p.repeat && p.totalNs > 0 ? now % p.totalNs : now;
  for (const phase of p.phases) {
    if (t < phase.durationNs) return activePattern(phase.pattern, now);
    t -= phase.durationNs;
  }
  return { kind: 'idle' };
}

/** Refresh cached sensitive counts that are out of date; returns the sensitive mass. */
function refreshCounts(comps: Component[], missing: PageSet[] | null): number {
  let mass = 0;
  // Indexed: a for-of's iterator is allocated here, once per slice, millions of times.
  for (let i = 0; i < comps.length; i++) {
    const c = comps[i];
    const set = setFor(c, missing);
    if (c.countSet !== set || c.countVersion !== set.version) {
      c.count = set.countRange(c.start, c.end);
      c.countSet = set;
      c.countVersion = set.version;
    }
    mass += (c.weight * c.count) / (c.end - c.start);
  }
  return mass;
}

/** The set a component samples from: sensitive pages, or missing pages in postcopy. */
function setFor(c: Component, missing: PageSet[] | null): PageSet {
  return missing ? missing[c.slot.index] : c.slot.sensitive;
}

/**
 * With at least this sensitive mass (the chance that an access is sensitive), the next
 * sensitive access is found by drawing the accesses themselves, one by one, until one
 * lands on a sensitive page: at most 1 / DIRECT_MIN_MASS draws on average, each cheaper
 * than the geometric gap's two logarithms and the component and page picks after it.
 * Below it the gap is drawn (inverse geometric) and then the sensitive page. Both give
 * the same process: the gap before the next sensitive access and its page have the same
 * joint distribution either way, and which way is taken depends only on the sets.
 */
export const DIRECT_MIN_MASS = 1 / 8;

/** Use rejection sampling while at least 1 in this many pages of a component is sensitive. */
export const REJECTION_MAX_DRAWS = 8;

/** The first sensitive page within the next `n` accesses of a sequential stream. */
function nextSensitive(
  p: Extract<AccessPattern, { kind: 'sequential' }>,
  n: number,
  ctx: SliceContext,
): { slot: RamSlot; rel: number; distance: number } | null {
  let pos = p.cursor;
  let distance = 0;
  let k = 0;
  let offset = 0;
  while (k < p.ranges.length && offset + (p.ranges[k].end - p.ranges[k].start) <= pos) {
    offset += p.ranges[k].end - p.ranges[k].start;
    k++;
  }
  while (distance < n) {
    const r = p.ranges[k];
    const from = r.start + (pos - offset);
    const set = ctx.missing ? ctx.missing[r.slot.index] : r.slot.sensitive;
    const limit = Math.min(r.end, from + (n - distance));
    const hit = set.nextMember(from, limit);
    if (hit >= 0) return { slot: r.slot, rel: hit, distance: distance + (hit - from) };
    distance += limit - from;
    pos += limit - from;
    if (limit === r.end) {
      offset += r.end - r.start;
      k++;
      if (k === p.ranges.length) {
        k = 0;
        offset = 0;
        pos = 0;
      }
    }
  }
  return null;
}

import type { RingPoolSelect, RingTopology } from './types.ts';
import { DirtyRing } from './dirty-ring.ts';

/**
 * What became of one `DirtyRingSet.push`: on a ring; `queued` (pool, proposal) when no
 * ring was free and the entry waits with its vCPU until one is; `lost` when the ring
 * was hard-full (for a per-vCPU ring KVM would WARN).
 */
export type RingPush = 'pushed' | 'queued' | 'lost';

/**
 * Where a vCPU's dirty-ring pushes go.
 *
 * `per-vcpu` is KVM: one ring allocated with each vCPU (kvm_dirty_ring_alloc), whose
 * soft limit stops that vCPU alone (KVM_REQ_DIRTY_RING_SOFT_FULL, virt/kvm/dirty_ring.c).
 *
 * `per-vm` and `pool` are proposals from the dirty-ring RFC thread (Peter Xu, "[PATCH
 * RFC 04/15] KVM: Implement ring-based dirty memory tracking", kvm@, December 2019),
 * not KVM:
 * - `per-vm`: one ring for the whole VM. Sean Christopherson
 *   (https://lore.kernel.org/all/20191202215049.GB8120@linux.intel.com/) notes that
 *   "nothing prevents increasing the size of the common ring each time a new vCPU is
 *   added": the model keeps KVM's reserve (64 + the PML buffer) for EVERY vCPU, so that
 *   each can finish the flush it is in when the ring goes soft-full; the soft limit is
 *   the size less one reserve per vCPU. When it is soft-full every vCPU stops at its
 *   next entry (the request is made to all of them).
 * - `pool`: Sean Christopherson's pool
 *   (https://lore.kernel.org/all/20191203184600.GB19877@linux.intel.com/): "a vCPU
 *   claims a ring, pushes the pages into the ring, and then returns the ring to the
 *   pool. If pushing pages hits the soft limit, a request is made to drain the ring and
 *   the ring is not returned to the pool until it is drained", with ring selection by
 *   "pure round robin, LRU, last used on the current vCPU". The model: a vCPU claims a
 *   ring at its first push after entering KVM and keeps it until the exit ends
 *   (`release`), so the PML flush of one exit goes into one ring, into its reserve if
 *   the flush crosses the soft limit. The vCPU that crossed it exits to have the ring
 *   drained (Paolo Bonzini: "draining is done on the vCPU thread that has filled the
 *   ring", https://lore.kernel.org/all/374f18f1-0592-9b70-adbb-0a72cc77d426@redhat.com/)
 *   and runs again once a reset brought that ring under its soft limit; until then the
 *   ring is withheld from claims. A vCPU that needs a ring when none is free (all are
 *   held or withheld) waits for one: its entries stay queued with it (nothing is
 *   dropped), it cannot enter the guest, and it pushes them at its next entry after a
 *   drain. Each claim costs `ringPoolClaim`.
 */
export class DirtyRingSet {
  readonly topology: RingTopology;
  readonly size: number;
  /** Entries KVM reserves past one vCPU's soft limit (kvm_dirty_ring_get_rsvd_entries). */
  readonly reserved: number;
  /** Every ring userspace harvests: one per vCPU, one per VM, or the pool. */
  readonly rings: DirtyRing[] = [];
  /** Per-vCPU topology: vCPU id -> index into `rings` of the ring it owns. */
  private readonly owned = new Map<number, number>();
  /** Pool: vCPU id -> ring it claimed for the exit it is in. */
  private readonly held = new Map<number, number>();
  /** Pool: vCPU id -> ring it pushed past the soft limit; it runs again once that ring is drained. */
  private readonly filled = new Map<number, number>();
  /** Pool: vCPU id -> ring it used last (the `last-used` policy). */
  private readonly lastUsed = new Map<number, number>();
  /** Pool: vCPU id -> entries (slot, offset pairs) that found no free ring. */
  private readonly queued = new Map<number, number[]>();
  private vcpuCount = 0;
  private nextRoundRobin = 0;
  private releaseClock = 0;
  /** Pool: claims made (each charged `ringPoolClaim`). */
  claims = 0;
  /** Pool: pushes that found no free ring and waited with their vCPU. */
  claimWaits = 0;
  /** Proposal (Paolo Bonzini's, in the WITH_BITMAP debate): a ring for writes without a running vCPU. */
  readonly vmRing: DirtyRing | null;

  constructor(topology: RingTopology, size: number, reserved: number, vmRing = false) {
    this.topology = topology;
    this.size = size;
    this.reserved = reserved;
    this.vmRing = vmRing ? new DirtyRing(size, reserved) : null;
    if (this.vmRing) this.rings.push(this.vmRing);
    if (topology.kind === 'per-vm') this.rings.push(new DirtyRing(size, reserved));
    if (topology.kind === 'pool') {
      for (let k = 0; k < topology.rings; k++) this.rings.push(new DirtyRing(size, reserved));
    }
  }

  /** `kvm_dirty_ring_alloc` at vCPU creation (per-vCPU), or one more reserve in the per-VM ring. */
  addVcpu(vcpuId: number): void {
    this.vcpuCount++;
    if (this.topology.kind === 'per-vm') {
      const ring = this.rings[0];
      const softLimit = this.size - this.reserved * this.vcpuCount;
      if (softLimit <= 0) {
        throw new Error(
          `a per-VM ring of ${this.size} entries cannot keep ${this.reserved} reserved entries for each of ${this.vcpuCount} vCPUs: make it larger than ${this.reserved * this.vcpuCount} entries`,
        );
      }
      ring.softLimit = softLimit;
    }
    if (this.topology.kind !== 'per-vcpu') return;
    this.owned.set(vcpuId, this.rings.length);
    this.rings.push(new DirtyRing(this.size, this.reserved));
  }

  /**
   * The ring that is this vCPU's for the VMM (QEMU reaps it on the vCPU's ring-full
   * exit under dirty-limit): its own, the VM's, or in a pool the one it holds, filled
   * or used last. Claims nothing.
   */
  ringOf(vcpuId: number): DirtyRing | null {
    switch (this.topology.kind) {
      case 'per-vcpu':
        return this.rings[this.owned.get(vcpuId) ?? -1] ?? null;
      case 'per-vm':
        return this.rings[0];
      case 'pool': {
        const idx =
          this.held.get(vcpuId) ?? this.filled.get(vcpuId) ?? this.lastUsed.get(vcpuId) ?? -1;
        return this.rings[idx] ?? null;
      }
    }
  }

  /**
   * `kvm_dirty_ring_push` on the ring this vCPU's entry goes to, claiming one from a
   * pool first if it holds none. Returns what became of the entry and whether it took
   * a claim (`lastPushClaimed`).
   */
  push(vcpuId: number, slot: number, offset: number): RingPush {
    this.lastPushClaimed = false;
    if (this.topology.kind !== 'pool') {
      const ring = this.ringOf(vcpuId);
      if (!ring || ring.hardFull) return 'lost';
      ring.push(slot, offset);
      return 'pushed';
    }
    const pending = this.queued.get(vcpuId);
    if (pending) {
      // Entries wait in order: this one goes behind those already waiting.
      pending.push(slot, offset);
      return 'queued';
    }
    let idx = this.held.get(vcpuId);
    if (idx === undefined) {
      idx = this.claim(vcpuId, this.topology.select);
      if (idx < 0) {
        this.claimWaits++;
        this.queued.set(vcpuId, [slot, offset]);
        return 'queued';
      }
    }
    const ring = this.rings[idx];
    // The reserve holds what one vCPU pushes after the soft limit; only the holder
    // pushes into a held ring, so this is a model bug, not a proposal's loss.
    if (ring.hardFull) return 'lost';
    if (ring.push(slot, offset)) this.filled.set(vcpuId, idx);
    return 'pushed';
  }

  /**
   * Proposals for a write with no running vCPU: into the VM's own ring, or into vCPU
   * 0's. Nothing can stop a writer that is not a vCPU, so a hard-full ring loses it.
   */
  pushWithoutVcpu(slot: number, offset: number): RingPush {
    const ring = this.vmRing ?? this.ringOf(0);
    if (!ring || ring.hardFull) return 'lost';
    ring.push(slot, offset);
    return 'pushed';
  }

  /** Whether the last `push` claimed a pool ring (the caller charges `ringPoolClaim`). */
  lastPushClaimed = false;

  /**
   * Whether the last `push` took a producer lock that other vCPUs share (proposals):
   * the per-VM ring's, which the RFC took for every push into it (Peter Xu, "[PATCH
   * RFC 04/15] KVM: Implement ring-based dirty memory tracking", kvm@, 2019-11-29:
   * spin_lock_init(&ring->lock) in kvm_dirty_ring_alloc; Sean Christopherson, "lock
   * for per-vm, something else for per-vcpu",
   * https://lore.kernel.org/all/20191202201036.GJ4063@linux.intel.com/), or the pool's
   * at a claim ("except for acquiring a ring, which likely can be heavily optimized",
   * https://lore.kernel.org/all/20191203184600.GB19877@linux.intel.com/). KVM's own
   * per-vCPU rings need none: only their vCPU pushes. The caller counts it for the
   * contention between vCPUs (engine/sim/ring-lock.ts).
   */
  get lastPushLocked(): boolean {
    return this.topology.kind === 'per-vm' || this.lastPushClaimed;
  }

  /**
   * Whether the vCPU may not enter the guest. KVM refuses entry while the vCPU's own
   * ring is soft-full; a soft-full per-VM ring stops every vCPU; in a pool, the vCPU
   * that filled a ring waits for its drain, and a vCPU with queued entries waits until
   * a ring is free for them (it pushes them here as soon as one is, and then runs
   * unless they filled that ring).
   */
  blocked(vcpuId: number): boolean {
    switch (this.topology.kind) {
      case 'per-vcpu':
        return this.rings[this.owned.get(vcpuId) ?? -1]?.softFull ?? false;
      case 'per-vm':
        return this.rings[0].softFull;
      case 'pool': {
        if (this.owesDrain(vcpuId)) return true;
        const pending = this.queued.get(vcpuId);
        if (!pending) return false;
        const idx = this.claim(vcpuId, this.topology.select);
        if (idx < 0) return true;
        this.queued.delete(vcpuId);
        const ring = this.rings[idx];
        for (let k = 0; k < pending.length; k += 2) {
          if (ring.hardFull) {
            // Cannot happen while a vCPU queues less than a reserve (one exit's flush).
            throw new Error(
              `vCPU ${vcpuId} queued ${pending.length / 2} ring entries, more than a ring's reserve of ${this.reserved}`,
            );
          }
          if (ring.push(pending[k], pending[k + 1])) this.filled.set(vcpuId, idx);
        }
        this.release(vcpuId);
        return this.owesDrain(vcpuId);
      }
    }
  }

  /** The end of a VM exit returns a claimed pool ring (proposal); other rings stay put. */
  release(vcpuId: number): void {
    if (this.topology.kind !== 'pool') return;
    const idx = this.held.get(vcpuId);
    if (idx === undefined) return;
    this.held.delete(vcpuId);
    this.lastUsed.set(vcpuId, idx);
    this.rings[idx].lastReleased = ++this.releaseClock;
  }

  get bytes(): number {
    return this.rings.reduce((sum, r) => sum + r.bytes, 0);
  }

  /** Pool: the vCPU filled a ring that has not been drained under its soft limit yet. */
  private owesDrain(vcpuId: number): boolean {
    const idx = this.filled.get(vcpuId);
    if (idx === undefined) return false;
    if (this.rings[idx].softFull) return true;
    this.filled.delete(vcpuId);
    return false;
  }

  /**
   * Claim a free pool ring (neither held by another vCPU nor withheld soft-full) by
   * the policy; -1 when none is free.
   */
  private claim(vcpuId: number, select: RingPoolSelect): number {
    const busy = new Set(this.held.values());
    const free = (k: number): boolean => !busy.has(k) && !this.rings[k].softFull;
    let pick = -1;
    if (select === 'last-used') {
      const last = this.lastUsed.get(vcpuId);
      if (last !== undefined && free(last)) pick = last;
    }
    if (pick < 0 && select === 'lru') {
      for (let k = 0; k < this.rings.length; k++) {
        if (free(k) && (pick < 0 || this.rings[k].lastReleased < this.rings[pick].lastReleased)) {
          pick = k;
        }
      }
    }
    if (pick < 0) {
      // round-robin, and last-used's choice when its ring is not free
      for (let n = 0; n < this.rings.length; n++) {
        const k = (this.nextRoundRobin + n) % this.rings.length;
        if (free(k)) {
          pick = k;
          this.nextRoundRobin = k + 1;
          break;
        }
      }
    }
    if (pick >= 0) {
      this.held.set(vcpuId, pick);
      this.claims++;
      this.lastPushClaimed = true;
    }
    return pick;
  }
}

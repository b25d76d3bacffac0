import type { RingPoolSelect, RingTopology } from './types.ts';
import { DirtyRing } from './dirty-ring.ts';

/**
 * Where a vCPU's dirty-ring pushes go. `per-vcpu` is KVM (one ring allocated with
 * each vCPU). `per-vm` and `pool` are proposals from the ring debate, not KVM: one
 * ring for the VM, or N rings that vCPUs claim by a selection policy, return at
 * their next VM exit, and drain (move to another ring) when theirs hits its soft limit.
 */
export class DirtyRingSet {
  readonly topology: RingTopology;
  readonly size: number;
  readonly reserved: number;
  /** Every ring userspace harvests: one per vCPU, one per VM, or the pool. */
  readonly rings: DirtyRing[] = [];
  /** vCPU id -> index into `rings` of the ring it holds (pools) or owns (per-vCPU). */
  private readonly held = new Map<number, number>();
  /** vCPU id -> ring it used last (the `last-used` pool policy). */
  private readonly lastUsed = new Map<number, number>();
  private nextRoundRobin = 0;
  private releaseClock = 0;
  /** Claims of a pool ring, for the claim cost. */
  claims = 0;

  constructor(topology: RingTopology, size: number, reserved: number) {
    this.topology = topology;
    this.size = size;
    this.reserved = reserved;
    if (topology.kind === 'per-vm') this.rings.push(new DirtyRing(size, reserved));
    if (topology.kind === 'pool') {
      for (let k = 0; k < topology.rings; k++) this.rings.push(new DirtyRing(size, reserved));
    }
  }

  /** `kvm_dirty_ring_alloc` at vCPU creation (per-vCPU topology only). */
  addVcpu(vcpuId: number): void {
    if (this.topology.kind !== 'per-vcpu') return;
    this.held.set(vcpuId, this.rings.length);
    this.rings.push(new DirtyRing(this.size, this.reserved));
  }

  /** The ring a vCPU's next push goes to, claiming one from a pool if needed; null if none has room. */
  ringFor(vcpuId: number): DirtyRing | null {
    switch (this.topology.kind) {
      case 'per-vcpu':
        return this.rings[this.held.get(vcpuId) ?? -1] ?? null;
      case 'per-vm':
        return this.rings[0];
      case 'pool': {
        const idx = this.held.get(vcpuId);
        if (idx !== undefined && !this.rings[idx].softFull) return this.rings[idx];
        if (idx !== undefined) this.release(vcpuId);
        const claimed = this.claim(vcpuId, this.topology.select);
        return claimed < 0 ? null : this.rings[claimed];
      }
    }
  }

  /**
   * Whether the vCPU may enter the guest: KVM refuses entry while the vCPU's ring is
   * soft-full; a per-VM ring stops every vCPU; a pool only when no ring has room.
   */
  blocked(vcpuId: number): boolean {
    switch (this.topology.kind) {
      case 'per-vcpu':
        return this.rings[this.held.get(vcpuId) ?? -1]?.softFull ?? false;
      case 'per-vm':
        return this.rings[0].softFull;
      case 'pool': {
        const idx = this.held.get(vcpuId);
        if (idx !== undefined && !this.rings[idx].softFull) return false;
        return this.rings.every((r) => r.softFull);
      }
    }
  }

  /** A VM exit returns a pool ring (proposal); per-vCPU and per-VM rings stay put. */
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
      // round-robin, and the fallback of the other policies
      for (let n = 0; n < this.rings.length; n++) {
        const k = (this.nextRoundRobin + n) % this.rings.length;
        if (free(k)) {
          pick = k;
          this.nextRoundRobin = k + 1;
          break;
        }
      }
    }
    if (pick < 0) {
      // Every ring with room is held by another vCPU: share the emptiest one. The
      // simulator runs vCPUs one at a time, so sharing is the pool's contended case.
      for (let k = 0; k < this.rings.length; k++) {
        if (!this.rings[k].softFull && (pick < 0 || this.rings[k].used < this.rings[pick].used)) {
          pick = k;
        }
      }
    }
    if (pick >= 0) {
      this.held.set(vcpuId, pick);
      this.claims++;
    }
    return pick;
  }
}

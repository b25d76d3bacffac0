/**
 * Contention for shared state between CPUs, for the costs that grow with the number
 * of vCPUs doing the same thing at once: the mmu_lock word that every TDP MMU fault
 * takes for read (read_lock / read_unlock are one atomic each on one cache line), and
 * an exclusive lock (the spinlock mmu_lock was before the TDP MMU) held while a fault
 * is handled.
 *
 * The model is a closed queueing network solved by exact Mean Value Analysis
 * (Reiser and Lavenberg, "Mean-Value Analysis of Closed Multichain Queuing Networks",
 * JACM 1980): `n` threads each alternate `thinkNs` of work of their own with a visit
 * to every shared center, where they need `demand` ns of service that only one CPU at
 * a time can get (a cache line is owned by one CPU; a spinlock by one holder). With
 * few threads a visit costs its demand; once the centers saturate, the time per cycle
 * grows linearly with `n` (each thread waits for every other one). The shape of the
 * curve comes from there, not from a fitted slope.
 */

/**
 * Mean ns a thread spends at the shared centers per cycle (service and queueing),
 * with `n` identical threads each doing `thinkNs` of private work per cycle and
 * needing `demands[c]` ns at center c. 0 for `n` < 1 or no demand.
 */
export function closedResidenceNs(n: number, thinkNs: number, demands: readonly number[]): number {
  const threads = Math.floor(n);
  if (threads < 1) return 0;
  const queue = demands.map(() => 0);
  let residence = 0;
  for (let k = 1; k <= threads; k++) {
    residence = 0;
    const perCenter = demands.map((d, c) => d * (1 + queue[c]));
    for (const r of perCenter) residence += r;
    const throughput = k / (Math.max(thinkNs, 0) + residence);
    for (let c = 0; c < demands.length; c++) queue[c] = throughput * perCenter[c];
  }
  return residence;
}

/**
 * Extra ns per visit to one contended cache line that `n` threads update with
 * `atomics` atomic read-modify-writes per cycle of `thinkNs`: each atomic has to pull
 * the line from the CPU that wrote it last (`transferNs`), and waits while other CPUs
 * hold it. A single thread keeps the line in its own cache and pays nothing.
 */
export function cacheLineContentionNs(
  n: number,
  atomics: number,
  thinkNs: number,
  transferNs: number,
): number {
  if (n < 2 || atomics <= 0 || transferNs <= 0) return 0;
  return closedResidenceNs(n, thinkNs, [atomics * transferNs]);
}

/**
 * Extra ns per acquisition of an exclusive lock (a spinlock) that `n` threads take
 * once per cycle, holding it `holdNs` and doing `thinkNs` of other work between
 * acquisitions: the wait for the other holders, plus the lock word's cache-line
 * transfer at acquire and release. The hold itself is not included.
 */
export function exclusiveLockWaitNs(
  n: number,
  holdNs: number,
  thinkNs: number,
  transferNs: number,
): number {
  if (n < 2) return 0;
  const demand = holdNs + 2 * transferNs;
  return Math.max(0, closedResidenceNs(n, thinkNs, [demand]) - holdNs);
}

/** How mmu_lock excludes: the TDP MMU's rwlock (faults share it) or the older spinlock. */
export type MmuLockKind = 'rwlock' | 'spinlock';

/**
 * Extra ns per fault that takes mmu_lock, with `n` vCPUs faulting at once, each
 * holding the lock `holdNs` per fault and doing `thinkNs` of other work between
 * faults. rwlock (the TDP MMU's; x86 since Linux 5.12, arm64 since 6.2): readers do
 * not wait for each other, but read_lock and read_unlock are two atomics on the lock's
 * one cache line, which every faulting CPU pulls in turn. spinlock (mmu_lock before
 * the TDP MMU, and always for the shadow MMU): one fault at a time, and the lock word
 * moves at every handoff.
 */
export function mmuLockFaultWaitNs(
  kind: MmuLockKind,
  n: number,
  holdNs: number,
  thinkNs: number,
  transferNs: number,
): number {
  return kind === 'rwlock'
    ? cacheLineContentionNs(n, 2, thinkNs, transferNs)
    : exclusiveLockWaitNs(n, holdNs, thinkNs, transferNs);
}

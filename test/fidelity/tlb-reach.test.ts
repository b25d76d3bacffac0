/**
 * Running on 4K mappings costs the guest TLB reach (engine/sim/tlb-reach.ts): what
 * eager splitting costs a read-mostly guest whose writes stay in a small region. With
 * eager splitting every huge page is split when logging starts, so reads over all of
 * RAM miss the TLB; split on fault leaves the pages it never writes mapped huge.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../../engine/sim/simulation.ts';
import { STALL_CAUSES } from '../../engine/guest/vcpu-thread.ts';
import { MiB, migration, plan, smallVm, tracking } from '../helpers/plans.ts';

// ---- tunables ----
const RAM = 256 * MiB;
/** Reads per second of the reading vCPU, over all of RAM. */
const READS = 100_000;
/** Writes per second of the writing vCPU, into the first 16 MiB. */
const WRITES = 5_000;

function tlbMissMs(eagerSplit: boolean): number {
  const out = simulate(
    plan({
      vm: smallVm({
        vcpus: 2,
        ram: RAM,
        workloads: [
          { kind: 'uniform', rate: READS, readFraction: 1, vcpus: [0] },
          { kind: 'uniform', rate: WRITES, region: { offset: 0, size: 16 * MiB }, vcpus: [1] },
        ],
      }),
      tracking: tracking({ eagerSplit }),
      migration: migration({ bandwidth: 1e8 }),
      warmupNs: 200e6,
      maxTimeNs: 5e9,
    }),
  );
  return out.stallNs[STALL_CAUSES.indexOf('tlb_miss')] / 1e6;
}

describe('TLB reach of a read-mostly guest during migration', () => {
  let eager = 0;
  let onFault = 0;
  beforeAll(() => {
    eager = tlbMissMs(true);
    onFault = tlbMissMs(false);
  });

  it('costs the guest TLB misses once eager splitting maps its memory 4K', () => {
    expect(eager).toBeGreaterThan(0);
  });

  it('costs several times less when only the written huge pages are split on fault', () => {
    expect(eager).toBeGreaterThan(3 * onFault);
  });
});

import { describe, expect, it } from 'vitest';
import type { Arch } from '../../../engine/index.ts';
import type {
  DirtyLogChoice,
  MigrationPolicy,
  RunPlan,
  SlotSpec,
  WorkloadSpec,
} from '../../../engine/plan.ts';
import { run } from '../../../engine/run.ts';
import { GiB, MiB, migration, plan, smallVm, tracking } from '../../helpers/plans.ts';
import {
  eventsOf,
  expectConsistentIterations,
  expectNoLoss,
  summaryOf,
} from '../../helpers/migration.ts';

// ---- tunables ----
/**
 * A small two-slot guest (so the send cursor crosses a slot boundary): 16 MiB of THP
 * at 0 and 48 MiB of 2 MiB hugetlb at 4 GiB, 2 vCPUs.
 */
const SLOTS: SlotSpec[] = [
  { name: 'low', gpa: 0, size: 16 * MiB, backing: 'thp' },
  { name: 'high', gpa: 4 * GiB, size: 48 * MiB, backing: 'hugetlb_2m' },
];
const VCPUS = 2;
const RATE = 10_000;
const READ_FRACTION = 0.3;
const BANDWIDTH = 50e6;
/** Postcopy runs get a tight downtime limit, so that precopy does not finish first. */
const POSTCOPY_DOWNTIME_LIMIT_NS = 10e6;
const POSTCOPY_AFTER_ITERATIONS = 2;
/** Manual-protect modes CLEAR in 16 MiB chunks, several per slot (QEMU's default is 1 GiB). */
const CLEAR_BITMAP_SHIFT = 12;
const WARMUP_NS = 200e6;
const MAX_TIME_NS = 20e9;

const WORKLOADS: Record<string, WorkloadSpec> = {
  uniform: { kind: 'uniform', rate: RATE, readFraction: READ_FRACTION },
  hotset: { kind: 'hotset', rate: RATE, hotBytes: 8 * MiB, readFraction: READ_FRACTION },
  zipf: { kind: 'zipf', rate: RATE, exponent: 1, readFraction: READ_FRACTION },
  sequential: { kind: 'sequential', rate: RATE, readFraction: READ_FRACTION },
  phases: {
    kind: 'phases',
    phases: [
      {
        durationNs: 100e6,
        workload: { kind: 'uniform', rate: 2 * RATE, readFraction: READ_FRACTION },
      },
      { durationNs: 100e6, workload: { kind: 'idle' } },
    ],
  },
};

type Kind = 'precopy' | 'postcopy' | 'xen';
const KINDS: Kind[] = ['precopy', 'postcopy', 'xen'];

/** arm64 KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE where a case turns eager splitting on. */
const ARM64_SPLIT_CHUNK_BYTES = 2 * MiB;

interface TrackingCase {
  arch: Arch;
  dirtyLog: DirtyLogChoice;
  pml?: boolean;
  eagerSplit?: boolean;
  eagerSplitChunkBytes?: number;
}

/**
 * Every dirty-log mode; on x86 each with PML on/off and eager split on/off; on arm64
 * each without eager splitting (KVM's default) and two with it.
 */
const TRACKINGS: TrackingCase[] = [
  ...(['bitmap', 'bitmap-manual', 'bitmap-initially-set', 'ring'] as const).flatMap((dirtyLog) =>
    [true, false].flatMap((pml) =>
      [true, false].map((eagerSplit) => ({ arch: 'x86_64' as const, dirtyLog, pml, eagerSplit })),
    ),
  ),
  ...(['bitmap', 'bitmap-manual', 'bitmap-initially-set', 'ring', 'ring-with-bitmap'] as const).map(
    (dirtyLog) => ({ arch: 'arm64' as const, dirtyLog }),
  ),
  ...(['bitmap-initially-set', 'ring-with-bitmap'] as const).map((dirtyLog) => ({
    arch: 'arm64' as const,
    dirtyLog,
    eagerSplitChunkBytes: ARM64_SPLIT_CHUNK_BYTES,
  })),
];

function migrationFor(kind: Kind): MigrationPolicy {
  switch (kind) {
    case 'precopy':
      return migration({ bandwidth: BANDWIDTH });
    case 'postcopy':
      return migration({
        bandwidth: BANDWIDTH,
        downtimeLimitNs: POSTCOPY_DOWNTIME_LIMIT_NS,
        postcopyAfterIterations: POSTCOPY_AFTER_ITERATIONS,
      });
    case 'xen':
      return migration({ bandwidth: BANDWIDTH, kind: 'xen' });
  }
}

function matrixPlan(t: TrackingCase, workload: WorkloadSpec, kind: Kind): RunPlan {
  return plan({
    vm: smallVm({ arch: t.arch, vcpus: VCPUS, slots: SLOTS, workload }),
    tracking: tracking({
      dirtyLog: t.dirtyLog,
      pml: t.pml,
      eagerSplit: t.eagerSplit,
      eagerSplitChunkBytes: t.eagerSplitChunkBytes,
      clearBitmapShift: CLEAR_BITMAP_SHIFT,
    }),
    migration: migrationFor(kind),
    warmupNs: WARMUP_NS,
    maxTimeNs: MAX_TIME_NS,
  });
}

function label(t: TrackingCase): string {
  const x86 = t.arch === 'x86_64' ? ` pml=${t.pml} eager=${t.eagerSplit}` : '';
  const arm = t.eagerSplitChunkBytes ? ` split chunk ${t.eagerSplitChunkBytes / MiB} MiB` : '';
  return `${t.arch} ${t.dirtyLog}${x86}${arm}`;
}

// Every tracking x workload pair; the migration kind rotates so that every tracking
// and every workload also meets every kind (pairwise coverage, 115 runs).
describe('migration matrix: nothing is lost, and the iterations table adds up', () => {
  let k = 0;
  for (const t of TRACKINGS) {
    for (const [name, workload] of Object.entries(WORKLOADS)) {
      const kind = KINDS[k++ % KINDS.length];
      it(`${label(t)}, ${name}, ${kind}`, () => {
        const r = run(matrixPlan(t, workload, kind));
        expectNoLoss(r);
        expectConsistentIterations(r);
        if (kind === 'postcopy') expect(eventsOf(r, 'postcopy')).toHaveLength(1);
        else expect(eventsOf(r, 'switchover')).toHaveLength(1);
      });
    }
  }
});

describe('an idle guest', () => {
  for (const t of TRACKINGS.filter(
    (c) => (c.arch === 'arm64' && !c.eagerSplitChunkBytes) || (c.pml && c.eagerSplit),
  )) {
    it(`completes after 3 syncs: setup, pending-exact, final (${label(t)})`, () => {
      const r = run(matrixPlan(t, { kind: 'idle' }, 'precopy'));
      expectNoLoss(r);
      expectConsistentIterations(r);
      const s = summaryOf(r);
      expect(s.iterations).toBe(3);
      // Nothing was written: one pass over RAM and nothing more.
      expect(s.pages_sent).toBe(s.ram_bytes / 4096);
    });
  }
});

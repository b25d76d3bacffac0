/**
 * The fields of a definition's engine value that can be a column of an experiment, by
 * the name the language gives them (`dirty_log`, `ring_entries`, `bandwidth`): when a
 * run lists several named definitions (`sweep db with [bitmap, ring], fast`), each
 * field that differs between them becomes a column, as a swept field does, so a
 * result table can be grouped by it. Scalar fields only: nested specs (slots,
 * workloads) are described by the definition's name.
 */
import type { DefinitionKind } from '../ast.ts';
import { DEFAULT_COSTS } from '../../engine/kvm/costs.ts';
import type { Costs } from '../../engine/kvm/costs.ts';
import type { Dimension } from '../units.ts';
import { parseQuantity } from '../units.ts';
import { costName, snakeCase } from '../schema.ts';
import type { Axis } from './experiment-types.ts';
import type { DefinitionValues } from './scope.ts';

/** One field as a column: quantities are read in the base unit of their dimension. */
export interface PlanColumn<V> {
  column: string;
  dim: Axis['dim'];
  /** The unit of the column when no swept field gives one. */
  unit?: string;
  /** The field's value (undefined: not set, the engine's default). */
  read: (value: V) => number | string | boolean | undefined;
}

/** The unit a field's column is shown in, by dimension, when nothing was written. */
const SHOWN_UNIT: Readonly<Record<Dimension, string | undefined>> = {
  size: 'MiB',
  time: 'ms',
  rate: '/s',
  bandwidth: 'Gbit/s',
  percent: '%',
  count: undefined,
};

function quantity<V>(
  column: string,
  dim: Dimension,
  read: (v: V) => number | undefined,
): PlanColumn<V> {
  const unit = SHOWN_UNIT[dim];
  return { column, dim, ...(unit === undefined ? {} : { unit }), read };
}

function word<V>(
  column: string,
  dim: 'enum' | 'flag',
  read: (v: V) => string | boolean | undefined,
): PlanColumn<V> {
  return { column, dim, read };
}

/** The language's word for each engine value of an enumerated field (lower.ts, inverted). */
const DIRTY_LOG_WORD: Readonly<Record<string, string>> = {
  bitmap: 'bitmap',
  'bitmap-manual': 'manual',
  'bitmap-initially-set': 'initially_set',
  ring: 'ring',
  'ring-with-bitmap': 'ring_with_bitmap',
};
const CONVERGE_WORD: Readonly<Record<string, string>> = {
  none: 'none',
  'auto-converge': 'auto',
  'dirty-limit': 'dirty_limit',
};

export const PLAN_COLUMNS: {
  readonly [K in DefinitionKind]: readonly PlanColumn<DefinitionValues[K]>[];
} = {
  vm: [
    word('arch', 'enum', (v) => v.arch),
    quantity('vcpus', 'count', (v) => v.vcpus),
    quantity('prefill', 'percent', (v) => (v.prefill === undefined ? undefined : v.prefill * 100)),
    quantity('io_exits', 'rate', (v) => v.ioExitRate),
  ],
  tracking: [
    word('dirty_log', 'enum', (t) => DIRTY_LOG_WORD[t.dirtyLog]),
    quantity('ring_entries', 'count', (t) => t.ringEntries),
    word('ring_acq_rel', 'flag', (t) => t.ringAcqRel),
    word('eager_split', 'flag', (t) => t.eagerSplit),
    quantity('chunk', 'size', (t) => t.eagerSplitChunkBytes),
    word('pml', 'flag', (t) => t.pml),
    word('fast_page_fault', 'flag', (t) => t.fastPageFault),
    word('split_on_fault', 'enum', (t) => t.splitOnFault?.replace('-', '_')),
    word('mmu_lock', 'enum', (t) => t.mmuLock),
    word('mmu', 'enum', (t) => t.mmu),
    word('preempt', 'enum', (t) => t.preempt),
    quantity('reaper', 'time', (t) => t.reaperIntervalNs),
    quantity('reapers', 'count', (t) => t.reapers),
    quantity('clear_shift', 'count', (t) => t.clearBitmapShift),
    // The proposals (engine/kvm/params.ts Proposals), so a sweep over them groups by them.
    word('ring_topology', 'enum', (t) => t.proposals?.ringTopology?.kind.replace('-', '_')),
    quantity('pool_rings', 'count', (t) => {
      const topology = t.proposals?.ringTopology;
      return topology?.kind === 'pool' ? topology.rings : undefined;
    }),
    word('granularity', 'enum', (t) => t.proposals?.dirtyGranularity),
    word('split_on_first_clear', 'flag', (t) => t.proposals?.splitOnFirstClear),
    quantity('ring_reserve', 'count', (t) => t.proposals?.ringReserve ?? undefined),
    word('vcpuless_writes', 'enum', (t) => t.proposals?.vcpulessWrites?.replace('-', '_')),
  ],
  migration: [
    word('policy', 'enum', (m) => m.kind),
    quantity('bandwidth', 'bandwidth', (m) => m.bandwidth),
    quantity('max_bandwidth', 'bandwidth', (m) => m.maxBandwidth),
    quantity('downtime', 'time', (m) => m.downtimeLimitNs),
    quantity('max_iterations', 'count', (m) => m.maxIterations),
    word('converge', 'enum', (m) =>
      m.converge === undefined ? undefined : CONVERGE_WORD[m.converge],
    ),
    quantity('dirty_limit', 'bandwidth', (m) => m.dirtyLimit),
    quantity('switchover_bandwidth', 'bandwidth', (m) => m.availSwitchoverBandwidth),
    quantity('device_state', 'size', (m) => m.deviceStateBytes),
    word('bitmap_sync', 'enum', (m) => m.bitmapSync?.replace('-', '_')),
  ],
  costs: Object.keys(DEFAULT_COSTS)
    .map(snakeCase)
    .map((column) =>
      quantity<Partial<Costs>>(column, 'time', (c) => {
        const name = costName(column);
        return name === undefined ? undefined : c[name];
      }),
    ),
};

/** A number in the base unit of `dim` as a number of `unit` (ns as ms: / 1e6). */
export function fromBaseUnit(n: number, unit: string | undefined): number {
  const one = unit === undefined ? undefined : parseQuantity(`1${unit}`);
  if (one === undefined) return n;
  return (n * Number(one.den)) / Number(one.num);
}

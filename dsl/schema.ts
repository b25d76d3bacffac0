/**
 * What each block of the language may contain: one table per block kind, each field
 * with its arguments, sub-keys and a one-line doc. The grammar is generic
 * (`key value* block?`); these tables drive checking, lowering, and later completion
 * and keyword documentation, so the three cannot disagree.
 */
import { DEFAULT_COSTS } from '../engine/kvm/costs.ts';
import { DEFAULT_BALLOON_COSTS } from '../engine/kvm/balloon-costs.ts';
import type { Costs } from '../engine/kvm/costs.ts';
import type { Dimension } from './units.ts';

export type BlockKind =
  'vm' | 'tracking' | 'costs' | 'migration' | 'workload' | 'device' | 'balloon' | 'run';

interface ArgBase {
  /** What the argument is, for messages: "ring entries", "the slot's size". */
  label: string;
  /** May be left out (only trailing positional arguments). */
  optional?: boolean;
  /**
   * The column of a swept value (a list or a range in its place) when it is not the
   * default: the field's name for its first argument, `FIELD_KEY` for a sub-key's value.
   * Every later positional argument that can be swept names its column here.
   */
  column?: string;
}

/** A number with a unit of `dim`, within [min, max] of the base unit. */
export interface QuantityArg extends ArgBase {
  type: 'quantity';
  dim: Dimension;
  /** Must be a whole number (of bytes, ns, vCPUs, ...). */
  integer?: boolean;
  min?: number;
  max?: number;
  /** Further validation: returns the reason the value is not allowed. */
  check?: (n: number) => string | undefined;
}

export interface EnumArg extends ArgBase {
  type: 'enum';
  values: readonly string[];
}

/** A new name (a slot's). */
export interface NameArg extends ArgBase {
  type: 'name';
}

/** `from..to` of a dimension. */
export interface RangeArg extends ArgBase {
  type: 'range';
  dim: Dimension;
}

/** `all`, a vCPU id, `0..3` (inclusive) or `[0, 2, 5]`. */
export interface VcpusArg extends ArgBase {
  type: 'vcpus';
}

/** A quoted string: `file "trace.csv"`. */
export interface StringArg extends ArgBase {
  type: 'string';
}

export type ArgSpec = QuantityArg | EnumArg | NameArg | RangeArg | VcpusArg | StringArg;

export interface FieldSpec {
  doc: string;
  /** Positional arguments, in order; optional ones last. */
  args: readonly ArgSpec[];
  /** Sub-keys that follow the positional arguments: `at 0 size 4GiB`; 'flag' takes no value. */
  keys?: Readonly<Record<string, ArgSpec | 'flag'>>;
  requiredKeys?: readonly string[];
  /**
   * The block must set it: every block of its kind (`true`), or, in a workload block,
   * the workloads of these kinds. The one place that says which fields are required.
   */
  required?: true | readonly string[];
  /** May appear more than once (slots, workloads, devices). */
  repeatable?: boolean;
  /** Takes a nested `{ ... }` block of this kind. */
  body?: BlockKind;
  /** Workload fields: the workload kinds the field applies to. */
  appliesTo?: readonly string[];
}

const ON_OFF = ['on', 'off'] as const;
const onOff = (label: string): EnumArg => ({ type: 'enum', values: ON_OFF, label });
const size = (label: string, extra: Partial<QuantityArg> = {}): QuantityArg => ({
  type: 'quantity',
  dim: 'size',
  integer: true,
  min: 0,
  label,
  ...extra,
});
const time = (label: string, extra: Partial<QuantityArg> = {}): QuantityArg => ({
  type: 'quantity',
  dim: 'time',
  integer: true,
  min: 0,
  label,
  ...extra,
});
const bandwidth = (label: string): QuantityArg => ({
  type: 'quantity',
  dim: 'bandwidth',
  min: 0,
  label,
});
const percent = (label: string): QuantityArg => ({
  type: 'quantity',
  dim: 'percent',
  min: 0,
  max: 100,
  label,
});
const count = (label: string, extra: Partial<QuantityArg> = {}): QuantityArg => ({
  type: 'quantity',
  dim: 'count',
  integer: true,
  min: 0,
  label,
  ...extra,
});

export const ARCHES = ['x86_64', 'arm64'] as const;
export const BACKINGS = ['4k', 'thp', 'hugetlb_2m', 'hugetlb_1g'] as const;
/** The kinds a phase of a `phases` workload may have. */
export const PHASE_KINDS = ['uniform', 'hotset', 'zipf', 'sequential', 'idle'] as const;
export const WORKLOAD_KINDS = [...PHASE_KINDS, 'phases', 'trace', 'alloc'] as const;
/** How a balloon reports free pages (`reporting`). */
export const REPORTING_TRANSPORTS = [
  'virtio',
  'hypercall',
  's390',
  'free_hypercall',
  'off',
] as const;
/** Linux before 6.4: MAX_ORDER 11 (orders 0..10); engine/guest/buddy.ts DEFAULT_MAX_ORDER. */
export const DEFAULT_BUDDY_MAX_ORDER = 11;
export const DIRTY_LOGS = [
  'bitmap',
  'manual',
  'initially_set',
  'ring',
  'ring_with_bitmap',
] as const;
/** The tables of `table` and `export`: the engine's result tables. */
export { RESULT_TABLES as TABLE_VIEWS } from '../engine/results.ts';
/** The file formats of `export ... as FORMAT`; the first is the default. */
export const EXPORT_FORMATS = ['csv', 'arrow', 'latex', 'markdown'] as const;
/** The formats that write one table to one file (`export summary to "t.tex" as latex`). */
export const TABLE_FILE_FORMATS = ['latex', 'markdown'] as const;
/** The image formats of `export plot NAME to "FILE" [as FORMAT]` (else the file's extension). */
export const FIGURE_FORMATS = ['svg', 'pdf', 'png'] as const;

/** KVM: a ring of 2^n entries of 16 bytes, at least one page (256) and at most 65536. */
function checkRingEntries(n: number): string | undefined {
  const pow2 = Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (!pow2 || n < 256 || n > 65536) return 'a power of two from 256 to 65536';
  return undefined;
}

/** arm64 accepts 0 (off) or a supported block size: 4 KiB, 2 MiB, 1 GiB. */
function checkChunk(n: number): string | undefined {
  return [0, 4096, 2 ** 21, 2 ** 30].includes(n) ? undefined : '0, 4KiB, 2MiB or 1GiB';
}

const MOVING = ['uniform', 'hotset', 'zipf', 'sequential'];
const ACCESSING = [...MOVING, 'alloc'];

export const FIELDS: Readonly<Record<BlockKind, Readonly<Record<string, FieldSpec>>>> = {
  vm: {
    arch: {
      doc: 'CPU architecture (default x86_64).',
      args: [{ type: 'enum', values: ARCHES, label: 'an architecture' }],
    },
    vcpus: { doc: 'Number of vCPUs (default 1).', args: [count('vCPUs', { min: 1, max: 4096 })] },
    slot: {
      doc: 'A memslot: `slot NAME at GPA size SIZE backing 4k|thp|hugetlb_2m|hugetlb_1g [readonly]`.',
      args: [{ type: 'name', label: 'a slot name' }],
      keys: {
        at: size('the guest physical address'),
        size: size('the slot size', { min: 4096 }),
        backing: { type: 'enum', values: BACKINGS, label: 'a backing' },
        readonly: 'flag',
      },
      requiredKeys: ['at', 'size'],
      required: true,
      repeatable: true,
    },
    workload: {
      doc: 'What the vCPUs do: `workload uniform|hotset|zipf|sequential|idle|phases|trace|alloc { ... }`.',
      args: [{ type: 'enum', values: WORKLOAD_KINDS, label: 'a workload kind' }],
      repeatable: true,
      body: 'workload',
    },
    device: {
      doc: 'A device that writes guest memory without a vCPU: `device its|vgic_v3 { tables SIZE }`.',
      args: [{ type: 'enum', values: ['its', 'vgic_v3'], label: 'a device kind' }],
      repeatable: true,
      body: 'device',
    },
    balloon: {
      doc: 'Free page reporting and hinting: `balloon { reporting virtio, order 9, hinting on }`.',
      args: [],
      body: 'balloon',
    },
    prefill: {
      doc: 'Share of RAM holding non-zero data at the start (default 0%).',
      args: [percent('prefill')],
    },
    io_exits: {
      doc: "Exits per second per vCPU to QEMU's device emulation, each taking QEMU's big lock (default 0).",
      args: [{ type: 'quantity', dim: 'rate', min: 0, label: 'the exit rate' }],
    },
  },
  workload: {
    rate: {
      doc: 'Accesses per second per vCPU, in pages: `rate 200k/s per vcpu`.',
      args: [{ type: 'quantity', dim: 'rate', min: 0, label: 'the access rate' }],
      keys: { per: { type: 'enum', values: ['vcpu'], label: 'vcpu' } },
      required: MOVING,
      appliesTo: ACCESSING,
    },
    set: {
      doc: 'Size of the hot set (hotset).',
      args: [size('the hot set size')],
      required: ['hotset'],
      appliesTo: ['hotset'],
    },
    hot: {
      doc: 'Share of accesses to the hot set (hotset, default 90%).',
      args: [percent('hot')],
      appliesTo: ['hotset'],
    },
    read: {
      doc: 'Share of accesses that are reads (default 0%).',
      args: [percent('read')],
      appliesTo: ACCESSING,
    },
    exponent: {
      doc: 'Zipf exponent (zipf).',
      args: [{ type: 'quantity', dim: 'count', min: 0, label: 'the exponent' }],
      required: ['zipf'],
      appliesTo: ['zipf'],
    },
    region: {
      doc: 'Where in RAM, counted from the start of RAM: `region 0..1GiB` (end excluded).',
      args: [{ type: 'range', dim: 'size', label: 'a size range' }],
      appliesTo: MOVING,
    },
    vcpus: {
      doc: 'Which vCPUs run it: `all`, `0..3` (inclusive) or `[0, 2]`.',
      args: [{ type: 'vcpus', label: 'vCPUs' }],
    },
    partition: { doc: 'Give each vCPU its own slice of the region.', args: [], appliesTo: MOVING },
    phase: {
      doc: 'One phase (phases): `phase 10s hotset { rate 20k/s, set 16MiB }` or `phase 5s idle`.',
      args: [
        time('the phase duration', { min: 1 }),
        { type: 'enum', values: PHASE_KINDS, label: 'a workload kind' },
      ],
      required: ['phases'],
      repeatable: true,
      body: 'workload',
      appliesTo: ['phases'],
    },
    repeat: {
      doc: 'Start again after the last phase (phases, default on).',
      args: [onOff('repeat')],
      appliesTo: ['phases'],
    },
    file: {
      doc: 'CSV file of the accesses, header time,vcpu,gfn,op, relative to this file (trace).',
      args: [{ type: 'string', label: 'a file name' }],
      required: ['trace'],
      appliesTo: ['trace'],
    },
    loop: {
      doc: 'Replay from the start when the trace ends (trace, default off).',
      args: [onOff('loop')],
      appliesTo: ['trace'],
    },
    churn: {
      doc: 'Allocations or frees per second per vCPU (alloc): `churn 2k/s`.',
      args: [{ type: 'quantity', dim: 'rate', min: 0, label: 'the churn rate' }],
      required: ['alloc'],
      appliesTo: ['alloc'],
    },
    used: {
      doc: 'Memory the workload keeps allocated (alloc).',
      args: [size('the memory used')],
      required: ['alloc'],
      appliesTo: ['alloc'],
    },
    peak: {
      doc: 'Memory allocated at boot before freeing down to `used` (alloc, default: used).',
      args: [size('the peak')],
      appliesTo: ['alloc'],
    },
    order: {
      doc: 'Largest allocation order (alloc, default 3): order k is half as likely as k-1.',
      args: [count('the order', { max: 19 })],
      appliesTo: ['alloc'],
    },
  },
  balloon: {
    reporting: {
      doc: 'Free page reporting: virtio (reporting vq) | hypercall (one per range) | s390 (CMMA) | free_hypercall (Duyck 2019: at free time, in KVM) | off. Default virtio.',
      args: [{ type: 'enum', values: REPORTING_TRANSPORTS, label: 'a reporting transport' }],
    },
    order: {
      doc: 'page_reporting_order: report free blocks of this order and up (default 9; s390 0).',
      args: [count('the order', { max: 19 })],
    },
    capacity: {
      doc: 'Ranges per report (PAGE_REPORTING_CAPACITY, default 32).',
      args: [count('the capacity', { min: 1, max: 4096 })],
    },
    delay: {
      doc: 'Delay of the reporting work (PAGE_REPORTING_DELAY, default 2s).',
      args: [time('the delay')],
    },
    max_order: {
      doc: 'The guest buddy allocator has orders 0..max_order-1 (MAX_ORDER, default 11).',
      args: [count('MAX_ORDER', { min: 1, max: 20 })],
    },
    hinting: {
      doc: 'Free page hinting during precopy (default off).',
      args: [onOff('hinting')],
    },
    buffer: {
      doc: 's390: entries of the CBRL buffer before the host is told (default 512).',
      args: [count('the buffer entries', { min: 1, max: 65536 })],
    },
    cost: {
      doc: 'Balloon cost overrides: `cost madvise_call 3us refault_zero_page 2us`.',
      args: [],
      keys: Object.fromEntries(
        Object.keys(DEFAULT_BALLOON_COSTS).map((name) => [
          snakeCase(name),
          time(`the cost ${name}`, { integer: false }),
        ]),
      ),
    },
  },
  device: {
    tables: {
      doc: 'Bytes of tables the device saves into guest RAM at switchover (ITS tables, or the LPI pending tables of a vgic_v3).',
      args: [size('the table size')],
    },
    offset: {
      doc: 'RAM offset of the tables. Default: the end of RAM, below the tables of the devices written before this one that have no offset either, so an its and a vgic_v3 never share pages; tables that overlap or run past RAM are refused.',
      args: [size('the offset')],
    },
  },
  tracking: {
    dirty_log: {
      doc: 'Dirty-log mode: bitmap | manual | initially_set | ring N | ring_with_bitmap N.',
      args: [
        { type: 'enum', values: DIRTY_LOGS, label: 'a dirty-log mode' },
        count('ring entries', { optional: true, check: checkRingEntries, column: 'ring_entries' }),
      ],
      required: true,
    },
    ring_acq_rel: {
      doc: 'KVM_CAP_DIRTY_LOG_RING_ACQ_REL (default: on arm64, where it is the only ring).',
      args: [onOff('ring_acq_rel')],
    },
    eager_split: { doc: 'x86 kvm.eager_page_split (default on).', args: [onOff('eager_split')] },
    chunk: {
      doc: 'arm64 KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE (default 0: off).',
      args: [size('the chunk size', { check: checkChunk })],
    },
    pml: { doc: 'x86 Intel PML (default on).', args: [onOff('pml')] },
    fast_page_fault: {
      doc: 'Lockless fast page faults (default on).',
      args: [onOff('fast_page_fault')],
    },
    split_on_fault: {
      doc: 'A write fault on a huge page splits it in place (6.2+) or zaps it.',
      args: [{ type: 'enum', values: ['in_place', 'zap'], label: 'in_place or zap' }],
    },
    mmu_lock: {
      doc: "mmu_lock: the TDP MMU's rwlock (default) or the spinlock of older kernels.",
      args: [{ type: 'enum', values: ['rwlock', 'spinlock'], label: 'rwlock or spinlock' }],
    },
    mmu: {
      doc: 'x86 paging: tdp (EPT/NPT, default) or shadow (ept=0 / npt=0).',
      args: [{ type: 'enum', values: ['tdp', 'shadow'], label: 'tdp or shadow' }],
    },
    with_bitmap: {
      doc: 'ring_with_bitmap: enable the bitmap before the memslots (default) or after them (KVM: EINVAL).',
      args: [
        {
          type: 'enum',
          values: ['before_memslots', 'after_memslots'],
          label: 'before_memslots or after_memslots',
        },
      ],
    },
    preempt: {
      doc: 'Host kernel preemption: none, voluntary (default) or full (long mmu_lock walks yield to waiting vCPUs).',
      args: [{ type: 'enum', values: ['none', 'voluntary', 'full'], label: 'a preemption model' }],
    },
    ring_topology: {
      doc: 'Proposal: per_vcpu | per_vm | pool N round_robin|lru|last_used.',
      args: [
        { type: 'enum', values: ['per_vcpu', 'per_vm', 'pool'], label: 'a ring topology' },
        count('rings in the pool', { optional: true, min: 1, column: 'pool_rings' }),
        {
          type: 'enum',
          values: ['round_robin', 'lru', 'last_used'],
          label: 'a pool policy',
          optional: true,
          column: 'pool_policy',
        },
      ],
    },
    granularity: {
      doc: 'Proposal: dirty-tracking granularity 4k (KVM) or 2m.',
      args: [{ type: 'enum', values: ['4k', '2m'], label: 'a granularity' }],
    },
    split_on_first_clear: {
      doc: 'Proposal: split on the first CLEAR in every mode.',
      args: [onOff('split_on_first_clear')],
    },
    ring_reserve: {
      doc: 'Proposal: entries a ring keeps past its soft limit (KVM: 64, plus 512 with PML).',
      args: [count('the reserved entries', { max: 65536 })],
    },
    vcpuless_writes: {
      doc: 'Proposal: a ring-only write without a vCPU is dropped (KVM), or goes to vcpu0_ring or vm_ring.',
      args: [
        {
          type: 'enum',
          values: ['drop', 'vcpu0_ring', 'vm_ring'],
          label: 'drop, vcpu0_ring or vm_ring',
        },
      ],
    },
    reaper: {
      doc: "QEMU's dirty-ring reaper period (default 1s).",
      args: [time('the reaper period', { min: 1 })],
    },
    reapers: {
      doc: 'Proposal: threads that harvest the dirty rings in parallel (QEMU: 1).',
      args: [count('the reaper threads', { min: 1, max: 1024 })],
    },
    clear_shift: {
      doc: 'QEMU x-clear-bitmap-shift (default 18).',
      args: [count('the shift', { min: 6, max: 31 })],
    },
  },
  costs: Object.fromEntries(
    Object.keys(DEFAULT_COSTS).map((name) => [
      snakeCase(name),
      {
        doc: `Cost of ${name} in ns.`,
        args: [{ type: 'quantity', dim: 'time', min: 0, label: `the cost ${name}` } as QuantityArg],
      },
    ]),
  ),
  migration: {
    policy: {
      doc: "Stop rule: QEMU's precopy or Xen's.",
      args: [{ type: 'enum', values: ['precopy', 'xen'], label: 'a policy' }],
    },
    bandwidth: {
      doc: 'Link bandwidth.',
      args: [{ ...bandwidth('the bandwidth'), min: 1 }],
      required: true,
    },
    max_bandwidth: { doc: 'QEMU max-bandwidth cap.', args: [{ ...bandwidth('the cap'), min: 1 }] },
    downtime: { doc: 'downtime-limit (default 300ms).', args: [time('the downtime limit')] },
    max_iterations: {
      doc: 'Syncs before the management layer acts: `max_iterations 30 then force|postcopy|cancel`.',
      args: [count('iterations')],
      keys: { then: { type: 'enum', values: ['force', 'postcopy', 'cancel'], label: 'an action' } },
    },
    converge: {
      doc: 'none | auto (auto-converge) | dirty_limit.',
      args: [{ type: 'enum', values: ['none', 'auto', 'dirty_limit'], label: 'a converge mode' }],
    },
    throttle: {
      doc: 'Auto-converge: `throttle initial 20% increment 10% max 99% trigger 50%`.',
      args: [],
      keys: {
        initial: percent('initial'),
        increment: percent('increment'),
        max: percent('max'),
        trigger: percent('trigger'),
      },
    },
    dirty_limit: {
      doc: 'vcpu-dirty-limit per vCPU.',
      args: [{ ...bandwidth('the dirty limit'), min: 1 }],
    },
    postcopy: {
      doc: 'Switch to postcopy: `postcopy after N [latency TIME]`.',
      args: [],
      keys: { after: count('iterations', { min: 1 }), latency: time('the fault latency') },
      requiredKeys: ['after'],
    },
    zero_scan: {
      doc: 'Zero-page detection throughput.',
      args: [{ ...bandwidth('the scan rate'), min: 1 }],
    },
    switchover_bandwidth: {
      doc: 'avail-switchover-bandwidth.',
      args: [bandwidth('the bandwidth')],
    },
    device_state: {
      doc: 'Device state sent during downtime (default 1MiB).',
      args: [size('the device state')],
    },
    bitmap_sync: {
      doc: 'When QEMU syncs the dirty bitmap: threshold (QEMU 1.2 on, default) or every_tick (QEMU 1.1: every 100ms).',
      args: [{ type: 'enum', values: ['threshold', 'every_tick'], label: 'a sync rule' }],
    },
  },
  run: {
    seed: { doc: 'Seed of the run.', args: [count('a seed')] },
    seeds: {
      doc: 'Seeds of a sweep: `seeds 1..5` or a list (`seeds 3` is the one seed 3).',
      args: [count('a seed')],
    },
    repeat: {
      doc: 'Repetitions: run each combination N times, with seeds seed, seed+1, ... (`repeat 5`).',
      args: [count('the repetitions', { min: 1, max: 10_000 })],
    },
    costs: { doc: 'Cost overrides by name.', args: [{ type: 'name', label: 'a costs name' }] },
    warmup: { doc: 'Guest run time before migration (default 1s).', args: [time('the warmup')] },
    max_time: {
      doc: 'Give up after this long (default 10min).',
      args: [time('the time limit', { min: 1 })],
    },
    sample: {
      doc: 'Timeline sampling period (default 100ms).',
      args: [time('the period', { min: 1 })],
    },
    slice: { doc: 'Scheduler time slice (default 5ms).', args: [time('the slice', { min: 1 })] },
    zip: {
      doc: 'Pair axes: `zip bandwidth, downtime` runs the first bandwidth with the first downtime, and so on, instead of every combination.',
      args: [{ type: 'name', label: 'an axis' }],
    },
  },
};

/**
 * The fields a block of `kind` must set, in table order: for a workload block, those its
 * workload kind `variant` needs.
 */
export function requiredFields(kind: BlockKind, variant?: string): string[] {
  return Object.entries(FIELDS[kind])
    .filter(
      ([, f]) => f.required === true || (variant !== undefined && f.required?.includes(variant)),
    )
    .map(([key]) => key);
}

/**
 * A list or a range may stand for this argument of `field` (the field is then swept):
 * a number, or a word of a closed set, except the word that names what a `{ ... }`
 * block holds (`workload hotset`), which decides the fields the block may have.
 */
export function isSweepable(field: FieldSpec, arg: ArgSpec | 'flag'): boolean {
  if (arg === 'flag') return false;
  return arg.type === 'quantity' || (arg.type === 'enum' && field.body === undefined);
}

/** The fields of a block kind that can be swept, in table order. */
export function sweepableFields(kind: BlockKind): string[] {
  return Object.entries(FIELDS[kind])
    .filter(([, f]) => [...f.args, ...Object.values(f.keys ?? {})].some((a) => isSweepable(f, a)))
    .map(([key]) => key);
}

/** The column of a swept value: positional argument `index` of `key`, or its sub-key `sub`. */
export function sweepColumn(key: string, arg: ArgSpec, index: number | string): string {
  if (arg.column !== undefined) return arg.column;
  return typeof index === 'string' ? `${key}_${index}` : index === 0 ? key : `${key}_${index + 1}`;
}

/** `vmExit` -> `vm_exit`. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The engine's cost name for a language cost name (`vm_exit` or `vmExit`). */
export function costName(name: string): keyof Costs | undefined {
  const camel = name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return camel in DEFAULT_COSTS ? (camel as keyof Costs) : undefined;
}

/** Plot axes: x names the table, y a column of it. */
export const PLOT_X: Readonly<
  Record<string, { table: 'timeline' | 'iterations'; column: string }>
> = {
  time: { table: 'timeline', column: 'time_s' },
  iteration: { table: 'iterations', column: 'iteration' },
};
export const PLOT_Y: Readonly<Record<'timeline' | 'iterations', Readonly<Record<string, string>>>> =
  {
    timeline: {
      remaining: 'remaining_pages',
      guest_writes: 'guest_writes_per_s',
      progress: 'guest_progress',
      link: 'link_mbps',
      throttle: 'throttle_pct',
      ring_full_exits: 'ring_full_exits',
      // With a balloon (the timeline then starts at boot):
      rss: 'rss_mib',
      guest_free: 'guest_free_mib',
      reported: 'reported_mib',
      discards: 'discard_calls',
      refaults: 'refaults',
    },
    iterations: {
      remaining: 'remaining_pages',
      dirty: 'dirty_pages_synced',
      sent: 'pages_sent',
      sync_time: 'sync_ms',
      dirty_rate: 'dirty_rate_pps',
      throttle: 'throttle_pct',
      bandwidth: 'bandwidth_mbps',
      expected_downtime: 'expected_downtime_ms',
    },
  };

/**
 * Lowering: bound properties (bind.ts) -> the engine's plain data. Each `lower*`
 * returns only the fields a definition sets itself, so `extends` can merge them onto
 * its base. Inputs are already checked; what is left to check needs several fields
 * at once (a workload's required fields, a ring size on a bitmap mode).
 */
import type { Costs } from '../../engine/kvm/costs.ts';
import type { BalloonCosts } from '../../engine/kvm/balloon-costs.ts';
import { DEFAULT_BALLOON_COSTS } from '../../engine/kvm/balloon-costs.ts';
import type { Proposals } from '../../engine/kvm/params.ts';
import type {
  BalloonSpec,
  DeviceSpec,
  DirtyLogChoice,
  MigrationPolicy,
  SlotSpec,
  TraceRow,
  TrackingPolicy,
  VcpuSelector,
  VmSpec,
  WorkloadSpec,
} from '../../engine/plan.ts';
import type { RingPoolSelect } from '../../engine/kvm/types.ts';
import type { Span } from '../ast.ts';
import type { Bound, BoundProperty } from './bind.ts';
import { DiagnosticCode as C, diagnostic } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import {
  ARCHES,
  BACKINGS,
  DEFAULT_BUDDY_MAX_ORDER,
  REPORTING_TRANSPORTS,
  costName,
  requiredFields,
} from '../schema.ts';

function num(b: Bound | undefined): number | undefined {
  return b?.type === 'quantity' ? b.n : undefined;
}
function word(b: Bound | undefined): string | undefined {
  return b?.type === 'word' ? b.text : undefined;
}
function on(b: Bound | undefined): boolean | undefined {
  const w = word(b);
  return w === undefined ? undefined : w === 'on';
}
function pct(b: Bound | undefined): number | undefined {
  const n = num(b);
  return n === undefined ? undefined : n / 100;
}
/** The word of `b` when it is one of `values` (enum arguments were checked by binding). */
function oneOf<T extends string>(values: readonly T[], b: Bound | undefined): T | undefined {
  const w = word(b);
  return values.find((v) => v === w);
}
function isBalloonCost(name: string): name is keyof BalloonCosts {
  return Object.hasOwn(DEFAULT_BALLOON_COSTS, name);
}
function byKey(props: readonly BoundProperty[]): Map<string, BoundProperty> {
  return new Map(props.map((p) => [p.key, p]));
}

/**
 * Reads the rows of a trace file named at `span`; undefined when it cannot, after
 * reporting why. Supplied by compile.ts from the file loader (files.ts).
 */
export type LoadTrace = (path: string, span: Span) => TraceRow[] | undefined;

const NO_TRACES: LoadTrace = () => undefined;

/** The fields a `vm` block sets. Repeated fields (slot, workload, device) come as lists. */
export function lowerVm(
  props: readonly BoundProperty[],
  diags: Diagnostic[],
  loadTrace: LoadTrace = NO_TRACES,
): Partial<VmSpec> {
  const f = byKey(props);
  const out: Partial<VmSpec> = {};
  const arch = oneOf(ARCHES, f.get('arch')?.args[0]);
  if (arch) out.arch = arch;
  const vcpus = num(f.get('vcpus')?.args[0]);
  if (vcpus !== undefined) out.vcpus = vcpus;
  const prefill = pct(f.get('prefill')?.args[0]);
  if (prefill !== undefined) out.prefill = prefill;
  const ioExits = num(f.get('io_exits')?.args[0]);
  if (ioExits !== undefined) out.ioExitRate = ioExits;
  const slots = props.filter((p) => p.key === 'slot').map(lowerSlot);
  if (slots.length) out.slots = slots;
  const workloads = props
    .filter((p) => p.key === 'workload')
    .map((p) => lowerWorkload(word(p.args[0]) ?? 'uniform', p, diags, loadTrace))
    .filter((w): w is WorkloadSpec => w !== undefined);
  if (workloads.length) out.workloads = workloads;
  const devices = props.filter((p) => p.key === 'device').map(lowerDevice);
  if (devices.length) out.devices = devices;
  const balloon = f.get('balloon');
  if (balloon) out.balloon = lowerBalloon(balloon, diags);
  checkAllocOrders(props, out.balloon?.maxOrder ?? DEFAULT_BUDDY_MAX_ORDER, diags);
  return out;
}

/** `balloon { ... }`; the reporting order must be a buddy order (below max_order). */
function lowerBalloon(p: BoundProperty, diags: Diagnostic[]): BalloonSpec {
  const f = byKey(p.body ?? []);
  const b: BalloonSpec = {};
  const reporting = oneOf(REPORTING_TRANSPORTS, f.get('reporting')?.args[0]);
  if (reporting) b.reporting = reporting === 'free_hypercall' ? 'free-hypercall' : reporting;
  const order = num(f.get('order')?.args[0]);
  if (order !== undefined) b.order = order;
  const capacity = num(f.get('capacity')?.args[0]);
  if (capacity !== undefined) b.capacity = capacity;
  const delay = num(f.get('delay')?.args[0]);
  if (delay !== undefined) b.delayNs = delay;
  const maxOrder = num(f.get('max_order')?.args[0]);
  if (maxOrder !== undefined) b.maxOrder = maxOrder;
  const hinting = on(f.get('hinting')?.args[0]);
  if (hinting !== undefined) b.hinting = hinting;
  const buffer = num(f.get('buffer')?.args[0]);
  if (buffer !== undefined) b.bufferEntries = buffer;
  const cost = f.get('cost');
  if (cost) {
    const costs: Partial<BalloonCosts> = {};
    for (const [key, bound] of Object.entries(cost.keys)) {
      const name = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      const n = num(bound);
      if (n !== undefined && isBalloonCost(name)) costs[name] = n;
    }
    b.costs = costs;
  }
  const max = b.maxOrder ?? DEFAULT_BUDDY_MAX_ORDER;
  const bad = f.get('order');
  if (order !== undefined && bad && order > max - 1) {
    diags.push(
      diagnostic(
        'error',
        C.OutOfRange,
        bad.args[0]?.node.span ?? bad.prop.span,
        `The reporting order ${order} is above MAX_ORDER-1 = ${max - 1}: the buddy allocator has no blocks of that order, so nothing would ever be reported.`,
        `Use an order from 0 to ${max - 1} (9 is pageblock_order, 2 MiB), or raise max_order.`,
      ),
    );
  }
  return b;
}

/** An alloc workload's largest order must exist in the buddy allocator (below max_order). */
function checkAllocOrders(props: readonly BoundProperty[], max: number, diags: Diagnostic[]): void {
  for (const w of props.filter((p) => p.key === 'workload' && word(p.args[0]) === 'alloc')) {
    const prop = byKey(w.body ?? []).get('order');
    const order = num(prop?.args[0]);
    if (prop && order !== undefined && order > max - 1) {
      diags.push(
        diagnostic(
          'error',
          C.OutOfRange,
          prop.args[0]?.node.span ?? prop.prop.span,
          `The alloc workload's order ${order} is above MAX_ORDER-1 = ${max - 1}; the buddy allocator cannot hand out such blocks.`,
          `Use an order from 0 to ${max - 1}, or raise the balloon's max_order.`,
        ),
      );
    }
  }
}

function lowerSlot(p: BoundProperty): SlotSpec {
  const slot: SlotSpec = {
    name: word(p.args[0]) ?? '',
    gpa: num(p.keys.at) ?? 0,
    size: num(p.keys.size) ?? 0,
    backing: oneOf(BACKINGS, p.keys.backing) ?? 'thp',
  };
  if (p.keys.readonly) slot.readonly = true;
  return slot;
}

function lowerDevice(p: BoundProperty): DeviceSpec {
  const f = byKey(p.body ?? []);
  const device: DeviceSpec = {
    kind: word(p.args[0]) === 'vgic_v3' ? 'vgic-v3' : 'its',
    tableBytes: num(f.get('tables')?.args[0]) ?? 64 * 1024,
  };
  const offset = num(f.get('offset')?.args[0]);
  if (offset !== undefined) device.offset = offset;
  return device;
}

/** A `workload KIND { ... }`, or a `phase TIME KIND { ... }` of a phases workload. */
function lowerWorkload(
  kind: string,
  p: BoundProperty,
  diags: Diagnostic[],
  loadTrace: LoadTrace,
): WorkloadSpec | undefined {
  const f = byKey(p.body ?? []);
  const missing = requiredFields('workload', kind).filter((k) => !f.has(k));
  for (const k of missing) {
    diags.push(
      diagnostic(
        'error',
        C.MissingField,
        p.prop.key.span,
        `${/^[aeiou]/.test(kind) ? 'An' : 'A'} ${kind} workload needs '${k}'.`,
        `Add \`${k}\` inside its { ... }.`,
      ),
    );
  }
  if (missing.length) return undefined;
  const vcpusBound = f.get('vcpus')?.args[0];
  const vcpus: VcpuSelector | undefined =
    vcpusBound?.type === 'vcpus' ? vcpusBound.value : undefined;
  if (kind === 'idle') return vcpus === undefined ? { kind: 'idle' } : { kind: 'idle', vcpus };
  if (kind === 'phases') return lowerPhases(p, vcpus, diags, loadTrace);
  if (kind === 'alloc') {
    const w: WorkloadSpec = {
      kind: 'alloc',
      rate: num(f.get('rate')?.args[0]) ?? 0,
      churn: num(f.get('churn')?.args[0]) ?? 0,
      usedBytes: num(f.get('used')?.args[0]) ?? 0,
    };
    if (vcpus !== undefined) w.vcpus = vcpus;
    const read = pct(f.get('read')?.args[0]);
    if (read !== undefined) w.readFraction = read;
    const peak = num(f.get('peak')?.args[0]);
    if (peak !== undefined) w.peakBytes = peak;
    const order = num(f.get('order')?.args[0]);
    if (order !== undefined) w.maxOrder = order;
    return w;
  }
  if (kind === 'trace') {
    const file = f.get('file')?.args[0];
    if (file?.type !== 'string') return undefined;
    const rows = loadTrace(file.text, file.node.span);
    if (rows === undefined) return undefined;
    const w: WorkloadSpec = { kind: 'trace', rows };
    if (vcpus !== undefined) w.vcpus = vcpus;
    const loop = on(f.get('loop')?.args[0]);
    if (loop !== undefined) w.loop = loop;
    return w;
  }
  const base: {
    rate: number;
    vcpus?: VcpuSelector;
    readFraction?: number;
    region?: { offset: number; size: number };
    partition?: boolean;
  } = { rate: num(f.get('rate')?.args[0]) ?? 0 };
  if (vcpus !== undefined) base.vcpus = vcpus;
  const read = pct(f.get('read')?.args[0]);
  if (read !== undefined) base.readFraction = read;
  const region = f.get('region')?.args[0];
  if (region?.type === 'range')
    base.region = { offset: region.from, size: region.to - region.from };
  if (f.has('partition')) base.partition = true;
  switch (kind) {
    case 'hotset': {
      const w: WorkloadSpec = {
        ...base,
        kind: 'hotset',
        hotBytes: num(f.get('set')?.args[0]) ?? 0,
      };
      const hot = pct(f.get('hot')?.args[0]);
      if (hot !== undefined) w.hotShare = hot;
      return w;
    }
    case 'zipf':
      return { ...base, kind: 'zipf', exponent: num(f.get('exponent')?.args[0]) ?? 1 };
    case 'sequential':
      return { ...base, kind: 'sequential' };
    default:
      return { ...base, kind: 'uniform' };
  }
}

function lowerPhases(
  p: BoundProperty,
  vcpus: VcpuSelector | undefined,
  diags: Diagnostic[],
  loadTrace: LoadTrace,
): WorkloadSpec | undefined {
  const body = p.body ?? [];
  const phases: { durationNs: number; workload: WorkloadSpec }[] = [];
  for (const q of body.filter((b) => b.key === 'phase')) {
    const workload = lowerWorkload(word(q.args[1]) ?? 'idle', q, diags, loadTrace);
    if (workload === undefined) return undefined;
    phases.push({ durationNs: num(q.args[0]) ?? 0, workload });
  }
  const w: WorkloadSpec = { kind: 'phases', phases };
  if (vcpus !== undefined) w.vcpus = vcpus;
  const repeat = on(byKey(body).get('repeat')?.args[0]);
  if (repeat !== undefined) w.repeat = repeat;
  return w;
}

const DIRTY_LOG: Readonly<Record<string, DirtyLogChoice>> = {
  bitmap: 'bitmap',
  manual: 'bitmap-manual',
  initially_set: 'bitmap-initially-set',
  ring: 'ring',
  ring_with_bitmap: 'ring-with-bitmap',
};

/** The fields a `tracking` block sets. */
export function lowerTracking(
  props: readonly BoundProperty[],
  diags: Diagnostic[],
): Partial<TrackingPolicy> {
  const f = byKey(props);
  const out: Partial<TrackingPolicy> = {};
  const proposals: Partial<Proposals> = {};
  const dl = f.get('dirty_log');
  if (dl) {
    const mode = word(dl.args[0]) ?? 'manual';
    out.dirtyLog = DIRTY_LOG[mode];
    const entries = num(dl.args[1]);
    if (entries !== undefined) {
      if (mode.startsWith('ring')) out.ringEntries = entries;
      else {
        diags.push(
          diagnostic(
            'error',
            C.UnexpectedArgument,
            dl.args[1]?.node.span ?? dl.prop.span,
            `'dirty_log ${mode}' takes no ring size; only ring modes have entries.`,
            `Write \`dirty_log ${mode}\`, or \`dirty_log ring ${entries}\`.`,
          ),
        );
      }
    }
  }
  const set = <K extends keyof TrackingPolicy>(
    key: K,
    value: TrackingPolicy[K] | undefined,
  ): void => {
    if (value !== undefined) out[key] = value;
  };
  set('ringAcqRel', on(f.get('ring_acq_rel')?.args[0]));
  set('eagerSplit', on(f.get('eager_split')?.args[0]));
  set('eagerSplitChunkBytes', num(f.get('chunk')?.args[0]));
  set('pml', on(f.get('pml')?.args[0]));
  set('fastPageFault', on(f.get('fast_page_fault')?.args[0]));
  const sof = word(f.get('split_on_fault')?.args[0]);
  if (sof) out.splitOnFault = sof === 'zap' ? 'zap' : 'in-place';
  const lock = word(f.get('mmu_lock')?.args[0]);
  if (lock === 'rwlock' || lock === 'spinlock') out.mmuLock = lock;
  const mmu = word(f.get('mmu')?.args[0]);
  if (mmu === 'tdp' || mmu === 'shadow') out.mmu = mmu;
  const wb = word(f.get('with_bitmap')?.args[0]);
  if (wb === 'before_memslots' || wb === 'after_memslots')
    out.ringBitmapEnable = wb === 'before_memslots' ? 'before-memslots' : 'after-memslots';
  const preempt = word(f.get('preempt')?.args[0]);
  if (preempt === 'none' || preempt === 'voluntary' || preempt === 'full') out.preempt = preempt;
  set('reaperIntervalNs', num(f.get('reaper')?.args[0]));
  set('reapers', num(f.get('reapers')?.args[0]));
  set('clearBitmapShift', num(f.get('clear_shift')?.args[0]));
  const topo = f.get('ring_topology');
  if (topo) {
    const kind = word(topo.args[0]);
    const rings = num(topo.args[1]);
    const select = word(topo.args[2]);
    if (kind === 'pool') {
      if (rings === undefined) {
        diags.push(
          diagnostic(
            'error',
            C.MissingArgument,
            topo.prop.span,
            "'ring_topology pool' needs the number of rings.",
            'Write `ring_topology pool 4 round_robin`.',
          ),
        );
      } else {
        proposals.ringTopology = {
          kind: 'pool',
          rings,
          select: POOL_SELECT[select ?? 'round_robin'] ?? 'round-robin',
        };
      }
    } else if (rings !== undefined || select !== undefined) {
      diags.push(
        diagnostic(
          'error',
          C.UnexpectedArgument,
          (topo.args[1] ?? topo.args[2])?.node.span ?? topo.prop.span,
          `'ring_topology ${kind}' takes no pool size or policy.`,
          `Write \`ring_topology ${kind}\`, or \`ring_topology pool N\`.`,
        ),
      );
    } else {
      proposals.ringTopology = { kind: kind === 'per_vm' ? 'per-vm' : 'per-vcpu' };
    }
  }
  const gran = word(f.get('granularity')?.args[0]);
  if (gran) proposals.dirtyGranularity = gran === '2m' ? '2m' : '4k';
  const sofc = on(f.get('split_on_first_clear')?.args[0]);
  if (sofc !== undefined) proposals.splitOnFirstClear = sofc;
  const reserve = num(f.get('ring_reserve')?.args[0]);
  if (reserve !== undefined) proposals.ringReserve = reserve;
  const vcpuless = word(f.get('vcpuless_writes')?.args[0]);
  if (vcpuless)
    proposals.vcpulessWrites =
      vcpuless === 'vcpu0_ring' ? 'vcpu0-ring' : vcpuless === 'vm_ring' ? 'vm-ring' : 'drop';
  if (Object.keys(proposals).length) out.proposals = proposals;
  return out;
}

/** The overrides a `costs` block sets, by engine cost name. */
export function lowerCosts(props: readonly BoundProperty[]): Partial<Costs> {
  const out: Partial<Costs> = {};
  for (const p of props) {
    const name = costName(p.key);
    const n = num(p.args[0]);
    if (name && n !== undefined) out[name] = n;
  }
  return out;
}

const POOL_SELECT: Readonly<Record<string, RingPoolSelect>> = {
  round_robin: 'round-robin',
  lru: 'lru',
  last_used: 'last-used',
};

const CONVERGE = { none: 'none', auto: 'auto-converge', dirty_limit: 'dirty-limit' } as const;

/** The fields a `migration` block sets. */
export function lowerMigration(props: readonly BoundProperty[]): Partial<MigrationPolicy> {
  const f = byKey(props);
  const out: Partial<MigrationPolicy> = {};
  const set = <K extends keyof MigrationPolicy>(
    key: K,
    value: MigrationPolicy[K] | undefined,
  ): void => {
    if (value !== undefined) out[key] = value;
  };
  set('kind', oneOf(['precopy', 'xen'] as const, f.get('policy')?.args[0]));
  set('bandwidth', num(f.get('bandwidth')?.args[0]));
  set('maxBandwidth', num(f.get('max_bandwidth')?.args[0]));
  set('downtimeLimitNs', num(f.get('downtime')?.args[0]));
  const mi = f.get('max_iterations');
  set('maxIterations', num(mi?.args[0]));
  set('onMaxIterations', oneOf(['force', 'postcopy', 'cancel'] as const, mi?.keys.then));
  const conv = oneOf(['none', 'auto', 'dirty_limit'] as const, f.get('converge')?.args[0]);
  if (conv) out.converge = CONVERGE[conv];
  const th = f.get('throttle');
  set('throttleInitial', num(th?.keys.initial));
  set('throttleIncrement', num(th?.keys.increment));
  set('throttleMax', num(th?.keys.max));
  set('throttleTriggerThreshold', num(th?.keys.trigger));
  set('dirtyLimit', num(f.get('dirty_limit')?.args[0]));
  const pc = f.get('postcopy');
  set('postcopyAfterIterations', num(pc?.keys.after));
  set('postcopyFaultLatencyNs', num(pc?.keys.latency));
  set('zeroScanBytesPerSec', num(f.get('zero_scan')?.args[0]));
  set('availSwitchoverBandwidth', num(f.get('switchover_bandwidth')?.args[0]));
  set('deviceStateBytes', num(f.get('device_state')?.args[0]));
  const bs = oneOf(['threshold', 'every_tick'] as const, f.get('bitmap_sync')?.args[0]);
  if (bs) out.bitmapSync = bs === 'every_tick' ? 'every-tick' : 'threshold';
  return out;
}

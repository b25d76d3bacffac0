/**
 * Checks that need more than one field: required fields after `extends`, memslots
 * against each other, and what KVM or QEMU would say about a VM, tracking and
 * migration run together. Each appends diagnostics; none throws on bad input.
 */
import { KVM_MEM_MAX_NR_PAGES } from '../../engine/kvm/uapi.ts';
import type { MigrationPolicy, TrackingPolicy, VmSpec, WorkloadSpec } from '../../engine/plan.ts';
import { devicePlacements } from '../../engine/plan.ts';
import type { Definition, Span } from '../ast.ts';
import { DiagnosticCode as C, diagnostic } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { FIELDS } from '../schema.ts';
import type { Bound, BoundProperty } from './bind.ts';

const PAGE = 4096;
const GiB = 2 ** 30;

/** A definition's required fields, after `extends` merged its base in. */
export function checkRequiredFields(
  def: Definition,
  present: readonly string[],
  required: readonly string[],
  diags: Diagnostic[],
): void {
  const missing = required.filter((f) => !present.includes(f));
  for (const f of missing) {
    diags.push(
      diagnostic(
        'error',
        C.MissingField,
        def.name.span,
        `${def.defKind} '${def.name.text}' has no '${f}'.`,
        `Add a line: ${FIELDS[def.defKind][f].doc}`,
      ),
    );
  }
}

/**
 * Slots: names unique, gpa and size multiples of 4 KiB (1 GiB for hugetlb_1g), no
 * more pages than one memslot can have, and no two overlapping.
 */
export function checkMemslots(slots: readonly BoundProperty[], diags: Diagnostic[]): void {
  checkSlotNamesUnique(slots, diags);
  const placed: { name: string; gpa: number; end: number }[] = [];
  for (const s of slots) {
    const at = s.keys.at;
    const size = s.keys.size;
    if (at?.type !== 'quantity' || size?.type !== 'quantity') continue;
    const name = s.args[0]?.type === 'word' ? s.args[0].text : '';
    checkSlotPages(name, size, diags);
    const backing = s.keys.backing?.type === 'word' ? s.keys.backing.text : undefined;
    const align = backing === 'hugetlb_1g' ? GiB : backing === 'hugetlb_2m' ? 2 ** 21 : PAGE;
    const alignText = align === GiB ? '1GiB' : align === PAGE ? '4KiB' : '2MiB';
    for (const [what, b] of [
      ['address', at],
      ['size', size],
    ] as const) {
      if (b.n % align !== 0) {
        diags.push(
          diagnostic(
            'error',
            C.MisalignedSlot,
            b.node.span,
            `Slot '${name}' ${what} ${b.node.kind === 'quantity' ? b.node.text : ''} is not a multiple of ${alignText}${backing && align !== PAGE ? ` (${backing} backing)` : ''}.`,
            `Round the ${what} to a multiple of ${alignText}.`,
          ),
        );
      }
    }
    const end = at.n + size.n;
    const other = placed.find((p) => at.n < p.end && p.gpa < end);
    if (other) {
      diags.push(
        diagnostic(
          'error',
          C.OverlappingSlots,
          s.args[0]?.node.span ?? s.prop.span,
          `Slot '${name}' overlaps '${other.name}' at gpa 0x${Math.max(at.n, other.gpa).toString(16)}.`,
          `Move '${name}' to 0x${other.end.toString(16)} or later, or shrink it.`,
        ),
      );
    }
    placed.push({ name, gpa: at.n, end });
  }
}

/** Two slots of one VM with one name: the second is reported, naming the first's line. */
function checkSlotNamesUnique(slots: readonly BoundProperty[], diags: Diagnostic[]): void {
  const first = new Map<string, Span>();
  for (const s of slots) {
    const arg = s.args[0];
    if (arg?.type !== 'word') continue;
    const earlier = first.get(arg.text);
    if (earlier === undefined) {
      first.set(arg.text, arg.node.span);
      continue;
    }
    diags.push(
      diagnostic(
        'error',
        C.DuplicateSlotName,
        arg.node.span,
        `Slot '${arg.text}' is already defined on line ${earlier.line}.`,
        'Give each slot of a VM its own name.',
      ),
    );
  }
}

/**
 * KVM_SET_USER_MEMORY_REGION fails with EINVAL for a slot of more than
 * KVM_MEM_MAX_NR_PAGES pages (virt/kvm/kvm_main.c `kvm_set_memory_region`): 8 TiB
 * less one page.
 */
function checkSlotPages(name: string, size: Bound, diags: Diagnostic[]): void {
  const pages = size.type === 'quantity' ? Math.ceil(size.n / PAGE) : 0;
  if (pages <= KVM_MEM_MAX_NR_PAGES) return;
  const n = (x: number): string => x.toLocaleString('en-US');
  diags.push(
    diagnostic(
      'error',
      C.SlotTooLarge,
      size.node.span,
      `Slot '${name}' has ${n(pages)} pages; KVM allows at most ${n(KVM_MEM_MAX_NR_PAGES)} (KVM_MEM_MAX_NR_PAGES, 8TiB less 4KiB) in one memslot and fails KVM_SET_USER_MEMORY_REGION with EINVAL.`,
      'Split the memory into several slots of at most 4TiB each.',
    ),
  );
}

/**
 * What the engine checks of a VM's workloads when it builds the guest
 * (engine/guest/workload.ts `compileWorkloads`): every vCPU a workload names exists, a
 * region lies inside RAM (the slots' sizes added up), and no vCPU runs two workloads.
 * `props` are the VM's own `workload` properties, for their places; workloads it took
 * from its base through `extends` are reported at `fallback` (the VM's name).
 */
export function checkWorkloadsFit(
  vm: VmSpec,
  props: readonly BoundProperty[],
  fallback: Span,
  diags: Diagnostic[],
): void {
  const own = props.length === vm.workloads.length;
  const ramBytes = vm.slots.reduce((sum, s) => sum + s.size, 0);
  const owner = new Map<number, number>();
  vm.workloads.forEach((w, i) => {
    const p = own ? props[i] : undefined;
    const where = (key: string): Span =>
      fieldOf(p, key)?.args[0]?.node.span ??
      fieldOf(p, key)?.prop.key.span ??
      p?.prop.key.span ??
      fallback;
    const ids = w.vcpus === undefined || w.vcpus === 'all' ? allIds(vm.vcpus) : w.vcpus;
    const missing = ids.filter((id) => id >= vm.vcpus);
    if (missing.length > 0) {
      const what = p ? 'This workload' : `A workload vm '${vm.name}' takes from its base`;
      const last = missing[missing.length - 1]!;
      diags.push(
        diagnostic(
          'error',
          C.UnknownVcpu,
          where('vcpus'),
          `${what} runs on ${vcpuList(missing)}, but vm '${vm.name}' has ${vm.vcpus} vCPU${vm.vcpus === 1 ? '' : 's'} (0..${vm.vcpus - 1}).`,
          `Name vCPUs from 0..${vm.vcpus - 1}, or raise the VM's \`vcpus\` to ${last + 1}.`,
        ),
      );
    }
    checkRegionNotEmpty(w, ids.filter((id) => id < vm.vcpus).length, ramBytes, where, diags);
    for (const region of regionsOf(w)) {
      if (region.offset + region.size <= ramBytes) continue;
      diags.push(
        diagnostic(
          'error',
          C.RegionOutsideRam,
          where('region'),
          `The region ends at ${formatBytes(region.offset + region.size)}, past the end of the RAM of vm '${vm.name}' (${formatBytes(ramBytes)} in its slots).`,
          `Keep the region within 0..${formatBytes(ramBytes)}, or give the VM more memory.`,
        ),
      );
      break;
    }
    const shared = ids.find((id) => id < vm.vcpus && owner.has(id));
    if (shared !== undefined) {
      const first = own ? props[owner.get(shared)!]?.prop.key.span : undefined;
      diags.push(
        diagnostic(
          'error',
          C.VcpuInTwoWorkloads,
          w.vcpus === undefined ? (p?.prop.key.span ?? fallback) : where('vcpus'),
          `vCPU ${shared} already runs the workload${first ? ` on line ${first.line}` : ''}; a vCPU runs one workload.`,
          'Give each workload its own vCPUs (`vcpus 0..1`), or run one after the other with `phases`.',
        ),
      );
    }
    for (const id of ids) if (!owner.has(id)) owner.set(id, i);
  });
  checkAllocFits(vm, props, own, fallback, ramBytes, diags);
}

/**
 * What the engine checks of a VM's devices (engine/plan.ts checkPlan): each device's
 * tables lie inside RAM and no two devices share a page. Devices without an offset are
 * stacked down from the end of RAM in the order written (devicePlacements), so only an
 * offset can make them collide. `props` are the VM's own `device` properties.
 */
export function checkDevicesFit(
  vm: VmSpec,
  props: readonly BoundProperty[],
  fallback: Span,
  diags: Diagnostic[],
): void {
  const devices = vm.devices ?? [];
  const own = props.length === devices.length;
  const ramBytes = vm.slots.reduce((sum, s) => sum + s.size, 0);
  const placed = devicePlacements(devices, ramBytes);
  const name = (k: number): string => (devices[k].kind === 'vgic-v3' ? 'vgic_v3' : 'its');
  const where = (k: number): Span => {
    const p = own ? props[k] : undefined;
    return (
      fieldOf(p, 'offset')?.args[0]?.node.span ??
      fieldOf(p, 'tables')?.args[0]?.node.span ??
      p?.prop.key.span ??
      fallback
    );
  };
  const range = (k: number): string =>
    `${formatBytes(placed[k].firstPage * PAGE)}..${formatBytes((placed[k].firstPage + placed[k].pages) * PAGE)}`;
  for (let k = 0; k < placed.length; k++) {
    const p = placed[k];
    if (p.firstPage < 0 || (p.firstPage + p.pages) * PAGE > ramBytes) {
      diags.push(
        diagnostic(
          'error',
          C.DeviceTablesOutsideRam,
          where(k),
          `The ${name(k)} tables (${formatBytes(p.pages * PAGE)}) do not fit in the RAM of vm '${vm.name}' (${formatBytes(ramBytes)} in its slots)${p.device.offset !== undefined ? ` at offset ${formatBytes(p.firstPage * PAGE)}` : ''}.`,
          'Make the tables smaller, lower the offset, or give the VM more memory.',
        ),
      );
      return;
    }
    for (let j = 0; j < k; j++) {
      const q = placed[j];
      if (p.firstPage < q.firstPage + q.pages && q.firstPage < p.firstPage + p.pages) {
        diags.push(
          diagnostic(
            'error',
            C.DeviceTablesOverlap,
            where(k),
            `The ${name(k)} tables (${range(k)} of RAM) overlap the ${name(j)} tables (${range(j)}${q.device.offset === undefined ? ', at the end of RAM' : ''}); two devices cannot save into the same pages.`,
            `Give the ${name(k)} an offset outside ${range(j)}, or leave both without one: they are then placed one below the other at the end of RAM.`,
          ),
        );
        return;
      }
    }
  }
}

/**
 * Each vCPU of a workload needs at least one page of its region: the engine
 * (engine/guest/workload.ts compileOne) gives a `partition`ed workload's vCPUs
 * floor(pages / vCPUs) pages each, and fails a run whose region is empty.
 */
function checkRegionNotEmpty(
  w: WorkloadSpec,
  nVcpus: number,
  ramBytes: number,
  where: (key: string) => Span,
  diags: Diagnostic[],
): void {
  const moving = (x: WorkloadSpec): x is Extract<WorkloadSpec, { partition?: boolean }> =>
    x.kind === 'uniform' || x.kind === 'hotset' || x.kind === 'zipf' || x.kind === 'sequential';
  const visit = (x: WorkloadSpec): boolean => {
    if (x.kind === 'phases') return x.phases.some((ph) => visit(ph.workload));
    if (!moving(x)) return false;
    const pages = Math.floor((x.region ? x.region.size : ramBytes) / PAGE);
    const share = x.partition && nVcpus > 0 ? Math.floor(pages / nVcpus) : pages;
    if (share > 0) return false;
    diags.push(
      x.partition && pages > 0
        ? diagnostic(
            'error',
            C.EmptyRegion,
            where('partition'),
            `\`partition\` splits ${pages} page${pages === 1 ? '' : 's'} among ${nVcpus} vCPUs: some vCPU gets an empty region, which a run rejects.`,
            `Give the workload a region of at least ${nVcpus} pages (${formatBytes(nVcpus * PAGE)}), or run it on fewer vCPUs.`,
          )
        : diagnostic(
            'error',
            C.EmptyRegion,
            where('region'),
            `The region holds no whole 4KiB page, which a run rejects.`,
            'Make the region at least 4KiB.',
          ),
    );
    return true;
  };
  visit(w);
}

/**
 * The alloc workloads allocate from the guest's buddy allocator, which holds the RAM
 * the other workloads' regions leave (engine/guest/workload.ts reservedRegions: those
 * pages are allocated at boot and never freed). What they allocate at boot (`peak`,
 * else `used`) must fit there, or the workload would run on allocations that fail.
 */
function checkAllocFits(
  vm: VmSpec,
  props: readonly BoundProperty[],
  own: boolean,
  fallback: Span,
  ramBytes: number,
  diags: Diagnostic[],
): void {
  const allocs = vm.workloads.flatMap((w, i) => (w.kind === 'alloc' ? [{ w, i }] : []));
  if (allocs.length === 0) return;
  const reserved: [number, number][] = [];
  const visit = (w: WorkloadSpec): void => {
    if (w.kind === 'phases') for (const ph of w.phases) visit(ph.workload);
    else if (w.kind !== 'alloc' && w.kind !== 'idle' && w.kind !== 'trace')
      reserved.push(w.region ? [w.region.offset, w.region.offset + w.region.size] : [0, ramBytes]);
  };
  vm.workloads.forEach(visit);
  reserved.sort((a, b) => a[0] - b[0]);
  let reservedBytes = 0;
  let covered = 0;
  for (const [start, end] of reserved) {
    const from = Math.max(start, covered);
    if (end > from) reservedBytes += end - from;
    covered = Math.max(covered, end);
  }
  const free = Math.max(0, ramBytes - reservedBytes);
  let wanted = 0;
  for (const { w, i } of allocs) {
    if (w.kind !== 'alloc') continue;
    const bytes = Math.max(w.peakBytes ?? w.usedBytes, w.usedBytes);
    wanted += bytes;
    if (wanted <= free) continue;
    const p = own ? props[i] : undefined;
    const key = w.peakBytes !== undefined && w.peakBytes >= w.usedBytes ? 'peak' : 'used';
    diags.push(
      diagnostic(
        'error',
        C.AllocExceedsRam,
        fieldOf(p, key)?.args[0]?.node.span ?? p?.prop.key.span ?? fallback,
        `The alloc workload${allocs.length > 1 ? 's' : ''} allocate${allocs.length > 1 ? '' : 's'} ${formatBytes(wanted)} at boot, but vm '${vm.name}' has ${formatBytes(free)} free for them (${formatBytes(ramBytes)} of RAM, ${formatBytes(reservedBytes)} in the other workloads' regions).`,
        reservedBytes > 0
          ? `Lower \`${key}\`, give the VM more memory, or give the other workloads a \`region\` that leaves room.`
          : `Lower \`${key}\` to ${formatBytes(free)} at most, or give the VM more memory.`,
      ),
    );
    return;
  }
}

/**
 * x86 KVM maps guest physical addresses below 2^52 only: kvm_arch_prepare_memory_region
 * (arch/x86/kvm/x86.c) fails KVM_SET_USER_MEMORY_REGION with EINVAL for a slot whose
 * last gfn is above kvm_mmu_max_gfn() (arch/x86/kvm/mmu.h; 52 bits is the most x86
 * paging has, MAXPHYADDR). The engine (engine/kvm/vm.ts checkGuestPhysRange) does the
 * same. `slots` are the VM's own `slot` properties, for their places.
 */
export function checkSlotsAddressable(
  vm: VmSpec,
  slots: readonly BoundProperty[],
  fallback: Span,
  diags: Diagnostic[],
): void {
  if (vm.arch !== 'x86_64') return;
  for (const slot of vm.slots) {
    const end = slot.gpa + slot.size;
    if (end <= X86_MAX_GPA) continue;
    const p = slots.find((s) => s.args[0]?.type === 'word' && s.args[0].text === slot.name);
    diags.push(
      diagnostic(
        'error',
        C.SlotBeyondMaxGfn,
        p?.keys.at?.node.span ?? p?.prop.key.span ?? fallback,
        `Slot '${slot.name}' ends at ${formatBytes(slot.gpa)} + ${formatBytes(slot.size)}, beyond the 2^52 bytes (4PiB) of guest physical address x86 KVM maps (kvm_mmu_max_gfn); KVM_SET_USER_MEMORY_REGION fails with EINVAL.`,
        'Place the slot so that `at` plus `size` is 4PiB at most.',
      ),
    );
  }
}

/** 2^52: the guest physical addresses x86 paging (and so KVM's TDP MMU) can map. */
const X86_MAX_GPA = 2 ** 52;

/** `vCPU 3`, `vCPUs 2..7` (a run of ids), `vCPUs 3, 9`. */
function vcpuList(ids: readonly number[]): string {
  if (ids.length === 1) return `vCPU ${ids[0]}`;
  const run = ids.every((id, i) => i === 0 || id === ids[i - 1]! + 1);
  return `vCPUs ${run ? `${ids[0]}..${ids[ids.length - 1]}` : ids.join(', ')}`;
}

function allIds(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function fieldOf(p: BoundProperty | undefined, key: string): BoundProperty | undefined {
  return p?.body?.find((b) => b.key === key);
}

/** The regions a workload reads, its phases' included. */
function regionsOf(w: WorkloadSpec): { offset: number; size: number }[] {
  if (w.kind === 'phases') return w.phases.flatMap((ph) => regionsOf(ph.workload));
  return 'region' in w && w.region ? [w.region] : [];
}

/** Bytes in the largest binary unit that divides them (4GiB, 1536MiB). */
function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['PiB', 2 ** 50],
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/** Warn when the downtime limit cannot even cover sending one 4 KiB page at the bandwidth. */
export function checkDowntimeCoversOnePage(
  m: MigrationPolicy,
  span: Span,
  diags: Diagnostic[],
): void {
  if (m.downtimeLimitNs === undefined || !(m.bandwidth > 0)) return;
  const pageNs = (PAGE / m.bandwidth) * 1e9;
  if (m.downtimeLimitNs < pageNs) {
    diags.push(
      diagnostic(
        'warning',
        C.DowntimeShorterThanPage,
        span,
        `The downtime limit ${m.downtimeLimitNs}ns is shorter than sending one 4KiB page (${Math.ceil(pageNs)}ns at this bandwidth); the migration can never stop on its own.`,
        'Raise the downtime limit or the bandwidth, or set max_iterations with `then force`.',
      ),
    );
  }
}

/** What KVM or QEMU would reject for this VM, tracking and migration, and what is ignored. */
export function checkCombination(
  vm: VmSpec,
  t: TrackingPolicy,
  m: MigrationPolicy,
  span: Span,
  diags: Diagnostic[],
): void {
  const ring = t.dirtyLog === 'ring' || t.dirtyLog === 'ring-with-bitmap';
  if (t.dirtyLog === 'ring-with-bitmap' && vm.arch !== 'arm64') {
    diags.push(
      diagnostic(
        'error',
        C.UnsupportedCombination,
        span,
        `Tracking '${t.name}' uses ring_with_bitmap, which KVM supports only on arm64 (vm '${vm.name}' is ${vm.arch}).`,
        'Use `dirty_log ring N` on x86_64.',
      ),
    );
  }
  if (m.converge === 'dirty-limit' && !ring) {
    diags.push(
      diagnostic(
        'error',
        C.UnsupportedCombination,
        span,
        `Migration '${m.name}' converges with dirty_limit, which needs a dirty ring, but tracking '${t.name}' uses a bitmap.`,
        'Use `dirty_log ring N` or `converge auto`.',
      ),
    );
  }
  if (vm.arch === 'arm64') {
    const ignored = [
      t.pml !== undefined && 'pml',
      t.eagerSplit !== undefined && 'eager_split',
      t.mmu !== undefined && 'mmu',
    ].filter(Boolean);
    for (const f of ignored) {
      diags.push(
        diagnostic(
          'warning',
          C.IgnoredOnArch,
          span,
          `Tracking '${t.name}' sets '${f}', which arm64 does not have; it is ignored for vm '${vm.name}'.`,
          f === 'eager_split'
            ? 'On arm64 eager splitting is `chunk 2MiB` (or 4KiB, 1GiB).'
            : 'Remove it, or use an x86_64 VM.',
        ),
      );
    }
  } else if (t.mmu === 'shadow' && (t.pml || t.eagerSplit)) {
    diags.push(
      diagnostic(
        'warning',
        C.UnsupportedCombination,
        span,
        `Tracking '${t.name}' sets '${t.pml ? 'pml on' : 'eager_split on'}' with 'mmu shadow': PML needs EPT and eager splitting splits only TDP MMU huge pages, so KVM does neither under shadow paging.`,
        'Remove it, or use `mmu tdp`.',
      ),
    );
  } else if (t.eagerSplitChunkBytes) {
    diags.push(
      diagnostic(
        'warning',
        C.IgnoredOnArch,
        span,
        `Tracking '${t.name}' sets 'chunk', which is arm64-only; it is ignored for x86_64 vm '${vm.name}'.`,
        'On x86_64 use `eager_split on|off`.',
      ),
    );
  }
  if (
    vm.arch === 'arm64' &&
    t.dirtyLog === 'ring' &&
    (t.proposals?.vcpulessWrites ?? 'drop') === 'drop' &&
    (vm.devices ?? []).length > 0
  ) {
    const kind = vm.devices?.[0].kind === 'vgic-v3' ? 'a vgic_v3' : 'an ITS';
    diags.push(
      diagnostic(
        'warning',
        C.WillLosePages,
        span,
        `VM '${vm.name}' has ${kind} device, which dirties memory without a vCPU, and tracking '${t.name}' is a ring without a bitmap: the migration will lose pages.`,
        'Use `dirty_log ring_with_bitmap N` on arm64 with an ITS or a vgic_v3.',
      ),
    );
  }
  if (t.dirtyLog === 'ring-with-bitmap' && t.ringBitmapEnable === 'after-memslots') {
    diags.push(
      diagnostic(
        'warning',
        C.UnsupportedCombination,
        span,
        `Tracking '${t.name}' enables KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP after vm '${vm.name}' has memslots: KVM refuses it with EINVAL, so the run fails.`,
        'Use `with_bitmap before_memslots` (the default): KVM takes the cap only while no memslot exists.',
      ),
    );
  }
  const postcopy = (m.postcopyAfterIterations ?? 0) > 0 || m.onMaxIterations === 'postcopy';
  if (vm.balloon?.hinting && postcopy) {
    // QEMU turns free page hinting off when postcopy is possible (docs/migration.md#free-page-hinting).
    diags.push(
      diagnostic(
        'warning',
        C.UnsupportedCombination,
        span,
        `VM '${vm.name}' asks for free page hinting, but migration '${m.name}' may switch to postcopy, which QEMU does not combine with hinting: hinting is off for this run.`,
        'Drop `hinting on`, or the postcopy switch.',
      ),
    );
  }
}

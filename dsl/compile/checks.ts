/**
 * Checks that need more than one field: required fields after `extends`, memslots
 * against each other, and what KVM or QEMU would say about a VM, tracking and
 * migration run together. Each appends diagnostics; none throws on bad input.
 */
import type { MigrationPolicy, TrackingPolicy, VmSpec } from '../../engine/plan.ts';
import type { Definition, Span } from '../ast.ts';
import { DiagnosticCode as C, diagnostic } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { FIELDS } from '../schema.ts';
import type { BoundProperty } from './bind.ts';

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

/** Slots: gpa and size are multiples of 4 KiB (1 GiB for hugetlb_1g), and no two overlap. */
export function checkMemslots(slots: readonly BoundProperty[], diags: Diagnostic[]): void {
  const placed: { name: string; gpa: number; end: number }[] = [];
  for (const s of slots) {
    const at = s.keys.at;
    const size = s.keys.size;
    if (at?.type !== 'quantity' || size?.type !== 'quantity') continue;
    const name = s.args[0]?.type === 'word' ? s.args[0].text : '';
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
    (vm.devices ?? []).some((d) => d.kind === 'its')
  ) {
    diags.push(
      diagnostic(
        'warning',
        C.WillLosePages,
        span,
        `VM '${vm.name}' has an ITS device, which dirties memory without a vCPU, and tracking '${t.name}' is a ring without a bitmap: the migration will lose pages.`,
        'Use `dirty_log ring_with_bitmap N` on arm64 with an ITS.',
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

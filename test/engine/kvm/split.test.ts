/**
 * Huge pages and dirty logging: pages per level after enabling logging, after the
 * first CLEAR and after a write fault, for each host backing and each way of
 * splitting (docs/kvm.md#write-protection, docs/kvm.md#eager-page-splitting). The table follows the invariants
 * of x86 dirty_log_page_splitting_test: with eager split pages_2m == pages_1g
 * == 0 once logging is on, and after logging is disabled and memory re-touched the
 * 2M/1G counts return to their initial values.
 */
import { describe, expect, it } from 'vitest';
import {
  ACCESS_OUTCOMES,
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
  SpteLevel,
  asGfn,
} from '../../../engine/index.ts';
import type { AccessOutcome, Arch, Backing, KvmParams, Vm } from '../../../engine/index.ts';
import {
  GiB,
  MiB,
  PAGES_1G,
  PAGES_2M,
  bitmapOf,
  bitmapPages,
  expectPages,
  makeVm,
  pageCounts,
  setDirtyLogging,
  touchRange,
} from '../../helpers/kvm.ts';
import type { MakeVmOptions, PageCounts } from '../../helpers/kvm.ts';

/** One 1 GiB slot for every backing, so that a 1G page fits and all counts are per GiB. */
const SLOT_BYTES = 1 * GiB;
const NPAGES = SLOT_BYTES / 4096;
/** The first CLEAR of the INITIALLY_SET rows: one 64-page word at the start of the slot. */
const CLEAR_PAGES = 64;
const BACKINGS: readonly Backing[] = ['4k', 'thp', 'hugetlb_2m', 'hugetlb_1g'];
const PROTECT = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
const INITIALLY_SET = KVM_DIRTY_LOG_INITIALLY_SET;

const pages = (k4: number, m2: number, g1: number): PageCounts => ({
  '4k': k4,
  '2m': m2,
  '1g': g1,
});

/** The slot fully touched before logging: mapped at the largest level the backing allows. */
function initialPages(backing: Backing): PageCounts {
  switch (backing) {
    case '4k':
      return pages(NPAGES, 0, 0);
    case 'thp':
    case 'hugetlb_2m':
      return pages(0, NPAGES / PAGES_2M, 0);
    case 'hugetlb_1g':
      return pages(0, 0, NPAGES / PAGES_1G);
  }
}

/** Eager split of the whole slot: every page mapped 4K. */
const allSplit = (): PageCounts => pages(NPAGES, 0, 0);

/**
 * Only the path to page 0 split: a 1G becomes 512 x 2M and the 2M holding page 0
 * becomes 512 x 4K; a 2M page becomes 512 x 4K. (Over 1 GiB both give 511 + 512.)
 */
function splitAlongPath(backing: Backing): PageCounts {
  if (backing === '4k') return initialPages(backing);
  const i = initialPages(backing);
  if (backing === 'hugetlb_1g') return pages(PAGES_2M, PAGES_2M - 1, i['1g'] - 1);
  return pages(PAGES_2M, i['2m'] - 1, 0);
}

/** The huge page holding page 0 zapped; only page 0 mapped again, at 4K. */
function zappedAroundPage0(backing: Backing): PageCounts {
  if (backing === '4k') return initialPages(backing);
  const i = initialPages(backing);
  return pages(1, i['2m'] === 0 ? 0 : i['2m'] - 1, i['1g'] === 0 ? 0 : i['1g'] - 1);
}

/** A split mode: how the VM is set up and what each step must leave mapped. */
interface SplitMode {
  name: string;
  arch: Arch;
  params?: Partial<KvmParams>;
  caps?: MakeVmOptions['caps'];
  /** The behaviour the row checks, for the test name. */
  behaviour: string;
  /** Pages per level right after LOG_DIRTY_PAGES is set. */
  afterEnable: (backing: Backing) => PageCounts;
  /** What happens next: a CLEAR of pages [0, 64), or a guest write to page 0. */
  trigger: 'clear' | 'write';
  afterTrigger: (backing: Backing) => PageCounts;
}

const MODES: readonly SplitMode[] = [
  {
    name: 'x86 eager_page_split=Y',
    arch: 'x86_64',
    params: { eagerPageSplit: true },
    behaviour: 'enabling logging splits every huge page to 4K; a write splits nothing more',
    afterEnable: allSplit,
    trigger: 'write',
    afterTrigger: allSplit,
  },
  {
    name: 'x86 eager_page_split=Y with INITIALLY_SET',
    arch: 'x86_64',
    params: { eagerPageSplit: true },
    caps: [[Cap.ManualDirtyLogProtect2, PROTECT | INITIALLY_SET]],
    behaviour: 'enabling logging splits nothing; the first CLEAR splits only the range cleared',
    afterEnable: initialPages,
    trigger: 'clear',
    afterTrigger: splitAlongPath,
  },
  {
    name: 'x86 eager_page_split=N with INITIALLY_SET',
    arch: 'x86_64',
    params: { eagerPageSplit: false },
    caps: [[Cap.ManualDirtyLogProtect2, PROTECT | INITIALLY_SET]],
    behaviour: 'neither enabling logging nor CLEAR splits anything',
    afterEnable: initialPages,
    trigger: 'clear',
    afterTrigger: initialPages,
  },
  {
    name: 'x86 eager_page_split=N, split on fault in place (6.2+)',
    arch: 'x86_64',
    params: { eagerPageSplit: false, splitOnFault: 'in-place' },
    behaviour: 'enabling logging splits nothing; a write splits 1G -> 2M -> 4K along its path',
    afterEnable: initialPages,
    trigger: 'write',
    afterTrigger: splitAlongPath,
  },
  {
    name: 'x86 eager_page_split=N, zap on fault (before 6.2)',
    arch: 'x86_64',
    params: { eagerPageSplit: false, splitOnFault: 'zap' },
    behaviour: 'enabling logging splits nothing; a write zaps the huge page and maps one 4K page',
    afterEnable: initialPages,
    trigger: 'write',
    afterTrigger: zappedAroundPage0,
  },
  {
    name: 'arm64 eager split chunk 2 MiB',
    arch: 'arm64',
    caps: [[Cap.ArmEagerSplitChunkSize, 2 * MiB]],
    behaviour: 'enabling logging splits the whole slot to 4K; a write splits nothing more',
    afterEnable: allSplit,
    trigger: 'write',
    afterTrigger: allSplit,
  },
  {
    name: 'arm64 eager split chunk 1 GiB',
    arch: 'arm64',
    caps: [[Cap.ArmEagerSplitChunkSize, 1 * GiB]],
    behaviour: 'enabling logging splits the whole slot to 4K; a write splits nothing more',
    afterEnable: allSplit,
    trigger: 'write',
    afterTrigger: allSplit,
  },
  {
    name: 'arm64 eager split chunk 0 (off)',
    arch: 'arm64',
    caps: [[Cap.ArmEagerSplitChunkSize, 0]],
    behaviour: 'enabling logging splits nothing; a write breaks the block and maps one 4K page',
    afterEnable: initialPages,
    trigger: 'write',
    afterTrigger: zappedAroundPage0,
  },
  {
    name: 'arm64 eager split chunk 2 MiB with INITIALLY_SET',
    arch: 'arm64',
    caps: [
      [Cap.ManualDirtyLogProtect2, PROTECT | INITIALLY_SET],
      [Cap.ArmEagerSplitChunkSize, 2 * MiB],
    ],
    behaviour: 'enabling logging splits nothing; the first CLEAR splits only the range cleared',
    afterEnable: initialPages,
    trigger: 'clear',
    afterTrigger: splitAlongPath,
  },
];

/** A VM with one 1 GiB slot of `backing` at gpa 0, every page written once before logging. */
function touchedVm(mode: SplitMode, backing: Backing): Vm {
  const vm = makeVm({
    arch: mode.arch,
    params: mode.params,
    caps: mode.caps,
    slots: [{ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: SLOT_BYTES, backing }],
    vcpus: 1,
  });
  touchRange(vm.vcpus[0], 0, NPAGES, true);
  return vm;
}

function runTrigger(vm: Vm, trigger: SplitMode['trigger']): void {
  if (trigger === 'clear') {
    const all = Array.from({ length: CLEAR_PAGES }, (_, k) => k);
    vm.clearDirtyLog(0, 0, CLEAR_PAGES, bitmapOf(CLEAR_PAGES, all));
  } else {
    vm.vcpus[0].write(asGfn(0));
  }
}

const outcomeIndex = (o: AccessOutcome): number => ACCESS_OUTCOMES.indexOf(o);

/** Level of the leaf SPTE mapping page `rel` of slot 0 (0: not mapped). */
const leafLevel = (vm: Vm, rel: number): SpteLevel | 0 => vm.memslot(0)?.tdp.leafLevel(rel) ?? 0;

describe('pages per level by backing and split mode', () => {
  for (const mode of MODES) {
    describe(mode.name, () => {
      for (const backing of BACKINGS) {
        it(`${backing}: ${mode.behaviour}`, () => {
          const vm = touchedVm(mode, backing);
          expectPages(vm).toEqual(initialPages(backing));
          setDirtyLogging(vm, 0, true);
          expectPages(vm).toEqual(mode.afterEnable(backing));
          runTrigger(vm, mode.trigger);
          expectPages(vm).toEqual(mode.afterTrigger(backing));
        });
      }
    });
  }
});

describe('disabling logging on x86', () => {
  for (const mode of MODES.filter((m) => m.arch === 'x86_64')) {
    for (const backing of BACKINGS) {
      it(`${mode.name}, ${backing}: re-touching every page brings the huge pages back`, () => {
        const vm = touchedVm(mode, backing);
        setDirtyLogging(vm, 0, true);
        runTrigger(vm, mode.trigger);
        setDirtyLogging(vm, 0, false);
        touchRange(vm.vcpus[0], 0, NPAGES, true);
        expectPages(vm).toEqual(initialPages(backing));
      });
    }
  }

  it('recovers huge pages at disable time: the 4K SPTEs of a 1G-eligible frame are zapped', () => {
    const mode = MODES[0];
    const vm = touchedVm(mode, 'hugetlb_1g');
    setDirtyLogging(vm, 0, true);
    const flushes = vm.getStats().remote_tlb_flush;
    setDirtyLogging(vm, 0, false);
    expectPages(vm).toEqual(pages(0, 0, 0));
    expect(vm.getStats().recovered_sptes).toBe(NPAGES);
    expect(vm.getStats().remote_tlb_flush).toBe(flushes + 1);
    expect(vm.vcpus[0].read(asGfn(12345)).outcome).toBe('slow-fault');
    expectPages(vm).toEqual(pages(0, 0, 1));
  });
});

describe('KVM_CHECK_EXTENSION(KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE)', () => {
  it("answers 0 on /dev/kvm and the VM's chunk size on the VM fd (arm64)", () => {
    const vm = makeVm({ arch: 'arm64' });
    expect(vm.kvm.checkExtension(Cap.ArmEagerSplitChunkSize)).toBe(0);
    expect(vm.checkExtension(Cap.ArmEagerSplitChunkSize)).toBe(0);
    vm.enableCap(Cap.ArmEagerSplitChunkSize, 2 * MiB);
    expect(vm.checkExtension(Cap.ArmEagerSplitChunkSize)).toBe(2 * MiB);
  });

  it('answers 0 on x86, which has no such capability', () => {
    const vm = makeVm({ arch: 'x86_64' });
    expect(vm.checkExtension(Cap.ArmEagerSplitChunkSize)).toBe(0);
  });
});

describe('disabling logging on arm64', () => {
  // arm64 collapses nothing at disable (arm64 kvm_arch_commit_memory_region): huge mappings come back only
  // through later faults. Present 4K mappings stay until a fault in their frame.
  const eager = MODES.find((m) => m.name === 'arm64 eager split chunk 1 GiB') as SplitMode;
  const lazy = MODES.find((m) => m.name === 'arm64 eager split chunk 0 (off)') as SplitMode;

  it('keeps the 4K mappings at disable time', () => {
    const vm = touchedVm(eager, 'hugetlb_1g');
    setDirtyLogging(vm, 0, true);
    setDirtyLogging(vm, 0, false);
    expectPages(vm).toEqual(allSplit());
    expect(vm.getStats().recovered_sptes).toBe(0);
  });

  it('keeps present 4K mappings when every page is re-read: reads of mapped pages never fault', () => {
    const vm = touchedVm(eager, 'hugetlb_1g');
    setDirtyLogging(vm, 0, true);
    setDirtyLogging(vm, 0, false);
    const r = touchRange(vm.vcpus[0], 0, NPAGES, false);
    expect(r.counts[outcomeIndex('no-fault')]).toBe(NPAGES);
    expectPages(vm).toEqual(allSplit());
  });

  it('keeps 4K mappings that logging left writable: writes to them never fault', () => {
    const vm = touchedVm(eager, 'hugetlb_2m');
    setDirtyLogging(vm, 0, true);
    touchRange(vm.vcpus[0], 0, PAGES_2M, true); // frame 0 written while logging
    setDirtyLogging(vm, 0, false);
    const r = touchRange(vm.vcpus[0], 0, PAGES_2M, true);
    expect(r.counts[outcomeIndex('no-fault')]).toBe(PAGES_2M);
    expectPages(vm).toEqual(allSplit());
  });

  it('maps the block again on the first write to a page logging left read-only', () => {
    // user_mem_abort: a permission fault is relaxed in place only when the mapping
    // size equals the size it would map now; otherwise stage2_map installs the
    // block, freeing the table under it.
    for (const backing of ['thp', 'hugetlb_2m', 'hugetlb_1g'] as const) {
      const vm = touchedVm(eager, backing);
      setDirtyLogging(vm, 0, true);
      setDirtyLogging(vm, 0, false);
      expect(vm.vcpus[0].write(asGfn(7)).outcome).toBe('slow-fault');
      touchRange(vm.vcpus[0], 0, NPAGES, true);
      expectPages(vm).toEqual(initialPages(backing));
    }
  });

  it('maps the block again on the next access to a page the split-on-fault zap left unmapped', () => {
    const vm = touchedVm(lazy, 'hugetlb_1g');
    setDirtyLogging(vm, 0, true);
    vm.vcpus[0].write(asGfn(0));
    setDirtyLogging(vm, 0, false);
    expectPages(vm).toEqual(pages(1, 0, 0));
    expect(vm.vcpus[0].read(asGfn(1)).outcome).toBe('slow-fault');
    expectPages(vm).toEqual(pages(0, 0, 1));
  });
});

describe('INITIALLY_SET with eager split (x86)', () => {
  const mode = MODES[1];

  it('a later CLEAR splits the 2M page of its own range and no other', () => {
    const vm = touchedVm(mode, 'hugetlb_1g');
    setDirtyLogging(vm, 0, true);
    runTrigger(vm, 'clear');
    const first = 5 * PAGES_2M + 128;
    const range = Array.from({ length: CLEAR_PAGES }, (_, k) => k);
    vm.clearDirtyLog(0, first, CLEAR_PAGES, bitmapOf(CLEAR_PAGES, range));
    expectPages(vm).toEqual(pages(2 * PAGES_2M, PAGES_2M - 2, 0));
    expect(vm.lastIoctl.splits).toBe(1);
    expect(leafLevel(vm, first)).toBe(SpteLevel.PG_LEVEL_4K);
    expect(leafLevel(vm, 4 * PAGES_2M)).toBe(SpteLevel.PG_LEVEL_2M);
  });

  it('a CLEAR of pages that are no longer dirty splits nothing', () => {
    const vm = touchedVm(mode, 'hugetlb_1g');
    setDirtyLogging(vm, 0, true);
    runTrigger(vm, 'clear');
    const before = pageCounts(vm);
    runTrigger(vm, 'clear'); // the same 64 bits, already clear in the kernel bitmap
    expectPages(vm).toEqual(before);
    expect(vm.lastIoctl.splits).toBe(0);
  });
});

describe('INITIALLY_SET without eager split (x86)', () => {
  const mode = MODES[2];

  it('a CLEAR write-protects the huge page with write_protect_gfn, so split siblings need the slow path', () => {
    const vm = touchedVm(mode, 'hugetlb_1g');
    setDirtyLogging(vm, 0, true);
    runTrigger(vm, 'clear'); // wrprot of the 1G covering pages 0..63 clears MMU-writable too
    const vcpu = vm.vcpus[0];
    expect(vcpu.write(asGfn(0)).outcome).toBe('split-on-fault');
    // The children inherit !MMU_WRITABLE: fast_page_fault cannot fix them.
    expect(vcpu.write(asGfn(1)).outcome).toBe('slow-fault');
    expect(vcpu.write(asGfn(1)).outcome).toBe('no-fault');
  });
});

describe('split on fault in place (x86, eager_page_split=N)', () => {
  const mode = MODES.find((m) => m.trigger === 'write' && m.params?.splitOnFault === 'in-place');

  function loggedAndWritten(): Vm {
    const vm = touchedVm(mode as SplitMode, 'hugetlb_1g');
    setDirtyLogging(vm, 0, true);
    expect(vm.vcpus[0].write(asGfn(0)).outcome).toBe('split-on-fault');
    return vm;
  }

  it('splits 1G -> 2M -> 4K along the path of one write, without a TLB flush', () => {
    const vm = touchedVm(mode as SplitMode, 'hugetlb_1g');
    setDirtyLogging(vm, 0, true);
    const flushes = vm.getStats().remote_tlb_flush;
    expect(vm.vcpus[0].write(asGfn(0)).outcome).toBe('split-on-fault');
    expectPages(vm).toEqual(pages(512, 511, 0));
    expect(vm.getStats()).toMatchObject({ fault_splits: 2, remote_tlb_flush: flushes });
  });

  it('fixes a later write to a 4K sibling with fast_page_fault', () => {
    const vm = loggedAndWritten();
    expect(vm.vcpus[0].write(asGfn(1)).outcome).toBe('fast-fault');
    expect(vm.vcpus[0].write(asGfn(PAGES_2M - 1)).outcome).toBe('fast-fault');
    expectPages(vm).toEqual(pages(512, 511, 0));
  });

  it('splits a still-huge 2M sibling on a write into it', () => {
    const vm = loggedAndWritten();
    expect(vm.vcpus[0].write(asGfn(3 * PAGES_2M + 9)).outcome).toBe('split-on-fault');
    expectPages(vm).toEqual(pages(1024, 510, 0));
    expect(vm.vcpus[0].write(asGfn(3 * PAGES_2M + 10)).outcome).toBe('fast-fault');
  });

  it('never faults on reads of siblings, 4K or still huge', () => {
    const vm = loggedAndWritten();
    const taken = vm.getStats().pf_taken;
    const r = touchRange(vm.vcpus[0], 0, NPAGES, false);
    expect(r.counts[outcomeIndex('no-fault')]).toBe(NPAGES);
    expect(vm.getStats().pf_taken).toBe(taken);
    expectPages(vm).toEqual(pages(512, 511, 0));
  });

  it('reports each written page in the dirty log, one bit per 4K page', () => {
    const vm = loggedAndWritten();
    vm.vcpus[0].write(asGfn(1));
    vm.vcpus[0].write(asGfn(3 * PAGES_2M + 9));
    expect(bitmapPages(vm.getDirtyLog(0))).toEqual([0, 1, 3 * PAGES_2M + 9]);
  });
});

describe('zap on fault (x86 before 6.2, eager_page_split=N)', () => {
  const mode = MODES.find((m) => m.params?.splitOnFault === 'zap') as SplitMode;

  it('zaps the huge SPTE on a write and flushes remote TLBs', () => {
    const vm = touchedVm(mode, 'hugetlb_1g');
    setDirtyLogging(vm, 0, true);
    const flushes = vm.getStats().remote_tlb_flush;
    expect(vm.vcpus[0].write(asGfn(0)).outcome).toBe('zap-on-fault');
    expect(vm.getStats()).toMatchObject({ fault_zaps: 1, remote_tlb_flush: flushes + 1 });
    expectPages(vm).toEqual(pages(1, 0, 0));
  });

  it('makes every other page of the region take a demand slow fault on its next read', () => {
    const vm = touchedVm(mode, 'hugetlb_1g');
    setDirtyLogging(vm, 0, true);
    vm.vcpus[0].write(asGfn(0));
    const notPresent = vm.getStats().pf_not_present;
    const r = touchRange(vm.vcpus[0], 0, NPAGES, false);
    expect(r.counts[outcomeIndex('slow-fault')]).toBe(NPAGES - 1);
    expect(r.counts[outcomeIndex('no-fault')]).toBe(1);
    expect(vm.getStats().pf_not_present).toBe(notPresent + NPAGES - 1);
    expectPages(vm).toEqual(pages(NPAGES, 0, 0));
  });

  it('makes every other page of the region take a demand slow fault on its next write', () => {
    const vm = touchedVm(mode, 'hugetlb_2m');
    setDirtyLogging(vm, 0, true);
    vm.vcpus[0].write(asGfn(0));
    const r = touchRange(vm.vcpus[0], 1, PAGES_2M, true);
    expect(r.counts[outcomeIndex('slow-fault')]).toBe(PAGES_2M - 1);
    // The next 2M page is still mapped huge (read-only): its first write zaps it too.
    expect(vm.vcpus[0].write(asGfn(PAGES_2M)).outcome).toBe('zap-on-fault');
  });
});

describe('read faults in a logged slot', () => {
  function loggedVm(arch: Arch): Vm {
    return makeVm({
      arch,
      slots: [
        {
          slot: 0,
          flags: KVM_MEM_LOG_DIRTY_PAGES,
          guestPhysAddr: 0,
          memorySize: 4 * MiB,
          backing: '4k',
        },
      ],
      vcpus: 1,
    });
  }

  it('x86 maps a read fault writable and marks the page dirty', () => {
    const vm = loggedVm('x86_64');
    const vcpu = vm.vcpus[0];
    expect(vcpu.read(asGfn(3)).outcome).toBe('slow-fault');
    expect(vcpu.write(asGfn(3)).outcome).toBe('no-fault');
    expect(bitmapPages(vm.getDirtyLog(0))).toEqual([3]);
  });

  it('arm64 maps a read fault read-only: it is not reported, the following write is', () => {
    const vm = loggedVm('arm64');
    const vcpu = vm.vcpus[0];
    expect(vcpu.read(asGfn(3)).outcome).toBe('slow-fault');
    expect(bitmapPages(vm.getDirtyLog(0))).toEqual([]);
    expect(vcpu.write(asGfn(3)).outcome).toBe('fast-fault');
    expect(bitmapPages(vm.getDirtyLog(0))).toEqual([3]);
  });
});

describe('cost of eager splitting', () => {
  /** ns of the ioctl that enables logging on a `gib`-GiB slot of 1G pages, all mapped. */
  function enableCost(gib: number): { ns: number; splits: number } {
    const vm = makeVm({
      params: { eagerPageSplit: true },
      slots: [
        { slot: 0, flags: 0, guestPhysAddr: 0, memorySize: gib * GiB, backing: 'hugetlb_1g' },
      ],
      vcpus: 1,
    });
    for (let g = 0; g < gib; g++) vm.vcpus[0].write(asGfn(g * PAGES_1G));
    setDirtyLogging(vm, 0, true);
    return { ns: vm.lastIoctl.ns, splits: vm.lastIoctl.splits };
  }

  it('grows linearly with the slot size, by at least the split work of each GiB', () => {
    const [one, two, four] = [1, 2, 4].map(enableCost);
    expect(one.splits).toBe(513); // one 1G and its 512 2M children
    expect(two.splits).toBe(2 * 513);
    expect(four.splits).toBe(4 * 513);
    const perGiB = two.ns - one.ns;
    expect(perGiB).toBeGreaterThanOrEqual(NPAGES * makeVm().costs.splitPerSpte);
    expect((four.ns - two.ns) / (2 * perGiB)).toBeCloseTo(1, 2);
  });

  /** Enable logging on 1 GiB of 1G pages, then write every page once. */
  function firstPass(params: Partial<KvmParams>) {
    const vm = makeVm({
      params,
      slots: [
        { slot: 0, flags: 0, guestPhysAddr: 0, memorySize: SLOT_BYTES, backing: 'hugetlb_1g' },
      ],
      vcpus: 1,
    });
    vm.vcpus[0].write(asGfn(0));
    setDirtyLogging(vm, 0, true);
    const ioctl = vm.lastIoctl;
    const pass = touchRange(vm.vcpus[0], 0, NPAGES, true);
    return {
      ioctlNs: ioctl.ns,
      ioctlSplits: ioctl.splits,
      ioctlLockNs: ioctl.mmuLockReadNs,
      vcpuNs: pass.costNs,
      vcpuLockNs: pass.mmuLockReadNs,
      splitSptes: vm.getStats().split_sptes,
      costs: vm.costs,
    };
  }

  it('puts the split into the ioctl instead of into vCPU faults', () => {
    const eager = firstPass({ eagerPageSplit: true });
    const inPlace = firstPass({ eagerPageSplit: false, splitOnFault: 'in-place' });
    const zap = firstPass({ eagerPageSplit: false, splitOnFault: 'zap' });
    // The same SPTEs are created either way; only who pays for them changes.
    expect(eager.splitSptes).toBe(PAGES_2M + NPAGES);
    expect(inPlace.splitSptes).toBe(eager.splitSptes);
    const splitNs = eager.splitSptes * eager.costs.splitPerSpte;
    expect(eager.ioctlSplits).toBe(513);
    expect(inPlace.ioctlSplits).toBe(0);
    expect(eager.ioctlLockNs).toBeGreaterThanOrEqual(splitNs);
    expect(eager.ioctlNs - inPlace.ioctlNs).toBeGreaterThanOrEqual(splitNs);
    expect(eager.vcpuLockNs).toBe(0); // no slow fault in the pass: PML logs every write
    expect(inPlace.vcpuLockNs).toBeGreaterThanOrEqual(splitNs);
    // With PML the eager pass costs the vCPU a small fraction of either lazy mode.
    expect(eager.vcpuNs * 10).toBeLessThan(inPlace.vcpuNs);
    expect(eager.vcpuNs * 10).toBeLessThan(zap.vcpuNs);
    expect(inPlace.vcpuNs).toBeLessThan(zap.vcpuNs);
  });
});

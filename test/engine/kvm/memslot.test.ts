/**
 * Memslot behaviours a kernel engineer relies on (docs/kvm.md#memslots):
 * how KVM_SET_USER_MEMORY_REGION classifies a call, what DELETE and MOVE do to the
 * slot's SPTEs and dirty bitmap, when a new bitmap starts all ones, which level the
 * first touch maps, and which accesses exit to userspace as MMIO.
 */
import { describe, expect, it } from 'vitest';
import {
  Cap,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_READONLY,
  asGfn,
} from '../../../engine/index.ts';
import type { Arch, Backing, Vcpu, Vm } from '../../../engine/index.ts';
import { GiB, MiB, PAGES_1G, PAGES_2M, expectKvmError, makeVm, region } from '../../helpers/kvm.ts';

const ARCHES: readonly Arch[] = ['x86_64', 'arm64'];
const LOG = KVM_MEM_LOG_DIRTY_PAGES;
const RO = KVM_MEM_READONLY;
const PROTECT = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
const INITIALLY_SET = KVM_DIRTY_LOG_INITIALLY_SET;
/** Where the tests put a slot they move: 1 GiB, far from anything else. */
const MOVED_BASE = PAGES_1G;

/** Write each gfn once from `vcpu`; returns the outcomes. */
function touch(vcpu: Vcpu, gfns: readonly number[]): string[] {
  return gfns.map((g) => vcpu.write(asGfn(g)).outcome);
}

/** The set bits of a GET_DIRTY_LOG bitmap (bit i of byte j is page 8j + i). */
function setBits(bitmap: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bitmap.length * 8; i++) if (bitmap[i >> 3] & (1 << (i & 7))) out.push(i);
  return out;
}

const pages = (vm: Vm): { pages_4k: number; pages_2m: number; pages_1g: number } => {
  const { pages_4k, pages_2m, pages_1g } = vm.getStats();
  return { pages_4k, pages_2m, pages_1g };
};

describe('setUserMemoryRegion: change classification', () => {
  it.each(ARCHES)('returns create for a slot id that has no slot (%s)', (arch) => {
    const vm = makeVm({ arch });
    expect(vm.setUserMemoryRegion(region({ slot: 4, baseGfn: 0, npages: 512 }))).toBe('create');
    expect(vm.memslot(4)).toMatchObject({ baseGfn: 0, npages: 512, flags: 0 });
  });

  it('returns none for identical parameters and leaves the slot and its mappings alone', () => {
    const vm = makeVm();
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, backing: 'thp' }));
    const slot = vm.memslot(0);
    touch(vm.createVcpu(0), [0]);
    const flushes = vm.getStats().remote_tlb_flush;
    expect(vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512 }))).toBe('none');
    expect(vm.memslot(0)).toBe(slot);
    expect(vm.getStats()).toMatchObject({ pages_2m: 1, remote_tlb_flush: flushes });
  });

  it('returns flags-only when only LOG_DIRTY_PAGES changes, and keeps the same slot', () => {
    const vm = makeVm();
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512 }));
    const slot = vm.memslot(0);
    expect(vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, flags: LOG }))).toBe(
      'flags-only',
    );
    expect(vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, flags: 0 }))).toBe(
      'flags-only',
    );
    expect(vm.memslot(0)).toBe(slot);
  });

  it('returns move when only the base gfn changes, keeping size, flags and userspace_addr', () => {
    const vm = makeVm();
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, flags: LOG }));
    const uaddr = vm.memslot(0)?.userspaceAddr;
    expect(vm.setUserMemoryRegion(region({ baseGfn: MOVED_BASE, npages: 512, flags: LOG }))).toBe(
      'move',
    );
    expect(vm.memslot(0)).toMatchObject({
      baseGfn: MOVED_BASE,
      npages: 512,
      flags: LOG,
      userspaceAddr: uaddr,
    });
  });

  it('returns move for a move that overlaps only the slot’s own old range', () => {
    const vm = makeVm();
    vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: 512 }));
    vm.setUserMemoryRegion(region({ slot: 1, baseGfn: 1024, npages: 512 }));
    expect(vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 256, npages: 512 }))).toBe('move');
    expect(vm.memslot(0)?.baseGfn).toBe(256);
  });

  it('returns delete for size 0, and the slot id is free again', () => {
    const vm = makeVm();
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512 }));
    expect(vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 0 }))).toBe('delete');
    expect(vm.memslot(0)).toBeUndefined();
    expect(vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 1024 }))).toBe('create');
  });

  it('counts logged slots as they are created, toggled, moved and deleted', () => {
    const vm = makeVm();
    vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: 512, flags: LOG }));
    vm.setUserMemoryRegion(region({ slot: 1, baseGfn: 512, npages: 512 }));
    expect(vm.nrMemslotsDirtyLogging).toBe(1);
    vm.setUserMemoryRegion(region({ slot: 1, baseGfn: 512, npages: 512, flags: LOG }));
    expect(vm.nrMemslotsDirtyLogging).toBe(2);
    vm.setUserMemoryRegion(region({ slot: 1, baseGfn: MOVED_BASE, npages: 512, flags: 0 }));
    expect(vm.nrMemslotsDirtyLogging).toBe(1);
    vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: 0 }));
    expect(vm.nrMemslotsDirtyLogging).toBe(0);
  });
});

describe('DELETE and MOVE zap the slot’s SPTEs', () => {
  it.each(ARCHES)(
    'DELETE zaps every SPTE of the slot and flushes remote TLBs once (%s)',
    (arch) => {
      const vm = makeVm({ arch });
      vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: 2048, backing: 'thp' }));
      vm.setUserMemoryRegion(region({ slot: 1, baseGfn: 2048, npages: 1024, backing: 'thp' }));
      const vcpu = vm.createVcpu(0);
      touch(vcpu, [0, 600, 1536, 2048 + 5]);
      expect(pages(vm)).toEqual({ pages_4k: 0, pages_2m: 4, pages_1g: 0 });
      const old = vm.memslot(0);
      const flushes = vm.getStats().remote_tlb_flush;

      expect(vm.setUserMemoryRegion(region({ slot: 0, baseGfn: 0, npages: 0 }))).toBe('delete');
      expect(pages(vm)).toEqual({ pages_4k: 0, pages_2m: 1, pages_1g: 0 });
      expect(old?.tdp).toMatchObject({ pages4k: 0, pages2m: 0, pages1g: 0, tablePages: 0 });
      expect(vm.getStats().remote_tlb_flush).toBe(flushes + 1);
      expect(vcpu.write(asGfn(600)).outcome).toBe('mmio-exit');
      // The other slot keeps its mapping.
      expect(vcpu.write(asGfn(2048 + 5)).outcome).toBe('no-fault');
    },
  );

  it.each(ARCHES)(
    'MOVE zaps the old mappings and the guest refaults at the new base (%s)',
    (arch) => {
      const vm = makeVm({ arch });
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 1024, backing: 'thp' }));
      const vcpu = vm.createVcpu(0);
      touch(vcpu, [0, 600]);
      expect(pages(vm).pages_2m).toBe(2);
      const flushes = vm.getStats().remote_tlb_flush;

      expect(vm.setUserMemoryRegion(region({ baseGfn: MOVED_BASE, npages: 1024 }))).toBe('move');
      expect(pages(vm)).toEqual({ pages_4k: 0, pages_2m: 0, pages_1g: 0 });
      expect(vm.getStats().remote_tlb_flush).toBe(flushes + 1);
      expect(vcpu.write(asGfn(0)).outcome).toBe('mmio-exit');
      expect(vcpu.write(asGfn(MOVED_BASE)).outcome).toBe('slow-fault');
      expect(pages(vm).pages_2m).toBe(1);
    },
  );

  it('does not flush remote TLBs when the moved or deleted slot had nothing mapped', () => {
    const vm = makeVm();
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512 }));
    vm.setUserMemoryRegion(region({ baseGfn: MOVED_BASE, npages: 512 }));
    vm.setUserMemoryRegion(region({ baseGfn: MOVED_BASE, npages: 0 }));
    expect(vm.getStats().remote_tlb_flush).toBe(0);
  });
});

describe('the dirty bitmap across memslot changes', () => {
  it.each(ARCHES)('a MOVE of a logged slot keeps its bitmap bits (%s)', (arch) => {
    const vm = makeVm({ arch });
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 128, flags: LOG }));
    touch(vm.createVcpu(0), [3, 40, 127]);
    expect(vm.setUserMemoryRegion(region({ baseGfn: MOVED_BASE, npages: 128, flags: LOG }))).toBe(
      'move',
    );
    expect(setBits(vm.getDirtyLog(0))).toEqual([3, 40, 127]);
  });

  it.each(ARCHES)(
    'a MOVE that clears LOG_DIRTY_PAGES drops the bitmap: GET is ENOENT (%s)',
    (arch) => {
      const vm = makeVm({ arch });
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 128, flags: LOG }));
      touch(vm.createVcpu(0), [3]);
      vm.setUserMemoryRegion(region({ baseGfn: MOVED_BASE, npages: 128, flags: 0 }));
      expect(vm.memslot(0)?.dirtyBitmap).toBeNull();
      expectKvmError(() => vm.getDirtyLog(0), 'ENOENT', /not logging/);
      expect(vm.trackingMemory().bitmapBytes).toBe(0);
    },
  );

  it('a MOVE that sets LOG_DIRTY_PAGES starts a zeroed bitmap', () => {
    const vm = makeVm();
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 128 }));
    touch(vm.createVcpu(0), [3]);
    vm.setUserMemoryRegion(region({ baseGfn: MOVED_BASE, npages: 128, flags: LOG }));
    expect(setBits(vm.getDirtyLog(0))).toEqual([]);
  });

  it.each(ARCHES)(
    'turning logging off and on gives a fresh bitmap: bits do not survive (%s)',
    (arch) => {
      const vm = makeVm({ arch });
      // Manual protect: GET does not clear, so only the off/on cycle can drop the bit.
      vm.enableCap(Cap.ManualDirtyLogProtect2, PROTECT);
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 128, flags: LOG }));
      touch(vm.createVcpu(0), [3, 70]);
      expect(setBits(vm.getDirtyLog(0))).toEqual([3, 70]);
      expect(setBits(vm.getDirtyLog(0))).toEqual([3, 70]);
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 128, flags: 0 }));
      expectKvmError(() => vm.getDirtyLog(0), 'ENOENT');
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 128, flags: LOG }));
      expect(setBits(vm.getDirtyLog(0))).toEqual([]);
    },
  );

  it('a logged slot allocates 2 x ALIGN(npages, 64) / 8 bitmap bytes (bitmap + scratch); DELETE frees them', () => {
    const vm = makeVm();
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 128, flags: LOG }));
    expect(vm.trackingMemory().bitmapBytes).toBe(2 * (128 / 8));
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 0 }));
    expect(vm.trackingMemory().bitmapBytes).toBe(0);
  });

  describe('with KVM_DIRTY_LOG_INITIALLY_SET', () => {
    const NPAGES = 100;
    /** ALIGN(100, 64) / 8. */
    const BYTES = 16;
    const expected = (): number[] => Array.from({ length: NPAGES }, (_, i) => i);
    const initiallySetVm = (arch: Arch): Vm => {
      const vm = makeVm({ arch });
      vm.enableCap(Cap.ManualDirtyLogProtect2, PROTECT | INITIALLY_SET);
      return vm;
    };

    it.each(ARCHES)('a slot created logged starts with exactly npages bits set (%s)', (arch) => {
      const vm = initiallySetVm(arch);
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages: NPAGES, flags: LOG }));
      const bitmap = vm.getDirtyLog(0);
      expect(bitmap.byteLength).toBe(BYTES);
      expect([...bitmap]).toEqual([...Array(12).fill(0xff), 0x0f, 0, 0, 0]);
      expect(setBits(bitmap)).toEqual(expected());
    });

    it('a slot whose logging is turned on later also starts all ones', () => {
      const vm = initiallySetVm('x86_64');
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages: NPAGES }));
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages: NPAGES, flags: LOG }));
      expect(setBits(vm.getDirtyLog(0))).toEqual(expected());
    });

    it('a MOVE that turns logging on also starts all ones', () => {
      const vm = initiallySetVm('arm64');
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages: NPAGES }));
      vm.setUserMemoryRegion(region({ baseGfn: MOVED_BASE, npages: NPAGES, flags: LOG }));
      expect(setBits(vm.getDirtyLog(0))).toEqual(expected());
    });

    it('a CLEAR of the whole slot leaves every bit clear', () => {
      const vm = initiallySetVm('x86_64');
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages: NPAGES, flags: LOG }));
      vm.clearDirtyLog(0, 0, NPAGES, new Uint8Array(BYTES).fill(0xff));
      expect(setBits(vm.getDirtyLog(0))).toEqual([]);
    });

    it('without INITIALLY_SET a new bitmap starts all zeros', () => {
      const vm = makeVm();
      vm.enableCap(Cap.ManualDirtyLogProtect2, PROTECT);
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages: NPAGES, flags: LOG }));
      expect([...vm.getDirtyLog(0)]).toEqual(Array(BYTES).fill(0));
    });
  });

  it.each([1, 63, 64, 65, 100, 512, 1000])(
    'GET_DIRTY_LOG of a %i-page slot returns ALIGN(npages, 64) / 8 bytes',
    (npages) => {
      const vm = makeVm();
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages, flags: LOG }));
      expect(vm.getDirtyLog(0).byteLength).toBe((Math.ceil(npages / 64) * 64) / 8);
    },
  );
});

describe('huge page eligibility on first touch', () => {
  /** A 1 GiB slot at 1 GiB: aligned for every level. */
  const BASE = PAGES_1G;
  const cases: [Arch, Backing, { pages_4k: number; pages_2m: number; pages_1g: number }][] =
    ARCHES.flatMap((arch) => [
      [arch, 'hugetlb_1g', { pages_4k: 0, pages_2m: 0, pages_1g: 1 }],
      [arch, 'hugetlb_2m', { pages_4k: 0, pages_2m: 1, pages_1g: 0 }],
      [arch, 'thp', { pages_4k: 0, pages_2m: 1, pages_1g: 0 }],
      [arch, '4k', { pages_4k: 1, pages_2m: 0, pages_1g: 0 }],
    ]);

  it.each(cases)('%s: a %s-backed aligned slot maps %o', (arch, backing, expected) => {
    const vm = makeVm({ arch });
    vm.setUserMemoryRegion(region({ baseGfn: BASE, npages: PAGES_1G, backing }));
    expect(vm.createVcpu(0).write(asGfn(BASE + 5)).outcome).toBe('slow-fault');
    expect(pages(vm)).toEqual(expected);
  });

  it.each(ARCHES)('a read fault maps the largest allowed level too (%s)', (arch) => {
    const vm = makeVm({ arch });
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 1024, backing: 'hugetlb_2m' }));
    expect(vm.createVcpu(0).read(asGfn(7)).outcome).toBe('slow-fault');
    expect(pages(vm)).toEqual({ pages_4k: 0, pages_2m: 1, pages_1g: 0 });
  });

  it('a hugetlb_1g slot that is 2M but not 1G aligned maps 2M (its 1G frames leave the slot)', () => {
    const vm = makeVm();
    vm.setUserMemoryRegion(
      region({ baseGfn: PAGES_1G + PAGES_2M, npages: PAGES_1G, backing: 'hugetlb_1g' }),
    );
    touch(vm.createVcpu(0), [PAGES_1G + PAGES_2M, 2 * PAGES_1G + 5]);
    expect(pages(vm)).toEqual({ pages_4k: 0, pages_2m: 2, pages_1g: 0 });
  });

  it.each(ARCHES)(
    'a slot whose base is not 2M aligned maps 4K at its head and tail frames and 2M between (%s)',
    (arch) => {
      const vm = makeVm({ arch });
      // gfns [256, 1280): head frame [0, 512) and tail frame [1024, 1536) stick out.
      vm.setUserMemoryRegion(region({ baseGfn: 256, npages: 1024, backing: 'thp' }));
      const vcpu = vm.createVcpu(0);
      touch(vcpu, [256, 511]);
      expect(pages(vm)).toEqual({ pages_4k: 2, pages_2m: 0, pages_1g: 0 });
      touch(vcpu, [600]);
      expect(pages(vm)).toEqual({ pages_4k: 2, pages_2m: 1, pages_1g: 0 });
      touch(vcpu, [1024, 1279]);
      expect(pages(vm)).toEqual({ pages_4k: 4, pages_2m: 1, pages_1g: 0 });
      // The whole middle frame is one mapping: no more faults there.
      expect(vcpu.write(asGfn(1023)).outcome).toBe('no-fault');
    },
  );

  it.each(ARCHES)(
    'a userspace_addr not congruent with the gpa modulo 2M disables huge pages in the whole slot (%s)',
    (arch) => {
      const vm = makeVm({ arch });
      vm.setUserMemoryRegion(
        region({ baseGfn: 0, npages: 2048, backing: 'thp', userspaceAddr: 2 ** 40 + 4096 }),
      );
      touch(vm.createVcpu(0), [0, 600, 1500]);
      expect(pages(vm)).toEqual({ pages_4k: 3, pages_2m: 0, pages_1g: 0 });
    },
  );

  it('a userspace_addr congruent modulo 2M but not 1G caps a hugetlb_1g slot at 2M', () => {
    const vm = makeVm();
    vm.setUserMemoryRegion(
      region({
        baseGfn: PAGES_1G,
        npages: PAGES_1G,
        backing: 'hugetlb_1g',
        userspaceAddr: 2 ** 40 + 2 * MiB,
      }),
    );
    touch(vm.createVcpu(0), [PAGES_1G]);
    expect(pages(vm)).toEqual({ pages_4k: 0, pages_2m: 1, pages_1g: 0 });
  });

  it.each(ARCHES)('a logged slot maps 4K even when backed by 1 GiB pages (%s)', (arch) => {
    const vm = makeVm({ arch });
    vm.setUserMemoryRegion(
      region({ baseGfn: PAGES_1G, npages: PAGES_1G, backing: 'hugetlb_1g', flags: LOG }),
    );
    touch(vm.createVcpu(0), [PAGES_1G + 5]);
    expect(pages(vm)).toEqual({ pages_4k: 1, pages_2m: 0, pages_1g: 0 });
  });
});

describe('READONLY slots and MMIO', () => {
  it.each(ARCHES)('a write to a READONLY slot exits to userspace as MMIO (%s)', (arch) => {
    const vm = makeVm({ arch });
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, flags: RO }));
    const r = vm.createVcpu(0).write(asGfn(5));
    expect(r).toMatchObject({ outcome: 'mmio-exit', exit: 'mmio' });
    expect(pages(vm)).toEqual({ pages_4k: 0, pages_2m: 0, pages_1g: 0 });
    expect(vm.getStats().pf_mmio).toBe(1);
  });

  it.each(ARCHES)(
    'a read of a READONLY slot maps it; a later write still exits as MMIO (%s)',
    (arch) => {
      const vm = makeVm({ arch });
      vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, flags: RO }));
      const vcpu = vm.createVcpu(0);
      expect(vcpu.read(asGfn(5))).toMatchObject({ outcome: 'slow-fault', exit: null });
      expect(pages(vm).pages_4k).toBe(1);
      expect(vcpu.read(asGfn(5)).outcome).toBe('no-fault');
      expect(vcpu.write(asGfn(5))).toMatchObject({ outcome: 'mmio-exit', exit: 'mmio' });
    },
  );

  it('a READONLY slot never dirties its log, even with logging on', () => {
    const vm = makeVm();
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512, flags: RO | LOG }));
    const vcpu = vm.createVcpu(0);
    vcpu.read(asGfn(5));
    vcpu.write(asGfn(6));
    expect(setBits(vm.getDirtyLog(0))).toEqual([]);
  });

  it.each(ARCHES)('a read or write of a gfn with no memslot is an MMIO exit (%s)', (arch) => {
    const vm = makeVm({ arch });
    vm.setUserMemoryRegion(region({ baseGfn: 0, npages: 512 }));
    const vcpu = vm.createVcpu(0);
    expect(vcpu.read(asGfn(512))).toMatchObject({ outcome: 'mmio-exit', exit: 'mmio' });
    expect(vcpu.write(asGfn(GiB / 4096))).toMatchObject({ outcome: 'mmio-exit', exit: 'mmio' });
    expect(vm.getStats().pf_mmio).toBe(2);
  });
});

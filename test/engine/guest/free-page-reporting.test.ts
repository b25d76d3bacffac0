import { DEFAULT_COSTS } from '../../../engine/kvm/costs.ts';
import { describe, expect, it } from 'vitest';
import type { BalloonSpec, RunPlan } from '../../../engine/plan.ts';
import { run } from '../../../engine/run.ts';
import { BuddyAllocator, PAGE_ALLOCATED } from '../../../engine/guest/buddy.ts';
import { PageReporting } from '../../../engine/guest/free-page-reporting.ts';
import { GuestMemory } from '../../../engine/guest/memory.ts';
import { HostMemory } from '../../../engine/vmm/host-memory.ts';
import { resolveBalloonCosts } from '../../../engine/kvm/balloon-costs.ts';
import { makeVm, region } from '../../helpers/kvm.ts';
import { SpteLevel } from '../../../engine/kvm/types.ts';
import { GiB, MiB, migration, plan, tracking } from '../../helpers/plans.ts';
import type { RunResult } from '../../../engine/results.ts';
import { rowsOf } from '../../helpers/migration.ts';

/** 256 MiB: more free memory than one report of order-9 blocks (32 x 2 MiB) plus the watermark. */
const UNIT_PAGES = 65_536;
const WARMUP_NS = 8e9;

/** A 512 MiB guest that once used 384 MiB and now keeps 128 MiB in scattered blocks. */
function balloonPlan(balloon: BalloonSpec, over: Partial<RunPlan> = {}): RunPlan {
  return plan({
    vm: {
      name: 'g',
      arch: 'x86_64',
      vcpus: 1,
      slots: [{ name: 'ram0', gpa: 4 * GiB, size: 512 * MiB, backing: 'thp' }],
      workloads: [
        {
          kind: 'alloc',
          rate: 20_000,
          churn: 2_000,
          usedBytes: 128 * MiB,
          peakBytes: 384 * MiB,
          maxOrder: 9,
        },
      ],
      prefill: 1,
      balloon,
    },
    tracking: tracking({ dirtyLog: 'bitmap-initially-set' }),
    migration: migration({ bandwidth: 1.25e9 }),
    warmupNs: WARMUP_NS,
    ...over,
  });
}

/** The pieces of a guest with a balloon, without the simulation around them. */
function unitGuest(): {
  memory: GuestMemory;
  buddy: BuddyAllocator;
  host: HostMemory;
  write: (page: number) => void;
  vm: ReturnType<typeof makeVm>;
} {
  const vm = makeVm({
    slots: [region({ slot: 0, baseGfn: 0, npages: UNIT_PAGES, backing: '4k' })],
    vcpus: 1,
  });
  const memory = new GuestMemory(vm.memslots());
  const buddy = new BuddyAllocator(memory.ramPages);
  buddy.freeRange(0, memory.ramPages);
  const host = new HostMemory(
    memory,
    vm,
    resolveBalloonCosts(),
    (p) => buddy.state[p] === PAGE_ALLOCATED,
  );
  const slot = memory.slots[0];
  const write = (page: number): void => {
    vm.vcpus[0].accessFast(page, true);
    memory.recordWrite(slot, page);
    host.onAccess(slot, page);
  };
  return { memory, buddy, host, write, vm };
}

describe('free page reporting', () => {
  it('splits the host huge page on a discard below 2M: KVM maps it at 4K, a refault brings back one page', () => {
    const vm = makeVm({
      slots: [region({ slot: 0, baseGfn: 0, npages: 2048, backing: 'thp' })],
      vcpus: 1,
    });
    const memory = new GuestMemory(vm.memslots());
    const host = new HostMemory(memory, vm, resolveBalloonCosts(), () => false);
    const slot = memory.slots[0];
    const touch = (page: number): void => {
      vm.vcpus[0].accessFast(page, true);
      memory.recordWrite(slot, page);
      host.onAccess(slot, page);
    };
    touch(0); // first 2M frame: one THP, mapped 2M by KVM
    touch(9); // the guest's data in it
    touch(512); // second frame, likewise
    expect(slot.memslot.tdp.leafLevel(0)).toBe(SpteLevel.PG_LEVEL_2M);
    expect(host.rssPages).toBe(1024);
    // Part of the first frame: the THP splits, KVM's 2M mapping goes (MMU notifier).
    host.discard(8, 8);
    expect(slot.memslot.hostHugePageSplit(8)).toBe(true);
    expect(host.rssPages).toBe(1016);
    touch(9);
    expect(slot.memslot.tdp.leafLevel(9)).toBe(SpteLevel.PG_LEVEL_4K);
    expect(host.refaults).toBe(1);
    expect(host.rssPages).toBe(1017);
    // Its twin: the whole second frame goes; the next touch faults a whole THP back in.
    host.discard(512, 512);
    expect(slot.memslot.hostHugePageSplit(512)).toBe(false);
    expect(host.rssPages).toBe(505);
    touch(600);
    expect(slot.memslot.tdp.leafLevel(600)).toBe(SpteLevel.PG_LEVEL_2M);
    expect(host.rssPages).toBe(1017);
  });

  it('discards a reported block after PAGE_REPORTING_DELAY and a reused page comes back zero', () => {
    const { memory, buddy, host, write, vm } = unitGuest();
    const slot = memory.slots[0];
    const head = buddy.alloc(9);
    for (let p = head; p < head + 512; p++) write(p);
    expect(slot.gen.get(head)).toBe(1);
    expect(host.rssPages).toBe(512);
    const reporting = new PageReporting(
      buddy,
      host,
      { transport: 'virtio', order: 9, capacity: 32, delayNs: 2e9, bufferEntries: 512 },
      resolveBalloonCosts(),
      vm.costs,
    );
    reporting.now = 0;
    buddy.free(head, 9);
    reporting.tick(1e9);
    expect(reporting.reports).toBe(0);
    reporting.tick(2e9);
    expect(reporting.reports).toBeGreaterThan(0);
    expect(host.rssPages).toBe(0);
    // The discard changed the page (to zeros) without a guest write: a new generation,
    // and KVM's SPTE is gone (MMU notifier), so the next access faults.
    expect(host.isZeroed(slot, head)).toBe(true);
    expect(slot.gen.get(head)).toBe(2);
    expect(slot.memslot.tdp.leafLevel(head)).toBe(0);
    expect(slot.sensitive.has(head)).toBe(true);
    expect(host.usedPagesDiscarded).toBe(0);
    // Reuse: the guest touches the page again; the host faults in a zero page.
    write(head);
    expect(host.refaults).toBe(1);
    expect(host.isZeroed(slot, head)).toBe(false);
    expect(host.rssPages).toBe(1);
  });

  it("discards a block as it is freed with Duyck's hypercall, and only a block of the reporting order", () => {
    const { memory, buddy, host, write, vm } = unitGuest();
    const slot = memory.slots[0];
    const big = buddy.alloc(9);
    const small = buddy.alloc(8);
    for (let p = big; p < big + 512; p++) write(p);
    for (let p = small; p < small + 256; p++) write(p);
    const reporting = new PageReporting(
      buddy,
      host,
      { transport: 'free-hypercall', order: 9, capacity: 32, delayNs: 2e9, bufferEntries: 512 },
      resolveBalloonCosts(),
      vm.costs,
    );
    buddy.free(small, 8);
    expect(reporting.exits).toBe(0);
    buddy.free(big, 9);
    // At once: no delay, no pass over the free lists; one exit handled inside KVM.
    expect(reporting.exits).toBe(1);
    expect(reporting.reportedPages).toBe(512);
    expect(host.isZeroed(slot, big)).toBe(true);
    expect(host.isZeroed(slot, small)).toBe(false);
    expect(reporting.exitNs).toBe(vm.costs.vmExit);
    expect(reporting.waitNs).toBeGreaterThan(0);
    reporting.tick(10e9);
    expect(reporting.exits).toBe(1);
  });

  it('counts a discard of a page the guest still uses (the check has teeth)', () => {
    const { buddy, host, write } = unitGuest();
    const head = buddy.alloc(0);
    write(head);
    host.discard(head, 1);
    expect(host.usedPagesDiscarded).toBe(1);
  });

  it('never discards a used page, through any transport, across report, discard and reuse', () => {
    for (const reporting of ['virtio', 'hypercall', 's390', 'free-hypercall'] as const) {
      const s = summaryRow(run(balloonPlan({ reporting, order: reporting === 's390' ? 0 : 5 })));
      expect(s, reporting).toMatchObject({
        status: 'completed',
        used_pages_discarded: 0,
        stale_pages: 0,
      });
      expect(Number(s.discarded_pages), reporting).toBeGreaterThan(0);
      // s390 zaps pages as they are freed, and the guest soon allocates them again.
      // virtio and the hypercall put reported blocks back at the tail of the free
      // lists (FPI_TO_TAIL), which the guest reaches last; and a refault brings back
      // only the page touched, once a partial discard has split the host's THP.
      if (reporting === 's390') expect(Number(s.refaults), reporting).toBeGreaterThan(0);
    }
  });

  it('reports fewer pages under fragmentation the higher the threshold order', () => {
    const reported = [5, 9, 10].map((order) => {
      const s = summaryRow(run(balloonPlan({ reporting: 'virtio', order })));
      return { pages: Number(s.reported_pages), rss: Number(s.rss_bytes) };
    });
    expect(reported[0].pages).toBeGreaterThan(reported[1].pages);
    expect(reported[1].pages).toBeGreaterThan(reported[2].pages);
    expect(reported[0].rss).toBeLessThan(reported[1].rss);
    expect(reported[1].rss).toBeLessThan(reported[2].rss);
  });

  it('batching lowers exits: virtio kicks once per report, the hypercall exits per range', () => {
    const virtio = summaryRow(run(balloonPlan({ reporting: 'virtio', order: 9 })));
    const hypercall = summaryRow(run(balloonPlan({ reporting: 'hypercall', order: 9 })));
    expect(Number(virtio.reported_pages)).toBeGreaterThan(0);
    expect(Number(virtio.balloon_exits)).toBe(Number(virtio.reports));
    expect(Number(hypercall.balloon_exits)).toBe(Number(hypercall.discard_calls));
    expect(Number(virtio.balloon_exits) * 10).toBeLessThan(Number(hypercall.balloon_exits));
    expect(Number(virtio.balloon_guest_ms)).toBeLessThan(Number(hypercall.balloon_guest_ms));
  });

  it('splits the reporting vCPU time into exits and waits for the discard', () => {
    const virtio = summaryRow(run(balloonPlan({ reporting: 'virtio', order: 9 })));
    const hypercall = summaryRow(run(balloonPlan({ reporting: 'hypercall', order: 9 })));
    const costs = DEFAULT_COSTS;
    // One exit per kick or per hypercall; the virtio worker sleeps while QEMU discards.
    expect(Number(virtio.balloon_exit_ms)).toBeCloseTo(
      (Number(virtio.balloon_exits) * costs.vmExit) / 1e6,
      9,
    );
    expect(Number(virtio.balloon_wait_ms)).toBe(0);
    expect(Number(hypercall.balloon_exit_ms)).toBeCloseTo(
      (Number(hypercall.balloon_exits) * costs.userspaceExit) / 1e6,
      9,
    );
    // The hypercall's vCPU waits in the exit for each discard: the host's whole work.
    expect(Number(hypercall.balloon_wait_ms)).toBeCloseTo(Number(hypercall.balloon_host_ms), 9);
    for (const r of [virtio, hypercall]) {
      expect(Number(r.balloon_exit_ms) + Number(r.balloon_wait_ms)).toBeLessThanOrEqual(
        Number(r.balloon_guest_ms) + 1e-9,
      );
    }
  });

  it('takes its budget in blocks: a capacity changes the batching, not what is reported', () => {
    const [one, kernel] = [1, 32].map((capacity) =>
      summaryRow(run(balloonPlan({ reporting: 'virtio', order: 9, capacity }))),
    );
    expect(Number(kernel.reported_pages)).toBeGreaterThan(0);
    expect(Number(one.reported_pages)).toBeGreaterThan(0.97 * Number(kernel.reported_pages));
    expect(Number(one.reported_pages)).toBeLessThan(1.03 * Number(kernel.reported_pages));
    // One range per report instead of up to 32.
    expect(Number(one.reports)).toBeGreaterThan(10 * Number(kernel.reports));
  });

  it('reports nothing before PAGE_REPORTING_DELAY has passed', () => {
    const timeline = rowsOf<{ time_s: number; reported_mib: number }>(
      run(balloonPlan({ reporting: 'virtio', order: 9 })).timeline,
    );
    expect(timeline[0].time_s).toBeLessThan(1);
    expect(timeline.filter((r) => r.time_s < 2).every((r) => r.reported_mib === 0)).toBe(true);
    expect(timeline[timeline.length - 1].reported_mib).toBeGreaterThan(0);
  });

  it('gives the same tables for the same plan and seed', () => {
    const a = run(balloonPlan({ reporting: 'virtio', order: 9, hinting: true }));
    const b = run(balloonPlan({ reporting: 'virtio', order: 9, hinting: true }));
    expect(a.summary.objects()).toEqual(b.summary.objects());
    expect(a.timeline.objects()).toEqual(b.timeline.objects());
  });

  it('adds no column to the tables of a run without a balloon', () => {
    const r = run(plan({ warmupNs: 100e6 }));
    expect(r.summary.columnNames()).not.toContain('rss_bytes');
    expect(r.timeline.columnNames()).not.toContain('rss_mib');
  });
});

/** The summary row with the balloon's columns (the shared Summary type has the base ones). */
function summaryRow(result: RunResult): Record<string, unknown> {
  return result.summary.objects()[0] as Record<string, unknown>;
}

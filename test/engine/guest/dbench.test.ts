import { describe, expect, it } from 'vitest';
import type { AccessPattern } from '../../../engine/guest/workload.ts';
import { Kvm } from '../../../engine/index.ts';
import { GuestMemory } from '../../../engine/guest/memory.ts';
import { compileWorkloads } from '../../../engine/guest/workload.ts';
import { dbenchWorkload } from '../../../engine/guest/dbench.ts';

// ---- tunables ----
const MiB = 2 ** 20;
const RAM = 128 * MiB;
const FILES = { offset: 64 * MiB, size: 32 * MiB };
const METADATA = { offset: 16 * MiB, size: 8 * MiB };
const CLIENTS = 4;

function memory(): GuestMemory {
  const vm = new Kvm({ arch: 'x86_64' }).createVm();
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: RAM });
  return new GuestMemory(vm.memslots());
}

type Phases = Extract<AccessPattern, { kind: 'phases' }>;

function phases(p: AccessPattern): Phases {
  if (p.kind !== 'phases') throw new Error(`expected phases, got ${p.kind}`);
  return p;
}

const compile = (): Phases[] =>
  compileWorkloads(
    [dbenchWorkload({ files: FILES, metadata: METADATA, rate: 10_000 })],
    CLIENTS,
    memory(),
  ).map(phases);

describe('dbenchWorkload', () => {
  it('has each client write its own slice of the files front to back', () => {
    const slice = FILES.size / 4096 / CLIENTS;
    compile().forEach((p, id) => {
      const files = p.phases[0].pattern;
      if (files.kind !== 'sequential') throw new Error(`expected sequential, got ${files.kind}`);
      expect(files.ranges.map((r) => [r.start, r.end])).toEqual([
        [FILES.offset / 4096 + id * slice, FILES.offset / 4096 + (id + 1) * slice],
      ]);
      expect(files.readFraction).toBe(0.5);
    });
  });

  it('has every client update the same metadata, most of it in its hottest eighth', () => {
    const meta = compile().map((p) => p.phases[1].pattern);
    const first = meta[0];
    if (first.kind !== 'mixture') throw new Error(`expected a mixture, got ${first.kind}`);
    const start = METADATA.offset / 4096;
    const hotEnd = start + METADATA.size / 4096 / 8;
    expect(first.components.map((c) => [c.start, c.end, c.weight])).toEqual([
      [start, hotEnd, 0.9],
      [hotEnd, start + METADATA.size / 4096, expect.closeTo(0.1, 12)],
    ]);
    expect(first.readFraction).toBe(0);
    const ranges = (m: AccessPattern): number[][] =>
      m.kind === 'mixture' ? m.components.map((c) => [c.start, c.end]) : [];
    for (const m of meta) expect(ranges(m)).toEqual(ranges(first));
  });

  it('alternates file bursts and shorter metadata bursts, and repeats', () => {
    const [p] = compile();
    expect(p.repeat).toBe(true);
    expect(p.phases.map((x) => x.durationNs)).toEqual([40e6, 10e6]);
  });

  it('rejects a rate that is not positive, and accepts a positive one', () => {
    expect(() => dbenchWorkload({ files: FILES, metadata: METADATA, rate: 0 })).toThrow(
      /dbench-like workload needs a rate > 0, got 0/,
    );
    expect(() => dbenchWorkload({ files: FILES, metadata: METADATA, rate: 1 })).not.toThrow();
  });
});

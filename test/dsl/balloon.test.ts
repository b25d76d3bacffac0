import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import { run } from '../../engine/run.ts';

const REST = `tracking manual { dirty_log initially_set }
migration fast { bandwidth 10Gbit/s, downtime 300ms }
run g with manual, fast seed 1 warmup 3s max_time 20s`;

function vm(body: string): string {
  return `vm g {
  vcpus 1
  slot ram0 at 0 size 512MiB
  prefill 100%
  workload alloc { rate 5k/s per vcpu, churn 1k/s, used 128MiB, peak 384MiB, order 9 }
  ${body}
}
${REST}`;
}

describe('balloon block', () => {
  it('compiles reporting, hinting and the alloc workload into the plan', () => {
    const { program, diagnostics } = compile(
      vm('balloon { reporting hypercall, order 10, capacity 16, delay 1s, hinting on }'),
    );
    expect(diagnostics).toEqual([]);
    const spec = program.vms[0];
    expect(spec.balloon).toEqual({
      reporting: 'hypercall',
      order: 10,
      capacity: 16,
      delayNs: 1e9,
      hinting: true,
    });
    expect(spec.workloads).toEqual([
      {
        kind: 'alloc',
        rate: 5_000,
        churn: 1_000,
        usedBytes: 128 * 2 ** 20,
        peakBytes: 384 * 2 ** 20,
        maxOrder: 9,
      },
    ]);
    const summary = run(program.experiments[0].plans[0].plan).summary.objects()[0];
    expect(summary).toMatchObject({
      status: 'completed',
      stale_pages: 0,
      reporting: 'hypercall',
      reporting_order: 10,
      hinting: 'on',
      used_pages_discarded: 0,
    });
  });

  it('rejects a reporting order above MAX_ORDER-1, naming the fix', () => {
    expect(compile(vm('balloon { order 11 }')).diagnostics).toMatchObject([
      {
        severity: 'error',
        code: 'out-of-range',
        message: expect.stringContaining('above MAX_ORDER-1 = 10') as string,
      },
    ]);
  });

  it('accepts MAX_ORDER-1 itself, and a higher order once max_order is raised', () => {
    expect(compile(vm('balloon { order 10 }')).diagnostics).toEqual([]);
    expect(compile(vm('balloon { order 11, max_order 12 }')).diagnostics).toEqual([]);
  });

  it("rejects an alloc workload's order the buddy allocator does not have", () => {
    const text = vm('balloon { max_order 9 }');
    expect(compile(text).diagnostics).toMatchObject([
      {
        code: 'out-of-range',
        message: expect.stringContaining("alloc workload's order 9") as string,
      },
    ]);
  });

  it('rejects an unknown transport and an unknown balloon field', () => {
    expect(compile(vm('balloon { reporting ballon }')).diagnostics).toMatchObject([
      { code: 'unknown-value' },
    ]);
    expect(compile(vm('balloon { threshold 9 }')).diagnostics).toMatchObject([
      { code: 'unknown-field' },
    ]);
  });

  it('requires churn and used in an alloc workload', () => {
    const text = `vm g { slot ram0 at 0 size 512MiB\nworkload alloc { rate 1k/s } }\n${REST}`;
    expect(compile(text).diagnostics.map((d) => d.message)).toEqual([
      "An alloc workload needs 'churn'.",
      "An alloc workload needs 'used'.",
    ]);
  });
});

describe('balloon with a migration', () => {
  it('warns that hinting is off when the migration may switch to postcopy', () => {
    const text = vm('balloon { hinting on }').replace(
      'migration fast { bandwidth 10Gbit/s, downtime 300ms }',
      'migration fast { bandwidth 10Gbit/s, downtime 300ms, postcopy after 3 }',
    );
    expect(compile(text).diagnostics).toMatchObject([
      { severity: 'warning', code: 'unsupported-combination' },
    ]);
  });

  it('does not warn about hinting with precopy only', () => {
    expect(compile(vm('balloon { hinting on }')).diagnostics).toEqual([]);
  });
});

describe('balloon costs', () => {
  it('lowers cost overrides by their snake_case names', () => {
    const { program, diagnostics } = compile(
      vm('balloon { reporting virtio, cost madvise_call 3us refault_zero_page 2us }'),
    );
    expect(diagnostics).toEqual([]);
    expect(program.vms[0].balloon?.costs).toEqual({ madviseCall: 3000, refaultZeroPage: 2000 });
  });

  it('rejects an unknown balloon cost', () => {
    expect(compile(vm('balloon { cost madvise 3us }')).diagnostics).not.toEqual([]);
  });
});

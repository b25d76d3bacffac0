import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import { run } from '../../engine/run.ts';
import { memoryLoader } from './cases.ts';

const REST = `tracking ring { dirty_log ring 4096, ring_acq_rel on }
migration fast { bandwidth 10Gbit/s, downtime 300ms }
run small with ring, fast seed 1 warmup 100ms max_time 20s`;

const TRACE = 'time,vcpu,gfn,op\n0,0,1,w\n1000,1,2,w\n2000,0,3,r\n';

describe('workload phases', () => {
  it('compiles phases with their durations, kinds and repeat', () => {
    const text = `vm small {
  vcpus 2
  slot ram0 at 0 size 256MiB
  workload phases {
    phase 50ms hotset { rate 20k/s, set 16MiB }
    phase 20ms idle
    repeat off
  }
}
${REST}`;
    const { program, diagnostics } = compile(text);
    expect(diagnostics).toEqual([]);
    expect(program.vms[0].workloads).toEqual([
      {
        kind: 'phases',
        phases: [
          { durationNs: 50e6, workload: { kind: 'hotset', rate: 20_000, hotBytes: 16 * 2 ** 20 } },
          { durationNs: 20e6, workload: { kind: 'idle' } },
        ],
        repeat: false,
      },
    ]);
    const summary = run(program.experiments[0].plans[0].plan).summary.objects()[0];
    expect(summary).toMatchObject({ status: 'completed', stale_pages: 0 });
  });

  it('reports a phase missing a field of its kind at the phase', () => {
    const text = 'vm v { slot r at 0 size 1GiB\nworkload phases { phase 1s zipf { rate 1k/s } } }';
    expect(compile(text).diagnostics).toMatchObject([
      { code: 'missing-field', line: 2, column: 19, message: "A zipf workload needs 'exponent'." },
    ]);
  });

  it('rejects a nested phase and a trace field in a phases workload', () => {
    const text = 'vm v { slot r at 0 size 1GiB\nworkload phases { phase 1s idle, file "t.csv" } }';
    expect(compile(text).diagnostics).toMatchObject([
      { code: 'inapplicable-field', message: "'file' does not apply to a phases workload." },
    ]);
  });
});

describe('workload trace', () => {
  it('loads the rows through the file loader, relative to the including file', () => {
    const load = memoryLoader({ '/lab/traces/t.csv': TRACE });
    const text = `vm small {
  vcpus 2
  slot ram0 at 0 size 256MiB
  workload trace { file "traces/t.csv", loop on }
}
${REST}`;
    const { program, diagnostics } = compile(text, { file: '/lab/main.mmu', load });
    expect(diagnostics).toEqual([]);
    expect(program.vms[0].workloads).toEqual([
      {
        kind: 'trace',
        rows: [
          { time: 0, vcpu: 0, gfn: 1, op: 'w' },
          { time: 1000, vcpu: 1, gfn: 2, op: 'w' },
          { time: 2000, vcpu: 0, gfn: 3, op: 'r' },
        ],
        loop: true,
      },
    ]);
    const summary = run(program.experiments[0].plans[0].plan).summary.objects()[0];
    expect(summary).toMatchObject({ status: 'completed', stale_pages: 0 });
  });

  it('reports a missing trace file at its name', () => {
    const text = 'vm v { slot r at 0 size 1GiB\nworkload trace { file "none.csv" } }';
    const { diagnostics } = compile(text, { file: '/m.mmu', load: memoryLoader({}) });
    expect(diagnostics).toMatchObject([
      { code: 'missing-file', line: 2, column: 23, message: 'File "none.csv" not found.' },
    ]);
  });

  it('wants the file name quoted', () => {
    const text = 'vm v { slot r at 0 size 1GiB\nworkload trace { file t } }';
    expect(compile(text).diagnostics).toMatchObject([
      {
        code: 'unexpected-argument',
        message: "Expected a file name in double quotes, got the word 't'.",
      },
    ]);
  });
});

describe('tracking ring_acq_rel', () => {
  it('compiles on and off to ringAcqRel', () => {
    const r = compile(
      'tracking a { dirty_log ring 4096, ring_acq_rel on }\ntracking b extends a { ring_acq_rel off }',
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.program.tracking.map((t) => t.ringAcqRel)).toEqual([true, false]);
  });
});

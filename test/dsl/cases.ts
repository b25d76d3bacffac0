import { posix } from 'node:path';
import type { FileLoader } from '../../dsl/compile.ts';

/** Shared texts for the dsl tests: a valid base program, and one twin pair per diagnostic. */
export const BASE = [
  'vm db {',
  '  arch x86_64',
  '  vcpus 2',
  '  slot ram0 at 4GiB size 256MiB backing hugetlb_2m',
  '  workload hotset { rate 20k/s per vcpu, set 16MiB, hot 95% }',
  '}',
  'tracking manual { dirty_log manual }',
  'tracking ring { dirty_log ring 4096 }',
  'migration fast { bandwidth 10Gbit/s, downtime 300ms }',
  'costs slow { vm_exit 700ns }',
].join('\n');

/** The line a case's text starts on (it is appended to BASE). */
export const CASE_LINE = BASE.split('\n').length + 1;

export interface DiagnosticCase {
  code: string;
  /** Appended to BASE; must produce exactly this diagnostic (first of its code). */
  bad: string;
  /** Its passing twin: no diagnostic at all. */
  good: string;
  message: string;
  /** Text on the case's first line where the diagnostic starts (column = its index + 1). */
  at: string;
  /** Line offset within the case (default 0). */
  lineOffset?: number;
  severity?: 'error' | 'warning';
  /** Files the in-memory loader serves, by absolute path (the case's text is /lab.mmu). */
  files?: Record<string, string>;
  /** The used file the diagnostic is in; its line then counts from 1, not CASE_LINE. */
  inFile?: string;
}

/** The name the check tests give the case texts. */
export const LAB_FILE = '/lab.mmu';

/** A FileLoader over a map of absolute paths, resolving as the command line does. */
export function memoryLoader(files: Record<string, string>): FileLoader {
  return (path, fromFile) => {
    const file = posix.resolve(fromFile === undefined ? '/' : posix.dirname(fromFile), path);
    const text = files[file];
    return text === undefined ? null : { text, file };
  };
}

export const DIAGNOSTIC_CASES: DiagnosticCase[] = [
  {
    code: 'duplicate-slot-name',
    bad: 'vm v { slot a at 0 size 1GiB, slot a at 1GiB size 1GiB }',
    good: 'vm v { slot a at 0 size 1GiB, slot b at 1GiB size 1GiB }',
    message: "Slot 'a' is already defined on line 11.",
    at: 'a at 1GiB',
  },
  {
    code: 'slot-too-large',
    bad: 'vm v { slot r at 0 size 8TiB }',
    good: 'vm v { slot r at 0 size 4TiB, slot s at 4TiB size 4TiB }',
    message:
      "Slot 'r' has 2,147,483,648 pages; KVM allows at most 2,147,483,647 (KVM_MEM_MAX_NR_PAGES, 8TiB less 4KiB) in one memslot and fails KVM_SET_USER_MEMORY_REGION with EINVAL.",
    at: '8TiB',
  },
  {
    code: 'slot-beyond-max-gfn',
    bad: 'vm v { slot r at 4PiB size 1GiB }',
    good: 'vm v { slot r at 4095TiB size 1TiB }',
    message:
      "Slot 'r' ends at 4PiB + 1GiB, beyond the 2^52 bytes (4PiB) of guest physical address x86 KVM maps (kvm_mmu_max_gfn); KVM_SET_USER_MEMORY_REGION fails with EINVAL.",
    at: '4PiB',
  },
  {
    code: 'empty-region',
    bad: 'vm v { vcpus 8, slot r at 0 size 1GiB\n  workload uniform { rate 1k/s, region 0..16KiB, partition } }',
    good: 'vm v { vcpus 8, slot r at 0 size 1GiB\n  workload uniform { rate 1k/s, region 0..32KiB, partition } }',
    message:
      '`partition` splits 4 pages among 8 vCPUs: some vCPU gets an empty region, which a run rejects.',
    at: 'partition',
    lineOffset: 1,
  },
  {
    code: 'empty-region',
    bad: 'vm v { slot r at 0 size 1GiB\n  workload uniform { rate 1k/s, region 0..2KiB } }',
    good: 'vm v { slot r at 0 size 1GiB\n  workload uniform { rate 1k/s, region 0..4KiB } }',
    message: 'The region holds no whole 4KiB page, which a run rejects.',
    at: '0..2KiB',
    lineOffset: 1,
  },
  {
    code: 'alloc-exceeds-ram',
    bad: 'vm v { vcpus 2, slot r at 0 size 64MiB, balloon { reporting virtio }\n  workload alloc { rate 1k/s, churn 1k/s, used 32MiB, peak 128MiB } }',
    good: 'vm v { vcpus 2, slot r at 0 size 64MiB, balloon { reporting virtio }\n  workload alloc { rate 1k/s, churn 1k/s, used 32MiB, peak 64MiB } }',
    message:
      "The alloc workload allocates 128MiB at boot, but vm 'v' has 64MiB free for them (64MiB of RAM, 0B in the other workloads' regions).",
    at: '128MiB',
    lineOffset: 1,
  },
  {
    code: 'alloc-exceeds-ram',
    bad: 'vm v { vcpus 2, slot r at 0 size 64MiB, balloon { reporting virtio }\n  workload hotset { rate 1k/s, set 1MiB, vcpus 1 }\n  workload alloc { rate 1k/s, churn 1k/s, used 32MiB, vcpus 0 } }',
    good: 'vm v { vcpus 2, slot r at 0 size 64MiB, balloon { reporting virtio }\n  workload hotset { rate 1k/s, set 1MiB, region 0..16MiB, vcpus 1 }\n  workload alloc { rate 1k/s, churn 1k/s, used 32MiB, vcpus 0 } }',
    message:
      "The alloc workload allocates 32MiB at boot, but vm 'v' has 0B free for them (64MiB of RAM, 64MiB in the other workloads' regions).",
    at: '32MiB',
    lineOffset: 2,
  },
  {
    code: 'unknown-vcpu',
    bad: 'vm v { vcpus 2, slot r at 0 size 1GiB\n  workload uniform { rate 1k/s, vcpus 0..7 } }',
    good: 'vm v { vcpus 8, slot r at 0 size 1GiB\n  workload uniform { rate 1k/s, vcpus 0..7 } }',
    message: "This workload runs on vCPUs 2..7, but vm 'v' has 2 vCPUs (0..1).",
    at: '0..7',
    lineOffset: 1,
  },
  {
    code: 'unknown-vcpu',
    bad: 'vm big { vcpus 4, slot r at 0 size 1GiB\n  workload uniform { rate 1k/s, vcpus 3 } }\nvm small extends big { vcpus 2 }',
    good: 'vm big { vcpus 4, slot r at 0 size 1GiB\n  workload uniform { rate 1k/s, vcpus 3 } }\nvm small extends big { vcpus 2\n  workload uniform { rate 1k/s, vcpus 1 } }',
    message:
      "A workload vm 'small' takes from its base runs on vCPU 3, but vm 'small' has 2 vCPUs (0..1).",
    at: 'small',
    lineOffset: 2,
  },
  {
    code: 'region-outside-ram',
    bad: 'vm v { slot r at 0 size 1GiB\n  workload uniform { rate 1k/s, region 0..4GiB } }',
    good: 'vm v { slot r at 0 size 1GiB, slot s at 4GiB size 3GiB\n  workload uniform { rate 1k/s, region 0..4GiB } }',
    message: "The region ends at 4GiB, past the end of the RAM of vm 'v' (1GiB in its slots).",
    at: '0..4GiB',
    lineOffset: 1,
  },
  {
    code: 'vcpu-in-two-workloads',
    bad: 'vm v { vcpus 2, slot r at 0 size 1GiB\n  workload uniform { rate 1k/s }\n  workload hotset { rate 1k/s, set 1MiB, vcpus 1 } }',
    good: 'vm v { vcpus 2, slot r at 0 size 1GiB\n  workload uniform { rate 1k/s, vcpus 0 }\n  workload hotset { rate 1k/s, set 1MiB, vcpus 1 } }',
    message: 'vCPU 1 already runs the workload on line 12; a vCPU runs one workload.',
    at: '1 }',
    lineOffset: 2,
  },
  {
    code: 'unexpected-character',
    bad: 'run db with manual, fast seed 1 @',
    good: 'run db with manual, fast seed 1 # @ in a comment',
    message: 'Unexpected character "@".',
    at: '@',
  },
  {
    code: 'unexpected-character',
    bad: 'run db with manual, fast\u00a0seed 1',
    good: 'run db with manual, fast seed 1',
    message: 'Unexpected invisible space U+00A0 (a non-breaking space).',
    at: '\u00a0',
  },
  {
    code: 'unexpected-character',
    bad: 'vm v { vcpus 1\u0001, slot r at 0 size 1GiB }',
    good: 'vm v { vcpus 1, slot r at 0 size 1GiB }',
    message: 'Unexpected control character U+0001 (invisible in most editors).',
    at: '\u0001',
  },
  {
    code: 'unexpected-character',
    bad: 'export summary to \u201cout/\u201d',
    good: 'export summary to "out/"',
    message: "Unexpected curly quote '\u201c' (U+201C).",
    at: '\u201c',
  },
  {
    code: 'non-ascii-name',
    bad: 'vm café { vcpus 1, slot r at 0 size 1GiB }\nrun café with manual, fast',
    good: 'vm cafe { vcpus 1, slot r at 0 size 1GiB } # café\nrun cafe with manual, fast',
    message: "'café' is not a name: names are ASCII letters, digits and _, and 'é' is not.",
    at: 'café',
  },
  {
    code: 'unterminated-string',
    bad: 'use "common.mmu\nrun db with manual, fast',
    good: 'use "common.mmu"\nrun db with manual, fast',
    files: { '/common.mmu': 'tracking t2 { dirty_log bitmap }' },
    message: `This string is never closed: no '"' ends it on its line.`,
    at: '"common',
  },
  {
    code: 'unknown-unit',
    bad: 'migration m { bandwidth 10Gbit, downtime 300ms }',
    good: 'migration m { bandwidth 10Gbit/s, downtime 300ms }',
    message: "'10Gbit' has a unit the language does not know: 'Gbit'. Did you mean '10Gbit/s'?",
    at: '10Gbit',
  },
  {
    code: 'unknown-unit',
    bad: 'migration m { bandwidth 10Gbps, downtime 300ms }',
    good: 'migration m { bandwidth 10Gbit/s, downtime 300ms }',
    message: "'10Gbps' has a unit the language does not know: 'Gbps'. Did you mean '10Gbit/s'?",
    at: '10Gbps',
  },
  {
    code: 'negative-number',
    bad: 'vm v {\n  vcpus -4\n  slot r at 0 size 1GiB\n}',
    good: 'vm v {\n  vcpus 4\n  slot r at 0 size 1GiB\n}',
    message: "A number can't be negative here: -4 for 'vcpus'.",
    at: '-4',
    lineOffset: 1,
  },
  {
    code: 'unknown-keyword',
    bad: 'vmm a { vcpus 2, slot r at 0 size 1GiB }',
    good: 'vm a { vcpus 2, slot r at 0 size 1GiB }',
    message: "Unknown keyword 'vmm': did you mean 'vm'?",
    at: 'vmm',
  },
  {
    code: 'keyword-as-name',
    bad: 'vm run { vcpus 2, slot r at 0 size 1GiB }',
    good: 'vm runner { vcpus 2, slot r at 0 size 1GiB }',
    message: "'run' is a keyword, so it can't name a vm.",
    at: 'run',
  },
  {
    code: 'unclosed',
    bad: 'vm v {\n  vcpus 2\n  slot r at 0 size 1GiB\n\nrun v with manual, fast',
    good: 'vm v {\n  vcpus 2\n  slot r at 0 size 1GiB\n}\nrun v with manual, fast',
    message: `The '{' on line ${CASE_LINE} is never closed: line ${CASE_LINE + 4} starts a new statement ('run') first.`,
    at: '{',
  },
  {
    code: 'syntax-error',
    bad: 'run db manual, fast',
    good: 'run db with manual, fast',
    message: "Expected 'with' but found 'manual'.",
    at: 'manual',
  },
  {
    code: 'unknown-name',
    bad: 'run db with manul, fast',
    good: 'run db with manual, fast',
    message: "Unknown tracking policy 'manul'. Did you mean 'manual'?",
    at: 'manul',
  },
  {
    code: 'wrong-kind',
    bad: 'run db with fast, fast',
    good: 'run db with ring, fast',
    message: "'fast' is a migration policy, not a tracking policy.",
    at: 'fast',
  },
  {
    code: 'unknown-field',
    bad: 'tracking t { dirty_log ring 4096, eager_splt on }',
    good: 'tracking t { dirty_log ring 4096, eager_split on }',
    message: "Unknown tracking field 'eager_splt'. Did you mean 'eager_split'?",
    at: 'eager_splt',
  },
  {
    code: 'inapplicable-field',
    bad: 'vm v { slot r at 0 size 1GiB\n  workload zipf { rate 1k/s, exponent 1.1, set 1GiB } }',
    good: 'vm v { slot r at 0 size 1GiB\n  workload zipf { rate 1k/s, exponent 1.1 } }',
    message: "'set' does not apply to a zipf workload.",
    at: 'set',
    lineOffset: 1,
  },
  {
    code: 'unknown-value',
    bad: 'tracking t { dirty_log rign 4096 }',
    good: 'tracking t { dirty_log ring 4096 }',
    message:
      "'dirty_log' takes 'bitmap', 'manual', 'initially_set', 'ring' or 'ring_with_bitmap', got 'rign'. Did you mean 'ring'?",
    at: 'rign',
  },
  {
    code: 'duplicate-definition',
    bad: 'tracking ring { dirty_log ring 8192 }',
    good: 'tracking ring2 { dirty_log ring 8192 }',
    message: "tracking 'ring' is already defined on line 8.",
    at: 'ring {',
  },
  {
    code: 'duplicate-field',
    bad: 'migration m { bandwidth 1Gbit/s, bandwidth 2Gbit/s }',
    good: 'migration m { bandwidth 1Gbit/s, max_bandwidth 2Gbit/s }',
    message: "'bandwidth' is set twice (first on line 11).",
    at: 'bandwidth 2',
  },
  {
    code: 'missing-field',
    bad: 'migration m { downtime 1s }',
    good: 'migration m { downtime 1s, bandwidth 1Gbit/s }',
    message: "migration 'm' has no 'bandwidth'.",
    at: 'm {',
  },
  {
    code: 'missing-argument',
    bad: 'vm v { slot r at 0 backing thp }',
    good: 'vm v { slot r at 0 size 1GiB backing thp }',
    message: "'slot' needs 'size'.",
    at: 'slot',
  },
  {
    code: 'unexpected-argument',
    bad: 'migration m { bandwidth 1Gbit/s downtime 1s }',
    good: 'migration m { bandwidth 1Gbit/s, downtime 1s }',
    message: "'downtime' starts a new field but follows 'bandwidth' on the same line.",
    at: 'downtime',
  },
  {
    code: 'wrong-unit',
    bad: 'vm v { slot r at 0 size 300ms }',
    good: 'vm v { slot r at 0 size 4GiB }',
    message: 'Expected a size like 4GiB, got a time 300ms.',
    at: '300ms',
  },
  {
    code: 'not-whole',
    bad: 'vm v { slot r at 0 size 1.5B }',
    good: 'vm v { slot r at 0 size 1.5GiB }',
    message: '1.5B is not a whole number of bytes.',
    at: '1.5B',
  },
  {
    code: 'not-whole',
    bad: 'vm v { vcpus 2.5, slot r at 0 size 1GiB }',
    good: 'vm v { vcpus 2, slot r at 0 size 1GiB }',
    message: '2.5 is not a whole number of vCPUs.',
    at: '2.5',
  },
  {
    code: 'out-of-range',
    bad: 'vm v { vcpus 5000, slot r at 0 size 1GiB }',
    good: 'vm v { vcpus 4096, slot r at 0 size 1GiB }',
    message: "'vcpus' must be between 1 and 4096, got 5000.",
    at: '5000',
  },
  {
    code: 'overlapping-slots',
    bad: 'vm v { slot a at 0 size 2GiB, slot b at 1GiB size 1GiB }',
    good: 'vm v { slot a at 0 size 1GiB, slot b at 1GiB size 1GiB }',
    message: "Slot 'b' overlaps 'a' at gpa 0x40000000.",
    at: 'b at',
  },
  {
    code: 'misaligned-slot',
    bad: 'vm v { slot a at 2MiB size 1GiB backing hugetlb_1g }',
    good: 'vm v { slot a at 1GiB size 1GiB backing hugetlb_1g }',
    message: "Slot 'a' address 2MiB is not a multiple of 1GiB (hugetlb_1g backing).",
    at: '2MiB',
  },
  {
    code: 'extends-cycle',
    bad: 'tracking a extends b { pml off }\ntracking b extends a { pml on }',
    good: 'tracking a extends ring { pml off }\ntracking b extends a { pml on }',
    message: "tracking 'a' extends itself through a cycle.",
    at: 'a extends',
  },
  {
    code: 'unsupported-combination',
    bad: 'tracking rb { dirty_log ring_with_bitmap 4096 }\nrun db with rb, fast',
    good: 'tracking rb { dirty_log ring 4096 }\nrun db with rb, fast',
    message:
      "Tracking 'rb' uses ring_with_bitmap, which KVM supports only on arm64 (vm 'db' is x86_64).",
    at: 'run',
    lineOffset: 1,
  },
  {
    code: 'run-with-list',
    bad: 'run db with [manual, ring], fast',
    good: 'sweep db with [manual, ring], fast',
    message: 'This run lists 2 tracking policies; `run` takes one.',
    at: '[manual',
  },
  {
    code: 'run-with-list',
    bad: 'run db with ring, fast seeds 1..3',
    good: 'run db with ring, fast seed 3',
    message: 'This run has 3 seeds; `run` takes one.',
    at: '1..3',
  },
  {
    code: 'ignored-on-arch',
    bad: 'vm a { arch arm64, slot r at 0 size 1GiB }\ntracking p { dirty_log ring 4096, pml on }\nrun a with p, fast',
    good: 'vm a { arch arm64, slot r at 0 size 1GiB }\ntracking p { dirty_log ring 4096, chunk 2MiB }\nrun a with p, fast',
    message: "Tracking 'p' sets 'pml', which arm64 does not have; it is ignored for vm 'a'.",
    at: 'run',
    lineOffset: 2,
    severity: 'warning',
  },
  {
    code: 'downtime-shorter-than-page',
    bad: 'migration slowlink { bandwidth 1Mbit/s, downtime 1ms }',
    good: 'migration slowlink { bandwidth 1Mbit/s, downtime 300ms }',
    message:
      'The downtime limit 1000000ns is shorter than sending one 4KiB page (32768000ns at this bandwidth); the migration can never stop on its own.',
    at: 'slowlink',
    severity: 'warning',
  },
  {
    code: 'will-lose-pages',
    bad: 'vm a { arch arm64, slot r at 0 size 1GiB, device its { tables 64KiB } }\nrun a with ring, fast',
    good: 'vm a { arch arm64, slot r at 0 size 1GiB, device its { tables 64KiB } }\ntracking rb { dirty_log ring_with_bitmap 4096 }\nrun a with rb, fast',
    message:
      "VM 'a' has an ITS device, which dirties memory without a vCPU, and tracking 'ring' is a ring without a bitmap: the migration will lose pages.",
    at: 'run',
    lineOffset: 1,
    severity: 'warning',
  },
  {
    code: 'will-lose-pages',
    bad: 'vm a { arch arm64, slot r at 0 size 1GiB, device vgic_v3 { tables 64KiB } }\nrun a with ring, fast',
    good: 'vm a { arch arm64, slot r at 0 size 1GiB, device vgic_v3 { tables 64KiB } }\ntracking rb { dirty_log ring_with_bitmap 4096 }\nrun a with rb, fast',
    message:
      "VM 'a' has a vgic_v3 device, which dirties memory without a vCPU, and tracking 'ring' is a ring without a bitmap: the migration will lose pages.",
    at: 'run',
    lineOffset: 1,
    severity: 'warning',
  },
  {
    code: 'will-lose-pages',
    bad: 'vm a { arch arm64, slot r at 0 size 1GiB, device its { tables 64KiB } }\ntracking r { dirty_log ring 4096, vcpuless_writes drop }\nrun a with r, fast',
    good: 'vm a { arch arm64, slot r at 0 size 1GiB, device its { tables 64KiB } }\ntracking r { dirty_log ring 4096, vcpuless_writes vm_ring }\nrun a with r, fast',
    message:
      "VM 'a' has an ITS device, which dirties memory without a vCPU, and tracking 'r' is a ring without a bitmap: the migration will lose pages.",
    at: 'run',
    lineOffset: 2,
    severity: 'warning',
  },
  {
    code: 'unsupported-combination',
    bad: 'vm a { arch arm64, slot r at 0 size 1GiB }\ntracking rb { dirty_log ring_with_bitmap 4096, with_bitmap after_memslots }\nrun a with rb, fast',
    good: 'vm a { arch arm64, slot r at 0 size 1GiB }\ntracking rb { dirty_log ring_with_bitmap 4096, with_bitmap before_memslots }\nrun a with rb, fast',
    message:
      "Tracking 'rb' enables KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP after vm 'a' has memslots: KVM refuses it with EINVAL, so the run fails.",
    at: 'run',
    lineOffset: 2,
    severity: 'warning',
  },
  {
    code: 'use-cycle',
    bad: 'use "lab.mmu"',
    good: 'use "common.mmu"',
    files: { '/lab.mmu': 'use "lab.mmu"', '/common.mmu': 'tracking t2 { dirty_log bitmap }' },
    message: 'use "lab.mmu" makes a cycle: /lab.mmu -> /lab.mmu.',
    at: 'use',
  },
  {
    code: 'missing-file',
    bad: 'use "comon.mmu"',
    good: 'use "common.mmu"',
    files: { '/common.mmu': 'tracking t2 { dirty_log bitmap }' },
    message: 'File "comon.mmu" not found.',
    at: 'use',
  },
  {
    code: 'ignored-in-used-file',
    bad: 'use "runs.mmu"',
    good: 'use "common.mmu"',
    files: { '/runs.mmu': 'table summary', '/common.mmu': 'tracking t2 { dirty_log bitmap }' },
    message: 'This table is ignored: a used file shares only its definitions.',
    at: 'table',
    inFile: '/runs.mmu',
    severity: 'warning',
  },
  {
    code: 'bad-trace',
    bad: 'vm t { slot r at 0 size 1GiB\n  workload trace { file "bad.csv" } }',
    good: 'vm t { slot r at 0 size 1GiB\n  workload trace { file "good.csv" } }',
    files: { '/bad.csv': 'time,cpu,gfn,op\n0,0,1,w', '/good.csv': 'time,vcpu,gfn,op\n0,0,1,w' },
    message:
      'Trace "bad.csv" cannot be read: trace is missing column vcpu (found: time, cpu, gfn, op); name the columns time (or time_ns, time_ms, time_s), vcpu, gfn and op.',
    at: '"bad.csv"',
    lineOffset: 1,
  },
  {
    code: 'not-sweepable',
    bad: 'vm v { slot [a, b] at 0 size 1GiB }',
    good: 'vm v { slot a at 0 size [1GiB, 2GiB] }',
    message:
      "'slot' takes a slot name, which cannot be swept: a list or a range may stand only for a number or a word of a fixed set.",
    at: '[a',
  },
  {
    code: 'mixed-units',
    bad: 'migration m { bandwidth [1Gbit/s, 4GiB] }',
    good: 'migration m { bandwidth [1Gbit/s, 500Mbit/s] }',
    message:
      'This list mixes a bandwidth (1Gbit/s) and a size (4GiB), which do not convert into each other.',
    at: '4GiB',
  },
  {
    code: 'empty-range',
    bad: 'migration m { bandwidth 25Gbit/s..1Gbit/s step 4Gbit/s }',
    good: 'migration m { bandwidth 1Gbit/s..25Gbit/s step 4Gbit/s }',
    message: 'The range 25Gbit/s..1Gbit/s is empty: it starts above its end.',
    at: '25Gbit/s..',
  },
  {
    code: 'empty-range',
    bad: 'vm v { slot r at 0 size 1GiB, vcpus [] }',
    good: 'vm v { slot r at 0 size 1GiB, vcpus [4] }',
    message: "The list for 'vcpus' is empty.",
    at: '[]',
  },
  {
    code: 'bad-step',
    bad: 'vm v { slot r at 0 size 1GiB, vcpus 1..64 x1 }',
    good: 'vm v { slot r at 0 size 1GiB, vcpus 1..64 x2 }',
    message: 'The factor x1 of 1..64 must be above 1, or the range never grows.',
    at: 'x1',
  },
  {
    code: 'bad-step',
    bad: 'migration m { bandwidth 1Gbit/s..25Gbit/s step 0Gbit/s }',
    good: 'migration m { bandwidth 1Gbit/s..25Gbit/s step 8Gbit/s }',
    message: 'The step 0Gbit/s of 1Gbit/s..25Gbit/s is zero, so the range never reaches its end.',
    at: '0Gbit/s',
  },
  {
    code: 'bad-step',
    bad: 'migration m { bandwidth 1Gbit/s..25Gbit/s }',
    good: 'migration m { bandwidth 1Gbit/s..25Gbit/s x5 }',
    message: 'The range 1Gbit/s..25Gbit/s needs a step: a bandwidth has no next value of its own.',
    at: '1Gbit/s..',
  },
  {
    code: 'out-of-range',
    bad: 'tracking r { dirty_log ring 256..65536 step 256 }',
    good: 'tracking r { dirty_log ring 256..65536 x2 }',
    message:
      'ring entries must be a power of two from 256 to 65536, got 768 (a value of 256..65536).',
    at: '256..',
  },
  {
    code: 'duplicate-value',
    bad: 'vm v { slot r at 0 size [1GiB, 1024MiB] }',
    good: 'vm v { slot r at 0 size [1GiB, 2GiB] }',
    message: "'1024MiB' is '1GiB' again: 'size' lists the same value twice.",
    at: '1024MiB',
  },
  {
    code: 'too-many-plans',
    bad: 'vm v { slot r at 0 size 1GiB, vcpus 1..4000 }\nmigration m { bandwidth 1Gbit/s..25Gbit/s step 8Gbit/s }\nsweep v with ring, m seeds 1..2',
    good: 'vm v { slot r at 0 size 1GiB, vcpus 1..1000 }\nmigration m { bandwidth 1Gbit/s..25Gbit/s step 8Gbit/s }\nsweep v with ring, m seeds 1..2',
    message:
      'This sweep makes vcpus (4000) × bandwidth (4) × 2 seeds = 32,000 plans; one experiment runs at most 10,000.',
    at: 'sweep',
    lineOffset: 2,
  },
  {
    code: 'duplicate-axis',
    bad: 'vm v { vcpus 2, slot r at 0 size 1GiB\n  workload uniform { rate [1k/s, 2k/s], vcpus 0 }\n  workload uniform { rate [3k/s, 4k/s], vcpus 1 } }',
    good: 'vm v { vcpus 2, slot r at 0 size 1GiB\n  workload uniform { rate [1k/s, 2k/s], vcpus 0 }\n  workload uniform { rate 3k/s, vcpus 1 } }',
    message: "vm 'v' sweeps 'rate' twice (first on line 12); each swept column needs its own name.",
    at: '[3k/s',
    lineOffset: 2,
  },
  {
    code: 'unknown-axis',
    bad: 'migration m { bandwidth [1Gbit/s, 2Gbit/s], downtime [1s, 2s] }\nsweep db with ring, m zip bandwidth, downtim',
    good: 'migration m { bandwidth [1Gbit/s, 2Gbit/s], downtime [1s, 2s] }\nsweep db with ring, m zip bandwidth, downtime',
    message:
      "zip pairs what the experiment varies, and 'downtim' is not one of them. Did you mean 'downtime'?",
    at: 'downtim',
    lineOffset: 1,
  },
  {
    code: 'zip-lengths',
    bad: 'migration m { bandwidth [1Gbit/s, 2Gbit/s], downtime [1s, 2s, 3s] }\nsweep db with ring, m zip bandwidth, downtime',
    good: 'migration m { bandwidth [1Gbit/s, 2Gbit/s], downtime [1s, 3s] }\nsweep db with ring, m zip bandwidth, downtime',
    message:
      'zip pairs bandwidth (2 values) with downtime (3 values); paired axes need as many values each.',
    at: 'zip',
    lineOffset: 1,
  },
  {
    code: 'unknown-column',
    bad: 'migration m { bandwidth [1Gbit/s, 10Gbit/s] }\nsweep db with [manual, ring], m where bandwith >= 10Gbit/s',
    good: 'migration m { bandwidth [1Gbit/s, 10Gbit/s] }\nsweep db with [manual, ring], m where bandwidth >= 10Gbit/s',
    message: "Unknown column 'bandwith' in the axes of this sweep. Did you mean 'bandwidth'?",
    at: 'bandwith',
    lineOffset: 1,
  },
  {
    code: 'unknown-column',
    bad: 'migration m { bandwidth [1Gbit/s, 10Gbit/s] }\nsweep db with [manual, ring], m where downtime_ms < 300ms',
    good: 'migration m { bandwidth [1Gbit/s, 10Gbit/s] }\nsweep db with [manual, ring], m where tracking = ring or bandwidth < 5Gbit/s',
    message:
      "Unknown column 'downtime_ms' in the axes of this sweep. 'downtime_ms' is a result of the runs, known only after they run; a sweep's `where` chooses the points before.",
    at: 'downtime_ms',
    lineOffset: 1,
  },
  {
    code: 'unknown-column',
    bad: 'migration m { bandwidth [1Gbit/s, 10Gbit/s] }\nsweep db with ring, m seeds 1..3 where seed > 1',
    good: 'migration m { bandwidth [1Gbit/s, 10Gbit/s] }\nsweep db with ring, m seeds 2..3 where bandwidth > 1Gbit/s',
    message:
      "Unknown column 'seed' in the axes of this sweep. The seeds are not an axis: every point kept runs with each seed (`seeds 1..3`).",
    at: 'seed >',
    lineOffset: 1,
  },
  {
    code: 'no-point-kept',
    bad: 'migration m { bandwidth [1Gbit/s, 10Gbit/s] }\nrun db with ring, m where bandwidth > 10Gbit/s',
    good: 'migration m { bandwidth [1Gbit/s, 10Gbit/s] }\nrun db with ring, m where bandwidth >= 10Gbit/s',
    message: 'This condition keeps none of the 2 points of the run: it would run nothing.',
    at: 'bandwidth >',
    lineOffset: 1,
  },
  {
    code: 'duplicate-field',
    bad: 'migration m { bandwidth [1Gbit/s, 10Gbit/s] }\nsweep db with [manual, ring], m where tracking = ring where bandwidth > 1Gbit/s',
    good: 'migration m { bandwidth [1Gbit/s, 10Gbit/s] }\nsweep db with [manual, ring], m where tracking = ring and bandwidth > 1Gbit/s',
    message: 'This sweep has two `where` conditions.',
    at: 'bandwidth >',
    lineOffset: 1,
  },
  {
    code: 'unknown-value',
    bad: 'export summary, iteratons to "results/"',
    good: 'export summary, iterations to "results/"',
    message: "Unknown table 'iteratons'. Did you mean 'iterations'?",
    at: 'iteratons',
  },
  {
    code: 'unknown-export-format',
    bad: 'export summary to "results/" as arow',
    good: 'export summary to "results/" as arrow',
    message: "Unknown export format 'arow'. Did you mean 'arrow'?",
    at: 'arow',
  },
  {
    code: 'empty-export-path',
    bad: 'export summary to "" as csv',
    good: 'export summary to "." as csv',
    message: 'The export directory is empty.',
    at: '""',
  },
  {
    code: 'unknown-column',
    bad: 'let fault_us = stall_fast_falt_ms * 1000 / pf_fast',
    good: 'let fault_us = stall_fast_fault_ms * 1000 / pf_fast',
    message:
      "Unknown column 'stall_fast_falt_ms' in the results. Did you mean 'stall_fast_fault_ms'?",
    at: 'stall_fast_falt_ms',
  },
  {
    code: 'unknown-column',
    bad: 'table summary by trackng mean downtime_ms',
    good: 'table summary by tracking mean downtime_ms',
    message: "Unknown column 'trackng' in the summary table. Did you mean 'tracking'?",
    at: 'trackng',
  },
  {
    code: 'unknown-column',
    bad: 'table summary by vm, n',
    good: 'table summary by vm n',
    message: "Unknown column 'n' in the summary table.",
    at: 'n',
  },
  {
    code: 'unknown-column',
    bad: 'run db with manual, fast\ntable summary with total_time',
    good: 'run db with manual, fast\ntable summary with total_ms',
    message: "Unknown column 'total_time' in the summary table. Did you mean 'total_ms'?",
    at: 'total_time',
    lineOffset: 1,
  },
  {
    code: 'unknown-column',
    bad: 'table summary by tracking n with tracking, downtime_ms',
    good: 'table summary by tracking n with tracking, n',
    message: "Unknown column 'downtime_ms' in the grouped summary table.",
    at: 'downtime_ms',
  },
  {
    code: 'unknown-column',
    bad: 'expect summary where staus = completed: downtime_ms < 1s',
    good: 'expect summary where status = completed: downtime_ms < 1s',
    message: "Unknown column 'staus' in the summary table. Did you mean 'status'?",
    at: 'staus',
  },
  {
    code: 'unknown-column',
    bad: 'let x = time_s + downtime_ms',
    good: 'let x = remaining_pages / time_s',
    message:
      "`let x` mixes columns of different tables: no result table has all of 'time_s', 'downtime_ms'.",
    at: 'time_s',
  },
  {
    code: 'type-mismatch',
    bad: 'let x = status + 1',
    good: 'let x = iterations + 1',
    message: 'Cannot combine text with a number.',
    at: 'status',
  },
  {
    code: 'type-mismatch',
    bad: 'table summary where downtime_ms * 2',
    good: 'table summary where downtime_ms * 2 > total_ms',
    message: 'A where condition must be true or false; this is a number.',
    at: 'downtime_ms',
  },
  {
    code: 'type-mismatch',
    bad: 'table summary where status < completed',
    good: 'table summary where status != completed',
    message: '`<` orders numbers; text can only be compared with `=` or `!=`.',
    at: 'status',
  },
  {
    code: 'type-mismatch',
    bad: 'table summary where status = 1',
    good: 'table summary where status = "1"',
    message: 'Cannot compare text with a number.',
    at: 'status',
  },
  {
    code: 'wrong-unit',
    bad: 'table summary where downtime_ms > 4GiB',
    good: 'table summary where downtime_ms > 4s',
    message: "'4GiB' is a size, but it meets a number in ms.",
    at: '4GiB',
  },
  {
    code: 'wrong-unit',
    bad: 'let x = downtime_ms + ram_bytes',
    good: 'let x = downtime_ms + total_ms',
    message: 'Cannot combine a number in ms with one in bytes.',
    at: 'downtime_ms',
  },
  {
    code: 'unknown-function',
    bad: 'let x = sqr(total_ms)',
    good: 'let x = sqrt(total_ms)',
    message: "Unknown function 'sqr'. Did you mean 'sqrt'?",
    at: 'sqr',
  },
  {
    code: 'missing-argument',
    bad: 'let x = max(total_ms)',
    good: 'let x = max(total_ms, 1s)',
    message: 'max() takes at least 2 arguments; it has 1.',
    at: 'max',
  },
  {
    code: 'unexpected-argument',
    bad: 'let x = abs(total_ms, 1)',
    good: 'let x = abs(total_ms - 1s)',
    message: 'abs() takes 1 argument; it has 2.',
    at: 'abs',
  },
  {
    code: 'let-cycle',
    bad: 'let a_ms = b_ms + 1\nlet b_ms = a_ms * 2',
    good: 'let a_ms = b_ms + 1\nlet b_ms = total_ms * 2',
    message: '`let a_ms` uses itself: a_ms -> b_ms -> a_ms.',
    at: 'a_ms',
  },
  {
    code: 'let-shadows-column',
    bad: 'let downtime_ms = total_ms - setup_ms',
    good: 'let busy_ms = total_ms - setup_ms',
    message: "`let downtime_ms` would hide the column 'downtime_ms' of the results.",
    at: 'downtime_ms',
  },
  {
    code: 'duplicate-definition',
    bad: 'let a = 1\nlet a = 2',
    good: 'let a = 1\nlet b = 2',
    message: "'a' is defined twice in this text by `let`.",
    at: 'a',
    lineOffset: 1,
  },
  {
    code: 'aggregate-of-text',
    bad: 'table summary by vm mean tracking',
    good: 'table summary by vm, tracking mean downtime_ms',
    message: "Cannot take the mean of 'tracking': it holds text.",
    at: 'tracking',
  },
  {
    code: 'unknown-value',
    bad: 'table summary by tracking mea downtime_ms',
    good: 'table summary by tracking mean downtime_ms',
    message: "Unknown aggregate 'mea'. Did you mean 'mean'?",
    at: 'mea',
  },
  {
    code: 'unknown-value',
    bad: 'plot downtime_ms over total_ms as bars',
    good: 'plot downtime_ms over total_ms as bar',
    message: "Unknown mark 'bars'. Did you mean 'bar'?",
    at: 'bars',
  },
  {
    code: 'unknown-value',
    bad: 'plot downtime_ms over bandwdth',
    good: 'plot downtime_ms over total_ms',
    message: "Cannot plot over 'bandwdth'.",
    at: 'bandwdth',
  },
  {
    code: 'duplicate-field',
    bad: 'plot downtime_ms over total_ms log x log y',
    good: 'plot downtime_ms over total_ms log xy',
    message: "'log' is given twice in this plot.",
    at: 'log y',
  },
  {
    code: 'unplotted-axis',
    bad: 'sweep db with [manual, ring], fast seeds 1..3\nplot downtime_ms over total_ms',
    good: 'sweep db with [manual, ring], fast seeds 1..3\nplot downtime_ms over total_ms by tracking',
    message:
      "'tracking' varies between the runs (manual, ring) but is neither the x axis, a `by` column nor the facet of this plot: its runs would be averaged together.",
    at: 'total_ms',
    lineOffset: 1,
  },
  {
    code: 'unknown-bit',
    bad: 'protocol p {\n  const W = 1\n  shared x bits [W, WP] = 0\n  thread t() {\n    fence\n  }\n}',
    good: 'protocol p {\n  const W = 1\n  const WP = 2\n  shared x bits [W, WP] = 0\n  thread t() {\n    fence\n  }\n}',
    message: "Bit WP is not a constant of protocol p. Did you mean 'W'?",
    at: 'WP]',
    lineOffset: 2,
  },
  {
    code: 'assign-to-constant',
    bad: 'protocol p {\n  const K = 1\n  thread t(r) {\n    K = 2\n  }\n}',
    good: 'protocol p {\n  const K = 1\n  thread t(r) {\n    r = K\n  }\n}',
    message: 'K is a constant; an assignment cannot change it.',
    at: 'K = 2',
    lineOffset: 3,
  },
  {
    code: 'unlock-without-lock',
    bad: 'protocol p {\n  lock m\n  thread t() {\n    unlock m\n  }\n}',
    good: 'protocol p {\n  lock m\n  thread t() {\n    lock m\n    unlock m\n  }\n}',
    message: 'unlock m comes before any `lock m` in this thread: it cannot hold the lock.',
    at: 'unlock m',
    lineOffset: 3,
  },
  {
    code: 'unbounded-loop',
    bad: 'protocol p {\n  thread t() {\n    loop {\n      fence\n    }\n  }\n}',
    good: 'protocol p {\n  thread t() {\n    loop at most 2 {\n      fence\n    }\n  }\n}',
    message: 'A loop needs a bound: the explorer only covers executions of bounded length.',
    at: 'loop',
    lineOffset: 2,
  },
  {
    code: 'unknown-statement',
    bad: 'protocol p {\n  thread t() {\n    fense\n  }\n}',
    good: 'protocol p {\n  thread t() {\n    fence\n  }\n}',
    message: "fense does not start a thread statement. Did you mean 'fence'?",
    at: 'fense',
    lineOffset: 2,
  },
  {
    code: 'invalid-protocol',
    bad: 'protocol p {\n  shared x = 0\n  thread t(r) {\n    r = x + 1\n  }\n}',
    good: 'protocol p {\n  shared x = 0\n  thread t(r) {\n    load r = x\n  }\n}',
    message:
      'Thread t reads x inside an expression; load it into a register first (each memory access is a step).',
    at: 'x + 1',
    lineOffset: 3,
  },
];

import * as aq from 'arquero';
import type {
  DirtyLogPerfOptions,
  DirtyLogPerfResult,
} from '../../engine/selftests/dirty-log-perf-test.ts';
import {
  BACKING_SOURCES,
  DEFAULT_DIRTY_LOG_PERF_OPTIONS,
  runDirtyLogPerfTest,
} from '../../engine/selftests/dirty-log-perf-test.ts';
import type { Backing } from '../../engine/kvm/types.ts';
import type { Proposals } from '../../engine/kvm/params.ts';
import { DEFAULT_PROPOSALS } from '../../engine/kvm/params.ts';
import { textTable } from '../output/text-table.ts';
import { figure } from '../../engine/calibration/figures.ts';
import { MATLACK_AFTER, MATLACK_BEFORE } from '../../engine/calibration/scenarios.ts';

/**
 * The main job: KVM's dirty_log_perf_test on the model. Without options it runs
 * Matlack's published comparison (96 vCPUs x 1 GiB, 1 GiB HugeTLB, before and after
 * eager page splitting) and prints the model beside the published figures. With
 * options it behaves like the selftest and prints its lines.
 */

const USAGE = `usage: npm run dlpt -- [options]

Runs KVM's dirty_log_perf_test on the mmulab model (simulated time).
Without options: Matlack's 96-vCPU comparison, before/after eager page splitting.

selftest options:
  -v N        vCPUs (default 1)
  -b SIZE     bytes per vCPU, e.g. 1G, 512M (default 1G)
  -s SRC      backing: anonymous, anonymous_thp, anonymous_hugetlb_2mb,
              anonymous_hugetlb_1gb (default anonymous)
  -i N        iterations, at least 2 (default 2)
  -w PCT      percent of pages written per iteration, fractions allowed
              (e.g. 0.5; default 100)
  -g          do not enable KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (GET clears)
  -k SIZE     clear the dirty log in chunks of SIZE bytes, a multiple of 256K
              (default: the whole memslot in one KVM_CLEAR_DIRTY_LOG)
  -a          random access instead of sequential
  -x N        memslots (default 1)
  -r SEED     random seed (default 1)
model options:
  --arch x86_64|arm64               (default x86_64)
  --eager-page-split 0|1            kvm.eager_page_split (default 1 on x86)
  --pml 0|1                         kvm_intel.pml (default 1 on x86)
  --tdp 0|1                         kvm_intel.ept / kvm_amd.npt; 0 is shadow paging (default 1)
  --mmu-lock rwlock|spinlock        mmu_lock as the TDP MMU has it, or the spinlock of old kernels
  --split-on-fault in-place|zap     6.2+ in place, or zap as before 6.2 (x86 default in-place)
  --fast-page-fault 0|1             x86 lockless fast_page_fault (default 1; 0: every
                                    write-protection fault takes the slow path)
proposal options (not KVM):
  --granularity 4k|2m               dirty tracking granularity (default 4k, as KVM)
  --split-on-first-clear 0|1        split huge pages on the first CLEAR in every mode
  --eager-split-chunk SIZE          arm64 KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE
  --stride SIZE                     access one page every SIZE bytes, e.g. 2M (default 4K)
  -h, --help                        this text`;

/** Matlack's table (engine/calibration/matlack-2022.ts): the selftest phase of each figure pair. */
const MATLACK_PHASES: readonly { caps: string; phase: string; key: string }[] = [
  {
    caps: 'INITIALLY_SET',
    phase: 'Iteration 1 clear dirty log time',
    key: 'initially-set-iter1-clear',
  },
  {
    caps: 'INITIALLY_SET',
    phase: 'Iteration 2 dirty memory time',
    key: 'initially-set-iter2-dirty',
  },
  {
    caps: 'INITIALLY_SET',
    phase: 'Iteration 3 clear dirty log time',
    key: 'initially-set-iter3-clear',
  },
  { caps: 'no INITIALLY_SET (-g)', phase: 'Enabling dirty logging time', key: 'g-enable' },
  { caps: 'no INITIALLY_SET (-g)', phase: 'Iteration 1 dirty memory time', key: 'g-iter1-dirty' },
];

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)B?$/i.exec(text.trim());
  if (!m)
    throw new UsageError(`bad size "${text}"; use a number with an optional K, M, G or T suffix`);
  const shift = { '': 0, K: 10, M: 20, G: 30, T: 40 }[
    m[2].toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'
  ];
  return Math.round(Number(m[1]) * 2 ** shift);
}

export class UsageError extends Error {}

/** -k's unit: 64 pages, one word of the dirty bitmap (KVM_CLEAR_DIRTY_LOG's alignment). */
const CLEAR_CHUNK_ALIGN = 256 * 1024;

/** Parse the selftest's flags plus the model's. Returns null for --help. */
export function parseArgs(argv: readonly string[]): Partial<DirtyLogPerfOptions> | null {
  const o: Partial<DirtyLogPerfOptions> = {};
  const params: NonNullable<DirtyLogPerfOptions['params']> = {};
  const proposals: Partial<Proposals> = {};
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const int = (flag: string): number => {
    const v = value(flag);
    if (!/^\d+$/.test(v)) throw new UsageError(`${flag} needs a whole number, got "${v}"`);
    return Number(v);
  };
  const bool = (flag: string): boolean => {
    const v = value(flag);
    if (v !== '0' && v !== '1') throw new UsageError(`${flag} takes 0 or 1, got "${v}"`);
    return v === '1';
  };
  for (; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '-h':
      case '--help':
        return null;
      case '-v':
        o.vcpus = int(flag);
        break;
      case '-b':
        o.bytesPerVcpu = parseSize(value(flag));
        break;
      case '-s': {
        const src = value(flag);
        const backing: Backing | undefined = BACKING_SOURCES[src];
        if (!backing) {
          throw new UsageError(
            `unknown backing source "${src}"; use one of ${Object.keys(BACKING_SOURCES).join(', ')}`,
          );
        }
        o.backing = backing;
        break;
      }
      case '-i':
        o.iterations = int(flag);
        break;
      case '-w': {
        const v = value(flag);
        if (!/^\d+(\.\d+)?$/.test(v) || Number(v) > 100)
          throw new UsageError(`-w needs a percentage from 0 to 100, e.g. 50 or 0.5, got "${v}"`);
        o.writePercent = Number(v);
        break;
      }
      case '-k': {
        const bytes = parseSize(value(flag));
        if (bytes === 0 || bytes % CLEAR_CHUNK_ALIGN !== 0) {
          throw new UsageError(
            `-k needs a multiple of 256K (KVM_CLEAR_DIRTY_LOG clears whole 64-page words), got ${bytes} bytes`,
          );
        }
        o.clearChunkBytes = bytes;
        break;
      }
      case '--fast-page-fault':
        params.fastPageFault = bool(flag);
        break;
      case '--granularity': {
        const g = value(flag).toLowerCase();
        if (g !== '4k' && g !== '2m')
          throw new UsageError(`--granularity takes 4k or 2m, got "${g}"`);
        proposals.dirtyGranularity = g;
        break;
      }
      case '--split-on-first-clear':
        proposals.splitOnFirstClear = bool(flag);
        break;
      case '--stride':
        o.strideBytes = parseSize(value(flag));
        break;
      case '-g':
        o.manualProtect = false;
        break;
      case '-a':
        o.randomAccess = true;
        break;
      case '-x':
        o.slots = int(flag);
        break;
      case '-r':
        o.seed = int(flag);
        break;
      case '--arch': {
        const arch = value(flag);
        if (arch !== 'x86_64' && arch !== 'arm64')
          throw new UsageError(`--arch takes x86_64 or arm64, got "${arch}"`);
        o.arch = arch;
        break;
      }
      case '--eager-page-split':
        params.eagerPageSplit = bool(flag);
        break;
      case '--pml':
        params.enablePml = bool(flag);
        break;
      case '--tdp':
        params.tdp = bool(flag);
        break;
      case '--mmu-lock': {
        const kind = value(flag);
        if (kind !== 'rwlock' && kind !== 'spinlock') {
          throw new UsageError(`--mmu-lock takes rwlock or spinlock, got "${kind}"`);
        }
        params.mmuLock = kind;
        break;
      }
      case '--split-on-fault': {
        const mode = value(flag);
        if (mode !== 'in-place' && mode !== 'zap') {
          throw new UsageError(`--split-on-fault takes in-place or zap, got "${mode}"`);
        }
        params.splitOnFault = mode;
        break;
      }
      case '--eager-split-chunk':
        o.eagerSplitChunkSize = parseSize(value(flag));
        break;
      default:
        throw new UsageError(`unknown option "${flag}"`);
    }
  }
  if (o.arch === 'arm64' && params.enablePml === undefined) params.enablePml = false;
  // Shadow paging has no PML (it needs EPT) and nothing for eager split to split.
  if (params.tdp === false && params.enablePml === undefined) params.enablePml = false;
  if (o.arch === 'arm64' && params.eagerPageSplit === undefined) params.eagerPageSplit = false;
  if (Object.keys(proposals).length > 0) params.proposals = { ...DEFAULT_PROPOSALS, ...proposals };
  o.params = params;
  return o;
}

/** Run Matlack's comparison; returns the table of model vs published seconds. */
export function matlackComparison(): aq.ColumnTable {
  const common = { vcpus: 96, bytesPerVcpu: 2 ** 30, backing: 'hugetlb_1g' as const };
  const run = (manual: boolean, params: DirtyLogPerfOptions['params']): DirtyLogPerfResult =>
    runDirtyLogPerfTest({ ...common, manualProtect: manual, iterations: manual ? 3 : 2, params });
  const runs = {
    INITIALLY_SET: { before: run(true, MATLACK_BEFORE), after: run(true, MATLACK_AFTER) },
    'no INITIALLY_SET (-g)': {
      before: run(false, MATLACK_BEFORE),
      after: run(false, MATLACK_AFTER),
    },
  } as const;
  const seconds = (r: DirtyLogPerfResult, phase: string): number =>
    r.phases.find((p) => p.phase === phase)?.seconds ?? NaN;
  return aq.from(
    MATLACK_PHASES.map((row) => {
      const pair = runs[row.caps as keyof typeof runs];
      return {
        caps: row.caps,
        phase: row.phase,
        before_s: seconds(pair.before, row.phase),
        published_before_s: figure(`matlack-2022-${row.key}-before`).value,
        after_s: seconds(pair.after, row.phase),
        published_after_s: figure(`matlack-2022-${row.key}-after`).value,
      };
    }),
  );
}

export function main(argv: readonly string[]): number {
  let options: Partial<DirtyLogPerfOptions> | null;
  try {
    options = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (options === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (argv.length === 0) {
    process.stdout.write(
      'dirty_log_perf_test on the mmulab model: 96 vCPUs x 1 GiB, 1 GiB HugeTLB, simulated seconds,\n' +
        'before and after eager page splitting, beside Matlack v2 (2022-01-19).\n\n',
    );
    process.stdout.write(`${textTable(matlackComparison())}\n`);
    return 0;
  }
  const merged = { ...DEFAULT_DIRTY_LOG_PERF_OPTIONS, ...options };
  process.stdout.write(
    `Testing guest mode: PA-bits:ANY, VA-bits:48, 4K pages (${merged.arch}, simulated)\n`,
  );
  const result = runDirtyLogPerfTest(options);
  process.stdout.write(`${result.lines.join('\n')}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));

import type { PublishedFigure } from './types.ts';

/**
 * Xiao Guangrong's lockless fast page fault series (LKML and kvm list, March to July
 * 2012, reviewed by Avi Kivity and Marcelo Tosatti; merged for Linux 3.6). Its cover
 * letters give KVM autotest times with and without the series, and a micro-benchmark
 * of how long a guest takes to write its memory again once dirty logging is on.
 */
const SERIES = 'Xiao Guangrong, "KVM: MMU: fast page fault" series, LKML / kvm list, 2012';
const AUTOTEST_SETUP =
  'host Xeon X5690 x 12, 32 GB; guest smp2 Fedora 16 (2 vCPUs) under KVM autotest; mmu_lock a spinlock (2012)';

/** Seconds of three autotest runs each, before and after the series (the cover letter's table). */
export const XIAO_2012_AUTOTEST_RUNS = {
  ept: {
    migrateUnix: { before: [102, 68, 67], after: [103, 67, 64] },
    migrateDbench: { before: [204, 203, 218], after: [189, 188, 202] },
    total: { before: [309, 275, 289], after: [295, 259, 271] },
  },
  shadow: {
    migrateUnix: { before: [102, 68, 68], after: [104, 68, 66] },
    migrateDbench: { before: [262, 220, 234], after: [231, 218, 205] },
    total: { before: [368, 292, 307], after: [341, 289, 275] },
  },
} as const;

const sum = (runs: readonly number[]): number => runs.reduce((a, b) => a + b, 0);
const ratio = (pair: { before: readonly number[]; after: readonly number[] }): number =>
  sum(pair.after) / sum(pair.before);

function autotest(
  id: string,
  what: string,
  value: number,
  mmu: 'EPT' | 'shadow paging',
): PublishedFigure {
  return {
    id,
    what,
    value,
    unit: 'ratio',
    setup: `${AUTOTEST_SETUP}; ${mmu}; ratio of the three runs' totals`,
    source: `${SERIES} (autotest table)`,
    confidence: 'high',
  };
}

const R = XIAO_2012_AUTOTEST_RUNS;

export const XIAO_2012: readonly PublishedFigure[] = [
  autotest(
    'xiao-2012-ept-migrate-unix',
    'migration of an idle guest (migrate.unix): time after / before the fast path',
    ratio(R.ept.migrateUnix),
    'EPT',
  ),
  autotest(
    'xiao-2012-ept-migrate-dbench',
    'migration while the guest runs dbench (migrate.with_autotest.dbench): after / before',
    ratio(R.ept.migrateDbench),
    'EPT',
  ),
  autotest(
    'xiao-2012-shadow-migrate-dbench',
    'migration while the guest runs dbench: after / before the fast path',
    ratio(R.shadow.migrateDbench),
    'shadow paging',
  ),
  {
    id: 'xiao-2012-shadow-vs-ept-dbench',
    what: 'migration while the guest runs dbench, before the series: shadow paging / EPT',
    value: sum(R.shadow.migrateDbench.before) / sum(R.ept.migrateDbench.before),
    unit: 'ratio',
    setup: `${AUTOTEST_SETUP}; the same test on kvm_intel.ept=0 and on EPT`,
    source: `${SERIES} (autotest table)`,
    confidence: 'high',
  },
  {
    id: 'xiao-2012-v5-migrate-dbench',
    what: 'migration while the guest runs dbench (one run each): after / before',
    value: 188 / 218,
    unit: 'ratio',
    setup: `${AUTOTEST_SETUP}; EPT`,
    source: `${SERIES}, "[PATCH v5 0/9] KVM: fast page fault" (218 s -> 188 s)`,
    confidence: 'high',
  },
  {
    id: 'xiao-2012-v5-redirty',
    what: 'time for the guest to write its memory again after dirty logging starts: after / before',
    value: 269_231_261 / 512_466_818,
    unit: 'ratio',
    setup:
      "the series' attached benchmark, 10 runs averaged; guest memory size and vCPUs not stated; EPT, no PML (2012)",
    source: `${SERIES}, "[PATCH v5 0/9] KVM: fast page fault" (512 ms -> 269 ms)`,
    confidence: 'low',
  },
  {
    id: 'xiao-2012-v7-redirty',
    what: 'time for the guest to write its memory again after dirty logging starts: after / before',
    value: 249_809_853 / 538_233_957,
    unit: 'ratio',
    setup: 'as the v5 benchmark',
    source: `${SERIES}, "[PATCH v7 00/10] KVM: MMU: fast page fault", 2012-06-20 (538 ms -> 250 ms)`,
    confidence: 'low',
  },
  {
    id: 'xiao-2012-x11perf-ept',
    what: 'x11perf 500x500 composite on the dirty-logged VGA framebuffer, EPT: after / before',
    value: 7150 / 7060,
    unit: 'ratio',
    setup: '4 vCPU, 1 GiB guest on an i5-2540M; score (higher is better)',
    source: `${SERIES} (x11perf result)`,
    confidence: 'high',
  },
  {
    id: 'xiao-2012-x11perf-shadow',
    what: 'x11perf 500x500 composite on the dirty-logged VGA framebuffer, shadow paging: after / before',
    value: 7490 / 6980,
    unit: 'ratio',
    setup: '4 vCPU, 1 GiB guest on an i5-2540M; score (higher is better)',
    source: `${SERIES} (x11perf result)`,
    confidence: 'high',
  },
];

import type { PublishedFigure } from './types.ts';

const SOURCE =
  'David Matlack, "[PATCH v2 00/18] KVM: x86/mmu: Eager Page Splitting for the TDP MMU", kvm list, 2022-01-19 (cover letter table)';
const SETUP =
  'dirty_log_perf_test, 96 vCPUs, 1 GiB per vCPU, 1 GiB HugeTLB, TDP MMU; before: the tree without the series (huge SPTEs zapped on a write fault), after: with eager page splitting';

/** One phase of Matlack's table, before and after the series. */
function phase(
  key: string,
  what: string,
  before: number,
  after: number,
): [PublishedFigure, PublishedFigure] {
  const figure = (when: 'before' | 'after', value: number): PublishedFigure => ({
    id: `matlack-2022-${key}-${when}`,
    what: `${what}, ${when} eager splitting`,
    value,
    unit: 's',
    setup: SETUP,
    source: SOURCE,
    confidence: 'high',
  });
  return [figure('before', before), figure('after', after)];
}

/**
 * The dirty_log_perf_test phases Matlack published for eager page splitting, with
 * manual protect and INITIALLY_SET (the selftest's default) and without them (-g).
 */
export const MATLACK_2022: readonly PublishedFigure[] = [
  ...phase(
    'initially-set-iter1-clear',
    'INITIALLY_SET: iteration 1 clear dirty log',
    0.049572,
    1.667812,
  ),
  ...phase(
    'initially-set-iter2-dirty',
    'INITIALLY_SET: iteration 2 dirty memory',
    2.751443,
    0.127017,
  ),
  ...phase(
    'initially-set-iter3-clear',
    'INITIALLY_SET: iteration 3 clear dirty log',
    1.374501,
    1.422479,
  ),
  ...phase('g-enable', '-g: enabling dirty logging', 0.001684, 1.546904),
  ...phase('g-iter1-dirty', '-g: iteration 1 dirty memory', 2.943733, 0.14598),
];

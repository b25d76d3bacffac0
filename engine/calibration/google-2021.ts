import type { PublishedFigure } from './types.ts';

/** Google's production figure for eager splitting, quoted when the series was proposed. */
export const GOOGLE_2021: readonly PublishedFigure[] = [
  {
    id: 'google-2021-eager-split-1.5tb',
    what: 'eagerly splitting the huge pages of a 1.5 TB memslot when dirty logging starts',
    value: 30,
    unit: 's',
    setup:
      'Google production hosts, eager splitting in use since 2016 (Peter Feiner); backing page size not stated',
    source:
      'David Matlack, "RFC: KVM: x86/mmu: Eager Page Splitting", kvm list, 2021-11-04 ("about 30 seconds")',
    confidence: 'low',
  },
];

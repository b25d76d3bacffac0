import type { PublishedFigure } from './types.ts';

/** Figures from single posts and issue threads, each with its setup as published. */
export const OTHER_FIGURES: readonly PublishedFigure[] = [
  {
    id: 'zhou-2020-log-start',
    what: 'starting dirty logging (memory_global_dirty_log_start) without INITIALLY_SET',
    value: 460,
    unit: 'ms',
    setup:
      '128 GiB Windows guest on a Xeon Gold 6152; KVM of early 2020, before the TDP MMU (rmap-based write protection)',
    source:
      'Jay Zhou, "[PATCH v4] KVM: x86: enable dirty log gradually in small chunks", kvm list, 2020-02-27',
    confidence: 'high',
  },
  {
    id: 'zhou-2020-log-start-initially-set',
    what: 'starting dirty logging with INITIALLY_SET (no write protection at start)',
    value: 10,
    unit: 'ms',
    setup: 'as zhou-2020-log-start',
    source:
      'Jay Zhou, "[PATCH v4] KVM: x86: enable dirty log gradually in small chunks", kvm list, 2020-02-27',
    confidence: 'high',
  },
  {
    id: 'cloud-hypervisor-start-dirty-log',
    what: 'starting dirty logging, per GiB of guest memory',
    value: 4.5,
    unit: 'ms/GiB',
    setup:
      'cloud-hypervisor on KVM; host, backing and how much memory was mapped not stated (4-5 ms/GiB)',
    source: 'cloud-hypervisor GitHub issue #8899 (measurement in the discussion)',
    confidence: 'low',
  },
  {
    id: 'cloud-hypervisor-clear-lock-hold',
    what: 'mmu_lock held by KVM_CLEAR_DIRTY_LOG, per GiB cleared',
    value: 1.5,
    unit: 'ms/GiB',
    setup: 'cloud-hypervisor on KVM; how many pages of the chunk were dirty not stated',
    source: 'cloud-hypervisor GitHub issue #8899 (measurement in the discussion)',
    confidence: 'low',
  },
  {
    id: 'cloud-hypervisor-redirty',
    what: 'guest time to write a page again after it was re-protected',
    value: 260,
    unit: 'ns',
    setup: 'cloud-hypervisor on KVM; PML or not not stated (~68 ms/GiB)',
    source: 'cloud-hypervisor GitHub issue #8899 (measurement in the discussion)',
    confidence: 'low',
  },
  {
    id: 'svm-exit-round-trip',
    what: 'VMRUN to #VMEXIT round trip',
    value: 1360,
    unit: 'cycles',
    setup: 'AMD host, micro-benchmark (1,344 to 1,376 cycles; a whole KVM_RUN ~2,528 cycles)',
    source: 'LKML thread, December 2020',
    confidence: 'low',
  },
];

import { describe, expect, it } from 'vitest';
import type { LetDefinition } from '../../../dsl/compile.ts';
import { HEADLINE_COLUMNS } from '../../../kernel/experiment/headline.ts';
import { tableOutputTable } from '../../../kernel/experiment/views.ts';
import { handExperiment, nameAxis } from '../../helpers/experiments.ts';

const span = { line: 1, column: 1, offset: 0, length: 1 };

/** Two runs whose summaries have the headline columns and others, in the engine's order. */
const e = handExperiment(
  [nameAxis('tracking', ['bitmap', 'ring'])],
  ['bitmap', 'ring'].map((tracking) => ({
    params: { tracking },
    seed: 1,
    summary: {
      tracking,
      status: 'completed',
      total_ms: 300,
      setup_ms: 5,
      downtime_ms: 20,
      pf_fast: 7,
      iterations: 4,
      transferred_bytes: 1 << 30,
      ram_bytes: 1 << 30,
      stale_pages: 0,
    },
  })),
);
const sent: LetDefinition = {
  line: 1,
  name: 'sent',
  expr: {
    kind: 'binary' as const,
    op: '/' as const,
    left: { kind: 'column' as const, name: 'transferred_bytes', span },
    right: { kind: 'column' as const, name: 'ram_bytes', span },
    span,
  },
};

describe('table summary: the headline columns', () => {
  it('shows the run, its axes and seed, the headline columns and the lets, in that order', () => {
    const t = tableOutputTable(e, 'summary', {}, [sent]);
    expect(t.columnNames()).toEqual([
      'label',
      'tracking',
      'seed',
      ...(HEADLINE_COLUMNS.summary ?? []),
      'sent',
    ]);
  });

  it('shows every column with all, the headline ones first', () => {
    const t = tableOutputTable(e, 'summary', { all: true }, [sent]);
    const names = t.columnNames();
    expect(names.slice(0, 10)).toEqual(tableOutputTable(e, 'summary', {}, [sent]).columnNames());
    expect(names).toEqual(expect.arrayContaining(['vm', 'setup_ms', 'pf_fast', 'ram_bytes']));
  });

  it('shows what with names, and a grouped table whole: the headline set is only a default', () => {
    expect(tableOutputTable(e, 'summary', { columns: ['pf_fast'] }).columnNames()).toEqual([
      'label',
      'pf_fast',
    ]);
    const grouped = tableOutputTable(e, 'summary', {
      by: ['tracking'],
      aggregates: [{ op: 'n', name: 'n', span }],
    });
    expect(grouped.columnNames()).toEqual(['tracking', 'n']);
  });

  it('leaves a view without a headline set whole', () => {
    expect(tableOutputTable(e, 'iterations', {}).columnNames()).toContain('remaining_pages');
  });
});

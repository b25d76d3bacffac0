import * as aq from 'arquero';
import { describe, expect, it } from 'vitest';
import { fittedTextTable, textTable } from '../../../kernel/output/text-table.ts';

describe('textTable', () => {
  it('writes numbers as formatNumber does: no padded decimals, thousands separators', () => {
    const t = aq.table({ downtime_ms: [270.5, 2870.835549, 0.000123456, 12] });
    expect(textTable(t).split('\n')).toEqual([
      'downtime_ms',
      '───────────',
      '      270.5',
      '  2,870.836',
      '   0.000123',
      '         12',
    ]);
  });

  it('right-aligns numeric columns, left-aligns text, and marks missing values', () => {
    const t = aq.table({ label: ['a', 'bb'], n: [1, null] });
    expect(textTable(t).split('\n')).toEqual(['label  n', '─────  ─', 'a      1', 'bb     —']);
  });

  it('leads with a caption and counts the rows it does not show', () => {
    const t = aq.table({ i: [1, 2, 3] });
    expect(textTable(t, { caption: 'three', maxRows: 1 }).split('\n')).toEqual([
      'three',
      'i',
      '─',
      '1',
      '… 2 more rows',
    ]);
  });

  it('cuts cells longer than maxCell', () => {
    expect(textTable(aq.table({ s: ['abcdef'] }), { maxCell: 4 }).split('\n')[2]).toBe('abc…');
  });
});

describe('fittedTextTable', () => {
  const t = aq.table({ label: ['x/seed=1'], aaaaaaaaaa: [1], bbbbbbbbbb: [2], cccccccccc: [3] });

  it('is the whole table when it fits', () => {
    expect(fittedTextTable(t, 200, ['label'])).toBe(textTable(t));
  });

  it('splits a wide table into blocks that each repeat the key columns', () => {
    const blocks = fittedTextTable(t, 34, ['label']).split('\n\n');
    expect(blocks.map((b) => b.split('\n')[0].split(/\s+/))).toEqual([
      ['label', 'aaaaaaaaaa', 'bbbbbbbbbb'],
      ['label', 'cccccccccc'],
    ]);
    for (const b of blocks) expect(b.split('\n')[1].length).toBeLessThanOrEqual(34);
  });
});

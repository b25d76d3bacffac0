import * as aq from 'arquero';
import { describe, expect, it } from 'vitest';
import { registerColumns } from '../../../kernel/experiment/column-info.ts';
import { htmlTable } from '../../../kernel/output/html-table.ts';
import { fittedTextTable, textTable } from '../../../kernel/output/text-table.ts';

describe('textTable', () => {
  it('writes each column in one number style: the same decimals down it, thousands separators', () => {
    const t = aq.table({ downtime_ms: [270.5, 2870.835549, 12], pages: [1, 40960, 7] });
    expect(textTable(t).split('\n')).toEqual([
      'downtime_ms   pages',
      '───────────  ──────',
      '     270.50       1',
      '   2,870.84  40,960',
      '      12.00       7',
    ]);
  });

  it("shows a column's unit in its header unless its name ends in it", () => {
    const t = registerColumns(aq.table({ bandwidth: [1, 10], downtime_ms: [30.5, 3] }), [
      { name: 'bandwidth', type: 'number', unit: 'Gbit/s' },
      { name: 'downtime_ms', type: 'number', unit: 'ms' },
    ]);
    expect(textTable(t).split('\n')[0]).toBe('bandwidth (Gbit/s)  downtime_ms');
    expect(htmlTable(t)).toContain('>bandwidth (Gbit/s)</th>');
    // Blocks of a table too wide for the terminal keep the units.
    expect(fittedTextTable(t, 20).split('\n')[0]).toBe('bandwidth (Gbit/s)');
    // A table with no units registered shows its names.
    expect(textTable(aq.table({ bandwidth: [1] })).split('\n')[0]).toBe('bandwidth');
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

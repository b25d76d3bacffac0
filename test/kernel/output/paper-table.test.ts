import * as aq from 'arquero';
import { describe, expect, it } from 'vitest';
import { registerColumns } from '../../../kernel/experiment/column-info.ts';
import { latexEscape, paperTable } from '../../../kernel/output/paper-table.ts';

const table = registerColumns(
  aq.table({
    tracking: ['ring_4k', 'bitmap & co'],
    bandwidth: [10, 2.5],
    mean_downtime_ms: [1234.5678, null],
  }),
  [
    { name: 'tracking', type: 'text' },
    { name: 'bandwidth', type: 'number', unit: 'Gbit/s' },
    { name: 'mean_downtime_ms', type: 'number', unit: 'ms' },
  ],
);
const provenance: [string, string][] = [
  ['source', 'lab.mmu'],
  ['plan_hashes', 'aa bb'],
];

describe('tables for papers', () => {
  it('writes LaTeX with booktabs rules, units in the header, numbers right-aligned and escaped text', () => {
    expect(paperTable(table, 'latex', provenance)).toBe(
      [
        '% source: lab.mmu',
        '% plan_hashes: aa bb',
        '% needs \\usepackage{booktabs}',
        '\\begin{tabular}{lrr}',
        '\\toprule',
        'tracking & bandwidth (Gbit/s) & mean\\_downtime\\_ms \\\\',
        '\\midrule',
        'ring\\_4k & 10.000 & 1,235 \\\\',
        'bitmap \\& co & 2.500 & --- \\\\',
        '\\bottomrule',
        '\\end{tabular}',
        '',
      ].join('\n'),
    );
  });

  it('escapes every character LaTeX treats specially', () => {
    expect(latexEscape('50% of $x_1 {a} #2 ~ ^ \\ ± 3 µs')).toBe(
      '50\\% of \\$x\\_1 \\{a\\} \\#2 \\textasciitilde{} \\textasciicircum{} \\textbackslash{} $\\pm$ 3 $\\mu$s',
    );
  });

  it('writes a Markdown table with the provenance in a comment and right-aligned numbers', () => {
    const md = paperTable(table, 'markdown', provenance);
    expect(md).toBe(
      [
        '<!--',
        'source: lab.mmu',
        'plan_hashes: aa bb',
        '-->',
        '',
        '| tracking | bandwidth (Gbit/s) | mean_downtime_ms |',
        '| --- | ---: | ---: |',
        '| ring_4k | 10.000 | 1,235 |',
        '| bitmap & co | 2.500 | — |',
        '',
      ].join('\n'),
    );
    const piped = aq.table({ note: ['a|b'] });
    expect(paperTable(piped, 'markdown', [])).toContain('| a\\|b |');
  });
});

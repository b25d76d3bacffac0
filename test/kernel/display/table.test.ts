import * as aq from 'arquero';
import { describe, expect, it } from 'vitest';
import { run } from '../../../engine/run.ts';
import { TEXT_WIDTH, tableBundle } from '../../../kernel/display/table.ts';
import { plan } from '../../helpers/plans.ts';

const html = (t: aq.ColumnTable, o = {}): string => String(tableBundle(t, o).data['text/html']);
const text = (t: aq.ColumnTable, o = {}): string => String(tableBundle(t, o).data['text/plain']);
/** The text of every <td> of the HTML, in order. */
const cells = (h: string): string[] => [...h.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]);

describe('tableBundle', () => {
  it('escapes markup in column names and in cells', () => {
    const t = aq.table({ '<script>alert(1)</script>': ['<script>alert(2)</script>', 'a & b'] });
    const h = html(t);
    expect(h).not.toContain('<script');
    expect(h).toContain('<th style="');
    expect(h).toContain('&lt;script&gt;alert(1)&lt;/script&gt;</th>');
    expect(cells(h)).toEqual(['&lt;script&gt;alert(2)&lt;/script&gt;', 'a &amp; b']);
  });

  it('formats numbers for people: one style per column, thousands separators', () => {
    const t = aq.table({ x: [200, 1.234567, 1234567], n: [1, 20, 3000] });
    expect(cells(html(t))).toEqual(['200.000', '1', '1.235', '20', '1,234,567.000', '3,000']);
    expect(text(t)).toContain('1,234,567.000  3,000');
  });

  it('wraps a wide text/plain table into blocks of at most TEXT_WIDTH columns, each led by the label', () => {
    const wide = aq.table(
      Object.fromEntries([
        ['label', ['web/ring/seed=1', 'web/ring/seed=2']],
        ...Array.from({ length: 30 }, (_v, i) => [`column_${i}_ms`, [i * 1000.5, i]]),
      ]),
    );
    const lines = text(wide).split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(TEXT_WIDTH);
    const headers = lines.filter((l) => l.startsWith('label '));
    expect(headers.length).toBeGreaterThan(3);
    expect(lines.join('\n')).toContain('column_29_ms');
  });

  it('shows null, undefined and NaN as a placeholder', () => {
    const t = aq.table({ n: [null, NaN, 3], s: ['a', null, undefined] });
    expect(cells(html(t))).toEqual(['—', 'a', '—', '—', '3', '—']);
    expect(text(t)).not.toMatch(/null|NaN|undefined/);
  });

  it('right-aligns numeric columns and left-aligns text columns', () => {
    const t = aq.table({ name: ['a'], value: [1] });
    const ths = [...html(t).matchAll(/<th style="([^"]*)">(\w+)<\/th>/g)];
    expect(ths.map((m) => [m[2], /text-align:(\w+)/.exec(m[1])?.[1]])).toEqual([
      ['name', 'left'],
      ['value', 'right'],
    ]);
    expect(text(t).split('\n')[3]).toBe('a         1');
  });

  it('uses inline styles only, no <style> element', () => {
    expect(html(aq.table({ a: [1] }))).not.toMatch(/<style/i);
  });

  it('has a caption with the size of the whole table', () => {
    const t = aq.table({ a: [1, 2, 3], b: ['x', 'y', 'z'] });
    expect(html(t, { title: 'run <x>' })).toContain('run &lt;x&gt; · 3 rows × 2 columns</caption>');
    expect(text(t).split('\n')[0]).toBe('3 rows × 2 columns');
    expect(text(aq.table({ a: [1] })).split('\n')[0]).toBe('1 row × 1 column');
  });

  it('shows the head of a long table and counts the rest', () => {
    const t = aq.table({ i: Array.from({ length: 1025 }, (_, i) => i) });
    const h = html(t, { maxRows: 10 });
    expect(cells(h)).toHaveLength(11);
    expect(cells(h)[9]).toBe('9');
    expect(cells(h)[10]).toBe('… 1,015 more rows');
    expect(h).toContain('1,025 rows × 1 column');
    const lines = text(t, { maxRows: 10 }).split('\n');
    expect(lines).toHaveLength(3 + 10 + 1);
    expect(lines.at(-1)).toBe('… 1,015 more rows');
  });

  it('does not add a "more rows" line when every row is shown', () => {
    const t = aq.table({ i: [1, 2] });
    expect(html(t, { maxRows: 2 })).not.toContain('more row');
    expect(text(t, { maxRows: 2 })).not.toContain('more row');
  });

  it('cuts very long cells so the payload stays bounded', () => {
    const t = aq.table({ s: ['x'.repeat(100_000)] });
    expect(html(t).length).toBeLessThan(2_000);
    expect(text(t).length).toBeLessThan(200);
    expect(cells(html(t))[0].endsWith('…')).toBe(true);
  });

  it('always has text/plain, also for an empty table', () => {
    const b = tableBundle(aq.table({ a: [] }));
    expect(b.data['text/plain']).toBe('0 rows × 1 column\na\n─');
    expect(b.data['text/html']).toContain('0 rows × 1 column');
  });

  it('puts the provenance of the run that made the table in metadata', () => {
    const result = run(plan({ warmupNs: 100e6, maxTimeNs: 2e9 }));
    const b = tableBundle(result.summary);
    expect(b.metadata).toEqual({
      mmulab: {
        rows: 1,
        columns: result.summary.numCols(),
        provenance: [
          {
            mmulab_version: result.provenance.mmulab_version,
            plan_hash: result.provenance.plan_hash,
            seed: 1,
          },
        ],
      },
    });
  });

  it('takes an explicit provenance list (one record per plan of a sweep)', () => {
    const provenance = [
      { label: 'a/seed=1', mmulab_version: '0.1.0', plan_hash: '01', seed: 1 },
      { label: 'a/seed=2', mmulab_version: '0.1.0', plan_hash: '02', seed: 2 },
    ];
    const b = tableBundle(aq.table({ x: [1] }), { provenance });
    expect(b.metadata).toMatchObject({ mmulab: { provenance } });
  });

  it('has no provenance for a table no run made', () => {
    expect(tableBundle(aq.table({ x: [1] })).metadata).toEqual({
      mmulab: { rows: 1, columns: 1 },
    });
  });
});

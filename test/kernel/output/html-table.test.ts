import * as aq from 'arquero';
import { describe, expect, it } from 'vitest';
import { htmlTable } from '../../../kernel/output/html-table.ts';
import { textTable } from '../../../kernel/output/text-table.ts';

/** The text of every <td> of the HTML, in order. */
const cells = (h: string): string[] => [...h.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]);

describe('htmlTable', () => {
  const t = aq.table({ label: ['a & b', 'c'], downtime_ms: [270.5, null] });

  it('shows the same cells in both looks, and the same as the text table', () => {
    const inline = htmlTable(t);
    const classes = htmlTable(t, { look: 'classes' });
    expect(cells(inline)).toEqual(['a &amp; b', '270.5', 'c', '—']);
    expect(cells(classes)).toEqual(cells(inline));
    expect(textTable(t)).toContain('a & b        270.5');
  });

  it('marks numeric columns with a class in the classes look, with a style inline', () => {
    const classes = htmlTable(t, { look: 'classes' });
    expect(classes).toContain('<th>label</th><th class="num">downtime_ms</th>');
    expect(classes).not.toContain('style=');
    const inline = htmlTable(t);
    expect(inline).toMatch(/<th style="[^"]*text-align:right">downtime_ms<\/th>/);
    expect(inline).not.toContain('class=');
  });

  it('has a caption only when given one', () => {
    expect(htmlTable(t)).not.toContain('<caption');
    expect(htmlTable(t, { caption: 'x < y' })).toContain('>x &lt; y</caption>');
  });
});

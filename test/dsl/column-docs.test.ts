import { describe, expect, it } from 'vitest';
import { SUMMARY_COLUMN_DOCS } from '../../dsl/column-docs.ts';
import { everyResultColumn } from '../../engine/results.ts';

describe('summary column documentation', () => {
  it('documents every column of the summary table, and no column it does not have', () => {
    const columns = everyResultColumn().summary.map((c) => c.name);
    expect(columns.filter((c) => SUMMARY_COLUMN_DOCS[c] === undefined)).toEqual([]);
    expect(Object.keys(SUMMARY_COLUMN_DOCS).filter((d) => !columns.includes(d))).toEqual([]);
  });

  it('says each in a sentence of its own', () => {
    for (const [name, doc] of Object.entries(SUMMARY_COLUMN_DOCS))
      expect(doc, name).toMatch(/^[A-Za-z0-9`'].*\.$/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIELDS } from '../../dsl/schema.ts';
import { ROOT, generateDocs } from '../../scripts/docs-language.ts';

describe('language reference', () => {
  it('matches what npm run docs:language generates', async () => {
    for (const f of await generateDocs()) {
      const committed = readFileSync(join(ROOT, f.path), 'utf8');
      expect(committed === f.text, `${f.path} is out of date: run npm run docs:language`).toBe(
        true,
      );
    }
  }, 30_000);

  it('documents every field of every block', async () => {
    const md = (await generateDocs())[0].text;
    for (const fields of Object.values(FIELDS))
      for (const key of Object.keys(fields)) expect(md).toContain(`| \`${key}`);
  }, 30_000);
});

import { describe, expect, it } from 'vitest';
import { DEFINITION_KINDS } from '../../dsl/ast.ts';
import { compile } from '../../dsl/compile.ts';
import { WORKLOAD_KINDS, requiredFields } from '../../dsl/schema.ts';

/** The `missing-field` messages of a text. */
function missing(text: string): string[] {
  return compile(text)
    .diagnostics.filter((d) => d.code === 'missing-field')
    .map((d) => d.message);
}

describe('required fields (schema.ts)', () => {
  it('are the slot of a vm, the dirty log of a tracking and the bandwidth of a migration', () => {
    expect(Object.fromEntries(DEFINITION_KINDS.map((k) => [k, requiredFields(k)]))).toEqual({
      vm: ['slot'],
      tracking: ['dirty_log'],
      costs: [],
      migration: ['bandwidth'],
    });
  });

  for (const kind of DEFINITION_KINDS) {
    it(`are reported when a ${kind} leaves them out`, () => {
      expect(missing(`${kind} x {}`)).toEqual(
        requiredFields(kind).map((f) => `${kind} 'x' has no '${f}'.`),
      );
    });
  }

  it('are inherited through extends: a definition extending a complete one needs none', () => {
    const base =
      'vm a { slot r at 0 size 1GiB }\ntracking t { dirty_log bitmap }\nmigration m { bandwidth 1Gbit/s }';
    expect(
      missing(`${base}\nvm b extends a {}\ntracking u extends t {}\nmigration n extends m {}`),
    ).toEqual([]);
  });

  for (const kind of WORKLOAD_KINDS) {
    it(`of a ${kind} workload are reported when left out`, () => {
      const article = /^[aeiou]/.test(kind) ? 'An' : 'A';
      expect(missing(`vm v { slot r at 0 size 1GiB, workload ${kind} {} }`)).toEqual(
        requiredFields('workload', kind).map((f) => `${article} ${kind} workload needs '${f}'.`),
      );
    });
  }

  it('of each workload kind follow its fields', () => {
    expect(
      Object.fromEntries(WORKLOAD_KINDS.map((k) => [k, requiredFields('workload', k)])),
    ).toEqual({
      uniform: ['rate'],
      hotset: ['rate', 'set'],
      zipf: ['rate', 'exponent'],
      sequential: ['rate'],
      idle: [],
      phases: ['phase'],
      trace: ['file'],
      alloc: ['churn', 'used'],
    });
  });
});

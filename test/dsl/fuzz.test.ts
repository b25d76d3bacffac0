import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import { formatDiagnostic } from '../../dsl/diagnostics.ts';
import { format } from '../../dsl/format.ts';
import { editedTexts } from '../helpers/edited-texts.ts';
import { BASE, DIAGNOSTIC_CASES, memoryLoader } from './cases.ts';

/** Kept short: the suite must stay fast. */
const RUNS = 200;

const SEEDS = [
  BASE,
  ...DIAGNOSTIC_CASES.flatMap((c) => [`${BASE}\n${c.bad}`, `${BASE}\n${c.good}`]),
];

const FRAGMENTS = [
  'vm',
  'tracking',
  'costs',
  'migration',
  'run',
  'sweep',
  'with',
  'extends',
  'table',
  'plot',
  'over',
  'export',
  'to',
  'as',
  '"results/"',
  '{',
  '}',
  '[',
  ']',
  ',',
  '..',
  '\n',
  ' ',
  '#',
  'x',
  'slot',
  'at',
  'size',
  '4GiB',
  '1.5TiB',
  '300ms',
  '10Gbit/s',
  '200k/s',
  '90%',
  '0',
  '4k',
  'ring',
  '4096',
  'seeds',
  '1..5',
  '"',
  '@',
  '-',
  'µs',
  '0x1f',
  'use',
  '"a.mmu"',
  'workload',
  'phases',
  'phase',
  'trace',
  'file',
];

/** Every file the fuzzed texts may name exists and uses the others (cycles included). */
const load = memoryLoader({ '/a.mmu': 'use "a.mmu"\ntracking t { dirty_log bitmap }' });

function expectNoThrow(text: string): void {
  const r = compile(text, { file: '/m.mmu', load });
  expect(typeof format(text).text).toBe('string');
  expect(Array.isArray(r.diagnostics)).toBe(true);
  for (const d of r.diagnostics) {
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(typeof formatDiagnostic(text, d)).toBe('string');
  }
}

describe('compile never throws', () => {
  it('on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), expectNoThrow), { numRuns: RUNS });
  });

  it('on random sequences of language fragments', () => {
    const text = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }).map((a) => a.join(' '));
    fc.assert(fc.property(text, expectNoThrow), { numRuns: RUNS });
  });

  it('on valid programs with characters deleted, inserted or replaced', () => {
    const mutated = editedTexts(SEEDS, {
      inserts: fc.constantFrom(...FRAGMENTS, ''),
      maxDelete: 5,
      maxEdits: 5,
    });
    fc.assert(fc.property(mutated, expectNoThrow), { numRuns: RUNS });
  });
});

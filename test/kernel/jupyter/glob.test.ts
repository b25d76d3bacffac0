import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatcher } from '../../../kernel/jupyter/glob.ts';

/** Kept modest: the suite must stay fast. */
const RUNS = 2000;
/**
 * Each pathological search answers in well under this; a bound, not a benchmark, with
 * room for a loaded machine (the regex took 0.8-4 s, 7.8 s, and forever).
 */
const FAST_MS = 250;

/** The definition, by dynamic programming over code points: O(text × pattern). */
function reference(pattern: string, text: string): boolean {
  const p = Array.from(pattern);
  const t = Array.from(text);
  // row[j]: p[0, i) matches t[0, j).
  let row = t.map(() => false);
  row = [true, ...row];
  for (const c of p) {
    const next = [c === '*' && row[0]!];
    for (let j = 1; j <= t.length; j++) {
      next[j] = c === '*' ? row[j]! || next[j - 1]! : row[j - 1]! && (c === '?' || c === t[j - 1]);
    }
    row = next;
  }
  return row[t.length]!;
}

function elapsed(f: () => unknown): number {
  const start = performance.now();
  f();
  return performance.now() - start;
}

describe('globMatcher', () => {
  it('agrees with a brute-force reference on random patterns and texts', () => {
    const pattern = fc
      .array(fc.constantFrom('a', 'b', '*', '?', '😀', '.', '['), { maxLength: 12 })
      .map((a) => a.join(''));
    const text = fc
      .array(fc.constantFrom('a', 'b', '😀', '.'), { maxLength: 20 })
      .map((a) => a.join(''));
    fc.assert(
      fc.property(pattern, text, (p, t) => {
        expect(globMatcher(p)(t)).toBe(reference(p, t));
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees with the reference on segments longer than one 32-bit word', () => {
    const long = fc
      .array(fc.constantFrom('a', 'b', '?'), { minLength: 30, maxLength: 80 })
      .map((a) => a.join(''));
    const text = fc.array(fc.constantFrom('a', 'b'), { maxLength: 200 }).map((a) => a.join(''));
    fc.assert(
      fc.property(long, text, fc.boolean(), (segment, t, plant) => {
        // Plant the segment (its `?` as 'a') in the text half of the time, so matches occur.
        const planted = plant ? t.slice(0, 50) + segment.replaceAll('?', 'a') + t.slice(50) : t;
        const p = `*${segment}*`;
        expect(globMatcher(p)(planted)).toBe(reference(p, planted));
      }),
      { numRuns: 300 },
    );
  });

  it('matches the whole text: * any run, ? one character, the rest literally', () => {
    expect(globMatcher('vm*')('vm a { vcpus 4 }')).toBe(true);
    expect(globMatcher('vm')('vm a')).toBe(false);
    expect(globMatcher('*vcpus ?*')('vm a { vcpus 4 }')).toBe(true);
    expect(globMatcher('a.b')('axb')).toBe(false);
    expect(globMatcher('[ab]')('[ab]')).toBe(true);
    expect(globMatcher('?')('😀')).toBe(true);
    expect(globMatcher('*')('')).toBe(true);
    expect(globMatcher('')('')).toBe(true);
    expect(globMatcher('*\n*')('a\nb')).toBe(true);
  });

  it('answers the patterns that made a regex backtrack in milliseconds', () => {
    const cell = 'a'.repeat(60) + 'c';
    expect(elapsed(() => expect(globMatcher('*a*a*a*a*a*a*b')(cell)).toBe(false))).toBeLessThan(
      FAST_MS,
    );
    const stars = `${'*a'.repeat(25)}*b`;
    expect(elapsed(() => expect(globMatcher(stars)(cell)).toBe(false))).toBeLessThan(FAST_MS);
    const big = 'vm a { vcpus 4 }\n'.repeat(6000).slice(0, 100_000);
    expect(elapsed(() => expect(globMatcher('*vm*a*b*')(big)).toBe(false))).toBeLessThan(FAST_MS);
    expect(elapsed(() => expect(globMatcher('*vm*a*4*')(big)).toBe(true))).toBeLessThan(FAST_MS);
  });
});

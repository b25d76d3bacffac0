import { describe, expect, it } from 'vitest';
import { History } from '../../../kernel/jupyter/history.ts';

/** A bound, not a benchmark: the searches take milliseconds (with a regex: seconds, or forever). */
const FAST_MS = 1000;

describe('History search', () => {
  it('finds the cells a glob matches, in milliseconds even for a 100 KB cell', async () => {
    const history = new History();
    history.add(1, 'vm a { vcpus 4 }\n'.repeat(6000).slice(0, 100_000));
    history.add(2, 'a'.repeat(60) + 'b');
    history.add(3, '%who');
    const search = async (pattern: string): Promise<number[]> => {
      const found = await history.query({
        hist_access_type: 'search',
        pattern,
        output: false,
        raw: true,
      });
      return found.map((e) => e[1]);
    };
    const start = performance.now();
    expect(await search('*vm*a*b*')).toEqual([]);
    expect(await search('*a*a*a*a*a*a*b')).toEqual([2]);
    expect(await search(`${'*a'.repeat(25)}*b`)).toEqual([2]);
    expect(await search('%*')).toEqual([3]);
    expect(performance.now() - start).toBeLessThan(FAST_MS);
  });

  it('treats a pattern that is not a string as *', async () => {
    const history = new History();
    history.add(1, 'x');
    const found = await history.query({
      hist_access_type: 'search',
      pattern: 7 as unknown as string,
      output: false,
      raw: true,
    });
    expect(found).toEqual([[1, 1, 'x']]);
  });
});

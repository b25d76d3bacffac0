import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../kernel/cli/dirty-log-perf.ts';

describe('npm run dlpt options', () => {
  it('takes a fractional -w and a --stride with a size suffix', () => {
    expect(parseArgs(['-w', '0.5', '--stride', '2M'])).toMatchObject({
      writePercent: 0.5,
      strideBytes: 2 * 2 ** 20,
    });
  });

  it('takes a whole -w as before (the twin)', () => {
    expect(parseArgs(['-w', '30'])).toMatchObject({ writePercent: 30 });
  });

  it.each([['abc'], ['101'], ['-1']])('rejects -w %s with the range it takes', (v) => {
    expect(() => parseArgs(['-w', v])).toThrow(/percentage from 0 to 100/);
  });
});

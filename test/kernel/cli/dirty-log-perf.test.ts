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

describe('npm run dlpt: the fast path, proposals and CLEAR chunks', () => {
  it('takes --fast-page-fault, --granularity and --split-on-first-clear', () => {
    const o = parseArgs([
      '--fast-page-fault',
      '0',
      '--granularity',
      '2m',
      '--split-on-first-clear',
      '1',
    ]);
    expect(o?.params).toMatchObject({
      fastPageFault: false,
      proposals: {
        dirtyGranularity: '2m',
        splitOnFirstClear: true,
        ringTopology: { kind: 'per-vcpu' },
      },
    });
  });

  it('leaves the proposals at their defaults without those flags (the twin)', () => {
    expect(parseArgs(['-v', '2'])?.params).toEqual({});
  });

  it('rejects an unknown granularity, naming the ones it takes', () => {
    expect(() => parseArgs(['--granularity', '1g'])).toThrow(
      /--granularity takes 4k or 2m, got "1g"/,
    );
  });

  it('takes -k as a size, a multiple of 256K', () => {
    expect(parseArgs(['-k', '1M'])).toMatchObject({ clearChunkBytes: 2 ** 20 });
  });

  it.each([['100K'], ['0']])('rejects -k %s with the alignment it needs', (v) => {
    expect(() => parseArgs(['-k', v])).toThrow(/-k needs a multiple of 256K/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../kernel/cli/args.ts';
import type { OptionSpec } from '../../../kernel/cli/args.ts';

const SPECS: readonly OptionSpec[] = [
  { name: 'html', value: 'FILE' },
  { name: 'csv', value: 'DIR' },
  { name: 'seed', value: 'N' },
  { name: 'jobs', short: 'j', value: 'N' },
  { name: 'help', short: 'h' },
];

const parse = (...argv: string[]): Record<string, unknown> => {
  const { options, positionals } = parseArgs('mmulab run', argv, SPECS);
  return { ...Object.fromEntries(options), positionals };
};

describe('command-line arguments', () => {
  it('reads values after a space or an equals sign, short options and flags', () => {
    expect(parse('a.mmu', '--html', 'r.html', '--csv=out', '-j', '2', '-h')).toEqual({
      html: 'r.html',
      csv: 'out',
      jobs: '2',
      help: true,
      positionals: ['a.mmu'],
    });
    expect(parse('-j4', 'a.mmu')).toEqual({ jobs: '4', positionals: ['a.mmu'] });
  });

  it('takes a negative number as a value, and - and what follows -- as positionals', () => {
    expect(parse('--seed', '-1', '-', '--', '--html', 'x')).toEqual({
      seed: '-1',
      positionals: ['-', '--html', 'x'],
    });
  });

  it('names an unknown option and the one meant', () => {
    expect(() => parse('--htm', 'r.html')).toThrow(
      "mmulab run: unknown option '--htm'. Did you mean '--html'? Run 'mmulab run --help' for the options.",
    );
    expect(() => parse('-x')).toThrow("unknown option '-x'.");
  });

  it('refuses an option given twice, a value given to a flag, and a missing value', () => {
    expect(() => parse('--csv', 'a', '--csv=b')).toThrow(
      "option '--csv' is given twice; keep one.",
    );
    expect(() => parse('--help=yes')).toThrow("option '--help' takes no value; remove '=...'.");
    for (const argv of [['--html'], ['--html='], ['--html', '--csv', 'out']])
      expect(() => parse(...argv), argv.join(' ')).toThrow(
        "option '--html' needs a value: --html FILE.",
      );
  });
});

import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import { asciiName } from '../../dsl/lexing.ts';
import { likelyUnit } from '../../dsl/units.ts';
import { BASE, CASE_LINE, LAB_FILE, memoryLoader } from './cases.ts';

/**
 * Inputs whose messages once misled (a parser's words, a hint about something else, a
 * second error hiding the first): each now gets exactly the diagnostics listed, with
 * the hint that fixes it, and its twin none.
 */
interface MessageCase {
  what: string;
  /** Appended to BASE. */
  bad: string;
  good: string;
  /** Every diagnostic of `bad`, in order: [code, line within the case (0-based), column, hint]. */
  expected: [code: string, line: number, column: number, hint: string][];
}

const CASES: MessageCase[] = [
  {
    what: 'a negative count is one error on the number, naming the range',
    bad: 'vm v { vcpus -4 }',
    good: 'vm v { vcpus 4, slot r at 0 size 1GiB }',
    expected: [
      ['missing-field', 0, 4, expect.stringContaining('slot') as unknown as string],
      ['negative-number', 0, 14, "'vcpus' must be between 1 and 4096."],
    ],
  },
  {
    what: 'a name with a letter outside ASCII stays one name everywhere it is used',
    bad: 'vm café { vcpus 1, slot r at 0 size 1GiB }\nrun cafe with manual, fast',
    good: 'vm cafe { vcpus 1, slot r at 0 size 1GiB }\nrun cafe with manual, fast',
    expected: [
      [
        'non-ascii-name',
        0,
        4,
        "Write it in ASCII, as 'cafe' for example; any text may follow a # as a comment.",
      ],
      ['unknown-name', 1, 5, "Known: 'db' or 'café'."],
    ],
  },
  {
    what: 'a bandwidth without /s is one error that names the unit and lists the units',
    bad: 'migration m { bandwidth 10Gbit }',
    good: 'migration m { bandwidth 10Gbit/s }',
    expected: [
      [
        'unknown-unit',
        0,
        25,
        'Write a bandwidth with one of bit/s, kbit/s, Mbit/s, Gbit/s, Tbit/s, B/s, KB/s, MB/s, GB/s, TB/s, KiB/s, MiB/s, GiB/s (10Gbit/s, for example).',
      ],
    ],
  },
  {
    what: 'a keyword as a name is one error, and the block is still checked',
    bad: 'vm run { vcpus 2.5, slot r at 0 size 1GiB }',
    good: 'vm runner { vcpus 2, slot r at 0 size 1GiB }',
    expected: [
      ['keyword-as-name', 0, 4, 'Give the vm a name of its own: `vm run_vm { ... }`.'],
      ['not-whole', 0, 16, "'vcpus' takes a whole number: write 2 or 3."],
    ],
  },
  {
    what: 'a definition without a name names its own kind',
    bad: 'migration { bandwidth 1Gbit/s }',
    good: 'migration m { bandwidth 1Gbit/s }',
    expected: [
      [
        'syntax-error',
        0,
        11,
        'Write `migration NAME { ... }`, for example `migration fast { ... }`.',
      ],
    ],
  },
  {
    what: 'a misspelt field is not hidden behind the field it fails to provide',
    bad: 'vm a { vcpus 4, slt r at 0 size 1GiB }',
    good: 'vm a { vcpus 4, slot r at 0 size 1GiB }',
    expected: [
      [
        'unknown-field',
        0,
        17,
        "A vm block takes 'arch', 'vcpus', 'slot', 'workload', 'device', 'balloon', 'prefill' or 'io_exits'.",
      ],
    ],
  },
  {
    what: 'an unclosed string is one error, and its use reads no file',
    bad: 'use "common.mmu',
    good: 'use "common.mmu"',
    expected: [
      [
        'unterminated-string',
        0,
        5,
        `Close it with '"' before the end of the line: a string cannot span lines.`,
      ],
    ],
  },
  {
    what: 'a character outside ASCII that is not a letter says what it is',
    bad: 'run db with manual, fast seed 1 😀',
    good: 'run db with manual, fast seed 1 # 😀',
    expected: [['unexpected-character', 0, 33, 'Remove it; any text may follow a # as a comment.']],
  },
  {
    what: 'a semicolon says where statements end',
    bad: 'run db with manual, fast seed 1;',
    good: 'run db with manual, fast seed 1',
    expected: [
      [
        'unexpected-character',
        0,
        32,
        'Remove it; inside { } separate items with commas or newlines.',
      ],
    ],
  },
  {
    what: 'missing commas between aggregates are said once, at the first, with the statement fixed',
    bad: 'run db with manual, fast\ntable summary by tracking mean total_ms stdev total_ms n',
    good: 'run db with manual, fast\ntable summary by tracking mean total_ms, stdev total_ms, n',
    expected: [
      [
        'missing-comma',
        1,
        41,
        'Separate the items of a list with commas: `table summary by tracking mean total_ms, stdev total_ms, n`.',
      ],
    ],
  },
  {
    what: 'a missing comma between the columns of a table is said as the comma',
    bad: 'run db with manual, fast\ntable summary with total_ms downtime_ms',
    good: 'run db with manual, fast\ntable summary with total_ms, downtime_ms',
    expected: [
      [
        'missing-comma',
        1,
        29,
        'Separate the items of a list with commas: `table summary with total_ms, downtime_ms`.',
      ],
    ],
  },
  {
    what: 'the standard deviation is suggested by the name each place gives it',
    bad: 'sweep db with [manual, ring], fast seeds 1..2\ntable summary by tracking sd total_ms\nplot total_ms over tracking error stdev',
    good: 'sweep db with [manual, ring], fast seeds 1..2\ntable summary by tracking stdev total_ms\nplot total_ms over tracking error sd',
    expected: [
      [
        'unknown-value',
        1,
        27,
        "Aggregates are 'mean', 'median', 'stdev', 'var', 'min', 'max', 'sum', 'se', 'ci95', 'pN (p1..p99)' or 'n'.",
      ],
      ['unknown-value', 2, 35, "Write 'sd', 'se', 'ci95' or 'none'."],
    ],
  },
];

describe('messages that name what is wrong and how to fix it', () => {
  const options = {
    file: LAB_FILE,
    load: memoryLoader({ '/common.mmu': 'tracking t2 { dirty_log bitmap }' }),
  };
  for (const c of CASES) {
    it(c.what, () => {
      const { diagnostics } = compile(`${BASE}\n${c.bad}`, options);
      expect(diagnostics).toEqual(
        c.expected.map(([code, line, column, hint]) =>
          expect.objectContaining({ code, line: CASE_LINE + line, column, hint }),
        ),
      );
    });

    it(`its twin has no diagnostic: ${c.good}`, () => {
      expect(compile(`${BASE}\n${c.good}`, options).diagnostics).toEqual([]);
    });
  }

  it('names stdev for sd in an aggregate, and sd for stdev in an error bar', () => {
    const { diagnostics } = compile(
      `${BASE}\nsweep db with [manual, ring], fast seeds 1..2\ntable summary by tracking sd total_ms\nplot total_ms over tracking error stdev`,
    );
    expect(diagnostics.map((d) => d.message)).toEqual([
      "Unknown aggregate 'sd'. Did you mean 'stdev'?",
      "Unknown error bar 'stdev'. Did you mean 'sd'?",
    ]);
  });

  it('a missing field is still reported when nothing else in the block is wrong', () => {
    const { diagnostics } = compile(`${BASE}\nvm a { vcpus 4 }`);
    expect(diagnostics.map((d) => d.code)).toEqual(['missing-field']);
  });

  it('a byte order mark at the start of a text is not an error', () => {
    expect(compile(`\uFEFF${BASE}`).diagnostics).toEqual([]);
  });
});

describe('likelyUnit', () => {
  it.each([
    ['Gbit', 'bandwidth', 'Gbit/s'],
    ['Gbps', 'bandwidth', 'Gbit/s'],
    ['kbps', 'bandwidth', 'kbit/s'],
    ['MBps', 'bandwidth', 'MB/s'],
    ['gib', 'size', 'GiB'],
    ['msec', 'time', 'ms'],
    ['secs', 'time', 's'],
    ['mss', 'time', 'ms'],
    ['k', 'rate', 'k/s'],
  ] as const)('%s as %s is %s', (unit, dim, meant) => {
    expect(likelyUnit(unit, dim)).toBe(meant);
  });

  it('offers nothing that is far from what was written', () => {
    expect(likelyUnit('parsecs', 'size')).toBeUndefined();
  });
});

describe('asciiName', () => {
  it.each([
    ['café', 'cafe'],
    ['naïve_1', 'naive_1'],
    ['日本', '__'],
    ['ü2', 'u2'],
  ])('%s -> %s', (name, ascii) => {
    expect(asciiName(name)).toBe(ascii);
  });
});

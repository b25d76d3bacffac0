import { describe, expect, it } from 'vitest';
import { parseProgram } from '../../dsl/parse.ts';
import { mmuParser } from '../../dsl/parser.ts';
import { isRuleName, ruleHint } from '../../dsl/syntax.ts';

/** A text with one parse error, its message and hint, and the text the hint suggests. */
interface SyntaxCase {
  what: string;
  /** Default syntax-error. */
  code?: string;
  bad: string;
  message: string;
  hint: string;
  /** Its passing twin: parses without a diagnostic. */
  good: string;
}

const CASES: SyntaxCase[] = [
  {
    what: 'a keyword left out is put in, in the statement as written',
    bad: 'export summary "out/"',
    message: `Expected 'to' but found '"out/"'.`,
    hint: 'Write `export summary to "out/"`.',
    good: 'export summary to "out/"',
  },
  {
    what: 'a misspelt keyword is replaced',
    bad: 'plot remaining ovr time',
    message: "Expected 'over' but found 'ovr'.",
    hint: 'Write `plot remaining over time`.',
    good: 'plot remaining over time',
  },
  {
    what: 'an extra word before the keyword is dropped',
    bad: 'run db fast with ring, fast',
    message: "Expected 'with' but found 'fast'.",
    hint: 'Write `run db with ring, fast`.',
    good: 'run db with ring, fast',
  },
  {
    what: 'a missing comma is put in',
    bad: 'run db with ring fast',
    message: "Expected ',' but found 'fast'.",
    hint: 'Write `run db with ring, fast`.',
    good: 'run db with ring, fast',
  },
  {
    what: 'a missing brace of a one-line definition is put in',
    bad: 'tracking t dirty_log ring 4096 }',
    message: "Expected '{' but found 'dirty_log'.",
    hint: 'Write `tracking t { dirty_log ring 4096 }`.',
    good: 'tracking t { dirty_log ring 4096 }',
  },
  {
    what: 'no fix that doubles a word: the example of the statement instead',
    bad: 'export to "out/"',
    message: `Expected 'to' but found '"out/"'.`,
    hint: 'Write `export summary to "results/" as arrow`.',
    good: 'export summary to "results/" as arrow',
  },
  {
    what: 'at the end of the text, the example of the statement',
    bad: 'plot remaining',
    message: "Expected 'over' but found the end of the text.",
    hint: 'Write `plot remaining over time`.',
    good: 'plot remaining over time',
  },
  {
    what: 'a word that starts no statement lists every statement keyword',
    code: 'unknown-keyword',
    bad: 'frobnicate db',
    message: "Unknown keyword 'frobnicate'; a statement starts with a keyword.",
    hint: 'A statement starts with vm, tracking, costs, migration, run, sweep, table, plot, export, use, let, expect, predict, protocol or explore.',
    good: 'table summary',
  },
  {
    what: 'a misspelt keyword that starts a statement is named, and the statement fixed',
    code: 'unknown-keyword',
    bad: 'vmm a { vcpus 2 }',
    message: "Unknown keyword 'vmm': did you mean 'vm'?",
    hint: 'Write `vm a { vcpus 2 }`.',
    good: 'vm a { vcpus 2 }',
  },
  {
    what: 'the start of a keyword is taken for it',
    code: 'unknown-keyword',
    bad: 'migr m { downtime 1s }',
    message: "Unknown keyword 'migr': did you mean 'migration'?",
    hint: 'Write `migration m { downtime 1s }`.',
    good: 'migration m { downtime 1s }',
  },
  {
    what: "a definition without a name says how this kind's definitions are written",
    bad: 'vm { }',
    message: "A vm needs a name after 'vm', but found '{'.",
    hint: 'Write `vm NAME { ... }`, for example `vm db { ... }`.',
    good: 'vm v { }',
  },
  {
    what: 'a keyword as the name of a definition is said to be one',
    code: 'keyword-as-name',
    bad: 'tracking run { dirty_log manual }',
    message: "'run' is a keyword, so it can't name a tracking.",
    hint: 'Give the tracking a name of its own: `tracking run_tracking { ... }`.',
    good: 'tracking run_t { dirty_log manual }',
  },
  {
    what: 'a block never closed is reported at its brace, before the next statement',
    code: 'unclosed',
    bad: 'vm v {\n  vcpus 2\n\ntable summary',
    message: "The '{' on line 1 is never closed: line 4 starts a new statement ('table') first.",
    hint: "Close the block with '}' after its last item, before line 4.",
    good: 'vm v {\n  vcpus 2\n}\ntable summary',
  },
  {
    what: 'a block never closed at the end of the text names the line that opens it',
    code: 'unclosed',
    bad: 'vm v {\n  vcpus 2\n  workload hotset { rate 1k/s }',
    message: "The '{' on line 1 is never closed: the text ends first.",
    hint: "Close the block with '}' after its last item.",
    good: 'vm v {\n  vcpus 2\n  workload hotset { rate 1k/s }\n}',
  },
  {
    what: "a prediction's value left out says what its values are: words or numbers with units",
    bad: 'predict total_ms for 1Gbit/s >',
    message: 'Expected a value but found the end of the text.',
    hint: 'Write `predict COLUMN for A < B`, A and B two values of what the runs vary: words (`predict downtime_ms for ring < bitmap`) or numbers with their units, no space between (`predict total_ms for 1Gbit/s > 10Gbit/s`).',
    good: 'predict total_ms for 1Gbit/s > 10Gbit/s',
  },
  {
    what: 'a run cut short is hinted by its statement, not by what a value is',
    bad: 'run db with',
    message: 'Unexpected end of the text: expected a value.',
    hint: 'Write `run VM with TRACKING, MIGRATION seed N`.',
    good: 'run db with ring, fast',
  },
  {
    what: 'an unclosed list says how lists are closed',
    bad: 'sweep db with [a, b c], fast',
    message: "Expected ']' but found 'c'.",
    hint: "Close the list with ']'; its items are separated by commas.",
    good: 'sweep db with [a, b, c], fast',
  },
];

describe('parse errors', () => {
  for (const c of CASES) {
    it(`${c.what}: ${c.bad}`, () => {
      const { diagnostics } = parseProgram(c.bad);
      expect(diagnostics[0]).toMatchObject({
        code: c.code ?? 'syntax-error',
        message: c.message,
        hint: c.hint,
      });
    });

    it(`parses its twin without a diagnostic: ${c.good}`, () => {
      expect(parseProgram(c.good).diagnostics).toEqual([]);
    });
  }

  it('have a hint for every rule of the grammar', () => {
    const rules = Object.keys(mmuParser().getGAstProductions());
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(isRuleName(r), r).toBe(true);
      if (isRuleName(r)) expect(ruleHint(r), r).not.toBe('');
    }
  });
});

/**
 * Statements cut short, at the end of a line and at the end of the text: the message
 * says which end came and what was still expected, in a sentence ("Unexpected end of
 * the line: expected a value."), never Chevrotain's word order ("Unexpected the end of
 * the line."). Each with its twin: the statement finished parses without a diagnostic.
 */
const TRUNCATED: { cut: string; expected: string; whole: string; after?: string }[] = [
  { cut: 'run', expected: 'a value', whole: 'run db with ring, fast' },
  {
    cut: 'run db with ring, fast seed',
    after: 'seed',
    expected: 'a value',
    whole: 'run db with ring, fast seed 1',
  },
  {
    cut: 'sweep db with ring, fast where',
    after: 'where',
    expected: 'an expression',
    whole: 'sweep db with ring, fast where pml = on',
  },
  { cut: 'run db with ring,', expected: 'a value', whole: 'run db with ring, fast' },
  { cut: 'sweep db with [a,', expected: 'a value', whole: 'sweep db with [a, b], fast' },
  { cut: 'tracking t { pml [on,', expected: 'a value', whole: 'tracking t { pml [on, off] }' },
  { cut: 'table', expected: 'a word', whole: 'table summary' },
  { cut: 'table summary by', expected: 'a word', whole: 'table summary by tracking' },
  {
    cut: 'plot downtime_ms over bandwidth by',
    expected: 'a word',
    whole: 'plot downtime_ms over bandwidth by tracking',
  },
  { cut: 'export', expected: "'plot' or a word", whole: 'export summary to "out/"' },
  { cut: 'table summary where', expected: 'an expression', whole: 'table summary where pml = on' },
  { cut: 'expect summary:', expected: 'an expression', whole: 'expect summary: stale_pages = 0' },
  { cut: 'let x = min(1,', expected: 'an expression', whole: 'let x = min(1, 2)' },
];

describe('parse errors of a statement cut short', () => {
  for (const { cut, expected, whole, after } of TRUNCATED) {
    for (const [end, text] of [
      ['line', `${cut}\n`],
      ['text', cut],
    ] as const) {
      it(`says the ${end} ended and what was expected: ${cut}`, () => {
        const messages = parseProgram(text).diagnostics.map((d) => d.message);
        expect(messages[0]).toMatch(
          new RegExp(
            `^Unexpected end of the ${end}${after ? ` after '${after}'` : ''}: expected ${expected}\\.$`,
          ),
        );
        for (const m of messages) expect(m).not.toMatch(/Unexpected the /);
      });
    }
    it(`parses its twin without a diagnostic: ${whole}`, () => {
      expect(parseProgram(`${whole}\n`).diagnostics).toEqual([]);
    });
  }

  it('hints about `not` or `-` only after them, else about expressions', () => {
    const hint = (text: string): string | undefined => parseProgram(text).diagnostics[0]?.hint;
    expect(hint('table summary where\n')).toMatch(/^An expression combines columns/);
    expect(hint('expect summary:\n')).toMatch(/^An expression combines columns/);
    expect(hint('let x =\n')).toMatch(/^An expression combines columns/);
    // Their twins: the operator written, its own hint.
    expect(hint('table summary where not\n')).toBe('Write a condition after `not`.');
    expect(hint('let x = -\n')).toBe('Write a value after `-`.');
  });
});

describe('parse errors in number', () => {
  /** Bad lines in a row: Chevrotain's recovery re-entered the program once per error. */
  const BAD_LINES = 6_000;

  it('reports every error of thousands of bad lines, each with its fix, and never overflows the stack', () => {
    const text = Array.from({ length: BAD_LINES }, (_, i) => `plot remaining ovr t${i}`).join('\n');
    const r = parseProgram(text);
    expect(r.diagnostics).toHaveLength(2 * BAD_LINES);
    expect(r.diagnostics[2 * BAD_LINES - 2]).toMatchObject({
      message: "Expected 'over' but found 'ovr'.",
      hint: `Write \`plot remaining over t${BAD_LINES - 1}\`.`,
      line: BAD_LINES,
    });
  }, 120_000);

  it('parses the same lines, written correctly, without a diagnostic', () => {
    const text = Array.from({ length: BAD_LINES }, (_, i) => `plot remaining over t${i}`).join(
      '\n',
    );
    expect(parseProgram(text).diagnostics).toEqual([]);
  }, 120_000);
});

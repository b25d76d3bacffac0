import { describe, expect, it } from 'vitest';
import { parseProgram } from '../../dsl/parse.ts';
import { parser } from '../../dsl/parser.ts';
import { isRuleName, ruleHint } from '../../dsl/syntax.ts';

/** A text with one parse error, its message and hint, and the text the hint suggests. */
interface SyntaxCase {
  what: string;
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
    bad: 'frobnicate db',
    message: "Unexpected 'frobnicate'.",
    hint: 'A statement starts with vm, tracking, costs, migration, run, sweep, table, plot, export, use, let, expect, protocol or explore.',
    good: 'table summary',
  },
  {
    what: 'a definition without a name says how definitions are written',
    bad: 'vm { }',
    message: "Expected a name but found '{'.",
    hint: 'Write a definition as `KIND NAME [extends OTHER] { ... }`, where KIND is vm, tracking, costs or migration.',
    good: 'vm v { }',
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
        code: 'syntax-error',
        message: c.message,
        hint: c.hint,
      });
    });

    it(`parses its twin without a diagnostic: ${c.good}`, () => {
      expect(parseProgram(c.good).diagnostics).toEqual([]);
    });
  }

  it('have a hint for every rule of the grammar', () => {
    const rules = Object.keys(parser.getGAstProductions());
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(isRuleName(r), r).toBe(true);
      if (isRuleName(r)) expect(ruleHint(r), r).not.toBe('');
    }
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

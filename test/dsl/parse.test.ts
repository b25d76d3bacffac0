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
    hint: 'A statement starts with vm, tracking, costs, migration, run, sweep, table, plot, export or use.',
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

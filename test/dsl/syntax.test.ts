import { Terminal } from 'chevrotain';
import type { IProduction } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import { complete } from '../../dsl/completion.ts';
import { nextInStatement } from '../../dsl/cursor-context.ts';
import type { NameScope } from '../../dsl/cursor-context.ts';
import { inspect } from '../../dsl/inspect.ts';
import { FIELD_DOCS, VALUE_DOCS } from '../../dsl/keyword-docs.ts';
import { mmuParser, parseCst } from '../../dsl/parser.ts';
import { languageReference } from '../../dsl/reference.ts';
import { inside, statements } from '../../dsl/syntax.ts';
import { LCurly, fixedText, keywords, mmuLexer } from '../../dsl/tokens.ts';

/** Every example's words as names of every kind, so a name slot has them to offer. */
const SCOPE: NameScope = ((): NameScope => {
  const names = new Map(
    statements().flatMap((s) => mmuLexer.tokenize(s.example).tokens.map((t) => [t.image, {}])),
  );
  return { vm: names, tracking: names, costs: names, migration: names };
})();

/** The tokens of an example up to its first block: completion and hover inside are the schema's. */
function headTokens(example: string): ReturnType<typeof mmuLexer.tokenize>['tokens'] {
  const tokens = mmuLexer.tokenize(example).tokens;
  const open = tokens.findIndex((t) => t.tokenType === LCurly);
  return open < 0 ? tokens : tokens.slice(0, open);
}

describe('statement syntax (syntax.ts)', () => {
  it('lists every statement of the grammar, each with an example that parses as it', () => {
    const rules = statements().map((s) => s.rule);
    expect(rules.length).toBeGreaterThan(0);
    for (const s of statements()) {
      const { cst, lexErrors, parseErrors } = parseCst(s.example);
      expect([...lexErrors, ...parseErrors], s.example).toEqual([]);
      expect(Object.keys(cst.children.statement?.[0]?.children ?? {}), s.example).toEqual([s.rule]);
    }
  });

  it('documents every keyword a statement is written with', () => {
    for (const s of statements()) {
      // The keywords of the rule itself; its sub-rules (values, blocks) are shared.
      const words: string[] = [];
      const walk = (ps: readonly IProduction[]): void => {
        for (const p of ps) {
          if (p instanceof Terminal && keywords.includes(p.terminalType))
            words.push(fixedText(p.terminalType) ?? '');
          walk(inside(p));
        }
      };
      walk(mmuParser().getGAstProductions()[s.rule]?.definition ?? []);
      expect(words.length, s.rule).toBeGreaterThan(0);
      for (const w of words) expect(s.keywords[w], `${s.rule}: ${w}`).toBeTruthy();
    }
  });

  it('documents every word a slot offers', () => {
    const missing: string[] = [];
    for (const s of statements()) {
      for (const slot of Object.values(s.slots)) {
        const holds = slot?.holds;
        if (holds?.kind === 'word')
          missing.push(...holds.values.filter((w) => !(holds.doc?.(w) ?? VALUE_DOCS[w])));
        if (holds?.kind === 'field')
          missing.push(
            ...Object.keys(FIELD_DOCS[holds.of]).filter((k) => !FIELD_DOCS[holds.of][k]),
          );
      }
    }
    expect(missing).toEqual([]);
  });

  it('completes every keyword and every word of a closed set, a field or a name along each example', () => {
    for (const s of statements()) {
      const tokens = headTokens(s.example);
      tokens.forEach((t, i) => {
        const before = s.example.slice(0, t.startOffset);
        const next = nextInStatement(tokens.slice(0, i)).filter(
          (n) => n.token === t.tokenType || (t.tokenType.CATEGORIES ?? []).includes(n.token),
        );
        expect(next.length, `${s.example}: what may stand at '${t.image}'`).toBeGreaterThan(0);
        const offered = next.some(
          (n) =>
            keywords.includes(n.token) ||
            ['word', 'field', 'name'].includes(n.slot?.holds.kind ?? ''),
        );
        if (!offered) return;
        const { matches } = complete(before, [...before].length, SCOPE);
        expect(matches, `${s.example}: completion before '${t.image}'`).toContain(t.image);
      });
    }
  });

  it('documents every keyword and every offered word of each example on hover', () => {
    for (const s of statements()) {
      for (const t of headTokens(s.example)) {
        const keyword = keywords.includes(t.tokenType);
        const word = /^[a-z_]+$/.test(t.image);
        if (!keyword && !word) continue;
        const r = inspect(s.example, [...s.example.slice(0, t.startOffset + 1)].length, 0, SCOPE);
        expect(r?.found, `${s.example}: hover on '${t.image}'`).toBe(true);
        if (keyword) expect(r?.plain).toBe(`${t.image}: ${s.keywords[t.image]}`);
      }
    }
  });

  it('puts every statement in the language reference: its form, slots and example', () => {
    const md = languageReference();
    for (const s of statements()) {
      expect(md).toContain(`### \`${s.form}\``);
      expect(md).toContain(`Example: \`${s.example}\``);
      for (const slot of Object.values(s.slots))
        if (slot?.placeholder && slot.note) expect(md).toContain(`\`${slot.placeholder}\``);
    }
  });
});

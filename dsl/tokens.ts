/**
 * Tokens of the mmulab language. Keywords carry `longer_alt: Identifier` so that
 * `vmhost` is one identifier, and every keyword and identifier is also a `Word`
 * (a token category): property keys and enumerated values inside `{ ... }` are
 * words, checked against the field tables in schema.ts rather than the grammar, so
 * a misspelt key gets "did you mean" instead of a bare parse error.
 *
 * Each token carries a `label`, the words parse errors use for it ("Expected 'with'",
 * "Expected a name"); keywords and punctuation also have a fixed text, which a parse
 * error's suggested fix inserts, and `printTokens` spaces them as `mmulab fmt` does.
 */
import { createToken, Lexer } from 'chevrotain';
import type { IToken, TokenType } from 'chevrotain';

/** The text of keywords and punctuation, which is always the same. */
const FIXED_TEXT = new Map<TokenType, string>();

/**
 * Where `printTokens` puts no space next to a punctuation token: before it (`a, b`),
 * after it (`[a`) or on both sides (`1..5`). Only a pair that cannot lex as one token
 * may be printed tight.
 */
type Tight = 'before' | 'after' | 'both';
const TIGHT = new Map<TokenType, Tight>();

/** A token whose text is always `text`, matched literally, labelled and spaced by it. */
function fixed(name: string, text: string, tight?: Tight, categories: TokenType[] = []): TokenType {
  const token = createToken({
    name,
    pattern: new RegExp(text.replace(/[.[\]{}()*+?^$|]/g, '\\$&')),
    label: `'${text}'`,
    categories,
  });
  FIXED_TEXT.set(token, text);
  if (tight) TIGHT.set(token, tight);
  return token;
}

/** Category: any identifier or keyword. */
export const Word = createToken({ name: 'Word', pattern: Lexer.NA, label: 'a word' });
/** Category: any number, with or without a unit. */
export const NumberLike = createToken({ name: 'NumberLike', pattern: Lexer.NA, label: 'a number' });
/**
 * Category: the words an expression may name (a column, a `let`, a function, a text
 * value): identifiers and the keywords that are also column names (`tracking`, `vm`, ...)
 * or function names (`log`); never `and`, `or`, `not`, which are operators.
 */
export const ExprWord = createToken({ name: 'ExprWord', pattern: Lexer.NA, label: 'a name' });
/** Category: the comparison operators `= != < <= > >=`. */
export const Comparison = createToken({
  name: 'Comparison',
  pattern: Lexer.NA,
  label: 'a comparison',
});

export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /[ \t\f\v]+/,
  group: Lexer.SKIPPED,
});
/**
 * `#` to the end of the line; the newline itself stays a token. Comments go to the
 * lexer's `comments` group: the parser never sees them, the formatter keeps them.
 */
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: 'comments' });
/** Newlines separate statements and the items of a block. */
export const Newline = createToken({
  name: 'Newline',
  pattern: /\r?\n|\r/,
  line_breaks: true,
  label: 'the end of the line',
});

export const LCurly = fixed('LCurly', '{');
export const RCurly = fixed('RCurly', '}');
export const LBracket = fixed('LBracket', '[', 'after');
export const RBracket = fixed('RBracket', ']', 'before');
export const Comma = fixed('Comma', ',', 'before');
export const DotDot = fixed('DotDot', '..', 'both');
/** Tight after; also before when it opens a call: `max(a, b)` but `x * (a + b)`. */
export const LParen = fixed('LParen', '(', 'after');
export const RParen = fixed('RParen', ')', 'before');
export const Colon = fixed('Colon', ':', 'before');
export const Plus = fixed('Plus', '+');
export const Minus = fixed('Minus', '-');
export const Star = fixed('Star', '*');
/** `/` between operands; `10Gbit/s` and `200k/s` are numbers with a unit, lexed first. */
export const Slash = fixed('Slash', '/');
/** `%` between operands (the remainder); `50%` is a percentage, lexed first. */
export const Modulo = fixed('Modulo', '%');
/** Bitwise operators and `THREAD.reg`, in protocol expressions (`spte & W`, `vcpu0.ok`). */
export const Amp = fixed('Amp', '&');
export const Pipe = fixed('Pipe', '|');
export const Caret = fixed('Caret', '^');
export const Tilde = fixed('Tilde', '~', 'after');
export const ShiftLeft = fixed('ShiftLeft', '<<');
export const ShiftRight = fixed('ShiftRight', '>>');
export const Dot = fixed('Dot', '.', 'both');

/** A comparison operator: its own token, in the `Comparison` category. */
function comparison(name: string, text: string): TokenType {
  return fixed(name, text, undefined, [Comparison]);
}
export const NotEqual = comparison('NotEqual', '!=');
export const LessEqual = comparison('LessEqual', '<=');
export const GreaterEqual = comparison('GreaterEqual', '>=');
export const Equal = comparison('Equal', '=');
export const Less = comparison('Less', '<');
export const Greater = comparison('Greater', '>');
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /"[^"\n\r]*"/,
  label: 'a quoted file name',
});

const NUM = String.raw`(?:0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9][0-9_]*)?)`;
/** No letter, digit or underscore may follow a unit: `4GiBx` is not a size. */
const END = String.raw`(?![A-Za-z0-9_])`;
const lit = (units: string, end = END): RegExp => new RegExp(`${NUM}(?:${units})${end}`);

export const BandwidthLiteral = createToken({
  name: 'BandwidthLiteral',
  pattern: lit(String.raw`[kMGT]?bit\/s|[KMGT]i?B\/s|B\/s`),
  categories: [NumberLike],
});
export const RateLiteral = createToken({
  name: 'RateLiteral',
  pattern: lit(String.raw`[kM]?\/s| ?pages\/s`),
  categories: [NumberLike],
});
export const SizeLiteral = createToken({
  name: 'SizeLiteral',
  pattern: lit(String.raw`[KMGTP]iB|[KMGTP]B|B`),
  categories: [NumberLike],
});
export const TimeLiteral = createToken({
  name: 'TimeLiteral',
  pattern: lit('ns|us|µs|ms|min|s'),
  categories: [NumberLike],
});
/** `50%`, but not the `50 %` of a remainder: `50%2` is 50 modulo 2. */
export const PercentLiteral = createToken({
  name: 'PercentLiteral',
  pattern: lit('%'),
  categories: [NumberLike],
});
export const Identifier = createToken({
  name: 'Identifier',
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [Word, ExprWord],
  label: 'a name',
});
/** Page-size names that start with a digit (`backing 4k`, `granularity 2m`) are words. */
export const PageSizeWord = createToken({
  name: 'PageSizeWord',
  pattern: /[0-9]+[kmg](?![A-Za-z0-9_/])/,
  categories: [Word],
});
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: lit('', END),
  categories: [NumberLike],
});
/**
 * A number followed by letters that are no unit of the language (`10Gbit`, `10Gbps`,
 * `4kb`): still a number to the parser, so the checker, which knows the dimension the
 * field wants, names the unit and the likely one meant (units.ts `unknownUnit`),
 * rather than the lexer dropping the digits as characters it cannot read.
 */
export const UnknownUnitLiteral = createToken({
  name: 'UnknownUnitLiteral',
  pattern: lit(String.raw`[A-Za-z_µ][A-Za-z0-9_]*(?:\/[A-Za-z]+)?`),
  categories: [NumberLike],
});

/** Keywords, in the order they are created (and the lexer tries them). */
const KEYWORDS: TokenType[] = [];

/** A keyword; `expr` when an expression may also use it as a name (`tracking = ring`, `log(x)`). */
function keyword(name: string, word: string, expr = false): TokenType {
  const token = createToken({
    name,
    pattern: new RegExp(`${word}(?![A-Za-z0-9_])`),
    longer_alt: Identifier,
    categories: expr ? [Word, ExprWord] : [Word],
    label: `'${word}'`,
  });
  FIXED_TEXT.set(token, word);
  KEYWORDS.push(token);
  return token;
}

export const Vm = keyword('Vm', 'vm', true);
export const Tracking = keyword('Tracking', 'tracking', true);
export const Costs = keyword('Costs', 'costs', true);
export const Migration = keyword('Migration', 'migration', true);
export const Extends = keyword('Extends', 'extends');
export const Run = keyword('Run', 'run');
export const Sweep = keyword('Sweep', 'sweep');
export const With = keyword('With', 'with');
export const Table = keyword('Table', 'table');
export const Plot = keyword('Plot', 'plot');
export const Over = keyword('Over', 'over');
export const Use = keyword('Use', 'use');
export const Export = keyword('Export', 'export');
export const To = keyword('To', 'to');
export const As = keyword('As', 'as');
export const Let = keyword('Let', 'let');
export const Where = keyword('Where', 'where');
export const By = keyword('By', 'by');
export const Facet = keyword('Facet', 'facet');
/** `error sd` in a plot (not named `Error`, which is JavaScript's). */
export const ErrorBars = keyword('Error', 'error');
export const Log = keyword('Log', 'log', true);
/** A plot's titles: `title "..."`, `xtitle "..."`, `ytitle "..."`. */
export const Title = keyword('Title', 'title');
export const XTitle = keyword('XTitle', 'xtitle');
export const YTitle = keyword('YTitle', 'ytitle');
export const Expect = keyword('Expect', 'expect');
export const All = keyword('All', 'all');
export const Any = keyword('Any', 'any');
export const And = keyword('And', 'and');
export const Or = keyword('Or', 'or');
export const Not = keyword('Not', 'not');
/** `predict downtime_ms for ring < bitmap`: an expectation stated before the run. */
export const Predict = keyword('Predict', 'predict');
export const For = keyword('For', 'for');
/** `rate vary 10k/s..40k/s step 10k/s`: one value per variant (compile/variant.ts). */
export const Vary = keyword('Vary', 'vary');
export const Protocol = keyword('Protocol', 'protocol', true);
export const Explore = keyword('Explore', 'explore');

/** Every keyword, in the order the lexer tries them. */
export const keywords: readonly TokenType[] = KEYWORDS;

/**
 * The lexer tries these in order and takes the first match:
 * - bandwidth before size and rate: `10MB/s` must not lex as `10MB` then `/s`;
 * - rate, size, time, percent before `PageSizeWord` and `NumberLiteral`, which match
 *   any shorter prefix of them;
 * - keywords before `Identifier` (each keyword falls back to it through `longer_alt`);
 * - `PageSizeWord` before `NumberLiteral`: `4k` is a word, `4` a number;
 * - `UnknownUnitLiteral` after every number with a known unit and after `PageSizeWord`:
 *   it takes what none of them does (`10Gbit`);
 * - the categories `Word` and `NumberLike` never match text themselves.
 */
export const allTokens: readonly TokenType[] = [
  WhiteSpace,
  Comment,
  Newline,
  LCurly,
  RCurly,
  LBracket,
  RBracket,
  Comma,
  DotDot,
  Dot,
  LParen,
  RParen,
  Colon,
  Plus,
  Minus,
  Star,
  Amp,
  Pipe,
  Caret,
  Tilde,
  ShiftLeft,
  ShiftRight,
  NotEqual,
  LessEqual,
  GreaterEqual,
  Equal,
  Less,
  Greater,
  StringLiteral,
  BandwidthLiteral,
  RateLiteral,
  SizeLiteral,
  TimeLiteral,
  PercentLiteral,
  PageSizeWord,
  NumberLiteral,
  UnknownUnitLiteral,
  Slash,
  Modulo,
  ...keywords,
  Identifier,
  Word,
  NumberLike,
  ExprWord,
  Comparison,
];

/** One lexer (it is stateless between `tokenize` calls). */
let lexer: Lexer | undefined;

/**
 * The language's lexer, built on first use (Chevrotain analyses every token pattern when
 * a Lexer is made: a tenth of a kernel's start-up, before any cell needs it).
 */
export const mmuLexer: Pick<Lexer, 'tokenize'> = {
  tokenize: (text) => {
    lexer ??= new Lexer(allTokens as TokenType[], { positionTracking: 'full' });
    return lexer.tokenize(text);
  },
};

/** The text of a keyword or punctuation token (`'with'`, `'}'`); undefined for the others. */
export function fixedText(type: TokenType): string | undefined {
  return FIXED_TEXT.get(type);
}

/**
 * Tokens as one line in the canonical spacing of `mmulab fmt`: one space between
 * tokens, none where a token is tight (`fixed` above): `a, b`, `[a]`, `1..5`, `(a)`.
 * A token whose spacing depends on its neighbours needs its rule here: the `(` of a
 * call follows its name (`max(a, b)`), a unary minus its operand (`-x`, `a * -b`).
 * Without `binaryMinus` (the `-` tokens that subtract, from the parse), a `-` after a
 * value subtracts; `mmulab fmt` passes them, as a field's key is a value to the tokens
 * (`vcpus -4`).
 */
export function printTokens(
  tokens: readonly Pick<IToken, 'image' | 'tokenType'>[],
  binaryMinus?: ReadonlySet<unknown>,
): string {
  let out = '';
  tokens.forEach((t, i) => {
    const prev = i > 0 ? tokens[i - 1].tokenType : undefined;
    const before = TIGHT.get(t.tokenType);
    const after = prev === undefined ? undefined : TIGHT.get(prev);
    const tight =
      prev === undefined ||
      before === 'before' ||
      before === 'both' ||
      after === 'after' ||
      after === 'both' ||
      (t.tokenType === LParen && isA(prev, ExprWord)) ||
      (prev === Minus &&
        (binaryMinus ? !binaryMinus.has(tokens[i - 1]) : !endsValue(tokens[i - 2]?.tokenType)));
    out += (tight ? '' : ' ') + t.image;
  });
  return out;
}

/** True when a token of type `type` is a `category` (or is it). */
function isA(type: TokenType, category: TokenType): boolean {
  return type === category || (type.CATEGORIES ?? []).includes(category);
}

/** True for a token that can end an operand, so a `-` after it subtracts. */
function endsValue(type: TokenType | undefined): boolean {
  return (
    type !== undefined &&
    (type === RParen ||
      type === RBracket ||
      type === StringLiteral ||
      isA(type, NumberLike) ||
      isA(type, ExprWord))
  );
}

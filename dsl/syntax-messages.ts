/**
 * The parser's error messages (Chevrotain's errorMessageProvider), in the user's terms:
 * tokens by their label ("Expected 'with' but found 'manual'."), never by their names
 * in the grammar. Chevrotain keeps only the message of an error, so the provider also
 * records what each mismatch expected; `takeExpectations` pairs the records with the
 * parser's errors, for the suggested fix of parse.ts.
 */
import type {
  IParserErrorMessageProvider,
  IRecognitionException,
  IToken,
  TokenType,
} from 'chevrotain';
import { EOF, tokenMatcher } from 'chevrotain';
import {
  ExprWord,
  LBracket,
  LParen,
  Minus,
  Newline,
  Not,
  NumberLike,
  StringLiteral,
  Vary,
  Word,
} from './tokens.ts';

/** Which end a token stands for: of the line, of the text, or none (a real token). */
function endOf(t: IToken): 'line' | 'text' | undefined {
  if (!Number.isFinite(t.startOffset) || t.tokenType.name === 'EOF') return 'text';
  if (t.tokenType === Newline) return 'line';
  return undefined;
}

/** How a parse error names the token it found. */
export function describeFound(t: IToken): string {
  const end = endOf(t);
  return end === undefined ? `'${t.image}'` : `the end of the ${end}`;
}

/** How a parse error names a token it expected: its label (tokens.ts). */
export function describeExpected(t: TokenType): string {
  return t.LABEL ?? t.name;
}

/**
 * Rules whose alternatives are better named by what they stand for than by their
 * first tokens ("a value", not "a word, '-', a number, a quoted file name or '['").
 */
const RULE_STANDS_FOR: Readonly<Record<string, string>> = {
  value: 'a value',
  atom: 'a value',
  list: 'a value',
  expression: 'an expression',
  andExpr: 'an expression',
  notExpr: 'an expression',
  comparison: 'an expression',
  additive: 'an expression',
  multiplicative: 'an expression',
  unary: 'an expression',
  primary: 'an expression',
  protoExpr: 'an expression',
  protoAnd: 'an expression',
  protoNot: 'an expression',
  protoCompare: 'an expression',
  protoArith: 'an expression',
  protoUnary: 'an expression',
  protoPrimary: 'an expression',
};

/** The tokens an expression may start with, and a value (a field's, a run option's). */
const EXPRESSION_STARTS: readonly TokenType[] = [
  LParen,
  Not,
  Minus,
  NumberLike,
  StringLiteral,
  ExprWord,
];
const VALUE_STARTS: readonly TokenType[] = [Vary, LBracket, Word, Minus, NumberLike, StringLiteral];

/**
 * The first tokens of `paths`, named: the tokens that start an expression (or a value)
 * as "an expression" (or "a value") when all of them may come, the others by label.
 */
function firstTokens(paths: readonly (readonly TokenType[])[]): string[] {
  const firsts = [...new Set(paths.flatMap((p) => (p[0] ? [p[0]] : [])))];
  const covers = (starts: readonly TokenType[]): boolean => starts.every((t) => firsts.includes(t));
  // An expression's words include a value's: where both may come, "an expression" says it.
  const [noun, starts]: [string | undefined, readonly TokenType[]] = covers(EXPRESSION_STARTS)
    ? ['an expression', [...EXPRESSION_STARTS, ...VALUE_STARTS]]
    : covers([Word, NumberLike, LBracket])
      ? ['a value', VALUE_STARTS]
      : [undefined, []];
  const rest = firsts.filter((t) => !starts.includes(t)).map(describeExpected);
  return noun === undefined ? rest : [noun, ...rest];
}

/** What may come where an error is: what the rule stands for, or the first tokens of its paths. */
function describePaths(ruleName: string, paths: readonly (readonly TokenType[])[]): string {
  const stands = RULE_STANDS_FOR[ruleName];
  if (stands !== undefined) return stands;
  const firsts = firstTokens(paths);
  if (firsts.length <= 1) return firsts[0] ?? '';
  return `${firsts.slice(0, -1).join(', ')} or ${firsts[firsts.length - 1]}`;
}

/**
 * "Unexpected 'x'." for a token where none of the rule's alternatives fits; at the end
 * of a line or of the text, what was still expected: "Unexpected end of the line:
 * expected a value."
 */
function unexpected(t: IToken, expected?: string): string {
  const end = endOf(t);
  if (end === undefined) return `Unexpected '${t.image}'.`;
  return `Unexpected end of the ${end}${expected ? `: expected ${expected}` : ''}.`;
}

/** A message built, and the token a mismatch expected. */
interface Built {
  message: string;
  expected: TokenType | undefined;
}

let built: Built[] = [];

/** Forget the messages built so far: call before a parse. */
export function beginRecording(): void {
  built = [];
}

function record(message: string, expected?: TokenType): string {
  built.push({ message, expected });
  return message;
}

/**
 * Where none of a rule's alternatives fits the tokens ahead (`actual`, as many as the
 * parser looked at): when they are real tokens that start a path and then the line or
 * the text ends (`run ... seed` and the line ends), that end is the mistake, so the
 * message names it and what was expected after those tokens. Otherwise the first token.
 */
function noPathFits(
  ruleName: string,
  actual: readonly IToken[],
  paths: readonly (readonly TokenType[])[],
): string {
  const i = actual.findIndex((t) => endOf(t) !== undefined);
  const before = actual.slice(0, Math.max(0, i));
  const after = paths
    .filter((p) => p.length > i && before.every((t, k) => tokenMatcher(t, p[k]!)))
    .map((p) => p.slice(i));
  if (i <= 0 || after.length === 0) return unexpected(actual[0]!, describePaths(ruleName, paths));
  const expected = describePaths('', after);
  return `Unexpected end of the ${endOf(actual[i]!)} after '${before[i - 1]!.image}'${expected ? `: expected ${expected}` : ''}.`;
}

/** Installed in the parser's config (parser.ts). */
export const SYNTAX_MESSAGES: IParserErrorMessageProvider = {
  // Expecting the end of the text means that what was found cannot start a statement.
  buildMismatchTokenMessage: ({ expected, actual }) =>
    expected === EOF
      ? record(unexpected(actual))
      : record(
          `Expected ${describeExpected(expected)} but found ${describeFound(actual)}.`,
          expected,
        ),
  buildNotAllInputParsedMessage: ({ firstRedundant }) => record(unexpected(firstRedundant)),
  // An atom is one of several tokens: say what it stands for rather than list them.
  buildNoViableAltMessage: ({ actual, ruleName, expectedPathsPerAlt }) =>
    record(
      ruleName === 'atom'
        ? `Expected a value but found ${describeFound(actual[0])}.`
        : noPathFits(ruleName, actual, expectedPathsPerAlt.flat()),
    ),
  buildEarlyExitMessage: ({ actual, ruleName, expectedIterationPaths }) =>
    record(noPathFits(ruleName, actual, expectedIterationPaths)),
};

/**
 * What each of `errors` expected (undefined where it was not a mismatch), and forget the
 * records. Chevrotain saves each error right after building its message (recognizer_engine.ts
 * consumeInternalError, recoverable.ts tryInRepetitionRecovery, error_handler.ts), so the
 * records are walked in order, matched by message; a message built for an error that was
 * never saved is skipped.
 */
export function takeExpectations(
  errors: readonly IRecognitionException[],
): (TokenType | undefined)[] {
  let i = 0;
  const out = errors.map((e) => {
    while (i < built.length && built[i].message !== e.message) i++;
    return i < built.length ? built[i++].expected : undefined;
  });
  built = [];
  return out;
}

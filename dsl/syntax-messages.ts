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
import { EOF } from 'chevrotain';
import { Newline } from './tokens.ts';

/** How a parse error names the token it found. */
export function describeFound(t: IToken): string {
  if (!Number.isFinite(t.startOffset) || t.tokenType.name === 'EOF') return 'the end of the text';
  if (t.tokenType === Newline) return 'the end of the line';
  return `'${t.image}'`;
}

/** How a parse error names a token it expected: its label (tokens.ts). */
export function describeExpected(t: TokenType): string {
  return t.LABEL ?? t.name;
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

/** Installed in the parser's config (parser.ts). */
export const SYNTAX_MESSAGES: IParserErrorMessageProvider = {
  // Expecting the end of the text means that what was found cannot start a statement.
  buildMismatchTokenMessage: ({ expected, actual }) =>
    expected === EOF
      ? record(`Unexpected ${describeFound(actual)}.`)
      : record(
          `Expected ${describeExpected(expected)} but found ${describeFound(actual)}.`,
          expected,
        ),
  buildNotAllInputParsedMessage: ({ firstRedundant }) =>
    record(`Unexpected ${describeFound(firstRedundant)}.`),
  // An atom is one of several tokens: say what it stands for rather than list them.
  buildNoViableAltMessage: ({ actual, ruleName }) =>
    record(
      ruleName === 'atom'
        ? `Expected a value but found ${describeFound(actual[0])}.`
        : `Unexpected ${describeFound(actual[0])}.`,
    ),
  buildEarlyExitMessage: ({ actual }) => record(`Unexpected ${describeFound(actual[0])}.`),
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

/**
 * parseProgram(text): lex, parse and build the AST, with lexing and parse errors as
 * diagnostics. Shared by the compiler and the formatter; never throws on bad input.
 *
 * A parse error's message comes from the parser's message provider (syntax-messages.ts);
 * its hint is, when one token is missing, misspelt or extra on a one-line statement, that
 * statement fixed ("Write `export summary to "out/"`."), and otherwise how to write the
 * rule the error is in (syntax.ts).
 */
import { tokenMatcher } from 'chevrotain';
import type { IToken, TokenType } from 'chevrotain';
import type { Program } from './ast.ts';
import { DiagnosticCode as C, closest, diagnostic } from './diagnostics.ts';
import type { Diagnostic } from './diagnostics.ts';
import { parseCst } from './parser.ts';
import type { ParseError } from './parser.ts';
import { isRealToken } from './spans.ts';
import { STATEMENT_KEYWORDS, isRuleName, ruleHint } from './syntax.ts';
import { Comma, Identifier, LCurly, Newline, fixedText, keywords, printTokens } from './tokens.ts';
import { toAst } from './to-ast.ts';

export interface ParsedProgram {
  ast: Program;
  /** Lexing and parse errors only; semantic checks are compile's. */
  diagnostics: Diagnostic[];
  /** The `#` comments, in text order (the parser never sees them). */
  comments: IToken[];
  /** The tokens the parser read (no comments), in text order. */
  tokens: IToken[];
}

/** Parse a text into its AST. Never throws on bad input: errors come back as diagnostics. */
export function parseProgram(text: string): ParsedProgram {
  const diagnostics: Diagnostic[] = [];
  const { cst, lexErrors, parseErrors, comments, tokens } = parseCst(text);
  for (const e of lexErrors) {
    const ch = text.slice(e.offset, e.offset + e.length);
    diagnostics.push(
      diagnostic(
        'error',
        C.UnexpectedCharacter,
        { line: e.line ?? 1, column: e.column ?? 1, offset: e.offset, length: e.length },
        `Unexpected character ${JSON.stringify(ch)}.`,
        'Remove it; comments start with #.',
      ),
    );
  }
  const badLines = new Set(lexErrors.map((e) => e.line));
  const lines = new TokenLines(tokens);
  for (const e of parseErrors) diagnostics.push(syntaxDiagnostic(e, text, lines, badLines));
  return { ast: toAst(cst), diagnostics, comments, tokens };
}

/**
 * The tokens of each line, found through an index built once, so that the hints of a
 * text's parse errors take time linear in the text (16,000 errors once took 28 s, each
 * scanning every token); and whether a fixed statement parses, remembered by its form.
 */
class TokenLines {
  /** Line -> index in `tokens` of its first token (a line's tokens are contiguous). */
  private readonly first = new Map<number, number>();
  private readonly parsed = new Map<string, boolean>();
  /** The line and column just past the end of the text, once asked for. */
  private end: { line: number; column: number } | undefined;

  constructor(private readonly tokens: readonly IToken[]) {
    tokens.forEach((t, i) => {
      const line = t.startLine ?? 0;
      if (!this.first.has(line)) this.first.set(line, i);
    });
  }

  /** The tokens on `line`, newlines left out. */
  on(line: number): IToken[] {
    const out: IToken[] = [];
    const from = this.first.get(line);
    if (from === undefined) return out;
    for (let i = from; i < this.tokens.length && this.tokens[i].startLine === line; i++)
      if (this.tokens[i].tokenType !== Newline) out.push(this.tokens[i]);
    return out;
  }

  /**
   * True when the statement of these tokens, printed, lexes and parses on its own.
   * Remembered by the tokens' types: the parser reads nothing else, and `printTokens`
   * never joins two tokens that would lex as one.
   */
  parses(statement: readonly Pick<IToken, 'image' | 'tokenType'>[]): boolean {
    const key = statement.map((t) => t.tokenType.name).join(' ');
    let ok = this.parsed.get(key);
    if (ok === undefined) {
      const check = parseCst(printTokens(statement));
      ok = check.lexErrors.length === 0 && check.parseErrors.length === 0;
      this.parsed.set(key, ok);
    }
    return ok;
  }

  /** Where the text ends: a parse error at its end points there. */
  endOf(text: string): { line: number; column: number } {
    if (this.end === undefined) {
      const line = text.split(/\r?\n|\r/).length;
      const column = text.length - Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
      this.end = { line, column };
    }
    return this.end;
  }
}

/** Tokens a suggested fix may put in: the keywords, and `{` and `,`. */
const FIXABLE: ReadonlySet<TokenType> = new Set([...keywords, LCurly, Comma]);

function syntaxDiagnostic(
  error: ParseError,
  text: string,
  lines: TokenLines,
  /** Lines with a lexing error: their tokens do not show all of their text. */
  badLines: ReadonlySet<number | undefined>,
): Diagnostic {
  const e = error.exception;
  const t = e.token;
  const atEnd = !Number.isFinite(t.startOffset) || t.tokenType?.name === 'EOF';
  const offset = atEnd ? text.length : t.startOffset;
  const { line, column } = atEnd
    ? lines.endOf(text)
    : { line: t.startLine ?? 1, column: t.startColumn ?? 1 };
  const rule = e.context?.ruleStack?.[e.context.ruleStack.length - 1];
  const fixed = badLines.has(t.startLine) ? undefined : fixedStatement(error, lines);
  const hint = fixed !== undefined ? `Write \`${fixed}\`.` : isRuleName(rule) ? ruleHint(rule) : '';
  return diagnostic(
    'error',
    C.SyntaxError,
    { line, column, offset, length: atEnd ? 0 : t.image.length },
    e.message,
    hint,
  );
}

/**
 * The statement on the error's line with the expected keyword, `{` or `,` put in: in
 * place of a misspelt word, instead of an extra token, or before the token found.
 * Only a fix that makes the line parse on its own is offered, only for a line that
 * starts a statement, and never one that doubles a word (`export to to "x"` parses,
 * with `to` as a table). A missing `}` or `]` is left to the rule's hint: where it
 * belongs is not for one line to say.
 */
function fixedStatement(error: ParseError, lines: TokenLines): string | undefined {
  const { exception: e, expected } = error;
  const want = expected && FIXABLE.has(expected) ? fixedText(expected) : undefined;
  const found = e.token;
  if (!expected || want === undefined || !isRealToken(found) || found.tokenType === Newline)
    return undefined;
  const line = lines.on(found.startLine ?? 0);
  const at = line.findIndex((t) => t.startOffset === found.startOffset);
  if (at < 0 || !STATEMENT_KEYWORDS.includes(line[0].image)) return undefined;
  const put = { image: want, tokenType: expected };
  const candidates = [
    // `plot remaining ovr time`: the word is the keyword misspelt.
    tokenMatcher(found, Identifier) &&
    /^[a-z]/.test(want) &&
    closest(found.image, [want]) !== undefined
      ? [...line.slice(0, at), put, ...line.slice(at + 1)]
      : undefined,
    // `run db foo with a, b`: one token too many.
    line[at + 1] && tokenMatcher(line[at + 1], expected)
      ? [...line.slice(0, at), ...line.slice(at + 1)]
      : undefined,
    // `export summary "out/"`: the keyword left out.
    [...line.slice(0, at), put, ...line.slice(at)],
  ];
  for (const c of candidates) {
    if (c === undefined || c.some((t, i) => i > 0 && t.image === c[i - 1].image)) continue;
    if (lines.parses(c)) return printTokens(c);
  }
  return undefined;
}

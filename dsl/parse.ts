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
import type { IRecognitionException, IToken, TokenType } from 'chevrotain';
import type { DefinitionKind, Program, Span } from './ast.ts';
import { DEFINITION_KINDS } from './ast.ts';
import { DiagnosticCode as C, closest, diagnostic } from './diagnostics.ts';
import type { Diagnostic, DiagnosticCode } from './diagnostics.ts';
import { parseCst } from './parser.ts';
import type { ParseError } from './parser.ts';
import type { ProgramCstNode } from './cst.generated.d.ts';
import { isRealToken, tokenSpan } from './spans.ts';
import { isRuleName, isStatementRule, ruleHint, statementKeywords } from './syntax.ts';
import { describeFound } from './syntax-messages.ts';
import {
  Comma,
  Identifier,
  LBracket,
  LCurly,
  LParen,
  Newline,
  RBracket,
  RCurly,
  RParen,
  Word,
  fixedText,
  keywords,
  printTokens,
} from './tokens.ts';
import { toAst } from './to-ast.ts';

export interface ParsedProgram {
  ast: Program;
  /** The concrete syntax tree the AST was built from (its tokens are `tokens`'). */
  cst: ProgramCstNode;
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
  for (const e of lexErrors) diagnostics.push(diagnostic('error', e.code, e, e.message, e.hint));
  const badLines = new Set(lexErrors.map((e) => e.line));
  const lines = new TokenLines(tokens);
  // After a missing comma, what the parser made of the rest of that line says nothing new.
  const commaLines = new Set<number | undefined>();
  for (const e of parseErrors) {
    if (commaLines.has(e.exception.token.startLine)) continue;
    const d = syntaxDiagnostic(e, text, lines, badLines);
    if (d.code === C.MissingComma) commaLines.add(e.exception.token.startLine);
    diagnostics.push(d);
  }
  const ast = toAst(cst);
  checkDefinitionNames(ast, diagnostics);
  return { ast, cst, diagnostics, comments, tokens };
}

/** The text of every keyword: `vm`, `run`, `with`, ... */
const KEYWORD_TEXTS: ReadonlySet<string> = new Set(keywords.map((k) => fixedText(k) ?? ''));

/** A name for each kind of definition, for the examples of hints. */
const EXAMPLE_NAME: Readonly<Record<DefinitionKind, string>> = {
  vm: 'db',
  tracking: 'ring',
  costs: 'slow',
  migration: 'fast',
};

/**
 * A definition's name is any word to the grammar (parser.ts), so that a keyword or a
 * page size there (`vm run { ... }`) is one error about the name, and the block is
 * still checked.
 */
function checkDefinitionNames(ast: Program, diagnostics: Diagnostic[]): void {
  for (const s of ast.statements) {
    if (s.kind !== 'definition' || s.name.text === '') continue;
    const name = s.name.text;
    const keyword = KEYWORD_TEXTS.has(name);
    // A name outside ASCII is the lexer's error (lexing.ts); a page size (`4k`) is a word.
    if (!keyword && !/^[0-9]/.test(name)) continue;
    diagnostics.push(
      diagnostic(
        'error',
        C.KeywordAsName,
        s.name.span,
        keyword
          ? `'${name}' is a keyword, so it can't name a ${s.defKind}.`
          : `'${name}' can't name a ${s.defKind}: a name starts with a letter or _.`,
        `Give the ${s.defKind} a name of its own: \`${s.defKind} ${keyword ? `${name}_${s.defKind}` : EXAMPLE_NAME[s.defKind]} { ... }\`.`,
      ),
    );
  }
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

  /** The token before `t` on its line, if any. */
  before(t: IToken): IToken | undefined {
    const line = this.on(t.startLine ?? 0);
    const at = line.findIndex((x) => x.startOffset === t.startOffset);
    return at > 0 ? line[at - 1] : undefined;
  }

  /**
   * The innermost `open` token still unclosed before `offset`. The brackets of the
   * text are matched once, on first use: an error's opener is then a binary search.
   */
  openerBefore(offset: number, open: TokenType): IToken | undefined {
    if (this.brackets === undefined) this.brackets = matchBrackets(this.tokens);
    const { changes } = this.brackets;
    // The last change at or before `offset`: the stack of openers there.
    let lo = 0;
    let hi = changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (changes[mid].offset < offset) lo = mid + 1;
      else hi = mid;
    }
    for (let node = lo > 0 ? changes[lo - 1].open : undefined; node; node = node.parent)
      if (node.token.tokenType === open) return node.token;
    return undefined;
  }

  private brackets: { changes: BracketChange[] } | undefined;

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

/** An opener still unclosed, and the one it is inside (a persistent stack). */
interface OpenBracket {
  token: IToken;
  parent: OpenBracket | undefined;
}

/** After the token at `offset`, `open` is the innermost unclosed opener. */
interface BracketChange {
  offset: number;
  open: OpenBracket | undefined;
}

const OPENERS: ReadonlySet<TokenType> = new Set([LCurly, LBracket, LParen]);

/**
 * The stack of unclosed openers after each bracket of the text, as linked frames that
 * share their parents: one pass, linear in the tokens. A closer pops the innermost
 * opener of its kind and everything opened inside it.
 */
function matchBrackets(tokens: readonly IToken[]): { changes: BracketChange[] } {
  const changes: BracketChange[] = [];
  let top: OpenBracket | undefined;
  for (const t of tokens) {
    if (OPENERS.has(t.tokenType)) top = { token: t, parent: top };
    else {
      const closer = CLOSERS.get(t.tokenType);
      if (!closer) continue;
      let node = top;
      while (node && node.token.tokenType !== closer.open) node = node.parent;
      if (!node) continue;
      top = node.parent;
    }
    changes.push({ offset: t.startOffset, open: top });
  }
  return { changes };
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
  const stack = e.context?.ruleStack ?? [];
  const rule = stack[stack.length - 1];
  // An atom or a value right inside a statement (`predict ... for A < B`, `run db with`)
  // is hinted by the statement, which says what its values are; inside a field's value,
  // by the atom's own hint.
  const parent = stack[stack.length - 2];
  const hintRule =
    (rule === 'atom' || rule === 'value') && parent !== undefined && isStatementRule(parent)
      ? parent
      : operandWithoutOperator(e, rule)
        ? 'expression'
        : rule;
  const span = { line, column, offset, length: atEnd ? 0 : t.image.length };
  const special =
    unclosed(error, lines, atEnd) ??
    (badLines.has(t.startLine) ? undefined : missingComma(error, lines)) ??
    (badLines.has(t.startLine) ? undefined : unknownKeyword(error, rule, lines)) ??
    unnamedDefinition(error, rule, lines);
  if (special)
    return diagnostic('error', special.code, special.span ?? span, special.message, special.hint);
  const fixed = badLines.has(t.startLine) ? undefined : fixedStatement(error, lines);
  const hint =
    fixed !== undefined ? `Write \`${fixed}\`.` : isRuleName(hintRule) ? ruleHint(hintRule) : '';
  return diagnostic('error', C.SyntaxError, span, e.message, hint);
}

/** Rules that an operator may start, and that operator: their hints are about it. */
const OPERATOR_RULES: Readonly<Record<string, string>> = { notExpr: 'not', unary: '-' };

/**
 * An error in a rule entered for every operand (`notExpr`, `unary`) where its operator
 * was not written: `table summary where` is missing a condition, not one after `not`,
 * so the expression's hint fits, not the rule's.
 */
function operandWithoutOperator(e: IRecognitionException, rule: string | undefined): boolean {
  const operator = rule === undefined ? undefined : OPERATOR_RULES[rule];
  if (operator === undefined) return false;
  const previous = 'previousToken' in e ? (e.previousToken as IToken | undefined) : undefined;
  return previous?.image !== operator;
}

/** A parse error said in words of its own, instead of the parser's. */
interface Special {
  code: DiagnosticCode;
  message: string;
  hint: string;
  /** Where it points, when not at the token found. */
  span?: Span;
}

const CLOSERS: ReadonlyMap<TokenType, { open: TokenType; what: string }> = new Map([
  [RCurly, { open: LCurly, what: 'block' }],
  [RBracket, { open: LBracket, what: 'list' }],
  [RParen, { open: LParen, what: 'parenthesis' }],
]);

/**
 * A `}`, `]` or `)` expected where a new statement or the end of the text is found:
 * the opener is never closed. Said at the opener, with the line it is on, since the
 * place the parser noticed is often far below it.
 */
function unclosed(error: ParseError, lines: TokenLines, atEnd: boolean): Special | undefined {
  const closer = error.expected && CLOSERS.get(error.expected);
  const found = error.exception.token;
  if (!closer) return undefined;
  const startsStatement =
    isRealToken(found) && statementKeywords().includes(found.image) && found.startColumn === 1;
  if (!atEnd && !startsStatement) return undefined;
  const opener = lines.openerBefore(atEnd ? Infinity : found.startOffset, closer.open);
  if (!opener) return undefined;
  const open = fixedText(closer.open) ?? '';
  const close = fixedText(error.expected ?? closer.open) ?? '';
  const where = atEnd
    ? 'the text ends first'
    : `line ${found.startLine ?? 1} starts a new statement ('${found.image}') first`;
  return {
    code: C.Unclosed,
    message: `The '${open}' on line ${opener.startLine ?? 1} is never closed: ${where}.`,
    hint: `Close the ${closer.what} with '${close}' after its last item${atEnd ? '' : `, before line ${found.startLine ?? 1}`}.`,
    span: tokenSpan(opener),
  };
}

/**
 * Two items of a list with no comma between them where the statement may end after the
 * first, `table summary mean downtime_ms stdev downtime_ms`: the parser ends the
 * statement there and reads the second as an unknown keyword or an unexpected word.
 * Said as the comma it lacks when the line parses with one put in before the word found.
 */
function missingComma(error: ParseError, lines: TokenLines): Special | undefined {
  // Where the parser expected a comma or a closer, its own message says so (`Expected ','
  // but found 'fast'`, an unclosed list).
  const expected = error.expected;
  if (expected !== undefined && (expected === Comma || CLOSERS.has(expected))) return undefined;
  const found = error.exception.token;
  if (!isRealToken(found) || found.tokenType === Newline || tokenMatcher(found, Comma))
    return undefined;
  const line = lines.on(found.startLine ?? 0);
  const at = line.findIndex((t) => t.startOffset === found.startOffset);
  // A statement of a line, not a line of thousands of tokens (each try parses it again).
  if (at < 2 || line.length > 64 || !statementKeywords().includes(line[0].image)) return undefined;
  const fixed = withCommas(line, at);
  if (!fixed) return undefined;
  return {
    code: C.MissingComma,
    message: `A comma is missing before '${found.image}'.`,
    hint: `Separate the items of a list with commas: \`${printTokens(fixed)}\`.`,
  };
}

/**
 * `line` with a comma put in before token `at`, and before each later token where the
 * parser stops next (`mean total_ms stdev total_ms n` lacks two), when that makes it
 * parse: at most a few, each after the last.
 */
function withCommas(
  line: readonly IToken[],
  at: number,
): Pick<IToken, 'image' | 'tokenType'>[] | undefined {
  const comma = { image: ',', tokenType: Comma };
  const fixed: Pick<IToken, 'image' | 'tokenType'>[] = [
    ...line.slice(0, at),
    comma,
    ...line.slice(at),
  ];
  let last = at;
  for (let tries = 0; tries < 8; tries++) {
    const check = parseCst(printTokens(fixed));
    if (check.lexErrors.length > 0) return undefined;
    const error = check.parseErrors[0];
    if (error === undefined) return fixed;
    const next = check.tokens.findIndex((t) => t.startOffset === error.exception.token.startOffset);
    if (next <= last + 1 || fixed[next - 1]?.tokenType === Comma) return undefined;
    fixed.splice(next, 0, comma);
    last = next;
  }
  return undefined;
}

/**
 * A word where a statement starts that is no keyword: `vmm a { ... }`, `trac t { ... }`.
 * Names the keyword meant when one is close (or starts with the word), and shows the
 * statement with it when that parses.
 */
function unknownKeyword(
  error: ParseError,
  rule: string | undefined,
  lines: TokenLines,
): Special | undefined {
  const found = error.exception.token;
  if ((rule !== 'program' && rule !== 'statement') || !isRealToken(found)) return undefined;
  if (!tokenMatcher(found, Identifier)) return undefined;
  const word = found.image;
  const prefixed = statementKeywords().filter((k) => word.length >= 2 && k.startsWith(word));
  const meant =
    closest(word, statementKeywords()) ?? (prefixed.length === 1 ? prefixed[0] : undefined);
  const line = lines.on(found.startLine ?? 0);
  const keyword = meant === undefined ? undefined : keywords.find((k) => fixedText(k) === meant);
  let hint = ruleHint('statement');
  if (keyword && line[0]?.startOffset === found.startOffset) {
    const fixed = [{ image: meant ?? '', tokenType: keyword }, ...line.slice(1)];
    if (lines.parses(fixed)) hint = `Write \`${printTokens(fixed)}\`.`;
  }
  return {
    code: C.UnknownKeyword,
    message: `Unknown keyword '${word}'${meant === undefined ? '' : `: did you mean '${meant}'?`}${meant === undefined ? '; a statement starts with a keyword.' : ''}`,
    hint,
  };
}

/** `vm { ... }`: a definition without its name. */
function unnamedDefinition(
  error: ParseError,
  rule: string | undefined,
  lines: TokenLines,
): Special | undefined {
  const found = error.exception.token;
  if (rule !== 'definition' || error.expected !== Word || !isRealToken(found)) return undefined;
  const kindToken = lines.before(found);
  const kind = DEFINITION_KINDS.find((k) => k === kindToken?.image);
  if (kind === undefined) return undefined;
  return {
    code: C.SyntaxError,
    message: `A ${kind} needs a name after '${kind}', but found ${describeFound(found)}.`,
    hint: `Write \`${kind} NAME { ... }\`, for example \`${kind} ${EXAMPLE_NAME[kind]} { ... }\`.`,
  };
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
  if (at < 0 || !statementKeywords().includes(line[0].image)) return undefined;
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

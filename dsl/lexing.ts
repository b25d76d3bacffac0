/**
 * lexProgram(text): the lexer's tokens, with what it could not read described in the
 * user's terms. Chevrotain reports characters no token matches one run at a time
 * ("Unexpected character"); a run is usually something else in disguise, which the
 * message names and the hint fixes:
 * - letters outside ASCII inside a name (`café`): the name is one token again, so the
 *   rest of the text speaks of `café`, not of `caf`, and one error says what names
 *   are made of;
 * - a `"` that no `"` on its line closes: the string is never closed;
 * - an invisible character (a control character, a non-breaking or zero-width space),
 *   a curly quote, a `;`, a symbol outside ASCII: each says what it is.
 * A byte order mark at the start of a text is what some editors write: it is skipped.
 */
import { createTokenInstance } from 'chevrotain';
import type { ILexingError, IToken, TokenType } from 'chevrotain';
import { DiagnosticCode as C } from './diagnostics.ts';
import { Identifier, NumberLike, StringLiteral, Word, mmuLexer } from './tokens.ts';

/** A run of text the lexer could not read, as a diagnostic says it. */
export interface LexProblem {
  code: typeof C.UnexpectedCharacter | typeof C.NonAsciiName | typeof C.UnterminatedString;
  message: string;
  hint: string;
  offset: number;
  length: number;
  line: number;
  column: number;
}

export interface Lexed {
  /** The tokens the parser reads, in text order. */
  tokens: IToken[];
  /** The `#` comments, in text order. */
  comments: IToken[];
  problems: LexProblem[];
}

/** Letters, marks and digits of any script: what a name outside ASCII is made of. */
const LETTERS = /^[\p{L}\p{M}\p{N}_]+$/u;
const BYTE_ORDER_MARK = '\uFEFF';

/** Lex a text. Never throws on bad input. */
export function lexProgram(text: string): Lexed {
  const lexed = mmuLexer.tokenize(text);
  const comments = lexed.groups.comments ?? [];
  const errors = lexed.errors.filter((e) => !(e.offset === 0 && text[0] === BYTE_ORDER_MARK));
  if (errors.length === 0) return { tokens: lexed.tokens, comments, problems: [] };
  if (text[0] === BYTE_ORDER_MARK && lexed.errors[0]?.offset === 0 && lexed.errors[0].length > 1)
    errors.unshift({ ...lexed.errors[0], offset: 1, length: lexed.errors[0].length - 1 });
  return repair(text, lexed.tokens, comments, errors);
}

/** True for a token a name outside ASCII may continue: a name, a keyword, a number. */
function isWordPiece(t: IToken): boolean {
  const cats = t.tokenType.CATEGORIES ?? [];
  return cats.includes(Word) || (cats.includes(NumberLike) && /^[0-9]+$/.test(t.image));
}

function endOf(t: IToken): number {
  return t.startOffset + t.image.length;
}

/**
 * The tokens with each name outside ASCII made one identifier, and the problems. One
 * pass over tokens and errors in text order: linear in the text.
 */
function repair(
  text: string,
  tokens: readonly IToken[],
  comments: IToken[],
  errors: readonly ILexingError[],
): Lexed {
  const out: IToken[] = [];
  const problems: LexProblem[] = [];
  let next = 0; // the next token not yet in `out`
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i];
    while (next < tokens.length && tokens[next].startOffset < e.offset) out.push(tokens[next++]);
    const run = text.slice(e.offset, e.offset + e.length);
    if (LETTERS.test(run)) {
      // The name: word tokens and runs of letters that touch, on either side.
      let start = e.offset;
      let line = e.line ?? 1;
      let column = e.column ?? 1;
      const last = out[out.length - 1];
      if (last !== undefined && endOf(last) === start && isWordPiece(last)) {
        out.pop();
        start = last.startOffset;
        line = last.startLine ?? line;
        column = last.startColumn ?? column;
      }
      let end = e.offset + e.length;
      for (;;) {
        if (next < tokens.length && tokens[next].startOffset === end && isWordPiece(tokens[next]))
          end = endOf(tokens[next++]);
        else if (
          i + 1 < errors.length &&
          errors[i + 1].offset === end &&
          LETTERS.test(text.slice(end, end + errors[i + 1].length))
        )
          end += errors[++i].length;
        else break;
      }
      const name = text.slice(start, end);
      out.push(nameToken(name, start, line, column));
      problems.push(nonAsciiName(name, start, line, column));
      continue;
    }
    const problem = unexpected(text, e, run);
    problems.push(problem);
    if (problem.code === C.UnterminatedString) {
      // The rest of the line is the string's text, not tokens: the parser reads one
      // string, so what follows on the line is not reported a second time.
      const end = e.offset + problem.length;
      while (next < tokens.length && tokens[next].startOffset < end) next++;
      while (i + 1 < errors.length && errors[i + 1].offset < end) i++;
      out.push(
        createTokenInstance(
          StringLiteral,
          `${text.slice(e.offset, end)}"`,
          e.offset,
          end - 1,
          problem.line,
          problem.line,
          problem.column,
          problem.column + problem.length - 1,
        ),
      );
    }
  }
  while (next < tokens.length) out.push(tokens[next++]);
  return { tokens: out, comments, problems };
}

function nameToken(name: string, start: number, line: number, column: number): IToken {
  const type: TokenType = Identifier;
  return createTokenInstance(
    type,
    name,
    start,
    start + name.length - 1,
    line,
    line,
    column,
    column + name.length - 1,
  );
}

/** `cafe` for `café`: accents dropped, any other letter outside ASCII made `_`. */
export function asciiName(name: string): string {
  const plain = name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(plain) ? `_${plain}` : plain;
}

function nonAsciiName(name: string, offset: number, line: number, column: number): LexProblem {
  const foreign = [...new Set([...name.slice(0, 1000)].filter((ch) => !/[A-Za-z0-9_]/.test(ch)))];
  return {
    code: C.NonAsciiName,
    message: `'${clip(name)}' is not a name: names are ASCII letters, digits and _, and ${foreign
      .slice(0, 5)
      .map((ch) => `'${ch}'`)
      .join(', ')}${foreign.length > 5 ? ', ...' : ''} ${foreign.length === 1 ? 'is' : 'are'} not.`,
    hint: `Write it in ASCII, as '${clip(asciiName(name))}' for example; any text may follow a # as a comment.`,
    offset,
    length: name.length,
    line,
    column,
  };
}

/** The most of a run of text a message quotes: the text may be a megabyte of one character. */
const QUOTED = 40;

/** `text`, cut to QUOTED characters (whole code points) and marked where it was cut. */
function clip(text: string): string {
  const chars = [...text.slice(0, 2 * QUOTED)];
  return chars.length <= QUOTED ? text : `${chars.slice(0, QUOTED).join('')}...`;
}

/** " (the first of 7 such characters)" for a run of more than one, or ''. */
function more(run: string): string {
  const n = [...run].length;
  return n > 1 ? ` (the first of ${n} such characters)` : '';
}

/** "U+00A0". */
function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** What a run of unreadable characters is, by its first character, and how to fix it. */
function unexpected(text: string, e: ILexingError, run: string): LexProblem {
  const at = {
    offset: e.offset,
    length: e.length,
    line: e.line ?? 1,
    column: e.column ?? 1,
  };
  const ch = String.fromCodePoint(run.codePointAt(0) ?? 0);
  const say = (message: string, hint: string): LexProblem => ({
    code: C.UnexpectedCharacter,
    message,
    hint,
    ...at,
  });
  if (ch === '"') {
    const lineEnd = text.slice(e.offset).search(/\r|\n/);
    const rest = lineEnd < 0 ? text.length - e.offset : lineEnd;
    return {
      code: C.UnterminatedString,
      message: `This string is never closed: no '"' ends it on its line.`,
      hint: `Close it with '"' before the end of the line: a string cannot span lines.`,
      ...at,
      length: rest,
    };
  }
  if (/[\u201C\u201D\u201E\u2018\u2019\u00AB\u00BB]/.test(ch))
    return say(
      `Unexpected curly quote '${ch}' (${codePoint(ch)}).`,
      'Write straight double quotes: "trace.csv" (word processors turn them curly).',
    );
  if (ch === "'")
    return say(
      `Unexpected character "'": strings take double quotes.`,
      'Write the file name in double quotes: "trace.csv".',
    );
  if (ch === ';')
    return say(
      'Unexpected character ";": a statement ends at the end of its line.',
      'Remove it; inside { } separate items with commas or newlines.',
    );
  if (/[\p{Zs}\u200B-\u200D\u2060\uFEFF]/u.test(ch))
    return say(
      `Unexpected invisible space ${codePoint(ch)} (${ch === '\u00A0' ? 'a non-breaking space' : 'not a plain space'}).`,
      'Replace it with a plain space (copying from a web page or a word processor brings these in).',
    );
  if (/[\p{Cc}\p{Cf}]/u.test(ch))
    return say(
      `Unexpected control character ${codePoint(ch)} (invisible in most editors).`,
      'Delete it: retype the line if your editor does not show it.',
    );
  if (ch.charCodeAt(0) > 0x7f)
    return say(
      `Unexpected character '${ch}' (${codePoint(ch)})${more(run)}: the language is written in ASCII.`,
      'Remove it; any text may follow a # as a comment.',
    );
  return say(
    `Unexpected character ${JSON.stringify(clip(run))}.`,
    'Remove it; comments start with #.',
  );
}

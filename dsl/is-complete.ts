/**
 * isComplete(text): the kernel's is_complete_request, which a console asks before
 * running what was typed. Works on tokens, so it needs no full parse.
 */
import { continuesLine } from './parser.ts';
import { mmuLexer } from './tokens.ts';

export interface IsCompleteResult {
  status: 'complete' | 'incomplete' | 'invalid';
  /** Only when incomplete: two spaces per open brace, for the next line. */
  indent?: string;
}

/** The closing token of each opening one. */
const CLOSER: Readonly<Record<string, string>> = { LCurly: 'RCurly', LBracket: 'RBracket' };

/**
 * Incomplete: an open `{` or `[`, a trailing `,`, a trailing operator (`let x = a +`:
 * the expression goes on on the next line), or a `with` without both its arguments. Invalid: what no more text can fix, a lexing error (unterminated string,
 * stray character) or a `}` or `]` that closes nothing open (`}`, `vm a { } }`,
 * `[ }`). Otherwise complete (other parse errors are the compiler's to report).
 */
export function isComplete(text: string): IsCompleteResult {
  const lexed = mmuLexer.tokenize(text);
  if (lexed.errors.length > 0) return { status: 'invalid' };
  const open: string[] = [];
  for (const t of lexed.tokens) {
    const type = t.tokenType.name;
    if (type === 'LCurly' || type === 'LBracket') open.push(type);
    else if (type === 'RCurly' || type === 'RBracket') {
      const opener = open.pop();
      if (opener === undefined || CLOSER[opener] !== type) return { status: 'invalid' };
    }
  }
  const braces = open.filter((o) => o === 'LCurly').length;
  const brackets = open.length - braces;
  const code = lexed.tokens.filter((t) => t.tokenType.name !== 'Newline');
  const lastToken = code[code.length - 1];
  const last = lastToken?.tokenType.name;
  const incomplete =
    braces > 0 ||
    brackets > 0 ||
    last === 'Comma' ||
    (lastToken !== undefined && continuesLine(lastToken)) ||
    last === 'With' ||
    withLacksMigration(lexed.tokens);
  return incomplete
    ? { status: 'incomplete', indent: '  '.repeat(braces) }
    : { status: 'complete' };
}

/** The last line's statement is `run VM with TRACKING` with no `, MIGRATION` yet. */
function withLacksMigration(tokens: readonly { tokenType: { name: string } }[]): boolean {
  let start = tokens.length;
  while (start > 0 && tokens[start - 1]!.tokenType.name !== 'Newline') start--;
  const line = tokens.slice(start).map((t) => t.tokenType.name);
  if (line.length === 0) {
    // Trailing newline: look at the line before it.
    let end = tokens.length;
    while (end > 0 && tokens[end - 1]!.tokenType.name === 'Newline') end--;
    return end < tokens.length && withLacksMigration(tokens.slice(0, end));
  }
  const withAt = line.indexOf('With');
  if (withAt < 0 || (line[0] !== 'Run' && line[0] !== 'Sweep')) return false;
  return !line.slice(withAt + 1).includes('Comma');
}

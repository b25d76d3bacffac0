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
 * Incomplete where the parser reads on past the end of the line: an open `{` or `[`, or
 * a trailing operator (`let x = a +`, `continuesLine`). A statement the parser ends at
 * the newline is complete even when it is wrong (`table summary,`, `run db with`): the
 * console runs it and the compiler says what is missing, instead of waiting for a next
 * line that would not join it. Invalid: what no more text can fix, a lexing error
 * (unterminated string, stray character) or a `}` or `]` that closes nothing open
 * (`}`, `vm a { } }`, `[ }`).
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
  const code = lexed.tokens.filter((t) => t.tokenType.name !== 'Newline');
  const last = code[code.length - 1];
  const incomplete = open.length > 0 || (last !== undefined && continuesLine(last));
  return incomplete
    ? { status: 'incomplete', indent: '  '.repeat(braces) }
    : { status: 'complete' };
}

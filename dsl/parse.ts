/**
 * parseProgram(text): lex, parse and build the AST, with lexing and parse errors as
 * diagnostics. Shared by the compiler and the formatter; never throws on bad input.
 */
import type { IRecognitionException, IToken } from 'chevrotain';
import type { Program } from './ast.ts';
import { DiagnosticCode as C, diagnostic } from './diagnostics.ts';
import type { Diagnostic } from './diagnostics.ts';
import { parseCst } from './parser.ts';
import { toAst } from './to-ast.ts';

export interface ParsedProgram {
  ast: Program;
  /** Lexing and parse errors only; semantic checks are compile's. */
  diagnostics: Diagnostic[];
  /** The `#` comments, in text order (the parser never sees them). */
  comments: IToken[];
}

/** Parse a text into its AST. Never throws on bad input: errors come back as diagnostics. */
export function parseProgram(text: string): ParsedProgram {
  const diagnostics: Diagnostic[] = [];
  const { cst, lexErrors, parseErrors, comments } = parseCst(text);
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
  for (const e of parseErrors) diagnostics.push(syntaxDiagnostic(e, text));
  return { ast: toAst(cst), diagnostics, comments };
}

const STATEMENT_HINT =
  'A statement starts with vm, tracking, costs, migration, run, sweep, table, plot or use.';

function syntaxDiagnostic(e: IRecognitionException, text: string): Diagnostic {
  const t = e.token;
  const atEnd = !Number.isFinite(t.startOffset) || t.tokenType?.name === 'EOF';
  const offset = atEnd ? text.length : t.startOffset;
  const before = text.slice(0, offset);
  const line = atEnd ? before.split(/\r?\n|\r/).length : (t.startLine ?? 1);
  const column = atEnd
    ? offset - Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'))
    : (t.startColumn ?? 1);
  const found = atEnd
    ? 'the end of the text'
    : t.image === '\n' || t.image === '\r\n'
      ? 'the end of the line'
      : `'${t.image}'`;
  const rule = e.context?.ruleStack?.[e.context.ruleStack.length - 1] ?? '';
  const expectedTok = /--> (\w+) <--/.exec(e.message)?.[1];
  const what: Record<string, string> = {
    RCurly: "'}'",
    LCurly: "'{'",
    Identifier: 'a name',
    With: "'with'",
    Comma: "','",
    Over: "'over'",
    RBracket: "']'",
    Word: 'a word',
    StringLiteral: 'a quoted file name',
  };
  const message =
    expectedTok && e.name === 'MismatchedTokenException'
      ? `Expected ${what[expectedTok] ?? expectedTok} but found ${found}.`
      : `Unexpected ${found}.`;
  const hints: Record<string, string> = {
    program: STATEMENT_HINT,
    statement: STATEMENT_HINT,
    definition: 'Write a definition as `tracking NAME [extends OTHER] { ... }`.',
    block: "Close the block with '}'; items are separated by newlines or commas.",
    experiment: 'Write `run VM with TRACKING, MIGRATION seed N`.',
    plotStmt: 'Write `plot remaining over time`.',
    tableStmt: 'Write `table summary, iterations`.',
    useStmt: 'Write `use "common.mmu"`.',
  };
  return diagnostic(
    'error',
    C.SyntaxError,
    { line, column, offset, length: atEnd ? 0 : t.image.length },
    message,
    hints[rule] ?? '',
  );
}

/**
 * format(text): the canonical layout of an mmulab text, for `mmulab fmt`. Printed from
 * the token stream of a text that parses, so it knows no statement: the grammar decides
 * where statements, items and blocks are, and tokens.ts how tokens are spaced. Every
 * token is printed as written (`1.5GiB` stays `1.5GiB`, `10Gbit/s` is not turned into
 * bytes), only the space between tokens changes, so formatting never changes the
 * compiled plan. Layout:
 * - one statement per line; a block opens on its statement's line and closes alone;
 * - one field per line inside blocks, indented two spaces per level; `{}` when empty;
 * - except a block written on one line (`workload hotset { rate 50k/s, set 1GiB }`),
 *   which stays on one line, its items separated by `, `, when the line fits in
 *   MAX_WIDTH columns and holds no comment (prettier keeps an object literal the same
 *   way: the author's one-line form stays while it fits);
 * - the spacing of `printTokens`: lists as `[a, b]`, ranges as `a..b` (`a..b step c`,
 *   `a..b x2`), one space between other tokens;
 * - comments kept: a comment after code stays after that code (on the last line printed
 *   from the source line it was on), a comment on its own line stays before what
 *   followed it; runs of blank lines become one, none after `{` or before `}`.
 * Idempotent: format(format(x).text).text === format(x).text.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type { Diagnostic } from './diagnostics.ts';
import { parseProgram } from './parse.ts';
import {
  Comma,
  LBracket,
  LCurly,
  Minus,
  Newline,
  RBracket,
  RCurly,
  printTokens,
} from './tokens.ts';

export interface FormatResult {
  /** The formatted text; the input unchanged when it has syntax errors. */
  text: string;
  /** Lexing and parse errors (a text that does not parse is not formatted). */
  diagnostics: Diagnostic[];
}

const INDENT = '  ';
/** The widest line a one-line block may make, indentation included. */
export const MAX_WIDTH = 100;

/** A printed line before comments and blank lines are merged in. */
interface Line {
  indent: number;
  text: string;
  /** The source line it was printed from (for comments and blank lines). */
  source: number;
  /** The last source line it was printed from, when a statement went on over lines. */
  end?: number;
  role: 'open' | 'item' | 'close' | 'comment';
}

/** Format a text. Never throws on bad input; a text with syntax errors comes back as is. */
export function format(text: string): FormatResult {
  const { ast, cst, diagnostics, comments, tokens } = parseProgram(text);
  if (diagnostics.length > 0) return { text, diagnostics };
  const starts = new Set(ast.statements.map((s) => s.span.offset));
  // A protocol's items are separated by newlines only: its commas are arguments
  // (`cmpxchg ok = spte, old, new`), never item separators.
  const protocols = ast.statements
    .filter((s) => s.kind === 'protocol')
    .map((s) => [s.span.offset, s.span.offset + s.span.length] as const);
  const inProtocol = (t: IToken): boolean =>
    protocols.some(([from, to]) => t.startOffset >= from && t.startOffset < to);
  const binary = binaryMinuses(cst);
  const print = (item: readonly IToken[]): string => printTokens(item, binary);
  const lines = mergeComments(layout(tokens, starts, comments, print, inProtocol), comments, text);
  return { text: render(lines), diagnostics: [] };
}

/**
 * The code lines of a text that parses, from its tokens: a statement or block item per
 * line, its tokens spaced by `printTokens`; `{` ends the line of its head and opens an
 * indented block whose items are separated by newlines or top-level commas; `}` closes
 * alone, or `head {}` when the block is empty. A statement starts a line even where the
 * text puts two on one (`starts`: the offsets of their first tokens). No statement is
 * named here: a new statement is laid out from its tokens with nothing to add.
 */
function layout(
  tokens: readonly IToken[],
  starts: ReadonlySet<number>,
  comments: readonly IToken[],
  print: (item: readonly IToken[]) => string,
  inProtocol: (t: IToken) => boolean = () => false,
): Line[] {
  const out: Line[] = [];
  /** For each open block, the index in `out` of the line that opened it. */
  const open: number[] = [];
  let item: IToken[] = [];
  let brackets = 0;
  const flush = (): void => {
    if (item.length === 0) return;
    const source = item[0].startLine ?? 1;
    const end = item[item.length - 1].endLine ?? source;
    out.push({ indent: open.length, text: print(item), source, end, role: 'item' });
    item = [];
  };
  const closing = matchingBraces(tokens);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (starts.has(t.startOffset)) flush();
    const end = t.tokenType === LCurly ? closing.get(i) : undefined;
    const inline =
      end !== undefined && end > i + 1 && oneLineBlock(tokens, i, end, comments)
        ? `${print(item)} ${inlineBlock(tokens.slice(i, end + 1), print)}`
        : undefined;
    if (inline !== undefined && INDENT.length * open.length + inline.length <= MAX_WIDTH) {
      const source = item[0]?.startLine ?? t.startLine ?? 1;
      out.push({ indent: open.length, text: inline, source, role: 'item' });
      item = [];
      i = end!;
    } else if (t.tokenType === Newline) flush();
    else if (t.tokenType === Comma && brackets === 0 && open.length > 0 && !inProtocol(t)) flush();
    else if (t.tokenType === LCurly) {
      const source = item[0]?.startLine ?? t.startLine ?? 1;
      const text = `${print(item)} {`;
      out.push({ indent: open.length, text, source, role: 'open' });
      open.push(out.length - 1);
      item = [];
    } else if (t.tokenType === RCurly) {
      flush();
      const at = open.pop() ?? 0;
      const head = out[at];
      // `} else {` in a protocol: the `else` continues the line of the `}`.
      const next = tokens[i + 1];
      const elseFollows = next?.image === 'else' && inProtocol(next);
      if (at === out.length - 1) out[at] = { ...head, text: `${head.text}}`, role: 'item' };
      else if (elseFollows) item.push(t);
      else out.push({ indent: open.length, text: '}', source: t.startLine ?? 1, role: 'close' });
    } else {
      if (t.tokenType === LBracket) brackets++;
      if (t.tokenType === RBracket) brackets--;
      item.push(t);
    }
  }
  flush();
  return out;
}

/**
 * The `-` tokens that subtract (the operators of an expression's sums), found in the
 * CST: a `-` elsewhere is a sign (`vcpus -4`, `let x = -a`) and stays by its operand,
 * which the tokens alone cannot tell (`vcpus -4` is a field and its value in a block,
 * a difference in an expression).
 */
function binaryMinuses(cst: CstNode): ReadonlySet<IToken> {
  const found = new Set<IToken>();
  const visit = (node: CstNode): void => {
    for (const [label, children] of Object.entries(node.children)) {
      for (const child of children) {
        if (isCstNode(child)) visit(child);
        else if (label === 'operators' && child.tokenType === Minus) found.add(child);
      }
    }
  };
  visit(cst);
  return found;
}

function isCstNode(x: CstElement): x is CstNode {
  return 'children' in x;
}

/** For each `{` (by index in `tokens`), the index of the `}` that closes it. */
function matchingBraces(tokens: readonly IToken[]): Map<number, number> {
  const closing = new Map<number, number>();
  const stack: number[] = [];
  tokens.forEach((t, i) => {
    if (t.tokenType === LCurly) stack.push(i);
    else if (t.tokenType === RCurly) {
      const at = stack.pop();
      if (at !== undefined) closing.set(at, i);
    }
  });
  return closing;
}

/** True if the block from `tokens[open]` to `tokens[close]` was written on one line, with no comment in it. */
function oneLineBlock(
  tokens: readonly IToken[],
  open: number,
  close: number,
  comments: readonly IToken[],
): boolean {
  const [from, to] = [tokens[open], tokens[close]];
  if (from.startLine !== to.startLine) return false;
  return !comments.some((c) => c.startOffset > from.startOffset && c.startOffset < to.startOffset);
}

/** A one-line block's tokens (`{` to `}`) as `{ a, b { c } }`: items split at top-level commas. */
function inlineBlock(
  tokens: readonly IToken[],
  print: (item: readonly IToken[]) => string,
): string {
  return inlineFrom(tokens, 0, print).text;
}

/** The block opened by `tokens[open]`, printed on one line, and the index of its `}`. */
function inlineFrom(
  tokens: readonly IToken[],
  open: number,
  print: (item: readonly IToken[]) => string,
): { text: string; end: number } {
  const items: string[] = [];
  let item: IToken[] = [];
  /** The current item's head and nested block, once it has one. */
  let nested: string | undefined;
  let brackets = 0;
  const finish = (): void => {
    const text = nested === undefined ? print(item) : nested;
    if (text) items.push(text);
    [item, nested] = [[], undefined];
  };
  for (let j = open + 1; j < tokens.length; j++) {
    const t = tokens[j];
    if (t.tokenType === RCurly) {
      finish();
      return { text: items.length ? `{ ${items.join(', ')} }` : '{}', end: j };
    }
    if (t.tokenType === LCurly) {
      const inner = inlineFrom(tokens, j, print);
      nested = `${print(item)} ${inner.text}`;
      j = inner.end;
    } else if (t.tokenType === Comma && brackets === 0) finish();
    else {
      if (t.tokenType === LBracket) brackets++;
      if (t.tokenType === RBracket) brackets--;
      item.push(t);
    }
  }
  finish();
  return { text: `{ ${items.join(', ')} }`, end: tokens.length - 1 };
}

/**
 * Put each comment back: after the last code line printed from its source line when
 * code precedes it there, else on its own line before the first code line printed
 * from a later source line (inside a block when that line is its `}`).
 */
function mergeComments(code: Line[], comments: readonly IToken[], text: string): Line[] {
  const trailing = new Map<Line, string>();
  const before = new Map<Line | undefined, Line[]>();
  for (const c of comments) {
    const line = c.startLine ?? 1;
    const body = c.image.trimEnd();
    const lineStart = Math.max(text.lastIndexOf('\n', c.startOffset - 1) + 1, 0);
    const hasCode = text.slice(lineStart, c.startOffset).trim() !== '';
    const host = hasCode
      ? findLast(code, (l) => l.source <= line && line <= (l.end ?? l.source))
      : undefined;
    if (host && !trailing.has(host)) {
      trailing.set(host, body);
      continue;
    }
    const next = code.find((l) => l.source > line);
    // (A comment inside a statement that went on over lines follows it: `next` is later.)
    const indent = next === undefined ? 0 : next.role === 'close' ? next.indent + 1 : next.indent;
    const list = before.get(next) ?? [];
    list.push({ indent, text: body, source: line, role: 'comment' });
    before.set(next, list);
  }
  const out: Line[] = [];
  for (const l of code) {
    out.push(...(before.get(l) ?? []));
    const t = trailing.get(l);
    out.push(t === undefined ? l : { ...l, text: `${l.text} ${t}` });
  }
  out.push(...(before.get(undefined) ?? []));
  return out;
}

function findLast<T>(xs: readonly T[], p: (x: T) => boolean): T | undefined {
  for (let i = xs.length - 1; i >= 0; i--) if (p(xs[i])) return xs[i];
  return undefined;
}

/** Join the lines, keeping one blank line where the source had one or more. */
function render(lines: readonly Line[]): string {
  const out: string[] = [];
  let prev: Line | undefined;
  for (const l of lines) {
    const gap = prev !== undefined && l.source > (prev.end ?? prev.source) + 1;
    if (gap && prev?.role !== 'open' && l.role !== 'close') out.push('');
    out.push(INDENT.repeat(l.indent) + l.text);
    prev = l;
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

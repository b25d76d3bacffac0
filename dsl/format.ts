/**
 * format(text): the canonical layout of an mmulab text, for `mmulab fmt`. Printed from
 * the AST, so spacing is canonical by construction; literals are printed as written
 * (`1.5GiB` stays `1.5GiB`, `10Gbit/s` is not turned into bytes), so formatting never
 * changes the compiled plan. Layout:
 * - one statement per line; a block opens on its statement's line and closes alone;
 * - one field per line inside blocks, indented two spaces per level; `{}` when empty;
 * - lists as `[a, b]`, ranges as `a..b`, one space between other tokens;
 * - comments kept: a comment after code stays after that code (on the last line printed
 *   from the source line it was on), a comment on its own line stays before what
 *   followed it; runs of blank lines become one, none after `{` or before `}`.
 * Idempotent: format(format(x).text).text === format(x).text.
 */
import type { IToken } from 'chevrotain';
import type { Block, Property, Statement, Value } from './ast.ts';
import type { Diagnostic } from './diagnostics.ts';
import { parseProgram } from './parse.ts';

export interface FormatResult {
  /** The formatted text; the input unchanged when it has syntax errors. */
  text: string;
  /** Lexing and parse errors (a text that does not parse is not formatted). */
  diagnostics: Diagnostic[];
}

const INDENT = '  ';

/** A printed line before comments and blank lines are merged in. */
interface Line {
  indent: number;
  text: string;
  /** The source line it was printed from (for comments and blank lines). */
  source: number;
  role: 'open' | 'item' | 'close' | 'comment';
}

/** Format a text. Never throws on bad input; a text with syntax errors comes back as is. */
export function format(text: string): FormatResult {
  const { ast, diagnostics, comments } = parseProgram(text);
  if (diagnostics.length > 0) return { text, diagnostics };
  const lineOf = lineIndex(text);
  const code: Line[] = [];
  for (const s of ast.statements) printStatement(s, code, lineOf);
  const lines = mergeComments(code, comments, text);
  return { text: render(lines), diagnostics: [] };
}

/** offset -> 1-based line number, by binary search over the line starts. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) starts.push(i + 1);
  }
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** The canonical text of a value. */
export function printValue(v: Value): string {
  switch (v.kind) {
    case 'word':
    case 'quantity':
      return v.text;
    case 'string':
      return `"${v.text}"`;
    case 'range':
      return `${printValue(v.from)}..${printValue(v.to)}`;
    case 'list':
      return `[${v.items.map(printValue).join(', ')}]`;
  }
}

function printStatement(s: Statement, out: Line[], lineOf: (offset: number) => number): void {
  const item = (text: string): void => {
    out.push({ indent: 0, text, source: s.span.line, role: 'item' });
  };
  switch (s.kind) {
    case 'definition': {
      const base = s.base ? ` extends ${s.base.text}` : '';
      printBlock(`${s.defKind} ${s.name.text}${base}`, s.span.line, s.body, 0, out, lineOf);
      return;
    }
    case 'experiment': {
      const opts = s.options.map((o) => [o.key.text, ...o.args.map(printValue)].join(' '));
      const head = `${s.mode} ${printValue(s.vm)} with ${printValue(s.tracking)}, ${printValue(s.migration)}`;
      item([head, ...opts].join(' '));
      return;
    }
    case 'table':
      item(
        `table ${s.views.map((v) => v.text).join(', ')}` +
          (s.columns ? ` with ${s.columns.map((c) => c.text).join(', ')}` : ''),
      );
      return;
    case 'plot':
      item(`plot ${s.y.text} over ${s.x.text}`);
      return;
    case 'export': {
      const as = s.format ? ` as ${s.format.text}` : '';
      item(`export ${s.views.map((v) => v.text).join(', ')} to "${s.dir}"${as}`);
      return;
    }
    case 'use':
      item(`use "${s.path}"`);
      return;
  }
}

/** `head {`, one line per property, `}`; or `head {}` when the block is empty. */
function printBlock(
  head: string,
  line: number,
  block: Block,
  indent: number,
  out: Line[],
  lineOf: (offset: number) => number,
): void {
  if (block.properties.length === 0) {
    out.push({ indent, text: `${head} {}`, source: line, role: 'item' });
    return;
  }
  out.push({ indent, text: `${head} {`, source: line, role: 'open' });
  for (const p of block.properties) printProperty(p, indent + 1, out, lineOf);
  const close = lineOf(block.span.offset + Math.max(0, block.span.length - 1));
  out.push({ indent, text: '}', source: close, role: 'close' });
}

function printProperty(
  p: Property,
  indent: number,
  out: Line[],
  lineOf: (offset: number) => number,
): void {
  const head = [p.key.text, ...p.args.map(printValue)].join(' ');
  if (p.body) printBlock(head, p.key.span.line, p.body, indent, out, lineOf);
  else out.push({ indent, text: head, source: p.key.span.line, role: 'item' });
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
    const host = hasCode ? findLast(code, (l) => l.source === line) : undefined;
    if (host && !trailing.has(host)) {
      trailing.set(host, body);
      continue;
    }
    const next = code.find((l) => l.source > line);
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
    const gap = prev !== undefined && l.source > prev.source + 1;
    if (gap && prev?.role !== 'open' && l.role !== 'close') out.push('');
    out.push(INDENT.repeat(l.indent) + l.text);
    prev = l;
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

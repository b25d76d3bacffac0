/**
 * Source spans of tokens and CST nodes. With error recovery a token may be missing or
 * inserted by the parser (it then has no place in the text): both get a zero-length
 * span, so a diagnostic never points at text that is not there.
 */
import type { CstElement, IToken } from 'chevrotain';
import type { Span } from './ast.ts';

/** The span of nothing, at the start of the text. */
export const EMPTY_SPAN: Span = { line: 1, column: 1, offset: 0, length: 0 };

/** A token that is in the text: not missing, not inserted by recovery. */
export function isRealToken(t: IToken | undefined): t is IToken {
  return t !== undefined && !t.isInsertedInRecovery && Number.isFinite(t.startOffset);
}

/** The span of a token; an inserted or missing token gets a zero-length span at `fallback`. */
export function tokenSpan(t: IToken | undefined, fallback: Span = EMPTY_SPAN): Span {
  if (!isRealToken(t)) return { ...fallback, length: 0 };
  return {
    line: t.startLine ?? 1,
    column: t.startColumn ?? 1,
    offset: t.startOffset,
    length: (t.endOffset ?? t.startOffset) - t.startOffset + 1,
  };
}

/** The span from the start of `a` to the end of `b`. */
export function joinSpans(a: Span, b: Span): Span {
  if (b.offset + b.length <= a.offset) return a;
  return { ...a, length: b.offset + b.length - a.offset };
}

/** A CST node's children, as every generated `XCstChildren` type is. */
export type CstChildren = Readonly<Record<string, readonly CstElement[] | undefined>>;

/** The real tokens under a CST node's children, in no particular order. */
export function tokensOf(children: CstChildren): IToken[] {
  const out: IToken[] = [];
  const walk = (ch: CstChildren): void => {
    for (const list of Object.values(ch)) {
      for (const c of list ?? []) {
        if ('children' in c) walk(c.children);
        else if (isRealToken(c)) out.push(c);
      }
    }
  };
  walk(children);
  return out;
}

/** The span covering every real token under a CST node's children. */
export function nodeSpan(children: CstChildren): Span {
  const toks = tokensOf(children);
  if (toks.length === 0) return EMPTY_SPAN;
  let first = toks[0];
  let last = toks[0];
  for (const t of toks) {
    if (t.startOffset < first.startOffset) first = t;
    if ((t.endOffset ?? 0) > (last.endOffset ?? 0)) last = t;
  }
  return joinSpans(tokenSpan(first), tokenSpan(last));
}

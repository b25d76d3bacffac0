/**
 * inspect(text, cursor, detailLevel): the kernel's inspect_request (Shift-Tab help).
 * Documents the keyword, key, sub-key, value, unit or defined name under the cursor
 * from keyword-docs.ts: in a block by the schema, in a statement by what its slot
 * (syntax.ts) holds, so a new statement is documented with nothing to add here. The
 * cursor is a Unicode code-point offset (Jupyter 5.2+).
 */
import { tokenMatcher } from 'chevrotain';
import type { IToken } from 'chevrotain';
import { cursorContext, DEF_KINDS, nextInStatement, toUtf16 } from './cursor-context.ts';
import type { NameScope } from './cursor-context.ts';
import { FIELD_DOCS, keywordDocs, sweepWordDocs, UNIT_DOCS, VALUE_DOCS } from './keyword-docs.ts';
import { FIELDS } from './schema.ts';
import { SYNTAX } from './syntax.ts';
import { keywords, mmuLexer } from './tokens.ts';

export interface InspectResult {
  found: boolean;
  /** For `text/markdown`. */
  markdown: string;
  /** For `text/plain`. */
  plain: string;
}

/** Documentation of the token at `cursor` (or ending there); null when there is none. */
export function inspect(
  text: string,
  cursor: number,
  detailLevel: 0 | 1 = 0,
  scope?: NameScope,
): InspectResult | null {
  const offset = toUtf16(text, cursor);
  const tokens = mmuLexer.tokenize(text).tokens;
  const i = tokenIndexAt(tokens, offset);
  if (i < 0) return null;
  const token = tokens[i]!;
  const doc = docOf(token, cursorContext(tokens.slice(0, i)), tokens, scope);
  if (!doc) return { found: false, markdown: '', plain: '' };
  const more = detailLevel >= 1 && doc.detail ? `\n\n${doc.detail}` : '';
  return {
    found: true,
    markdown: `**${doc.title}**: ${doc.text}${more}`,
    plain: `${doc.title}: ${doc.text}${more}`,
  };
}

function tokenIndexAt(tokens: readonly IToken[], offset: number): number {
  const inside = tokens.findIndex(
    (t) => t.startOffset <= offset && offset < t.startOffset + t.image.length,
  );
  const isWord = (t: IToken | undefined): boolean => !!t && !/^[\s,{}[\]]/.test(t.image);
  if (inside >= 0 && isWord(tokens[inside])) return inside;
  // The cursor right after a word (where it is while typing) documents that word.
  return tokens.findIndex((t) => t.startOffset + t.image.length === offset && isWord(t));
}

interface Doc {
  title: string;
  text: string;
  /** Shown at detail level 1. */
  detail?: string;
}

function docOf(
  token: IToken,
  ctx: ReturnType<typeof cursorContext>,
  all: readonly IToken[],
  scope?: NameScope,
): Doc | undefined {
  const word = token.image;
  const categories = token.tokenType.CATEGORIES ?? [];
  if (categories.some((c) => c.name === 'NumberLike')) {
    const unit =
      /^(?:0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9][0-9_]*)?) ?(.*)$/.exec(word)?.[1] ?? '';
    const doc = UNIT_DOCS[unit];
    return doc ? { title: unit, text: doc } : undefined;
  }
  const frame = ctx.frames[ctx.frames.length - 1];
  const [key] = ctx.item;
  if (frame?.kind) {
    const kind = frame.kind;
    if (!key && FIELD_DOCS[kind][word]) {
      return {
        title: `${word} (${kind} key)`,
        text: FIELD_DOCS[kind][word]!,
        detail: FIELDS[kind][word]?.doc,
      };
    }
    const sub = key && FIELD_DOCS[kind][`${key.image}.${word}`];
    if (sub) return { title: `${key.image} ${word}`, text: sub };
  } else if (!frame) {
    const doc = statementDoc(token, ctx.item, all, scope);
    if (doc) return doc;
    if (keywords.includes(token.tokenType) && keywordDocs()[word])
      return { title: word, text: keywordDocs()[word]! };
  }
  if (VALUE_DOCS[word]) return { title: word, text: VALUE_DOCS[word]! };
  if (sweepWordDocs()[word]) return { title: word, text: sweepWordDocs()[word]! };
  return nameDoc(word, all, scope);
}

/**
 * A token of a statement, by what the grammar expected there after the tokens before it
 * (`stmt`): a keyword by its statement's docs (syntax.ts), a word by its slot's kind.
 */
function statementDoc(
  token: IToken,
  stmt: readonly IToken[],
  all: readonly IToken[],
  scope: NameScope | undefined,
): Doc | undefined {
  const word = token.image;
  const next = nextInStatement(stmt).filter((n) => tokenMatcher(token, n.token));
  const keyword = next.find((n) => n.token === token.tokenType && keywords.includes(n.token));
  const doc = keyword?.statement && SYNTAX[keyword.statement].keywords[word];
  if (doc) return { title: word, text: doc };
  for (const { slot } of next) {
    const holds = slot?.holds;
    if (holds?.kind === 'field' && FIELD_DOCS[holds.of][word])
      return { title: `${word} (${holds.title})`, text: FIELD_DOCS[holds.of][word]! };
    if (holds?.kind === 'word' && holds.values.includes(word)) {
      const text = holds.doc?.(word) ?? VALUE_DOCS[word];
      if (text) return { title: word, text };
    }
    // A value of an axis may be a definition's name (`ring` of `tracking`).
    if (holds?.kind === 'name' || holds?.kind === 'axis-value') return nameDoc(word, all, scope);
  }
  return undefined;
}

/** A name defined in this text (anywhere) or in the scope of earlier cells. */
function nameDoc(word: string, all: readonly IToken[], scope?: NameScope): Doc | undefined {
  const defs = cursorContext(all).defined.filter((d) => d.name === word);
  if (defs.length > 0) {
    return {
      title: word,
      text: defs.map((d) => `${d.kind} defined on line ${d.line} of this cell.`).join(' '),
    };
  }
  const kinds = DEF_KINDS.filter((k) => scope?.[k]?.has(word));
  if (kinds.length > 0) {
    return { title: word, text: kinds.map((k) => `${k} defined in an earlier cell.`).join(' ') };
  }
  return undefined;
}

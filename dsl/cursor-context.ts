/**
 * Where a cursor is in a text, for completion and inspect: the block it is inside, the
 * tokens of the item (block property or statement) it is in, and the names defined
 * before it. Works on the tokens alone, so it copes with the unfinished text a user is
 * typing. Offsets here are UTF-16; the Jupyter-facing functions convert code points.
 */
import type { IToken, TokenType } from 'chevrotain';
import { DEFINITION_KINDS } from './ast.ts';
import type { DefinitionKind } from './ast.ts';
import { VARY_WORD, mmuParser } from './parser.ts';
import { FIELDS, WORKLOAD_KINDS } from './schema.ts';
import type { ArgSpec, BlockKind, FieldSpec } from './schema.ts';
import { isRuleName, isStatementRule, labelOf, slotsOf } from './syntax.ts';
import type { RulePart, Slot, StatementRule } from './syntax.ts';
import { mmuLexer } from './tokens.ts';

/** Names visible to a text; `compile`'s `Scope` fits (only the keys are read). */
export interface NameScope {
  vm?: ReadonlyMap<string, unknown>;
  tracking?: ReadonlyMap<string, unknown>;
  costs?: ReadonlyMap<string, unknown>;
  migration?: ReadonlyMap<string, unknown>;
  protocols?: ReadonlyMap<string, unknown>;
}

export type DefKind = DefinitionKind;
export const DEF_KINDS: readonly DefKind[] = DEFINITION_KINDS;

/** True for a word that names a kind of definition (`vm`, `costs`, ...). */
export function isDefKind(word: string | undefined): word is DefKind {
  return (DEF_KINDS as readonly (string | undefined)[]).includes(word);
}

/** A `{ ... }` the cursor is inside. */
export interface Frame {
  /** The block's kind, or null when its opener is unknown (a misspelt key). */
  kind: BlockKind | null;
  /** For workload blocks: the workload kind named by the opener (`workload hotset {`). */
  workloadKind?: string;
}

export interface CursorContext {
  /** Innermost first is last: frames[frames.length - 1] is the block the cursor is in. */
  frames: Frame[];
  /** Tokens of the current item (since the last newline, comma in a block, or brace). */
  item: IToken[];
  /** Definitions before the cursor, with the line of their name (1-based). */
  defined: { kind: DefKind; name: string; line: number }[];
  /** Protocols defined before the cursor (`protocol NAME { ... }`), for `explore`. */
  protocols: string[];
}

/** Code-point offset -> UTF-16 offset (clamped to the text). */
export function toUtf16(text: string, cursor: number): number {
  let i = 0;
  for (let cp = 0; cp < cursor && i < text.length; cp++) {
    const c = text.codePointAt(i) ?? 0;
    i += c > 0xffff ? 2 : 1;
  }
  return i;
}

/** UTF-16 offset -> code-point offset. */
export function toCodePoints(text: string, offset: number): number {
  return [...text.slice(0, offset)].length;
}

/** True when `offset` (UTF-16) is inside a `#` comment or a string on its line. */
export function inCommentOrString(text: string, offset: number): boolean {
  const lineStart = Math.max(
    text.lastIndexOf('\n', offset - 1),
    text.lastIndexOf('\r', offset - 1),
  );
  let inString = false;
  for (const ch of text.slice(lineStart + 1, offset)) {
    if (ch === '"') inString = !inString;
    else if (ch === '#' && !inString) return true;
  }
  return inString;
}

/** The tokens (comments dropped) of text[0, end). */
export function tokensBefore(text: string, end: number): IToken[] {
  return mmuLexer.tokenize(text.slice(0, end)).tokens;
}

/** Analyse the tokens before a position: the blocks open there and the current item. */
export function cursorContext(tokens: readonly IToken[]): CursorContext {
  const frames: Frame[] = [];
  const defined: CursorContext['defined'] = [];
  const protocols: string[] = [];
  let item: IToken[] = [];
  let brackets = 0;
  for (const t of tokens) {
    const type = t.tokenType.name;
    if (type === 'Newline') {
      item = [];
      brackets = 0;
    } else if (type === 'Comma' && brackets === 0 && frames.length > 0) {
      item = [];
    } else if (type === 'LCurly') {
      frames.push(openedFrame(frames, item));
      item = [];
    } else if (type === 'RCurly') {
      frames.pop();
      item = [];
    } else {
      if (type === 'LBracket') brackets++;
      if (type === 'RBracket') brackets = Math.max(0, brackets - 1);
      item.push(t);
      if (frames.length === 0 && item.length === 2 && type === 'Identifier') {
        const kind = item[0]!.image;
        if (isDefKind(kind)) defined.push({ kind, name: t.image, line: t.startLine ?? 1 });
        if (item[0]!.tokenType.name === 'Protocol') protocols.push(t.image);
      }
    }
  }
  return { frames, item, defined, protocols };
}

function openedFrame(frames: readonly Frame[], item: readonly IToken[]): Frame {
  const head = item[0]?.image ?? '';
  const outer = frames[frames.length - 1];
  if (!outer)
    return { kind: (DEF_KINDS as readonly string[]).includes(head) ? (head as BlockKind) : null };
  const spec = outer.kind ? FIELDS[outer.kind][head] : undefined;
  if (!spec?.body) return { kind: null };
  const workloadKind = item.find((t) => (WORKLOAD_KINDS as readonly string[]).includes(t.image));
  return { kind: spec.body, workloadKind: workloadKind?.image };
}

/** What the values of a property so far have filled: the positional index or a pending sub-key. */
export interface ArgState {
  positional: number;
  /** A sub-key waiting for its value (`at` in `slot ram0 at |`). */
  pendingKey?: string;
  usedKeys: Set<string>;
  /** The cursor is inside an unclosed `[`. */
  inList: boolean;
}

/** Walk the arguments of a property (its tokens after the key) against its field spec. */
export function argState(spec: FieldSpec, args: readonly IToken[]): ArgState {
  const state: ArgState = { positional: 0, usedKeys: new Set(), inList: false };
  let depth = 0;
  let afterDotDot = false;
  for (const t of args) {
    const type = t.tokenType.name;
    if (type === 'DotDot') {
      afterDotDot = true;
      continue;
    }
    if (type === 'RBracket') depth = Math.max(0, depth - 1);
    const startsValue = depth === 0 && type !== 'RBracket' && type !== 'Comma' && !afterDotDot;
    afterDotDot = false;
    // `vary` starts the bounds of the value that follows it (parser.ts VARY_WORD).
    if (startsValue && t.image === VARY_WORD && state.pendingKey === undefined) continue;
    if (type === 'LBracket') depth++;
    if (!startsValue) continue;
    if (state.pendingKey !== undefined) {
      state.pendingKey = undefined;
    } else if (spec.keys && Object.hasOwn(spec.keys, t.image)) {
      state.usedKeys.add(t.image);
      if (spec.keys[t.image] !== 'flag') state.pendingKey = t.image;
    } else {
      state.positional++;
    }
  }
  // An open list still counts as the value being typed, not a finished one.
  if (depth > 0) {
    state.inList = true;
    if (state.pendingKey === undefined) state.positional--;
  }
  return state;
}

/** The argument the next value fills, if any. */
export function expectedArg(spec: FieldSpec, state: ArgState): ArgSpec | 'keys' | undefined {
  if (state.pendingKey !== undefined) {
    const k = spec.keys?.[state.pendingKey];
    return k === 'flag' ? undefined : k;
  }
  return spec.args[state.positional] ?? (spec.keys ? 'keys' : undefined);
}

/** Names visible at the cursor, by kind: defined earlier in the text, then the scope's. */
export function namesOf(kind: DefKind, ctx: CursorContext, scope: NameScope | undefined): string[] {
  const local = ctx.defined.filter((d) => d.kind === kind).map((d) => d.name);
  return [...local, ...(scope?.[kind]?.keys() ?? [])];
}

/** One thing that may come next in a statement, and the slot (syntax.ts) it fills. */
export interface NextToken {
  /** The token type the grammar expects: a keyword, `Word`, a punctuation, ... */
  token: TokenType;
  /** The statement's rule. */
  statement: StatementRule | undefined;
  /** The innermost slot that holds it, when one does. */
  slot: Slot | undefined;
}

/**
 * What may come after a statement's first tokens, by Chevrotain's content assist over
 * the grammar, each with the slot of syntax.ts it fills: the innermost labelled part
 * along the rule stack that has one (`arg` of a run option before `vm` of a run).
 * Empty when the tokens do not start a statement.
 */
export function nextInStatement(stmt: readonly IToken[]): NextToken[] {
  let paths;
  try {
    paths = mmuParser().computeContentAssist('statement', [...stmt]);
  } catch {
    // Content assist does not recover from errors earlier in the statement.
    return [];
  }
  return paths.map((path) => {
    const { ruleStack, occurrenceStack } = path;
    const top = ruleStack[1];
    const statement = top !== undefined && isStatementRule(top) ? top : undefined;
    let slot: Slot | undefined;
    for (let i = ruleStack.length - 1; i >= 1 && !slot; i--) {
      const rule = ruleStack[i];
      if (!isRuleName(rule)) continue;
      const part: RulePart =
        i === ruleStack.length - 1
          ? { token: path.nextTokenType, idx: path.nextTokenOccurrence }
          : { rule: ruleStack[i + 1]!, idx: occurrenceStack[i + 1] ?? 0 };
      const label = labelOf(rule, part);
      slot = label === undefined ? undefined : slotsOf(rule)[label];
    }
    return { token: path.nextTokenType, statement, slot };
  });
}

/**
 * complete(text, cursor, scope): the kernel's tab completion. At the top level,
 * Chevrotain's content assist over the current statement's tokens says what may come
 * next: keywords, and the slots of the statement (syntax.ts), whose words are offered
 * by the kind of slot, never by statement; keys and values inside a block come from
 * the schema tables; names from the definitions earlier in the text and the scope of
 * earlier cells. Inside a protocol, protocol-completion.ts reads the tokens instead. Jupyter messaging 5.2+: cursor positions are
 * Unicode code points, so they are converted to and from JS's UTF-16 offsets here.
 */
import type { IToken } from 'chevrotain';
import {
  argState,
  cursorContext,
  expectedArg,
  inCommentOrString,
  isDefKind,
  namesOf,
  nextInStatement,
  toCodePoints,
  toUtf16,
  tokensBefore,
} from './cursor-context.ts';
import type { CursorContext, NameScope } from './cursor-context.ts';
import type { Scope } from './compile.ts';
import {
  axisNames,
  comparedValues,
  expressionNames,
  predictAxes,
  predictValues,
} from './completion-columns.ts';
import { completeInProtocol } from './protocol-completion.ts';
import { VARY_WORD } from './parser.ts';
import { FIELDS, isSweepable } from './schema.ts';
import type { ArgSpec } from './schema.ts';
import { SYNTAX } from './syntax.ts';
import type { SlotValue } from './syntax.ts';
import { ExprWord, Identifier, Vary, Word, fixedText, keywords } from './tokens.ts';

export interface CompletionResult {
  /** Candidates for the word being typed, sorted, without duplicates. */
  matches: string[];
  /** Code-point range [cursorStart, cursorEnd) the chosen match replaces. */
  cursorStart: number;
  cursorEnd: number;
}

/**
 * Complete the word before `cursor` (a code-point offset into `text`). Never throws.
 * `scope`: the names of earlier cells; `session`, the whole scope of earlier cells
 * (their definitions, lets and runs), for the columns an expression may name.
 */
export function complete(
  text: string,
  cursor: number,
  scope?: NameScope,
  session?: Scope,
): CompletionResult {
  const end = toUtf16(text, cursor);
  const prefix = /[A-Za-z0-9_]*$/.exec(text.slice(0, end))?.[0] ?? '';
  const start = end - prefix.length;
  const at = { cursorStart: toCodePoints(text, start), cursorEnd: toCodePoints(text, end) };
  if (inCommentOrString(text, start)) return { matches: [], ...at };
  const tokens = tokensBefore(text, start);
  const ctx = cursorContext(tokens);
  // After `AXIS =`, the names and also the axis's values (`pml = on`).
  const columns = (runsOnly: boolean): string[] => [
    ...comparedValues(text, ctx.item, session),
    ...expressionNames(text, ctx.item, session, runsOnly),
  ];
  const axes = (): string[] => axisNames(text, ctx.item, session);
  const axisValues = (): string[] => predictValues(predictAxes(text, ctx.item, session), ctx.item);
  const candidates =
    completeInProtocol(tokens) ??
    (ctx.frames.length > 0 ? inBlock(ctx) : atTopLevel(ctx, scope, columns, axes, axisValues));
  const matches = [...new Set(candidates)].filter((m) => m.startsWith(prefix)).sort();
  return { matches, ...at };
}

/** Keys of the block, or the values the current key expects next. */
function inBlock(ctx: CursorContext): string[] {
  const frame = ctx.frames[ctx.frames.length - 1]!;
  if (!frame.kind) return [];
  const fields = FIELDS[frame.kind];
  const [key, ...args] = ctx.item;
  if (!key) {
    return Object.entries(fields)
      .filter(
        ([, f]) => !frame.workloadKind || !f.appliesTo || f.appliesTo.includes(frame.workloadKind),
      )
      .map(([name]) => name);
  }
  const spec = fields[key.image];
  if (!spec) return [];
  const state = argState(spec, args);
  const next = expectedArg(spec, state);
  const out = next && next !== 'keys' ? valuesOf(next) : [];
  // Where a list or a range may stand, `vary` may start it (one value per variant).
  const last = args[args.length - 1]?.image;
  if (next && next !== 'keys' && isSweepable(spec, next) && !state.inList && last !== VARY_WORD)
    out.push(VARY_WORD);
  // Once the required positional arguments are there, the sub-keys may follow.
  const required = spec.args.filter((a) => !a.optional).length;
  if (
    state.pendingKey === undefined &&
    !state.inList &&
    state.positional >= required &&
    spec.keys
  ) {
    out.push(...Object.keys(spec.keys).filter((k) => !state.usedKeys.has(k)));
  }
  return out;
}

function valuesOf(arg: ArgSpec): string[] {
  if (arg.type === 'enum') return [...arg.values];
  if (arg.type === 'vcpus') return ['all'];
  return [];
}

/**
 * At the top level: what content assist says may come next in the statement, the
 * keywords as they are spelt and the words of the slots (syntax.ts) a word may fill.
 */
function atTopLevel(
  ctx: CursorContext,
  scope: NameScope | undefined,
  columns: (runsOnly: boolean) => string[],
  axes: () => string[],
  axisValues: () => string[],
): string[] {
  const stmt = ctx.item;
  let names: string[] | undefined;
  let axisWords: string[] | undefined;
  let valueWords: string[] | undefined;
  let plotNames: string[] | undefined;
  const previous = stmt[stmt.length - 1]?.image;
  return nextInStatement(stmt).flatMap((next) => {
    // `vary` may start any value in the grammar, but picks only a run option's number here.
    if (next.token === Vary)
      return previous !== undefined && FIELDS.run[previous]?.args[0]?.type === 'quantity'
        ? [VARY_WORD]
        : [];
    if (keywords.includes(next.token)) return [fixedText(next.token) ?? ''];
    const word = next.token === Word || next.token === Identifier || next.token === ExprWord;
    if (!word || !next.slot) return [];
    const holds = next.slot.holds.kind;
    // Columns, axes and lets: compiled once, from the text before the statement.
    if (holds === 'column') return (names ??= columns(false));
    if (holds === 'axis') return (axisWords ??= axes());
    if (holds === 'axis-value') return (valueWords ??= axisValues());
    const words = slotWords(next.slot.holds, stmt, ctx, scope);
    // A plot's Y and X are also columns (across runs): `plot downtime_ms over bandwidth`.
    const plotted = next.slot === SYNTAX.plotStmt.slots.x || next.slot === SYNTAX.plotStmt.slots.y;
    return plotted ? [...words, ...(plotNames ??= columns(true))] : words;
  });
}

/** The words that may fill a slot, given the statement's tokens before it. */
function slotWords(
  holds: SlotValue,
  stmt: readonly IToken[],
  ctx: CursorContext,
  scope: NameScope | undefined,
): readonly string[] {
  switch (holds.kind) {
    case 'name': {
      if (holds.of !== 'own') return namesOf(holds.of, ctx, scope);
      // `KIND NAME extends |`: a definition of the same kind, not itself.
      const kind = stmt[0]?.image;
      const self = stmt[1]?.image;
      return isDefKind(kind) ? namesOf(kind, ctx, scope).filter((n) => n !== self) : [];
    }
    case 'protocol':
      return [...ctx.protocols, ...(scope?.protocols?.keys() ?? [])];
    case 'word': {
      const previous = stmt[stmt.length - 1]?.image;
      return (
        holds.within?.(stmt.map((t) => t.image)) ??
        (previous === undefined ? undefined : holds.after?.(previous)) ??
        holds.values
      );
    }
    case 'field':
      return Object.keys(FIELDS[holds.of]);
    case 'field-value': {
      // The key is the token before the value; a key named after a kind of definition
      // (`costs`) takes a name of that kind.
      const key = stmt[stmt.length - 1]?.image;
      if (isDefKind(key)) return namesOf(key, ctx, scope);
      const arg = key === undefined ? undefined : FIELDS[holds.of][key]?.args[0];
      return arg ? valuesOf(arg) : [];
    }
    case 'keyword':
    case 'new-name':
    case 'column':
    case 'axis':
    case 'axis-value':
    case 'text':
      return [];
  }
}

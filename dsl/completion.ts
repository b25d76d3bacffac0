/**
 * complete(text, cursor, scope): the kernel's tab completion. Statement keywords come
 * from Chevrotain's content assist over the current statement's tokens; keys and
 * values inside a block from the schema tables; names from the definitions earlier in
 * the text and the scope of earlier cells. Jupyter messaging 5.2+: cursor positions are
 * Unicode code points, so they are converted to and from JS's UTF-16 offsets here.
 */
import type { IToken } from 'chevrotain';
import {
  argState,
  cursorContext,
  expectedArg,
  inCommentOrString,
  namesOf,
  toCodePoints,
  toUtf16,
  tokensBefore,
} from './cursor-context.ts';
import type { CursorContext, DefKind, NameScope } from './cursor-context.ts';
import { parser } from './parser.ts';
import { EXPORT_FORMATS, FIELDS, PLOT_X, PLOT_Y, TABLE_VIEWS } from './schema.ts';
import type { ArgSpec } from './schema.ts';
import { keywords } from './tokens.ts';

export interface CompletionResult {
  /** Candidates for the word being typed, sorted, without duplicates. */
  matches: string[];
  /** Code-point range [cursorStart, cursorEnd) the chosen match replaces. */
  cursorStart: number;
  cursorEnd: number;
}

/** Complete the word before `cursor` (a code-point offset into `text`). Never throws. */
export function complete(text: string, cursor: number, scope?: NameScope): CompletionResult {
  const end = toUtf16(text, cursor);
  const prefix = /[A-Za-z0-9_]*$/.exec(text.slice(0, end))?.[0] ?? '';
  const start = end - prefix.length;
  const at = { cursorStart: toCodePoints(text, start), cursorEnd: toCodePoints(text, end) };
  if (inCommentOrString(text, start)) return { matches: [], ...at };
  const ctx = cursorContext(tokensBefore(text, start));
  const candidates = ctx.frames.length > 0 ? inBlock(ctx) : atTopLevel(ctx, scope);
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

/** Statement keywords by content assist, plus the names and words a statement expects. */
function atTopLevel(ctx: CursorContext, scope: NameScope | undefined): string[] {
  const stmt = ctx.item;
  const out = keywordsAfter(stmt);
  const head = stmt[0]?.tokenType.name;
  const last = stmt[stmt.length - 1];
  if (head === 'Run' || head === 'Sweep') out.push(...experimentWords(stmt, ctx, scope));
  else if (head && ['Vm', 'Tracking', 'Costs', 'Migration'].includes(head)) {
    if (stmt.length === 3 && last?.tokenType.name === 'Extends') {
      const self = stmt[1]!.image;
      out.push(...namesOf(stmt[0]!.image as DefKind, ctx, scope).filter((n) => n !== self));
    }
  } else if (
    (head === 'Table' || head === 'Export') &&
    (last?.tokenType.name === head || last?.tokenType.name === 'Comma')
  ) {
    out.push(...TABLE_VIEWS);
  } else if (head === 'Export' && last?.tokenType.name === 'As') {
    out.push(...EXPORT_FORMATS);
  } else if (head === 'Plot' && stmt.length === 1) {
    out.push(...Object.keys(PLOT_Y.timeline), ...Object.keys(PLOT_Y.iterations));
  } else if (head === 'Plot' && stmt.length === 3) {
    out.push(...Object.keys(PLOT_X));
  }
  return out;
}

/** Keywords Chevrotain's content assist says may come next in this statement. */
function keywordsAfter(stmt: IToken[]): string[] {
  try {
    return parser
      .computeContentAssist('statement', stmt)
      .map((path) => path.nextTokenType)
      .filter((t) => keywords.includes(t))
      .map((t) => t.name.toLowerCase());
  } catch {
    // Content assist does not recover from errors earlier in the statement.
    return [];
  }
}

/** `run VM with TRACKING, MIGRATION (option value)*`: names by position, then options. */
function experimentWords(
  stmt: IToken[],
  ctx: CursorContext,
  scope: NameScope | undefined,
): string[] {
  const withAt = stmt.findIndex((t) => t.tokenType.name === 'With');
  if (withAt < 0) {
    const vmValues = argState({ doc: '', args: [] }, stmt.slice(1));
    return vmValues.positional === 0 ? namesOf('vm', ctx, scope) : [];
  }
  const after = stmt.slice(withAt + 1);
  let depth = 0;
  const commaAt = after.findIndex((t) => {
    if (t.tokenType.name === 'LBracket') depth++;
    if (t.tokenType.name === 'RBracket') depth--;
    return depth === 0 && t.tokenType.name === 'Comma';
  });
  if (commaAt < 0) return namesOf('tracking', ctx, scope);
  const rest = after.slice(commaAt + 1);
  const values = argState({ doc: '', args: [] }, rest);
  if (values.positional === 0) {
    return namesOf('migration', ctx, scope);
  }
  if (values.inList) return [];
  // After the migration: option keys and their values alternate.
  const options = values.positional - 1;
  if (options % 2 === 0) return Object.keys(FIELDS.run);
  const key = rest[rest.length - 1]?.image;
  return key === 'costs' ? namesOf('costs', ctx, scope) : [];
}

/**
 * Binding: each property of a block matched to its field in the schema (schema.ts),
 * which is where units, ranges, enumerated words, unknown and repeated fields are
 * checked, so lowering (lower.ts) can trust what it gets. Problems are diagnostics;
 * nothing here throws on bad input.
 */
import type { Block, ListValue, Property, RangeValue, Span, Value } from '../ast.ts';
import { DiagnosticCode as C, diagnostic, didYouMean, oneOf } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { FIELDS, isSweepable, snakeCase, sweepColumn, sweepableFields } from '../schema.ts';
import type { ArgSpec, BlockKind, EnumArg, FieldSpec, QuantityArg } from '../schema.ts';
import type { Quantity } from '../units.ts';
import { VARY_WORD } from '../parser.ts';
import {
  DIMENSION_EXAMPLE,
  compare,
  describeDimension,
  isWhole,
  toNumber,
  unknownUnit,
} from '../units.ts';
import type { Axis, ParamValue } from './experiment-types.ts';
import { axisUnit, formatInUnit, inUnit, MAX_RANGE_VALUES, rangeValues, unitOf } from './ranges.ts';
import type { RangeStepping } from './ranges.ts';

/** A checked argument. Quantities keep their exact value and their JS number. */
export type Bound =
  | { type: 'quantity'; q: Quantity; n: number; node: Value }
  | { type: 'word'; text: string; node: Value }
  | { type: 'string'; text: string; node: Value }
  | { type: 'range'; from: number; to: number; node: Value }
  | { type: 'vcpus'; value: 'all' | number[]; node: Value }
  | { type: 'flag'; node: Value }
  /** A list or a range where the field takes one value: the definition is a family. */
  | { type: 'sweep'; sweep: SweptField; node: Value };

/** One value of a swept field: bound as the field's single value, and as a column shows it. */
export interface SweptValue {
  /** A `quantity` or a `word` bound, as if it had been written alone. */
  bound: Bound;
  /** As a label shows it: the element as written (`10Gbit/s`), or a range's value in the axis unit. */
  text: string;
  /** In the axis unit (quantities), the word (enums), true for `on` (flags). */
  param: ParamValue;
  /** The exact quantity, to convert into another unit when families share a column. */
  q?: Quantity;
}

/** A list or a range in a field that takes one value: its column and its values, in order. */
export interface SweptField {
  column: string;
  dim: Axis['dim'];
  /** The unit of `param` (quantities with a unit only). */
  unit?: string;
  values: SweptValue[];
  /** The list or range as written. */
  span: Span;
  /** `vary`: one value picked per variant (variant.ts), not a family. */
  vary?: Span;
}

/** A property whose arguments all matched its spec (else it is dropped with diagnostics). */
export interface BoundProperty {
  key: string;
  prop: Property;
  spec: FieldSpec;
  args: (Bound | undefined)[];
  keys: Record<string, Bound>;
  body: BoundProperty[] | undefined;
}

const GiB = 2 ** 30;

/** "a size like 4GiB". */
function expected(dim: Quantity['dim']): string {
  return `${describeDimension(dim)} like ${DIMENSION_EXAMPLE[dim]}`;
}

function describeValue(v: Value): string {
  switch (v.kind) {
    case 'quantity':
      return v.quantity ? `${describeDimension(v.quantity.dim)} ${v.text}` : `'${v.text}'`;
    case 'word':
      return `the word '${v.text}'`;
    case 'string':
      return `the string "${v.text}"`;
    case 'range':
      return 'a range';
    case 'list':
      return 'a list';
  }
}

function formatLimit(n: number, arg: ArgSpec): string {
  if (arg.type !== 'quantity') return String(n);
  switch (arg.dim) {
    case 'percent':
      return `${n}%`;
    case 'size':
      return n >= GiB && n % GiB === 0
        ? `${n / GiB}GiB`
        : n % 1024 === 0 && n > 0
          ? `${n / 1024}KiB`
          : `${n}B`;
    case 'time':
      return `${n}ns`;
    default:
      return String(n);
  }
}

/** "at least 1", "between 0% and 100%". */
function allowedRange(arg: QuantityArg): string {
  return arg.max === undefined
    ? `at least ${formatLimit(arg.min ?? 0, arg)}`
    : `between ${formatLimit(arg.min ?? 0, arg)} and ${formatLimit(arg.max, arg)}`;
}

/** Check one quantity against its spec: unit, wholeness, range. */
function bindQuantity(
  v: Value,
  arg: ArgSpec & { type: 'quantity' },
  key: string,
  diags: Diagnostic[],
): Bound | undefined {
  const unknown = v.kind === 'quantity' ? unknownUnit(v.text, arg.dim) : undefined;
  if (unknown) {
    diags.push(diagnostic('error', C.UnknownUnit, v.span, unknown.message, unknown.hint));
    return undefined;
  }
  if (v.kind !== 'quantity' || !v.quantity) {
    diags.push(
      diagnostic(
        'error',
        C.WrongUnit,
        v.span,
        `Expected ${expected(arg.dim)} for ${arg.label}, got ${describeValue(v)}.`,
        `Write ${arg.label} as ${expected(arg.dim)}.`,
      ),
    );
    return undefined;
  }
  const q = v.quantity;
  if (q.num < 0n) {
    diags.push(
      diagnostic(
        'error',
        C.NegativeNumber,
        v.span,
        `A number can't be negative here: ${v.text} for '${key}'.`,
        `'${key}' must be ${allowedRange(arg)}.`,
      ),
    );
    return undefined;
  }
  // A bare 0 is zero in every dimension (`at 0`, `region 0..1GiB`).
  if (q.dim !== arg.dim && !(q.dim === 'count' && q.num === 0n)) {
    const hint =
      q.dim === 'count'
        ? `Add a unit: ${v.text}${DIMENSION_EXAMPLE[arg.dim].replace(/^[0-9.]+/, '')}, for example.`
        : `Write ${arg.label} as ${expected(arg.dim)}.`;
    diags.push(
      diagnostic(
        'error',
        C.WrongUnit,
        v.span,
        `Expected ${expected(arg.dim)}, got ${describeValue(v)}.`,
        hint,
      ),
    );
    return undefined;
  }
  if (arg.integer && !isWhole(q)) {
    const unit = arg.dim === 'size' ? 'bytes' : arg.dim === 'time' ? 'nanoseconds' : arg.label;
    const below = q.num / q.den;
    const hint =
      q.dim === 'count'
        ? `'${key}' takes a whole number: write ${below} or ${below + 1n}.`
        : `Use a smaller unit or a whole number of ${unit}.`;
    diags.push(
      diagnostic('error', C.NotWhole, v.span, `${v.text} is not a whole number of ${unit}.`, hint),
    );
    return undefined;
  }
  const n = toNumber(q);
  const tooLow = arg.min !== undefined && n < arg.min;
  const tooHigh = arg.max !== undefined && n > arg.max;
  if (tooLow || tooHigh) {
    const range = allowedRange(arg);
    diags.push(
      diagnostic(
        'error',
        C.OutOfRange,
        v.span,
        `'${key}' must be ${range}, got ${v.text}.`,
        `Pick a value ${range}.`,
      ),
    );
    return undefined;
  }
  const reason = arg.check?.(n);
  if (reason) {
    diags.push(
      diagnostic(
        'error',
        C.OutOfRange,
        v.span,
        `${arg.label} must be ${reason}, got ${v.text}.`,
        `Use ${reason}.`,
      ),
    );
    return undefined;
  }
  return { type: 'quantity', q, n, node: v };
}

function rangeEnd(
  v: Value,
  dim: Quantity['dim'],
  arg: ArgSpec,
  key: string,
  diags: Diagnostic[],
): number | undefined {
  const b = bindQuantity(
    v,
    { type: 'quantity', dim, integer: true, min: 0, label: arg.label },
    key,
    diags,
  );
  return b?.type === 'quantity' ? b.n : undefined;
}

/** Check one value against one argument spec. */
export function bindValue(
  v: Value,
  arg: ArgSpec,
  key: string,
  diags: Diagnostic[],
): Bound | undefined {
  switch (arg.type) {
    case 'quantity':
      return bindQuantity(v, arg, key, diags);
    case 'enum':
      if (v.kind === 'word' && arg.values.includes(v.text))
        return { type: 'word', text: v.text, node: v };
      diags.push(
        diagnostic(
          'error',
          C.UnknownValue,
          v.span,
          `'${key}' takes ${oneOf(arg.values)}, got ${v.kind === 'word' ? `'${v.text}'` : describeValue(v)}.${v.kind === 'word' ? didYouMean(v.text, arg.values) : ''}`,
          `Write one of ${oneOf(arg.values)}.`,
        ),
      );
      return undefined;
    case 'name':
      if (v.kind === 'word') return { type: 'word', text: v.text, node: v };
      diags.push(
        diagnostic(
          'error',
          C.UnexpectedArgument,
          v.span,
          `Expected ${arg.label}, got ${describeValue(v)}.`,
          'Names start with a letter or _.',
        ),
      );
      return undefined;
    case 'string':
      if (v.kind === 'string') return { type: 'string', text: v.text, node: v };
      diags.push(
        diagnostic(
          'error',
          C.UnexpectedArgument,
          v.span,
          `Expected ${arg.label} in double quotes, got ${describeValue(v)}.`,
          `Write it as "${v.kind === 'list' || v.kind === 'range' ? 'trace.csv' : v.text}".`,
        ),
      );
      return undefined;
    case 'range': {
      if (v.kind !== 'range') {
        diags.push(
          diagnostic(
            'error',
            C.WrongUnit,
            v.span,
            `Expected ${arg.label} like 0..1GiB, got ${describeValue(v)}.`,
            'Write the start and the end joined by `..`.',
          ),
        );
        return undefined;
      }
      const from = rangeEnd(v.from, arg.dim, arg, key, diags);
      const to = rangeEnd(v.to, arg.dim, arg, key, diags);
      if (from === undefined || to === undefined) return undefined;
      if (to <= from) {
        diags.push(
          diagnostic(
            'error',
            C.OutOfRange,
            v.span,
            `The range ${v.from.text}..${v.to.text} is empty.`,
            'Put the smaller value first.',
          ),
        );
        return undefined;
      }
      return { type: 'range', from, to, node: v };
    }
    case 'vcpus': {
      if (v.kind === 'word' && v.text === 'all') return { type: 'vcpus', value: 'all', node: v };
      const ids: number[] = [];
      const one = (x: Value): boolean => {
        const b = bindQuantity(
          x,
          { type: 'quantity', dim: 'count', integer: true, min: 0, max: 4095, label: 'a vCPU id' },
          key,
          diags,
        );
        if (b?.type === 'quantity') ids.push(b.n);
        return b !== undefined;
      };
      if (v.kind === 'range') {
        const from = rangeEnd(v.from, 'count', arg, key, diags);
        const to = rangeEnd(v.to, 'count', arg, key, diags);
        if (from === undefined || to === undefined) return undefined;
        if (to < from || to > 4095) {
          diags.push(
            diagnostic(
              'error',
              C.OutOfRange,
              v.span,
              `The vCPU range ${v.from.text}..${v.to.text} must go up, from 0 to 4095.`,
              'Write the first and the last vCPU id.',
            ),
          );
          return undefined;
        }
        for (let i = from; i <= to; i++) ids.push(i);
      } else if (v.kind === 'list') {
        if (!v.items.every(one)) return undefined;
      } else if (!one(v)) return undefined;
      return { type: 'vcpus', value: ids, node: v };
    }
  }
}

function fits(v: Value, arg: ArgSpec): boolean {
  // A swept value fits where its first element would.
  if (v.kind === 'list' && v.items.length > 0) return fits(v.items[0], arg);
  if (v.kind === 'range' && arg.type === 'quantity') return fits(v.from, arg);
  switch (arg.type) {
    case 'quantity':
      return v.kind === 'quantity';
    case 'enum':
      return v.kind === 'word' && arg.values.includes(v.text);
    default:
      return true;
  }
}

/** Match a property's arguments to its spec: positional ones, then `key value` pairs. */
export function bindProperty(
  prop: Property,
  key: string,
  spec: FieldSpec,
  diags: Diagnostic[],
  siblings: readonly string[] = [],
  block?: BlockKind,
): BoundProperty | undefined {
  /** One argument: a single value, or a list or a range that sweeps it. */
  const bindArg = (v: Value, arg: ArgSpec, argKey: string, index: number | string) => {
    if (v.kind !== 'list' && v.kind !== 'range') return bindValue(v, arg, argKey, diags);
    if (arg.type === 'quantity' || arg.type === 'enum') {
      if (isSweepable(spec, arg))
        return bindSweep(v, arg, argKey, sweepColumn(key, arg, index), diags);
    } else if (!v.vary && (arg.type === 'vcpus' || (arg.type === 'range' && v.kind === 'range'))) {
      return bindValue(v, arg, argKey, diags);
    }
    const can = block === undefined ? [] : sweepableFields(block);
    const what = v.vary ? '`vary`' : 'a list or a range';
    diags.push(
      diagnostic(
        'error',
        C.NotSweepable,
        v.span,
        `'${argKey}' takes ${arg.label}, which cannot ${v.vary ? 'vary' : 'be swept'}: ${what} may stand only for a number or a word of a fixed set.`,
        can.length
          ? `Write one value. In a ${block} block these fields take ${what}: ${can.join(', ')}.`
          : 'Write one value.',
      ),
    );
    return undefined;
  };
  const bare = varyWithoutBounds(prop, spec);
  if (bare) {
    diags.push(
      diagnostic(
        'error',
        C.VaryWithoutBounds,
        bare.span,
        `\`vary\` needs bounds to pick from: a range or a list, not one value.`,
        `Write \`${key} vary A..B step S\` or \`${key} vary [A, B]\`, e.g. \`rate vary 10k/s..40k/s step 10k/s\`.`,
      ),
    );
    return undefined;
  }
  const before = diags.length;
  const args: (Bound | undefined)[] = [];
  const keys: Record<string, Bound> = {};
  const keySpecs = spec.keys ?? {};
  let i = 0;
  for (const arg of spec.args) {
    const v = prop.args[i];
    const startsKey = v?.kind === 'word' && v.text in keySpecs;
    if (!v || startsKey || (arg.optional && !fits(v, arg))) {
      if (!arg.optional) {
        const at = v
          ? v.span
          : {
              ...prop.span,
              column: prop.key.span.column + prop.key.span.length,
              offset: prop.key.span.offset + prop.key.span.length,
              length: 1,
            };
        diags.push(
          diagnostic(
            'error',
            C.MissingArgument,
            v ? v.span : { ...at, line: prop.key.span.line },
            `'${key}' needs ${arg.label}.`,
            `Write it as: ${spec.doc}`,
          ),
        );
      }
      args.push(undefined);
      continue;
    }
    args.push(bindArg(v, arg, key, args.length));
    i++;
  }
  while (i < prop.args.length) {
    const v = prop.args[i++];
    const sub = v.kind === 'word' ? keySpecs[v.text] : undefined;
    if (v.kind === 'word' && sub === undefined && siblings.includes(v.text)) {
      diags.push(
        diagnostic(
          'error',
          C.UnexpectedArgument,
          v.span,
          `'${v.text}' starts a new field but follows '${key}' on the same line.`,
          `Separate fields with a comma or a newline: '${key} ..., ${v.text} ...'.`,
        ),
      );
      break;
    }
    if (v.kind !== 'word' || sub === undefined) {
      const names = Object.keys(keySpecs);
      const more = v.kind === 'word' && names.length > 0 ? didYouMean(v.text, names) : '';
      diags.push(
        diagnostic(
          'error',
          C.UnexpectedArgument,
          v.span,
          `'${key}' does not take ${describeValue(v)} here.${more}`,
          names.length
            ? `After its arguments '${key}' takes ${oneOf(names)}.`
            : `Write it as: ${spec.doc}`,
        ),
      );
      break;
    }
    if (v.text in keys) {
      diags.push(
        diagnostic(
          'error',
          C.DuplicateField,
          v.span,
          `'${v.text}' is given twice in '${key}'.`,
          'Keep one.',
        ),
      );
    }
    if (sub === 'flag') {
      keys[v.text] = { type: 'flag', node: v };
      continue;
    }
    const next = prop.args[i];
    if (!next || (next.kind === 'word' && next.text in keySpecs)) {
      diags.push(
        diagnostic(
          'error',
          C.MissingArgument,
          v.span,
          `'${v.text}' needs ${sub.label}.`,
          `Write it as: ${spec.doc}`,
        ),
      );
      continue;
    }
    i++;
    const b = bindArg(next, sub, v.text, v.text);
    if (b) keys[v.text] = b;
  }
  for (const k of spec.requiredKeys ?? []) {
    if (!(k in keys) && diags.length === before) {
      diags.push(
        diagnostic(
          'error',
          C.MissingArgument,
          prop.span,
          `'${key}' needs '${k}'.`,
          `Write it as: ${spec.doc}`,
        ),
      );
    }
  }
  let body: BoundProperty[] | undefined;
  if (spec.body) {
    // The first word names the variant: `workload hotset`, `phase 10s hotset`.
    const first = args.find((a) => a?.type === 'word');
    const kind = first?.type === 'word' ? first.text : undefined;
    body = prop.body ? checkBlock(prop.body, spec.body, diags, kind) : [];
  } else if (prop.body) {
    diags.push(
      diagnostic(
        'error',
        C.UnexpectedArgument,
        prop.body.span,
        `'${key}' does not take a { ... } block.`,
        `Write it as: ${spec.doc}`,
      ),
    );
  }
  return diags.length === before ? { key, prop, spec, args, keys, body } : undefined;
}

/**
 * Check every property of a block against the field table of `kind`: unknown and
 * repeated fields, and each field's arguments. Returns the properties that bound.
 * `variant` is the workload kind, for fields that apply to some kinds only.
 */
export function checkBlock(
  block: Block,
  kind: BlockKind,
  diags: Diagnostic[],
  variant?: string,
): BoundProperty[] {
  const table = FIELDS[kind];
  const seen = new Map<string, Span>();
  const out: BoundProperty[] = [];
  for (const prop of block.properties) {
    const key = kind === 'costs' ? snakeCase(prop.key.text) : prop.key.text;
    const spec = table[key];
    if (!spec) {
      diags.push(
        diagnostic(
          'error',
          C.UnknownField,
          prop.key.span,
          `Unknown ${kind} field '${prop.key.text}'.${didYouMean(key, Object.keys(table))}`,
          `A ${kind} block takes ${oneOf(Object.keys(table))}.`,
        ),
      );
      continue;
    }
    if (spec.appliesTo && variant && !spec.appliesTo.includes(variant)) {
      diags.push(
        diagnostic(
          'error',
          C.InapplicableField,
          prop.key.span,
          `'${key}' does not apply to a ${variant} workload.`,
          `'${key}' applies to ${oneOf(spec.appliesTo)}.`,
        ),
      );
      continue;
    }
    const first = seen.get(key);
    if (first && !spec.repeatable) {
      diags.push(
        diagnostic(
          'error',
          C.DuplicateField,
          prop.key.span,
          `'${key}' is set twice (first on line ${first.line}).`,
          'Keep one of them.',
        ),
      );
      continue;
    }
    seen.set(key, prop.key.span);
    const bound = bindProperty(prop, key, spec, diags, Object.keys(table), kind);
    if (bound) out.push(bound);
  }
  return out;
}

/** What an element of a list is, for "this list mixes ...": a dimension, or the word kind. */
function elementKind(v: Value): string {
  if (v.kind === 'quantity') {
    const q = v.quantity;
    // A bare 0 is zero in every dimension.
    return q === undefined || (q.dim === 'count' && q.num === 0n) ? '' : q.dim;
  }
  return v.kind;
}

/** "a bandwidth (10Gbit/s)", "the word 'ring'". */
function describeElement(v: Value): string {
  return v.kind === 'quantity' && v.quantity
    ? `${describeDimension(v.quantity.dim)} (${v.text})`
    : describeValue(v);
}

/** The column's kind of values: a quantity's dimension, on/off, or a word of a set. */
function axisDim(arg: QuantityArg | EnumArg): Axis['dim'] {
  if (arg.type === 'quantity') return arg.dim;
  return arg.values.length === 2 && arg.values.includes('on') && arg.values.includes('off')
    ? 'flag'
    : 'enum';
}

/**
 * A list or a range where `arg` takes one value: every element bound as that value
 * would be (errors point at the element; a range's values at the range), in the axis
 * unit. Undefined after reporting when any element, or the range itself, is bad.
 */
export function bindSweep(
  v: ListValue | RangeValue,
  arg: QuantityArg | EnumArg,
  key: string,
  column: string,
  diags: Diagnostic[],
): Bound | undefined {
  const dim = axisDim(arg);
  const values = v.kind === 'list' ? listValues(v, arg, key, dim, diags) : undefined;
  const swept = v.kind === 'list' ? values : rangeOf(v, arg, key, diags);
  if (swept === undefined) return undefined;
  const vary = v.vary === undefined ? {} : { vary: v.vary };
  return { type: 'sweep', sweep: { column, dim, ...swept, span: v.span, ...vary }, node: v };
}

/**
 * The word `vary` where the parser did not take it as the start of bounds (it was not
 * followed by a range or a list), unless it stands where a name does (`slot vary ...`).
 */
function varyWithoutBounds(prop: Property, spec: FieldSpec): Value | undefined {
  return prop.args.find((v, i) => {
    if (v.kind !== 'word' || v.text !== VARY_WORD) return false;
    const arg = spec.args[i];
    return i > 0 || arg === undefined || arg.type === 'quantity' || arg.type === 'enum';
  });
}

type Swept = Pick<SweptField, 'unit' | 'values'>;

function paramOf(b: Bound, unit: string | undefined, dim: Axis['dim']): ParamValue {
  if (b.type === 'quantity') return inUnit(b.q, unit);
  if (b.type === 'word') return dim === 'flag' ? b.text === 'on' : b.text;
  return null;
}

function listValues(
  v: ListValue,
  arg: QuantityArg | EnumArg,
  key: string,
  dim: Axis['dim'],
  diags: Diagnostic[],
): Swept | undefined {
  const nested = v.items.find((x) => (x.kind === 'list' || x.kind === 'range') && x.vary);
  if (nested && (nested.kind === 'list' || nested.kind === 'range') && nested.vary) {
    diags.push(
      diagnostic(
        'error',
        C.MisplacedVary,
        nested.vary,
        `\`vary\` inside a list: it stands for a field's whole value, not for one item.`,
        `Put it before the list: \`${key} vary [...]\` picks one item per variant.`,
      ),
    );
    return undefined;
  }
  if (v.items.length === 0) {
    diags.push(
      diagnostic(
        'error',
        C.EmptyRange,
        v.span,
        `The list for '${key}' is empty.`,
        `Give at least one value: [${arg.type === 'quantity' ? DIMENSION_EXAMPLE[arg.dim] : arg.values[0]}].`,
      ),
    );
    return undefined;
  }
  const kinds = v.items.map(elementKind);
  const first = kinds.findIndex((k) => k !== '');
  const other = kinds.findIndex((k) => k !== '' && k !== kinds[first]);
  if (first >= 0 && other >= 0) {
    diags.push(
      diagnostic(
        'error',
        C.MixedUnits,
        v.items[other].span,
        `This list mixes ${describeElement(v.items[first])} and ${describeElement(v.items[other])}, which do not convert into each other.`,
        `Give every value of '${key}' as ${arg.type === 'quantity' ? `${describeDimension(arg.dim)} like ${DIMENSION_EXAMPLE[arg.dim]}` : `one of ${oneOf(arg.values)}`}.`,
      ),
    );
    return undefined;
  }
  const bounds: Bound[] = [];
  let ok = true;
  for (const item of v.items) {
    const b = bindValue(item, arg, key, diags);
    if (b === undefined) ok = false;
    else bounds.push(b);
  }
  if (!ok) return undefined;
  for (let i = 1; i < bounds.length; i++) {
    const twin = bounds.findIndex((b, j) => j < i && sameValue(b, bounds[i]));
    if (twin < 0) continue;
    const [a, b] = [v.items[twin], v.items[i]];
    const text = (x: Value): string => (x.kind === 'word' || x.kind === 'quantity' ? x.text : '');
    diags.push(
      diagnostic(
        'error',
        C.DuplicateValue,
        b.span,
        text(a) === text(b)
          ? `'${text(b)}' is listed twice for '${key}'.`
          : `'${text(b)}' is '${text(a)}' again: '${key}' lists the same value twice.`,
        'Keep one: each value runs once.',
      ),
    );
    return undefined;
  }
  const unit =
    arg.type === 'quantity'
      ? axisUnit(
          arg.dim,
          v.items.map((x) => (x.kind === 'quantity' ? unitOf(x.text) : '')),
        )
      : undefined;
  return {
    ...(unit === undefined ? {} : { unit }),
    values: bounds.map((b, i) => {
      const item = v.items[i];
      return {
        bound: b,
        text: item.kind === 'quantity' || item.kind === 'word' ? item.text : '',
        param: paramOf(b, unit, dim),
        ...(b.type === 'quantity' ? { q: b.q } : {}),
      };
    }),
  };
}

function sameValue(a: Bound, b: Bound): boolean {
  if (a.type === 'quantity' && b.type === 'quantity') return compare(a.q, b.q) === 0;
  return a.type === 'word' && b.type === 'word' && a.text === b.text;
}

/** The quantity at one end of a range, or its step, checked for the field's dimension. */
function rangePart(
  v: Value,
  arg: QuantityArg,
  key: string,
  diags: Diagnostic[],
): Quantity | undefined {
  const b = bindQuantity(v, { type: 'quantity', dim: arg.dim, label: arg.label }, key, diags);
  return b?.type === 'quantity' ? b.q : undefined;
}

function rangeOf(
  v: RangeValue,
  arg: QuantityArg | EnumArg,
  key: string,
  diags: Diagnostic[],
): Swept | undefined {
  const written = `${v.from.text}..${v.to.text}`;
  if (arg.type === 'enum') {
    diags.push(
      diagnostic(
        'error',
        C.BadStep,
        v.span,
        `'${key}' takes a word, and words have no range: ${written} has no values between its ends.`,
        `List the words instead: [${arg.values.slice(0, 2).join(', ')}].`,
      ),
    );
    return undefined;
  }
  const from = rangePart(v.from, arg, key, diags);
  const to = rangePart(v.to, arg, key, diags);
  const step = v.step && rangePart(v.step, arg, key, diags);
  if (from === undefined || to === undefined || (v.step && step === undefined)) return undefined;
  const example = DIMENSION_EXAMPLE[arg.dim];
  const bad = (span: Span, message: string, hint: string): undefined => {
    diags.push(diagnostic('error', C.BadStep, span, message, hint));
    return undefined;
  };
  let stepping: RangeStepping;
  if (v.step && v.factor) {
    return bad(
      v.factor.span,
      `The range ${written} has both a step and a factor.`,
      `Keep one: \`step ${v.step.text}\` adds, \`${v.factor.text}\` multiplies.`,
    );
  } else if (v.factor) {
    const factor = BigInt(v.factor.text.slice(1).replace(/_/g, ''));
    if (factor <= 1n)
      return bad(
        v.factor.span,
        `The factor ${v.factor.text} of ${written} must be above 1, or the range never grows.`,
        `Use x2 or more: \`${written} x2\`.`,
      );
    stepping = { factor };
  } else if (step !== undefined) {
    stepping = { step };
  } else if (arg.dim === 'count') {
    stepping = { step: { dim: 'count', num: 1n, den: 1n } };
  } else {
    return bad(
      v.span,
      `The range ${written} needs a step: ${describeDimension(arg.dim)} has no next value of its own.`,
      `Write \`${written} step ${v.from.text}\`, or \`${written} x2\` for a geometric range.`,
    );
  }
  const values = rangeValues(from, to, stepping);
  if (!Array.isArray(values)) {
    switch (values.kind) {
      case 'empty':
        diags.push(
          diagnostic(
            'error',
            C.EmptyRange,
            v.span,
            `The range ${written} is empty: it starts above its end.`,
            `Put the smaller value first: ${v.to.text}..${v.from.text}.`,
          ),
        );
        return undefined;
      case 'zero-step':
        return bad(
          v.step?.span ?? v.span,
          `The step ${v.step?.text ?? '0'} of ${written} is zero, so the range never reaches its end.`,
          `Use a step above zero, like \`step ${arg.dim === 'count' ? '1' : example}\`.`,
        );
      case 'zero-start':
        return bad(
          v.span,
          `The geometric range ${written} starts at 0, and 0 times ${v.factor?.text.slice(1)} stays 0.`,
          'Start a geometric range above zero, or use `step`.',
        );
      case 'too-many':
        diags.push(
          diagnostic(
            'error',
            C.TooManyPlans,
            v.span,
            `The range ${written} has ${values.count} values; an experiment runs at most ${MAX_RANGE_VALUES.toLocaleString('en-US')} plans.`,
            'Use a larger step, or a geometric range (`x2`).',
          ),
        );
        return undefined;
    }
  }
  const unit = axisUnit(
    arg.dim,
    [v.from, v.to, ...(v.step ? [v.step] : [])].map((x) => unitOf(x.text)),
  );
  const out: SweptValue[] = [];
  for (const q of values) {
    const param = inUnit(q, unit);
    const text = formatInUnit(param, arg.dim === 'count' ? undefined : unit);
    // Each value is checked as if written alone; the first bad one is reported, at the range.
    const found: Diagnostic[] = [];
    const b = bindValue({ kind: 'quantity', text, quantity: q, span: v.span }, arg, key, found);
    if (b === undefined) {
      for (const d of found.slice(0, 1))
        diags.push({ ...d, message: `${d.message.replace(/\.$/, '')} (a value of ${written}).` });
      return undefined;
    }
    out.push({ bound: b, text, param, q });
  }
  return { ...(unit === undefined ? {} : { unit }), values: out };
}

/**
 * Binding: each property of a block matched to its field in the schema (schema.ts),
 * which is where units, ranges, enumerated words, unknown and repeated fields are
 * checked, so lowering (lower.ts) can trust what it gets. Problems are diagnostics;
 * nothing here throws on bad input.
 */
import type { Block, Property, Span, Value } from '../ast.ts';
import { DiagnosticCode as C, diagnostic, didYouMean, oneOf } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { FIELDS, snakeCase } from '../schema.ts';
import type { ArgSpec, BlockKind, FieldSpec } from '../schema.ts';
import type { Quantity } from '../units.ts';
import { DIMENSION_EXAMPLE, describeDimension, isWhole, toNumber } from '../units.ts';

/** A checked argument. Quantities keep their exact value and their JS number. */
export type Bound =
  | { type: 'quantity'; q: Quantity; n: number; node: Value }
  | { type: 'word'; text: string; node: Value }
  | { type: 'string'; text: string; node: Value }
  | { type: 'range'; from: number; to: number; node: Value }
  | { type: 'vcpus'; value: 'all' | number[]; node: Value }
  | { type: 'flag'; node: Value };

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

/** Check one quantity against its spec: unit, wholeness, range. */
function bindQuantity(
  v: Value,
  arg: ArgSpec & { type: 'quantity' },
  key: string,
  diags: Diagnostic[],
): Bound | undefined {
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
    diags.push(
      diagnostic(
        'error',
        C.NotWhole,
        v.span,
        `${v.text} is not a whole number of ${unit}.`,
        'Use a smaller unit or a whole number.',
      ),
    );
    return undefined;
  }
  const n = toNumber(q);
  const tooLow = arg.min !== undefined && n < arg.min;
  const tooHigh = arg.max !== undefined && n > arg.max;
  if (tooLow || tooHigh) {
    const range =
      arg.max === undefined
        ? `at least ${formatLimit(arg.min ?? 0, arg)}`
        : `between ${formatLimit(arg.min ?? 0, arg)} and ${formatLimit(arg.max, arg)}`;
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
): BoundProperty | undefined {
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
    args.push(bindValue(v, arg, key, diags));
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
    const b = bindValue(next, sub, v.text, diags);
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
    const bound = bindProperty(prop, key, spec, diags, Object.keys(table));
    if (bound) out.push(bound);
  }
  return out;
}

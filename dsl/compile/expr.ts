/**
 * Expressions (`let`, `where`, `expect`): an ExprNode as written, checked against the
 * columns it can name and compiled to an Expr (experiment-types.ts) with its type and
 * unit. The checks happen here, before anything runs: an unknown column (with "did you
 * mean"), arithmetic on text, a comparison of text with a number, a condition that is
 * not true/false, a call of an unknown function or with the wrong number of arguments,
 * and units: a number with a unit (`300ms`, `10Gbit/s`) is converted to the unit of the
 * column it is compared or combined with, two columns in different units of one
 * dimension (`total_ms` and `time_s`) are brought to the first's unit, and a product or
 * quotient has the unit its quantities give it (`transferred_bytes / 1MiB` is a plain
 * number of MiB, `stall_fast_fault_ms / pf_fast` is in ms).
 */
import { suffixForUnit, unitFromName } from '../../engine/results.ts';
import type { ColumnInfo, ColumnType } from '../../engine/results.ts';
import type { ExprNode, Span } from '../ast.ts';
import { DiagnosticCode as C, diagnostic, didYouMean, oneOf } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { describeDimension, parseQuantity, toNumber, unknownUnit } from '../units.ts';
import type { Dimension } from '../units.ts';
import { EXPR_FUNCTIONS } from './experiment-types.ts';
import type { BinaryOp, Expr, ExprFunction } from './experiment-types.ts';

/**
 * " Did you mean 'x'?" for an unknown column, or '': a likely typo, else the column that
 * is the word with a unit suffix (`downtime` for `downtime_ms`, the shortest such).
 */
export function columnDidYouMean(word: string, names: Iterable<string>): string {
  const all = [...names];
  const typo = didYouMean(word, all);
  if (typo !== '') return typo;
  const withUnit = all
    .filter((n) => {
      const unit = n.startsWith(`${word}_`) ? unitFromName(n) : undefined;
      return unit !== undefined && suffixForUnit(unit) === n.slice(word.length);
    })
    .sort((a, b) => a.length - b.length)[0];
  return withUnit === undefined ? '' : ` Did you mean '${withUnit}'?`;
}

/** The names an expression may use: columns of a table, axes, lets. */
export interface ExprNames {
  /** A column (or let) by name. */
  lookup(name: string): ColumnInfo | undefined;
  /** Every name, for "did you mean". */
  names(): Iterable<string>;
  /** True for a name whose definition has an error already reported: nothing more is said. */
  broken?(name: string): boolean;
  /** Why a name that is not here is not (a let over another table's columns), if known. */
  why?(name: string): string | undefined;
  /** Where the names come from, for messages: "the summary table". */
  place: string;
  /** The hint of an unknown name, when the usual one (a column, an axis or a let) is not right. */
  hint?: string;
}

/** What an expression yields: a number (in `unit`, when known), text or true/false. */
export interface ExprType {
  type: ColumnType;
  unit?: string;
}

export interface TypedExpr extends ExprType {
  expr: Expr;
  /**
   * Multiplied or divided by a plain number (`rss_bytes / 1048576`): a `let` named in
   * another unit of the dimension (`host_rss_mib`) takes it as converted by hand.
   */
  scaled?: boolean;
}

/** How each type is named in messages. */
const TYPE_NOUN: Readonly<Record<ColumnType, string>> = {
  number: 'a number',
  text: 'text',
  boolean: 'true or false',
};

/**
 * How a value of each type is named where values meet (`=`, `+`, if()'s branches): a
 * flag or a condition as the words the language writes it with.
 */
const VALUE_NOUN: Readonly<Record<ColumnType, string>> = { ...TYPE_NOUN, boolean: 'on or off' };

/**
 * A unit's dimension and size in the base unit of that dimension (units.ts): `ms` is a
 * time of 1e6 ns. Undefined for units that are counts of something (`pages`).
 */
export function unitScale(unit: string): { dim: Dimension; factor: number } | undefined {
  const spelt = UNIT_SPELLING[unit] ?? unit;
  const q = parseQuantity(`1${spelt}`);
  if (!q || q.dim === 'count') return undefined;
  return { dim: q.dim, factor: toNumber(q) };
}

/** A column of each dimension, for the examples of hints. */
const EXAMPLE_COLUMN: Readonly<Record<Dimension, string>> = {
  time: 'downtime_ms',
  size: 'transferred_bytes',
  bandwidth: 'mbps',
  rate: 'dirty_rate_pps',
  percent: 'throttle_pct',
  count: 'pages_sent',
};

/** The dimension of a number's unit, when it has one that converts (not a count such as `pages`). */
function dimensionOf(t: ExprType): Dimension | undefined {
  return t.type === 'number' && t.unit !== undefined ? unitScale(t.unit)?.dim : undefined;
}

/** A number with no column in it (`1000`, `8 * 1024`): it scales what it multiplies. */
function isConstant(n: ExprNode): boolean {
  switch (n.kind) {
    case 'quantity':
      return true;
    case 'paren':
      return isConstant(n.inner);
    case 'unary':
      return isConstant(n.arg);
    case 'binary':
      return isConstant(n.left) && isConstant(n.right);
    case 'call':
      return n.args.every(isConstant);
    default:
      return false;
  }
}

/** Column units (engine/results.ts) that a literal spells differently. */
const UNIT_SPELLING: Readonly<Record<string, string>> = { bytes: 'B', '1/s': '/s' };

/** The unit of a number literal as written (`ms` of `300ms`), or '' for a plain number. */
function literalUnit(text: string): string {
  return /^(?:0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9][0-9_]*)?)\s*(.*)$/.exec(text)?.[1] ?? '';
}

/** The unit and scaled marks of a number, for spreading into a TypedExpr. */
function unitOf(unit: string | undefined, scaled: boolean): { unit?: string; scaled?: true } {
  if (unit === undefined) return {};
  return scaled ? { unit, scaled: true } : { unit };
}

/** How many arguments each function takes: [least, most]. */
function arity(fn: ExprFunction): [number, number] {
  if (fn === 'if') return [3, 3];
  if (fn === 'min' || fn === 'max') return [2, Infinity];
  return [1, 1];
}

/** Functions whose result is in the unit of their (first) argument. */
const KEEPS_UNIT: ReadonlySet<ExprFunction> = new Set([
  'min',
  'max',
  'abs',
  'round',
  'floor',
  'ceil',
]);

/**
 * Compile an expression, or undefined after reporting what is wrong. `want` is the type
 * the place needs (`boolean` for a condition); `unit` the unit a lone number with a unit
 * is converted to (a `let`'s, from its name).
 */
export function compileExpr(
  node: ExprNode,
  names: ExprNames,
  diags: Diagnostic[],
  want?: { type?: ColumnType; unit?: string; what: string },
): TypedExpr | undefined {
  const c = new ExprCompiler(names, diags);
  const out = c.compile(
    node,
    want?.unit === undefined ? undefined : { type: 'number', unit: want.unit },
  );
  if (!out || want?.type === undefined || out.type === want.type) return out;
  diags.push(
    diagnostic(
      'error',
      C.TypeMismatch,
      node.span,
      `${want.what} must be ${TYPE_NOUN[want.type]}; this is ${TYPE_NOUN[out.type]}.`,
      want.type === 'boolean'
        ? 'Write a comparison, e.g. `downtime_ms > 300ms` or `status = completed`.'
        : `Write an expression that gives ${TYPE_NOUN[want.type]}.`,
    ),
  );
  return undefined;
}

class ExprCompiler {
  constructor(
    private readonly names: ExprNames,
    private readonly diags: Diagnostic[],
  ) {}

  /** `peer`: the type of what this node is compared or combined with, when known. */
  compile(n: ExprNode, peer?: ExprType): TypedExpr | undefined {
    switch (n.kind) {
      case 'quantity':
        return this.number(n.text, n.span, peer);
      case 'string':
        return { type: 'text', expr: { kind: 'text', value: n.text, span: n.span } };
      case 'word':
        return this.word(n.text, n.span, peer);
      case 'paren':
        return this.compile(n.inner, peer);
      case 'unary':
        return this.unary(n.op, n.arg, n.span, peer);
      case 'binary':
        return this.binary(n.op, n.left, n.right, n.span, peer);
      case 'call':
        return this.call(n.fn.text, n.fn.span, n.args, n.span, peer);
    }
  }

  private error(
    code: (typeof C)[keyof typeof C],
    span: Span,
    message: string,
    hint: string,
  ): undefined {
    this.diags.push(diagnostic('error', code, span, message, hint));
    return undefined;
  }

  /** A number literal, converted to its peer's unit when it has one. */
  private number(text: string, span: Span, peer: ExprType | undefined): TypedExpr | undefined {
    const q = parseQuantity(text);
    if (!q) {
      if (text === '') return undefined; // left out by recovery: a syntax error says so
      const peerDim = peer?.type === 'number' && peer.unit ? unitScale(peer.unit)?.dim : undefined;
      const unknown = unknownUnit(text, peerDim);
      if (unknown) return this.error(C.UnknownUnit, span, unknown.message, unknown.hint);
      return this.error(
        C.WrongUnit,
        span,
        `'${text}' is not a number with a known unit.`,
        'Write a number such as 300, 300ms or 10Gbit/s.',
      );
    }
    const unit = literalUnit(text);
    if (q.dim === 'count')
      return { type: 'number', expr: { kind: 'number', value: toNumber(q), span } };
    const target = peer?.type === 'number' ? peer.unit : undefined;
    const scale = target === undefined ? undefined : unitScale(target);
    if (target === undefined)
      return this.error(
        C.WrongUnit,
        span,
        `'${text}' has a unit, but nothing here says which unit to convert it to.`,
        `Compare it with, or divide, a column of ${describeDimension(q.dim)} (\`${EXAMPLE_COLUMN[q.dim]} > ${text}\`, \`${EXAMPLE_COLUMN[q.dim]} / ${text}\`), or write a plain number.`,
      );
    if (!scale || scale.dim !== q.dim)
      return this.error(
        C.WrongUnit,
        span,
        `'${text}' is ${describeDimension(q.dim)}, but it meets a number in ${target}.`,
        scale
          ? `Write ${describeDimension(scale.dim)} (in ${target} or another unit of it).`
          : `Write a plain number (of ${target}).`,
      );
    return {
      type: 'number',
      unit: target,
      expr: { kind: 'number', value: toNumber(q) / scale.factor, unit, span },
    };
  }

  /** A column or let; `on`/`off`; or a text value when compared with text. */
  private word(text: string, span: Span, peer: ExprType | undefined): TypedExpr | undefined {
    if (text === '') return undefined; // left out by recovery: a syntax error says so
    const col = this.names.lookup(text);
    if (col)
      return {
        type: col.type,
        ...(col.unit === undefined ? {} : { unit: col.unit }),
        expr: { kind: 'column', name: text, span },
      };
    if (this.names.broken?.(text)) return undefined;
    if (text === 'on' || text === 'off')
      return { type: 'boolean', expr: { kind: 'boolean', value: text === 'on', span } };
    // Tables show flags and conditions as on/off; `true` is a habit from elsewhere.
    if ((text === 'true' || text === 'false') && peer?.type !== 'text')
      return this.error(
        C.UnknownColumn,
        span,
        `'${text}' names no column here, and flags and conditions are written on and off.`,
        `Write \`${text === 'true' ? 'on' : 'off'}\`, as tables show them (\`where pml = on\`).`,
      );
    if (peer?.type === 'text') return { type: 'text', expr: { kind: 'text', value: text, span } };
    return this.error(
      C.UnknownColumn,
      span,
      `Unknown column '${text}' in ${this.names.place}.${this.names.why?.(text) ?? columnDidYouMean(text, this.names.names())}`,
      this.names.hint ??
        `Name a column of ${this.names.place}, an axis or a \`let\`; a text value goes in quotes ("${text}") or after \`=\` with a text column.`,
    );
  }

  private unary(
    op: '-' | 'not',
    arg: ExprNode,
    span: Span,
    peer: ExprType | undefined,
  ): TypedExpr | undefined {
    const a = this.compile(arg, op === '-' ? peer : undefined);
    if (!a) return undefined;
    const want: ColumnType = op === '-' ? 'number' : 'boolean';
    if (!this.is(a, want, arg.span, `\`${op}\``)) return undefined;
    return { ...a, expr: { kind: 'unary', op, arg: a.expr, span } };
  }

  /** True when `a` has type `want`; else reports it. */
  private is(a: TypedExpr, want: ColumnType, span: Span, op: string): boolean {
    if (a.type === want) return true;
    this.error(
      C.TypeMismatch,
      span,
      `${op} takes ${TYPE_NOUN[want]}; this is ${TYPE_NOUN[a.type]}.`,
      want === 'boolean'
        ? 'Write a comparison, e.g. `downtime_ms > 300ms`.'
        : 'Use a number column, or compare text with `=` or `!=`.',
    );
    return false;
  }

  private binary(
    op: BinaryOp,
    left: ExprNode,
    right: ExprNode,
    span: Span,
    peer: ExprType | undefined,
  ): TypedExpr | undefined {
    if (op === 'and' || op === 'or') {
      const l = this.compile(left);
      const r = this.compile(right);
      if (!l || !r) return undefined;
      if (!this.is(l, 'boolean', left.span, `\`${op}\``)) return undefined;
      if (!this.is(r, 'boolean', right.span, `\`${op}\``)) return undefined;
      return { type: 'boolean', expr: { kind: 'binary', op, left: l.expr, right: r.expr, span } };
    }
    if (op === '*' || op === '/' || op === '%') return this.product(op, left, right, span);
    const pair = this.pair(left, right, op === '+' || op === '-' ? peer : undefined);
    if (!pair) return undefined;
    const [l, r] = pair;
    const comparing = op !== '+' && op !== '-';
    if (l.type !== r.type) {
      if (comparing) {
        if (this.wordForText(left, l, right, r) || this.wordForText(right, r, left, l))
          return undefined;
      }
      return this.error(
        C.TypeMismatch,
        span,
        `Cannot ${comparing ? 'compare' : 'combine'} ${VALUE_NOUN[l.type]} with ${VALUE_NOUN[r.type]}.`,
        l.type === 'boolean' || r.type === 'boolean'
          ? 'Compare on or off with a flag or a condition (`pml = on`), numbers with numbers and text with text.'
          : 'Compare numbers with numbers and text with text ("completed", or a bare word).',
      );
    }
    if (!comparing && !this.is(l, 'number', left.span, `\`${op}\``)) return undefined;
    if (l.type !== 'number' && op !== '=' && op !== '!=')
      return this.error(
        C.TypeMismatch,
        span,
        `\`${op}\` orders numbers; ${VALUE_NOUN[l.type]} can only be compared with \`=\` or \`!=\`.`,
        'Use `=` or `!=`.',
      );
    const [le, re, unit] = this.sameUnit(l, r, span, comparing ? 'compare' : 'combine');
    if (le === undefined) return undefined;
    const expr: Expr = { kind: 'binary', op, left: le, right: re, span };
    if (comparing) return { type: 'boolean', expr };
    return { type: 'number', ...unitOf(unit, l.scaled === true || r.scaled === true), expr };
  }

  /**
   * `*`, `/`, `%`, with the unit its quantities give: a plain number or a column without
   * a unit scales a quantity and keeps its unit (`downtime_ms * 2`, `stall_fast_fault_ms
   * / pf_fast` are in ms); two quantities of one dimension divide to a plain number, the
   * second in the first's unit (`transferred_bytes / 1MiB` counts MiB, `downtime_ms /
   * total_s` is a fraction); a number with a unit times a plain one is in that unit
   * (`pages_sent * 4KiB` is in KiB). Other products and quotients have no unit.
   */
  private product(
    op: '*' | '/' | '%',
    left: ExprNode,
    right: ExprNode,
    span: Span,
  ): TypedExpr | undefined {
    // A number with a unit is compiled after the other side, to be converted to its unit.
    const leftLoose = this.unitLiteral(left) && !this.unitLiteral(right);
    const first = this.compile(leftLoose ? right : left);
    const firstNode = leftLoose ? right : left;
    const secondNode = leftLoose ? left : right;
    if (!first) {
      if (!this.unitLiteral(secondNode)) this.compile(secondNode);
      return undefined;
    }
    const second =
      this.unitLiteral(secondNode) && dimensionOf(first) === undefined && op === '*'
        ? this.asWritten(secondNode)
        : this.compile(secondNode, this.unitLiteral(secondNode) ? first : undefined);
    if (!second) return undefined;
    if (!this.is(first, 'number', firstNode.span, `\`${op}\``)) return undefined;
    if (!this.is(second, 'number', secondNode.span, `\`${op}\``)) return undefined;
    const [l, r] = leftLoose ? [second, first] : [first, second];
    let re = r.expr;
    let unit: string | undefined;
    const ld = dimensionOf(l);
    const rd = dimensionOf(r);
    if (r.unit === undefined || (rd === undefined && ld !== undefined)) {
      unit = l.unit; // scaled by a plain number or a count
    } else if (op === '*' && (l.unit === undefined || (ld === undefined && rd !== undefined))) {
      unit = r.unit;
    } else if (ld !== undefined && ld === rd) {
      // The same dimension: the second in the first's unit; a ratio, or `%`'s remainder.
      const [, scaledRe] = this.sameUnit(l, r, span, op === '/' ? 'divide' : 'combine');
      if (scaledRe === undefined) return undefined;
      re = scaledRe;
      unit = op === '%' ? l.unit : undefined;
    } else if (op !== '*' && l.unit === r.unit) {
      unit = op === '%' ? l.unit : undefined;
    }
    const scaled =
      (isConstant(left) && l.unit === undefined) ||
      (isConstant(right) && r.unit === undefined) ||
      l.scaled === true ||
      r.scaled === true;
    return {
      type: 'number',
      ...unitOf(unit, scaled),
      expr: { kind: 'binary', op, left: l.expr, right: re, span },
    };
  }

  /** A number with a unit as written (`300ms`, `-(4KiB)`), whose type depends on what it meets. */
  private unitLiteral(n: ExprNode): boolean {
    if (n.kind === 'paren') return this.unitLiteral(n.inner);
    if (n.kind === 'unary' && n.op === '-') return this.unitLiteral(n.arg);
    return (
      n.kind === 'quantity' && literalUnit(n.text) !== '' && parseQuantity(n.text) !== undefined
    );
  }

  /** A number with a unit in the unit it is written in (`4KiB` is 4 KiB), where nothing else gives one. */
  private asWritten(n: ExprNode): TypedExpr | undefined {
    if (n.kind === 'paren') return this.asWritten(n.inner);
    if (n.kind === 'unary') {
      const a = this.asWritten(n.arg);
      return a && { ...a, expr: { kind: 'unary', op: '-', arg: a.expr, span: n.span } };
    }
    if (n.kind !== 'quantity') return this.compile(n);
    const unit = literalUnit(n.text);
    const q = parseQuantity(n.text);
    const scale = unitScale(unit);
    if (!q || !scale) return this.compile(n);
    return this.number(n.text, n.span, { type: 'number', unit });
  }

  /**
   * `tracking = pml` where `pml` is also a column (or a let): the bare word reads as the
   * column, so text meets a flag. Says so, and how to write the text meant; true when it
   * did. `word`/`typed` is the side that may be such a word, `other`/`otherTyped` the other.
   */
  private wordForText(
    word: ExprNode,
    typed: TypedExpr,
    other: ExprNode,
    otherTyped: TypedExpr,
  ): boolean {
    if (word.kind !== 'word' || typed.expr.kind !== 'column' || otherTyped.type !== 'text')
      return false;
    const what = VALUE_NOUN[typed.type];
    const with_ = other.kind === 'word' ? other.text : 'the text';
    this.error(
      C.WordNamesColumn,
      word.span,
      `'${word.text}' here is the column ${word.text} (${what}), not the text "${word.text}": a bare word that names a column or a \`let\` reads as it.`,
      `Write "${word.text}" in quotes to compare ${with_} with the text ${word.text}.`,
    );
    return true;
  }

  /**
   * Two operands that meet (`+ - = < ...`, `if`'s branches): the one that can say its
   * type is compiled first, so a number with a unit or a bare word takes the other's.
   */
  private pair(
    left: ExprNode,
    right: ExprNode,
    peer: ExprType | undefined,
  ): [TypedExpr, TypedExpr] | undefined {
    const leftFirst = !this.loose(left) || this.loose(right);
    const [a, b] = leftFirst ? [left, right] : [right, left];
    const first = this.compile(a, peer);
    if (!first) {
      // The other side's own mistakes are reported too, but not that its type is unknown.
      if (!this.loose(b)) this.compile(b, peer);
      return undefined;
    }
    const second = this.compile(b, first);
    if (!second) return undefined;
    return leftFirst ? [first, second] : [second, first];
  }

  /** A node whose type depends on what it meets: a number with a unit, a word naming no column. */
  private loose(n: ExprNode): boolean {
    if (n.kind === 'paren') return this.loose(n.inner);
    if (n.kind === 'unary' && n.op === '-') return this.loose(n.arg);
    if (n.kind === 'quantity') return literalUnit(n.text) !== '';
    return n.kind === 'word' && this.names.lookup(n.text) === undefined;
  }

  /**
   * `r` in `l`'s unit: numbers in two units of one dimension are scaled (`time_s`
   * against `total_ms` is multiplied by 1000); two dimensions are an error.
   */
  private sameUnit(
    l: TypedExpr,
    r: TypedExpr,
    span: Span,
    verb: string,
  ): [Expr, Expr, string | undefined] | [undefined] {
    if (l.type !== 'number' || l.unit === undefined || r.unit === undefined || l.unit === r.unit)
      return [l.expr, r.expr, l.unit ?? r.unit];
    const ls = unitScale(l.unit);
    const rs = unitScale(r.unit);
    if (!ls || !rs || ls.dim !== rs.dim) {
      this.error(
        C.WrongUnit,
        span,
        `Cannot ${verb} a number in ${l.unit} with one in ${r.unit}.`,
        'Use columns of the same kind (two times, two sizes, ...).',
      );
      return [undefined];
    }
    const factor: Expr = { kind: 'number', value: rs.factor / ls.factor, span: r.expr.span };
    return [
      l.expr,
      { kind: 'binary', op: '*', left: r.expr, right: factor, span: r.expr.span },
      l.unit,
    ];
  }

  private call(
    name: string,
    nameSpan: Span,
    args: readonly ExprNode[],
    span: Span,
    peer: ExprType | undefined,
  ): TypedExpr | undefined {
    const fn = EXPR_FUNCTIONS.find((f) => f === name);
    if (fn === undefined) {
      for (const a of args) this.compile(a);
      return this.error(
        C.UnknownFunction,
        nameSpan,
        `Unknown function '${name}'.${didYouMean(name, EXPR_FUNCTIONS)}`,
        `The functions are ${oneOf(EXPR_FUNCTIONS)}.`,
      );
    }
    const [least, most] = arity(fn);
    if (args.length < least || args.length > most) {
      const count = least === most ? `${least}` : `at least ${least}`;
      return this.error(
        args.length < least ? C.MissingArgument : C.UnexpectedArgument,
        span,
        `${fn}() takes ${count} argument${least === 1 && most === 1 ? '' : 's'}; it has ${args.length}.`,
        fn === 'if'
          ? 'Write `if(condition, then, else)`.'
          : `Write \`${fn}(${'x, '.repeat(least - 1)}x)\`.`,
      );
    }
    if (fn === 'if') return this.ifCall(args, span, peer);
    const typed: TypedExpr[] = [];
    for (const [i, a] of args.entries()) {
      const t = this.compile(a, i === 0 ? (KEEPS_UNIT.has(fn) ? peer : undefined) : typed[0]);
      if (!t || !this.is(t, 'number', a.span, `${fn}()`)) return undefined;
      typed.push(t);
    }
    const exprs: Expr[] = [typed[0].expr];
    for (const t of typed.slice(1)) {
      const [, re] = this.sameUnit(typed[0], t, span, 'combine');
      if (re === undefined) return undefined;
      exprs.push(re);
    }
    const unit = KEEPS_UNIT.has(fn) ? typed[0].unit : undefined;
    return {
      type: 'number',
      ...unitOf(
        unit,
        typed.some((t) => t.scaled === true),
      ),
      expr: { kind: 'call', fn, args: exprs, span },
    };
  }

  /** `if(cond, a, b)`: a boolean condition, two branches of one type (and unit). */
  private ifCall(
    args: readonly ExprNode[],
    span: Span,
    peer: ExprType | undefined,
  ): TypedExpr | undefined {
    const cond = this.compile(args[0]);
    if (cond && !this.is(cond, 'boolean', args[0].span, 'The condition of if()')) return undefined;
    const pair = this.pair(args[1], args[2], peer);
    if (!cond || !pair) return undefined;
    const [a, b] = pair;
    if (a.type !== b.type)
      return this.error(
        C.TypeMismatch,
        span,
        `The two branches of if() differ: ${VALUE_NOUN[a.type]} and ${VALUE_NOUN[b.type]}.`,
        'Give both branches the same type.',
      );
    const [ae, be, unit] = this.sameUnit(a, b, span, 'combine');
    if (ae === undefined) return undefined;
    return {
      type: a.type,
      ...unitOf(unit, a.scaled === true || b.scaled === true),
      expr: { kind: 'call', fn: 'if', args: [cond.expr, ae, be], span },
    };
  }
}

/**
 * Expressions (`let`, `where`, `expect`, a run's `where`) evaluated: the compiled Expr
 * tree (plain data, experiment-types.ts) becomes a closure per node that calls its
 * children's. Nothing here turns user text into code (no eval, no `new Function`). The
 * compiler evaluates a run's `where` over each point's params with it; the front-end
 * library (kernel/experiment/expressions.ts) evaluates every other expression over
 * table rows with it.
 *
 * Null rules (experiment-types.ts): arithmetic with null gives null, a division or `%`
 * by zero gives null, a comparison with null is false. A NaN (a result table's missing
 * number) counts as null. `and`, `or` and `not` read null as false; `if(c, a, b)`
 * picks b when c is null.
 */
import type { Expr, ParamValue } from './experiment-types.ts';

/** A row: column values by name (Arquero's escaped functions receive one). */
export type Row = Readonly<Record<string, unknown>>;

/** An expression compiled: its value for one row. */
export type RowFunction = (row: Row) => ParamValue;

/** An Expr the compiler would not have made (a call with the wrong number of arguments). */
export class ExprShapeError extends Error {
  override readonly name = 'ExprShapeError';
}

/** Every column an expression reads, in the order they appear, each once. */
export function exprColumns(e: Expr): string[] {
  const out: string[] = [];
  const walk = (x: Expr): void => {
    switch (x.kind) {
      case 'column':
        if (!out.includes(x.name)) out.push(x.name);
        return;
      case 'unary':
        return walk(x.arg);
      case 'binary':
        walk(x.left);
        return walk(x.right);
      case 'call':
        return x.args.forEach(walk);
      default:
        return;
    }
  };
  walk(e);
  return out;
}

/** `e` as a function of a row; throws ExprShapeError for a malformed call. */
export function evaluator(e: Expr): RowFunction {
  switch (e.kind) {
    case 'number': {
      const v = e.value;
      return () => v;
    }
    case 'text': {
      const v = e.value;
      return () => v;
    }
    case 'boolean': {
      const v = e.value;
      return () => v;
    }
    case 'column': {
      const name = e.name;
      return (row) => value(row[name]);
    }
    case 'unary': {
      const arg = evaluator(e.arg);
      if (e.op === 'not') return (row) => !truthy(arg(row));
      return (row) => {
        const v = arg(row);
        return typeof v === 'number' ? -v : null;
      };
    }
    case 'binary':
      return binary(e.op, evaluator(e.left), evaluator(e.right));
    case 'call':
      return call(e.fn, e.args.map(evaluator));
  }
}

/** A cell as an expression value: NaN and undefined are null, other non-values too. */
function value(v: unknown): ParamValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isNaN(v) ? null : v;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

/** True only for `true` (null and every other value are false): the rows a `where` keeps. */
export function truthy(v: ParamValue): boolean {
  return v === true;
}

/** A number result, with NaN (0/0 cannot happen, but sqrt(-1) can) as null. */
function num(v: number): ParamValue {
  return Number.isNaN(v) ? null : v;
}

function arithmetic(op: '+' | '-' | '*' | '/' | '%', a: number, b: number): ParamValue {
  switch (op) {
    case '+':
      return num(a + b);
    case '-':
      return num(a - b);
    case '*':
      return num(a * b);
    case '/':
      return b === 0 ? null : num(a / b);
    case '%':
      return b === 0 ? null : num(a % b);
  }
}

/** `a OP b` as the language compares values: null compares false; order only within a type. */
export function compare(
  op: '=' | '!=' | '<' | '<=' | '>' | '>=',
  a: ParamValue,
  b: ParamValue,
): boolean {
  if (a === null || b === null) return false;
  if (op === '=') return a === b;
  if (op === '!=') return a !== b;
  // Order is defined between two numbers or two texts; anything else is not comparable.
  if (typeof a !== typeof b || typeof a === 'boolean') return false;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

function binary(
  op: Extract<Expr, { kind: 'binary' }>['op'],
  left: RowFunction,
  right: RowFunction,
): RowFunction {
  switch (op) {
    case 'and':
      return (row) => truthy(left(row)) && truthy(right(row));
    case 'or':
      return (row) => truthy(left(row)) || truthy(right(row));
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return (row) => {
        const a = left(row);
        const b = right(row);
        return typeof a === 'number' && typeof b === 'number' ? arithmetic(op, a, b) : null;
      };
    default:
      return (row) => compare(op, left(row), right(row));
  }
}

/** One argument's number, or null (null, text and flags have none). */
function numberOf(v: ParamValue): number | null {
  return typeof v === 'number' ? v : null;
}

const UNARY: Readonly<Record<string, (x: number) => number | null>> = {
  abs: Math.abs,
  sqrt: (x) => (x < 0 ? null : Math.sqrt(x)),
  log: (x) => (x <= 0 ? null : Math.log(x)),
  log2: (x) => (x <= 0 ? null : Math.log2(x)),
  log10: (x) => (x <= 0 ? null : Math.log10(x)),
  exp: Math.exp,
  round: Math.round,
  floor: Math.floor,
  ceil: Math.ceil,
};

function call(
  fn: Extract<Expr, { kind: 'call' }>['fn'],
  args: readonly RowFunction[],
): RowFunction {
  if (fn === 'if') {
    const [c, a, b] = args;
    if (!c || !a || !b)
      throw new ExprShapeError('if() takes three arguments: if(condition, a, b).');
    return (row) => (truthy(c(row)) ? a(row) : b(row));
  }
  if (fn === 'min' || fn === 'max') {
    if (args.length === 0) throw new ExprShapeError(`${fn}() takes at least one argument.`);
    const pick = fn === 'min' ? Math.min : Math.max;
    return (row) => {
      const xs = args.map((f) => numberOf(f(row)));
      return xs.some((x) => x === null) ? null : pick(...(xs as number[]));
    };
  }
  const f = UNARY[fn];
  const [arg] = args;
  if (!f || !arg || args.length !== 1) throw new ExprShapeError(`${fn}() takes one argument.`);
  return (row) => {
    const x = numberOf(arg(row));
    if (x === null) return null;
    const y = f(x);
    return y === null ? null : num(y);
  };
}

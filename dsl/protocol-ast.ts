/**
 * CST -> AST for `protocol NAME { ... }` and `explore NAME ...` (to-ast.ts calls these
 * from its visitor methods). The words inside a protocol are not keywords: the parser
 * chose each alternative by the word's text, and so does this builder. With error
 * recovery a part may be missing: it becomes an empty name with a zero-length span,
 * as in to-ast.ts.
 */
import type { IToken } from 'chevrotain';
import type {
  ExploreOptionCstChildren,
  ExploreStmtCstChildren,
  ProtoAndCstChildren,
  ProtoArithCstChildren,
  ProtoBlockCstChildren,
  ProtoCompareCstChildren,
  ProtoDeclCstChildren,
  ProtocolDefCstChildren,
  ProtoExprCstChildren,
  ProtoExprCstNode,
  ProtoNotCstChildren,
  ProtoPrimaryCstChildren,
  ProtoRegisterCstChildren,
  ProtoStmtCstChildren,
  ProtoUnaryCstChildren,
} from './cst.generated.d.ts';
import type {
  ExploreStatement,
  Name,
  ProtoBinaryOp,
  ProtocolDefinition,
  ProtoDecl,
  ProtoExpr,
  ProtoRmwWord,
  ProtoStmt,
  QuantityValue,
  Span,
} from './ast.ts';
import { isRealToken, joinSpans, nodeSpan, tokenSpan } from './spans.ts';
import { parseQuantity } from './units.ts';

/** The read-modify-write words, as written. */
export const PROTO_RMW_WORDS: readonly ProtoRmwWord[] = [
  'xchg',
  'fetch_add',
  'fetch_or',
  'fetch_and',
  'fetch_andnot',
];

const BINARY_OPS: readonly ProtoBinaryOp[] = [
  'or',
  'and',
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '|',
  '^',
  '&',
  '<<',
  '>>',
  '+',
  '-',
  '*',
];

/**
 * How tightly each operator of `protoArith` binds (higher first): as in Python, `|`
 * loosest, then `^`, `&`, the shifts, `+ -`, `*`; all above the comparisons, so
 * `spte & W = 0` is `(spte & W) = 0`.
 */
const PRECEDENCE: Partial<Record<ProtoBinaryOp, number>> = {
  '|': 1,
  '^': 2,
  '&': 3,
  '<<': 4,
  '>>': 4,
  '+': 5,
  '-': 5,
  '*': 6,
};

function nameOf(t: IToken | undefined, fallback: Span): Name {
  return { kind: 'name', text: isRealToken(t) ? t.image : '', span: tokenSpan(t, fallback) };
}

function missing(span: Span): ProtoExpr {
  return { kind: 'name', text: '', span: { ...span, length: 0 } };
}

function binaryOp(t: IToken | undefined): ProtoBinaryOp {
  return BINARY_OPS.find((op) => isRealToken(t) && t.image === op) ?? '+';
}

function binary(op: ProtoBinaryOp, left: ProtoExpr, right: ProtoExpr): ProtoExpr {
  return { kind: 'binary', op, left, right, span: joinSpans(left.span, right.span) };
}

function foldLeft(operands: ProtoExpr[], operators: readonly IToken[] | undefined): ProtoExpr {
  return operands.reduce((left, right, i) => binary(binaryOp(operators?.[i - 1]), left, right));
}

function quantity(t: IToken, fallback: Span): QuantityValue {
  const text = isRealToken(t) ? t.image : '';
  return { kind: 'quantity', text, quantity: parseQuantity(text), span: tokenSpan(t, fallback) };
}

export function protocolDef(ch: ProtocolDefCstChildren): ProtocolDefinition {
  const span = nodeSpan(ch);
  return {
    kind: 'protocol',
    name: nameOf(ch.name?.[0], span),
    decls: (ch.decls ?? [])
      .map((n) => protoDecl(n.children))
      .filter((d): d is ProtoDecl => d !== undefined),
    span,
  };
}

/** Undefined when recovery left the declaration without its word. */
export function protoDecl(ch: ProtoDeclCstChildren): ProtoDecl | undefined {
  const span = nodeSpan(ch);
  const word = ch.word?.[0];
  const name = nameOf(ch.name?.[0], span);
  switch (isRealToken(word) ? word.image : '') {
    case 'const':
    case 'shared':
    case 'ghost':
      return {
        kind: word?.image as 'const' | 'shared' | 'ghost',
        name,
        bits: (ch.bits ?? []).map((t) => nameOf(t, span)),
        value: expr(ch.value?.[0], span),
        span,
      };
    case 'lock':
      return { kind: 'lock', name, span };
    case 'thread':
      return {
        kind: 'thread',
        name,
        registers: (ch.registers ?? []).map((n) => protoRegister(n.children)),
        body: block(ch.body?.[0]?.children),
        span,
      };
    case 'invariant': {
      const message = ch.message?.[0];
      return {
        kind: 'invariant',
        name,
        when: ch.when?.[0]?.image === 'always' ? 'always' : 'final',
        cond: expr(ch.value?.[0], span),
        message: isRealToken(message) ? message.image.slice(1, -1) : undefined,
        span,
      };
    }
    default:
      return undefined;
  }
}

export function protoRegister(ch: ProtoRegisterCstChildren): {
  name: Name;
  init: ProtoExpr | undefined;
} {
  const span = nodeSpan(ch);
  const value = ch.value?.[0];
  return { name: nameOf(ch.name?.[0], span), init: value ? protoExpr(value.children) : undefined };
}

export function block(ch: ProtoBlockCstChildren | undefined): ProtoStmt[] {
  return (ch?.stmts ?? [])
    .map((n) => protoStmt(n.children))
    .filter((s): s is ProtoStmt => s !== undefined);
}

/** Undefined when recovery left the statement empty. */
export function protoStmt(ch: ProtoStmtCstChildren): ProtoStmt | undefined {
  const span = nodeSpan(ch);
  const labelTok = ch.label?.[0];
  const base = isRealToken(labelTok) ? { span, label: labelTok.image.slice(1, -1) } : { span };
  const words = (ch.word ?? []).filter(isRealToken);
  const exprs = (ch.exprs ?? []).map((n) => protoExpr(n.children));
  const target = nameOf(ch.target?.[0], span);
  const e0 = exprs[0] ?? missing(span);
  if (words.length === 0) {
    if (!ch.target) return undefined;
    return { ...base, kind: 'assign', reg: target, value: e0 };
  }
  const word = words[0];
  const w = nameOf(word, span);
  const result = ch.result?.[0] ? nameOf(ch.result[0], span) : undefined;
  const old = ch.old?.[0] ? nameOf(ch.old[0], span) : undefined;
  const body = block(ch.body?.[0]?.children);
  switch (word.image) {
    case 'load':
      return { ...base, kind: 'load', reg: result ?? missingName(span), var: target };
    case 'store':
    case 'ghost':
      return { ...base, kind: word.image, var: target, value: e0 };
    case 'cmpxchg':
      return { ...base, kind: 'cmpxchg', ok: result, var: target, args: exprs, old };
    case 'lock':
    case 'unlock':
      return { ...base, kind: word.image, lock: target };
    case 'atomic':
      return { ...base, kind: 'atomic', body };
    case 'if': {
      const elseIf = ch.elseIf?.[0];
      const elseStmt = elseIf ? protoStmt(elseIf.children) : undefined;
      return {
        ...base,
        kind: 'if',
        cond: e0,
        then: body,
        else: elseStmt ? [elseStmt] : block(ch.orElse?.[0]?.children),
      };
    }
    case 'loop': {
      const bound = ch.bound?.[0];
      return {
        ...base,
        kind: 'loop',
        bound: bound ? quantity(bound, span) : undefined,
        cond: words.some((t) => t.image === 'while') ? e0 : undefined,
        body,
      };
    }
    case 'assert':
    case 'assume':
      return { ...base, kind: word.image, cond: e0 };
    default: {
      const rmw = PROTO_RMW_WORDS.find((r) => r === word.image);
      if (rmw)
        return {
          ...base,
          kind: 'rmw',
          word: { ...w, text: rmw },
          old: result,
          var: target,
          args: exprs,
        };
      return { ...base, kind: 'word', word: w };
    }
  }
}

function missingName(span: Span): Name {
  return { kind: 'name', text: '', span: { ...span, length: 0 } };
}

function expr(n: ProtoExprCstNode | undefined, fallback: Span): ProtoExpr {
  return n ? protoExpr(n.children) : missing(fallback);
}

export function protoExpr(ch: ProtoExprCstChildren): ProtoExpr {
  return foldLeft(
    (ch.operands ?? []).map((n) => protoAnd(n.children)),
    ch.operators,
  );
}

export function protoAnd(ch: ProtoAndCstChildren): ProtoExpr {
  return foldLeft(
    (ch.operands ?? []).map((n) => protoNot(n.children)),
    ch.operators,
  );
}

export function protoNot(ch: ProtoNotCstChildren): ProtoExpr {
  const span = nodeSpan(ch);
  const inner = ch.protoNot?.[0];
  if (ch.Not)
    return {
      kind: 'unary',
      op: 'not',
      arg: inner ? protoNot(inner.children) : missing(span),
      span,
    };
  const c = ch.protoCompare?.[0];
  return c ? protoCompare(c.children) : missing(span);
}

export function protoCompare(ch: ProtoCompareCstChildren): ProtoExpr {
  return foldLeft(
    (ch.operands ?? []).map((n) => protoArith(n.children)),
    ch.operators,
  );
}

/** Precedence climbing over the flat chain of `protoArith`. */
export function protoArith(ch: ProtoArithCstChildren): ProtoExpr {
  const operands = (ch.operands ?? []).map((n) => protoUnary(n.children));
  const operators = (ch.operators ?? []).map(binaryOp);
  if (operands.length === 0) return missing(nodeSpan(ch));
  // operands[i + 1] follows operators[i]: one index walks both.
  let i = 0;
  const climb = (min: number): ProtoExpr => {
    let left = operands[i];
    while (i < operators.length && (PRECEDENCE[operators[i]] ?? 0) >= min) {
      const op = operators[i];
      const prec = PRECEDENCE[op] ?? 0;
      i++;
      const right = climb(prec + 1);
      left = binary(op, left, right);
    }
    return left;
  };
  return climb(0);
}

export function protoUnary(ch: ProtoUnaryCstChildren): ProtoExpr {
  const span = nodeSpan(ch);
  const op = ch.operator?.[0];
  if (op) {
    const inner = ch.protoUnary?.[0];
    const arg = inner ? protoUnary(inner.children) : missing(span);
    return { kind: 'unary', op: op.image === '~' ? '~' : '-', arg, span };
  }
  const p = ch.protoPrimary?.[0];
  return p ? protoPrimary(p.children) : missing(span);
}

export function protoPrimary(ch: ProtoPrimaryCstChildren): ProtoExpr {
  const span = nodeSpan(ch);
  const num = ch.NumberLike?.[0];
  if (num) return quantity(num, span);
  const inner = ch.inner?.[0];
  if (inner) return protoExpr(inner.children);
  const name = nameOf(ch.name?.[0], span);
  const member = ch.member?.[0];
  if (ch.Dot) return { kind: 'member', thread: name, member: nameOf(member, span), span };
  if (ch.call) return { kind: 'call', fn: name, arg: nameOf(member, span), span };
  return { kind: 'name', text: name.text, span: name.span };
}

export function exploreStmt(ch: ExploreStmtCstChildren): ExploreStatement {
  const span = nodeSpan(ch);
  return {
    kind: 'explore',
    protocol: nameOf(ch.protocol?.[0], span),
    options: (ch.options ?? []).map((n) => exploreOption(n.children)),
    span,
  };
}

export function exploreOption(ch: ExploreOptionCstChildren): ExploreStatement['options'][number] {
  const span = nodeSpan(ch);
  const arg = ch.arg?.[0];
  const key = nameOf(ch.key?.[0], span);
  return {
    key,
    arg:
      arg && isRealToken(arg) && /^[0-9]/.test(arg.image) ? quantity(arg, span) : nameOf(arg, span),
    span,
  };
}

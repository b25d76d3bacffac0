/**
 * CST -> AST: a visitor over the parser's CST, typed by the generated CST types
 * (cst.generated.d.ts), that returns plain nodes tagged with `kind`. Each method takes
 * its rule's children and calls the methods of its sub-rules directly, so every read is
 * typed. It implements the generated visitor interface without Chevrotain's base visitor
 * class, so the compiler checks that every rule has its method and loading this module
 * does not build the parser (parser.ts: `mmuParser`).
 *
 * With error recovery the CST can miss children or hold tokens inserted by recovery.
 * A missing or inserted token becomes empty text with a zero-length span, so the
 * checker still sees the node; a statement whose kind is missing is dropped (its line
 * has a parse diagnostic), never guessed.
 */
import type { ICstVisitor, IToken } from 'chevrotain';
import type {
  AdditiveCstChildren,
  AggregateCstChildren,
  AggregatesCstChildren,
  AndExprCstChildren,
  ByClauseCstChildren,
  ComparisonCstChildren,
  ExpectStmtCstChildren,
  ExpressionCstChildren,
  ExpressionCstNode,
  LetStmtCstChildren,
  MultiplicativeCstChildren,
  NotExprCstChildren,
  PlotClauseCstChildren,
  PrimaryCstChildren,
  UnaryCstChildren,
  WhereClauseCstChildren,
  AtomCstChildren,
  AtomCstNode,
  BlockCstChildren,
  DefinitionCstChildren,
  ExperimentCstChildren,
  ExportStmtCstChildren,
  ListCstChildren,
  MmuCstVisitor,
  PlotStmtCstChildren,
  PredictStmtCstChildren,
  ProgramCstChildren,
  ProgramCstNode,
  PropertyCstChildren,
  RunOptionCstChildren,
  StatementCstChildren,
  TableStmtCstChildren,
  UseStmtCstChildren,
  ValueCstChildren,
  ValueCstNode,
} from './cst.generated.d.ts';
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
  ProtoNotCstChildren,
  ProtoPrimaryCstChildren,
  ProtoRegisterCstChildren,
  ProtoStmtCstChildren,
  ProtoUnaryCstChildren,
} from './cst.generated.d.ts';
import type {
  ExploreStatement,
  ProtocolDefinition,
  ProtoDecl,
  ProtoExpr,
  ProtoStmt,
} from './ast.ts';
import * as proto from './protocol-ast.ts';
import { EMPTY_SPAN, isRealToken, joinSpans, nodeSpan, tokenSpan } from './spans.ts';
import { parseQuantity, quantity } from './units.ts';
import type {
  AggregateNode,
  Atom,
  Block,
  ExpectStatement,
  PredictStatement,
  ExprNode,
  LetStatement,
  ListValue,
  PlotOption,
  RowQueryNode,
  Definition,
  Experiment,
  ExportOutput,
  Name,
  PlotOutput,
  Program,
  Property,
  Span,
  Statement,
  TableOutput,
  UseStatement,
  Value,
  WordValue,
} from './ast.ts';
import { DEFINITION_KINDS } from './ast.ts';
import type { BinaryOp } from './compile/experiment-types.ts';

/** The visitor interface's rule methods (its `visit`/`validateVisitor` are Chevrotain's). */
type RuleMethods = Omit<MmuCstVisitor<void, unknown>, keyof ICstVisitor<void, unknown>>;

function nameOf(t: IToken | undefined, fallback?: Span): Name {
  return {
    kind: 'name',
    text: isRealToken(t) ? t.image : '',
    span: tokenSpan(t, fallback),
  };
}

/** The text between the quotes of a string token; '' when it is missing. */
function unquote(t: IToken | undefined): string {
  return isRealToken(t) ? t.image.slice(1, -1) : '';
}

/** The operators as the grammar's tokens spell them. */
const BINARY_OPS: readonly BinaryOp[] = [
  '+',
  '-',
  '*',
  '/',
  '%',
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'and',
  'or',
];

/** A clause of a plot, as `plotClause` reads it. */
type PlotClause =
  | { kind: 'by'; columns: Name[] }
  | { kind: 'where'; expr: ExprNode }
  | { kind: 'option'; option: PlotOutput['options'][number] };

/** The one-word clauses of a plot, by keyword. */
const PLOT_OPTIONS: readonly PlotOption[] = [
  'facet',
  'as',
  'error',
  'log',
  'title',
  'xtitle',
  'ytitle',
  'size',
];

/** A binary operator's token as an operator; '+' for one recovery inserted. */
function binaryOp(t: IToken | undefined): BinaryOp {
  return BINARY_OPS.find((op) => isRealToken(t) && t.image === op) ?? '+';
}

/** Operands joined left to right by their operators: `a - b - c` is `(a - b) - c`. */
function foldLeft(operands: ExprNode[], operators: readonly IToken[] | undefined): ExprNode {
  return operands.reduce((left, right, i) => ({
    kind: 'binary',
    op: binaryOp(operators?.[i - 1]),
    left,
    right,
    span: joinSpans(left.span, right.span),
  }));
}

/** A value that recovery left out: an empty word, so the statement keeps its shape. */
function missingValue(span: Span): Value {
  return missingWord(span);
}

/** An empty word at `span`, zero-length: what recovery left out. */
function missingWord(span: Span): WordValue {
  return { kind: 'word', text: '', span: { ...span, length: 0 } };
}

class AstBuilder implements RuleMethods {
  program(ch: ProgramCstChildren): Program {
    const valid = (ch.statement ?? [])
      .map((s) => this.statement(s.children))
      .filter((s): s is Statement => s !== undefined);
    const span =
      valid.length > 0 ? joinSpans(valid[0].span, valid[valid.length - 1].span) : EMPTY_SPAN;
    return { kind: 'program', statements: valid, span };
  }

  statement(ch: StatementCstChildren): Statement | undefined {
    if (ch.definition) return this.definition(ch.definition[0].children);
    if (ch.experiment) return this.experiment(ch.experiment[0].children);
    if (ch.tableStmt) return this.tableStmt(ch.tableStmt[0].children);
    if (ch.plotStmt) return this.plotStmt(ch.plotStmt[0].children);
    if (ch.exportStmt) return this.exportStmt(ch.exportStmt[0].children);
    if (ch.useStmt) return this.useStmt(ch.useStmt[0].children);
    if (ch.letStmt) return this.letStmt(ch.letStmt[0].children);
    if (ch.expectStmt) return this.expectStmt(ch.expectStmt[0].children);
    if (ch.predictStmt) return this.predictStmt(ch.predictStmt[0].children);
    if (ch.protocolDef) return this.protocolDef(ch.protocolDef[0].children);
    if (ch.exploreStmt) return this.exploreStmt(ch.exploreStmt[0].children);
    return undefined;
  }

  /** Undefined when the kind keyword is missing: nothing says what it defines. */
  definition(ch: DefinitionCstChildren): Definition | undefined {
    const kindTok = ch.defKind?.[0];
    const defKind = DEFINITION_KINDS.find((k) => isRealToken(kindTok) && k === kindTok.image);
    if (defKind === undefined) return undefined;
    const span = nodeSpan(ch);
    const body = ch.block?.[0];
    return {
      kind: 'definition',
      defKind,
      name: nameOf(ch.name?.[0], span),
      base: ch.Extends ? nameOf(ch.base?.[0], span) : undefined,
      body: body
        ? this.block(body.children)
        : { kind: 'block', properties: [], span: { ...span, length: 0 } },
      span,
    };
  }

  block(ch: BlockCstChildren): Block {
    return {
      kind: 'block',
      properties: (ch.items ?? []).map((n) => this.property(n.children)),
      span: joinSpans(tokenSpan(ch.LCurly?.[0]), tokenSpan(ch.RCurly?.[0])),
    };
  }

  property(ch: PropertyCstChildren): Property {
    const span = nodeSpan(ch);
    const body = ch.body?.[0];
    return {
      kind: 'property',
      key: nameOf(ch.key?.[0], span),
      args: this.values(ch.args),
      body: body ? this.block(body.children) : undefined,
      span,
    };
  }

  /** The values of some `value` nodes; one that recovery left empty is dropped. */
  private values(nodes: readonly ValueCstNode[] | undefined): Value[] {
    return (nodes ?? [])
      .map((n) => this.value(n.children))
      .filter((v): v is Value => v !== undefined);
  }

  /** Undefined when recovery left the value empty (neither an atom nor a list). */
  value(ch: ValueCstChildren): Value | undefined {
    const vary = ch.vary?.[0];
    const varySpan = isRealToken(vary) ? { vary: tokenSpan(vary) } : {};
    const list = ch.list?.[0];
    if (list) {
      const l = this.list(list.children);
      return isRealToken(vary) ? { ...l, vary: tokenSpan(vary), span: nodeSpan(ch) } : l;
    }
    const from = ch.from?.[0];
    if (!from) return undefined;
    const to = ch.to?.[0];
    if (!to) return this.atomOf(from);
    const step = ch.step?.[0];
    const factor = ch.factor?.[0];
    return {
      kind: 'range',
      from: this.atomOf(from),
      to: this.atomOf(to),
      ...(step ? { step: this.atomOf(step) } : {}),
      ...(isRealToken(factor) ? { factor: { text: factor.image, span: tokenSpan(factor) } } : {}),
      ...varySpan,
      span: nodeSpan(ch),
    };
  }

  private atomOf(n: AtomCstNode): Atom {
    return this.atom(n.children);
  }

  atom(ch: AtomCstChildren): Atom {
    const word = ch.Word?.[0];
    if (word)
      return { kind: 'word', text: isRealToken(word) ? word.image : '', span: tokenSpan(word) };
    const str = ch.StringLiteral?.[0];
    if (str) return { kind: 'string', text: unquote(str), span: tokenSpan(str) };
    // A number, or nothing when recovery left the atom empty: an empty quantity is
    // reported by the checker as malformed only where the line has no parse error.
    const num = ch.NumberLike?.[0];
    const text = isRealToken(num) ? num.image : '';
    const minus = ch.minus?.[0];
    if (isRealToken(minus) && text !== '') {
      const q = parseQuantity(text);
      return {
        kind: 'quantity',
        text: `-${text}`,
        quantity: q && quantity(q.dim, -q.num, q.den),
        span: joinSpans(tokenSpan(minus), tokenSpan(num)),
      };
    }
    return { kind: 'quantity', text, quantity: parseQuantity(text), span: tokenSpan(num) };
  }

  list(ch: ListCstChildren): ListValue {
    return { kind: 'list', items: this.values(ch.items), span: nodeSpan(ch) };
  }

  /** Undefined when the `run` or `sweep` keyword is missing. */
  experiment(ch: ExperimentCstChildren): Experiment | undefined {
    const modeTok = ch.mode?.[0];
    const mode = (['run', 'sweep'] as const).find(
      (m) => isRealToken(modeTok) && m === modeTok.image,
    );
    if (mode === undefined) return undefined;
    const span = nodeSpan(ch);
    const val = (nodes: readonly ValueCstNode[] | undefined): Value =>
      this.values(nodes)[0] ?? missingValue(span);
    return {
      kind: 'experiment',
      mode,
      vm: val(ch.vm),
      tracking: val(ch.tracking),
      migration: val(ch.migration),
      options: (ch.options ?? []).map((n) => this.runOption(n.children)),
      where: (ch.whereClause ?? []).map((n) => this.whereClause(n.children)),
      span,
    };
  }

  runOption(ch: RunOptionCstChildren): Property {
    return {
      kind: 'property',
      key: nameOf(ch.key?.[0]),
      args: this.values(ch.arg),
      body: undefined,
      span: nodeSpan(ch),
    };
  }

  tableStmt(ch: TableStmtCstChildren): TableOutput {
    return {
      kind: 'table',
      views: (ch.views ?? []).map((t) => nameOf(t)),
      ...this.rowQuery(ch),
      ...(ch.With ? { columns: (ch.columns ?? []).map((t) => nameOf(t)) } : {}),
      ...(ch.all ? { all: tokenSpan(ch.all[0]) } : {}),
      span: nodeSpan(ch),
    };
  }

  /** The `where`, `by` and aggregates of a table or expect, those written. */
  private rowQuery(
    ch: TableStmtCstChildren | ExpectStmtCstChildren | ExportStmtCstChildren,
  ): RowQueryNode {
    const where = ch.whereClause?.[0];
    const by = ch.byClause?.[0];
    const aggregates = ch.aggregates?.[0];
    return {
      ...(where ? { where: this.whereClause(where.children) } : {}),
      ...(by ? { by: this.byClause(by.children) } : {}),
      ...(aggregates ? { aggregates: this.aggregates(aggregates.children) } : {}),
    };
  }

  whereClause(ch: WhereClauseCstChildren): ExprNode {
    return this.expr(ch.expression, nodeSpan(ch));
  }

  byClause(ch: ByClauseCstChildren): Name[] {
    return (ch.columns ?? []).map((t) => nameOf(t));
  }

  aggregates(ch: AggregatesCstChildren): AggregateNode[] {
    return (ch.items ?? []).map((n) => this.aggregate(n.children));
  }

  aggregate(ch: AggregateCstChildren): AggregateNode {
    const span = nodeSpan(ch);
    const column = ch.column?.[0];
    return { op: nameOf(ch.op?.[0], span), column: column ? nameOf(column) : undefined, span };
  }

  plotStmt(ch: PlotStmtCstChildren): PlotOutput {
    const span = nodeSpan(ch);
    const name = ch.name?.[0];
    const out: PlotOutput = {
      kind: 'plot',
      ...(isRealToken(name) ? { name: nameOf(name) } : {}),
      ys: ch.progress ? [nameOf(ch.progress[0])] : (ch.y ?? []).map((t) => nameOf(t, span)),
      x: ch.progress ? undefined : nameOf(ch.x?.[0], span),
      by: [],
      where: [],
      options: [],
      span,
    };
    for (const c of ch.clauses ?? []) {
      const clause = this.plotClause(c.children);
      if (clause?.kind === 'by') out.by.push(clause.columns);
      else if (clause?.kind === 'where') out.where.push(clause.expr);
      else if (clause) out.options.push(clause.option);
    }
    return out;
  }

  /** One clause of a plot; undefined when recovery left its keyword out. */
  plotClause(ch: PlotClauseCstChildren): PlotClause | undefined {
    const by = ch.byClause?.[0];
    if (by) return { kind: 'by', columns: this.byClause(by.children) };
    const where = ch.whereClause?.[0];
    if (where) return { kind: 'where', expr: this.whereClause(where.children) };
    const keyTok = ch.key?.[0];
    const key = PLOT_OPTIONS.find((k) => isRealToken(keyTok) && keyTok.image === k);
    if (key === undefined) return undefined;
    const text = ch.text?.[0];
    const arg = text
      ? { kind: 'name' as const, text: unquote(text), span: tokenSpan(text, nodeSpan(ch)) }
      : nameOf((ch.arg ?? ch.size)?.[0], nodeSpan(ch));
    return { kind: 'option', option: { key, keySpan: tokenSpan(keyTok), arg } };
  }

  letStmt(ch: LetStmtCstChildren): LetStatement {
    const span = nodeSpan(ch);
    return {
      kind: 'let',
      name: nameOf(ch.name?.[0], span),
      expr: this.expr(ch.expression, span),
      span,
    };
  }

  predictStmt(ch: PredictStmtCstChildren): PredictStatement {
    const span = nodeSpan(ch);
    const axis = ch.axis?.[0];
    // An atom recovery left out is an empty word: a syntax error already says so.
    const side = (n: AtomCstNode | undefined): Atom =>
      n ? this.atomOf(n) : { kind: 'word', text: '', span };
    return {
      kind: 'predict',
      column: nameOf(ch.column?.[0], span),
      ...(isRealToken(axis) ? { axis: nameOf(axis, span) } : {}),
      left: side(ch.left?.[0]),
      op: nameOf(ch.op?.[0], span),
      right: side(ch.right?.[0]),
      span,
    };
  }

  expectStmt(ch: ExpectStmtCstChildren): ExpectStatement {
    const span = nodeSpan(ch);
    const q = ch.quantifier?.[0];
    const quantifier = (['all', 'any'] as const).find((k) => isRealToken(q) && q.image === k);
    return {
      kind: 'expect',
      quantifier,
      view: nameOf(ch.view?.[0], span),
      ...this.rowQuery(ch),
      condition: this.expr(ch.condition, span),
      span,
    };
  }

  /** The expression of a node list, or an empty word where recovery left it out. */
  private expr(nodes: readonly ExpressionCstNode[] | undefined, fallback: Span): ExprNode {
    const n = nodes?.[0];
    if (!n) return missingWord(fallback);
    return this.expression(n.children);
  }

  expression(ch: ExpressionCstChildren): ExprNode {
    return foldLeft(
      (ch.operands ?? []).map((n) => this.andExpr(n.children)),
      ch.operators,
    );
  }

  andExpr(ch: AndExprCstChildren): ExprNode {
    return foldLeft(
      (ch.operands ?? []).map((n) => this.notExpr(n.children)),
      ch.operators,
    );
  }

  notExpr(ch: NotExprCstChildren): ExprNode {
    const span = nodeSpan(ch);
    const inner = ch.notExpr?.[0];
    if (ch.Not) {
      const arg = inner ? this.notExpr(inner.children) : missingWord(span);
      return { kind: 'unary', op: 'not', arg, span };
    }
    const c = ch.comparison?.[0];
    return c ? this.comparison(c.children) : missingWord(span);
  }

  comparison(ch: ComparisonCstChildren): ExprNode {
    return foldLeft(
      (ch.operands ?? []).map((n) => this.additive(n.children)),
      ch.operators,
    );
  }

  additive(ch: AdditiveCstChildren): ExprNode {
    return foldLeft(
      (ch.operands ?? []).map((n) => this.multiplicative(n.children)),
      ch.operators,
    );
  }

  multiplicative(ch: MultiplicativeCstChildren): ExprNode {
    return foldLeft(
      (ch.operands ?? []).map((n) => this.unary(n.children)),
      ch.operators,
    );
  }

  unary(ch: UnaryCstChildren): ExprNode {
    const span = nodeSpan(ch);
    const inner = ch.unary?.[0];
    if (ch.Minus) {
      const arg = inner ? this.unary(inner.children) : missingWord(span);
      return { kind: 'unary', op: '-', arg, span };
    }
    const p = ch.primary?.[0];
    return p ? this.primary(p.children) : missingWord(span);
  }

  primary(ch: PrimaryCstChildren): ExprNode {
    const span = nodeSpan(ch);
    const num = ch.NumberLike?.[0];
    if (num) {
      const text = isRealToken(num) ? num.image : '';
      return { kind: 'quantity', text, quantity: parseQuantity(text), span: tokenSpan(num) };
    }
    const str = ch.StringLiteral?.[0];
    if (str) return { kind: 'string', text: unquote(str), span: tokenSpan(str) };
    const inner = ch.inner?.[0];
    if (ch.LParen && !ch.name)
      return {
        kind: 'paren',
        inner: inner ? this.expression(inner.children) : missingWord(span),
        span,
      };
    const name = nameOf(ch.name?.[0], span);
    if (ch.call)
      return {
        kind: 'call',
        fn: name,
        args: (ch.args ?? []).map((n) => this.expression(n.children)),
        span,
      };
    return { kind: 'word', text: name.text, span: name.span };
  }

  exportStmt(ch: ExportStmtCstChildren): ExportOutput {
    const span = nodeSpan(ch);
    const dir = ch.dir?.[0];
    const plot = ch.plot?.[0];
    return {
      kind: 'export',
      ...(ch.Plot ? { plot: nameOf(plot, span) } : {}),
      ...this.rowQuery(ch),
      views: (ch.views ?? []).map((t) => nameOf(t)),
      dir: unquote(dir),
      dirSpan: tokenSpan(dir, span),
      format: ch.As ? nameOf(ch.format?.[0], span) : undefined,
      span,
    };
  }

  useStmt(ch: UseStmtCstChildren): UseStatement {
    return { kind: 'use', path: unquote(ch.path?.[0]), span: nodeSpan(ch) };
  }

  // The protocol rules: protocol-ast.ts builds their nodes.
  protocolDef(ch: ProtocolDefCstChildren): ProtocolDefinition {
    return proto.protocolDef(ch);
  }
  protoDecl(ch: ProtoDeclCstChildren): ProtoDecl | undefined {
    return proto.protoDecl(ch);
  }
  protoRegister(ch: ProtoRegisterCstChildren): ReturnType<typeof proto.protoRegister> {
    return proto.protoRegister(ch);
  }
  protoBlock(ch: ProtoBlockCstChildren): ProtoStmt[] {
    return proto.block(ch);
  }
  protoStmt(ch: ProtoStmtCstChildren): ProtoStmt | undefined {
    return proto.protoStmt(ch);
  }
  protoExpr(ch: ProtoExprCstChildren): ProtoExpr {
    return proto.protoExpr(ch);
  }
  protoAnd(ch: ProtoAndCstChildren): ProtoExpr {
    return proto.protoAnd(ch);
  }
  protoNot(ch: ProtoNotCstChildren): ProtoExpr {
    return proto.protoNot(ch);
  }
  protoCompare(ch: ProtoCompareCstChildren): ProtoExpr {
    return proto.protoCompare(ch);
  }
  protoArith(ch: ProtoArithCstChildren): ProtoExpr {
    return proto.protoArith(ch);
  }
  protoUnary(ch: ProtoUnaryCstChildren): ProtoExpr {
    return proto.protoUnary(ch);
  }
  protoPrimary(ch: ProtoPrimaryCstChildren): ProtoExpr {
    return proto.protoPrimary(ch);
  }
  exploreStmt(ch: ExploreStmtCstChildren): ExploreStatement {
    return proto.exploreStmt(ch);
  }
  exploreOption(ch: ExploreOptionCstChildren): ExploreStatement['options'][number] {
    return proto.exploreOption(ch);
  }
}

const builder = new AstBuilder();

/** Build the AST of a CST produced by `parseCst`. */
export function toAst(cst: ProgramCstNode): Program {
  return builder.program(cst.children);
}

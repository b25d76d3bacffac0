/**
 * CST -> AST. A visitor over the parser's CST that returns plain nodes tagged with
 * `kind`. With error recovery the CST can miss tokens (or hold tokens inserted by
 * recovery); such nodes come back with empty text rather than throwing.
 */
import type { CstNode, IToken } from 'chevrotain';
import { parser } from './parser.ts';
import { parseQuantity } from './units.ts';
import type {
  Atom,
  Block,
  Definition,
  DefinitionKind,
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
} from './ast.ts';

type Children = Record<string, (CstNode | IToken)[] | undefined>;

const EMPTY_SPAN: Span = { line: 1, column: 1, offset: 0, length: 0 };

function isRealToken(t: IToken | undefined): t is IToken {
  return t !== undefined && !t.isInsertedInRecovery && Number.isFinite(t.startOffset);
}

/** The span of a token; an inserted or missing token gets a zero-length span at `fallback`. */
export function tokenSpan(t: IToken | undefined, fallback: Span = EMPTY_SPAN): Span {
  if (!isRealToken(t)) return { ...fallback, length: 0 };
  return {
    line: t.startLine ?? 1,
    column: t.startColumn ?? 1,
    offset: t.startOffset,
    length: (t.endOffset ?? t.startOffset) - t.startOffset + 1,
  };
}

/** The span from the start of `a` to the end of `b`. */
export function joinSpans(a: Span, b: Span): Span {
  if (b.offset + b.length <= a.offset) return a;
  return { ...a, length: b.offset + b.length - a.offset };
}

function tokensOf(children: Children): IToken[] {
  const out: IToken[] = [];
  const walk = (ch: Children): void => {
    for (const list of Object.values(ch)) {
      for (const c of list ?? []) {
        if ('image' in c) {
          if (isRealToken(c)) out.push(c);
        } else walk(c.children as Children);
      }
    }
  };
  walk(children);
  return out;
}

/** The span covering every real token under a CST node's children. */
function nodeSpan(children: Children): Span {
  const toks = tokensOf(children);
  if (toks.length === 0) return EMPTY_SPAN;
  let first = toks[0];
  let last = toks[0];
  for (const t of toks) {
    if (t.startOffset < first.startOffset) first = t;
    if ((t.endOffset ?? 0) > (last.endOffset ?? 0)) last = t;
  }
  return joinSpans(tokenSpan(first), tokenSpan(last));
}

const BaseVisitor = parser.getBaseCstVisitorConstructor();

function token(ch: Children, label: string): IToken | undefined {
  return ch[label]?.[0] as IToken | undefined;
}
function tokens(ch: Children, label: string): IToken[] {
  return (ch[label] ?? []) as IToken[];
}
function node(ch: Children, label: string): CstNode | undefined {
  return ch[label]?.[0] as CstNode | undefined;
}
function nodes(ch: Children, label: string): CstNode[] {
  return (ch[label] ?? []) as CstNode[];
}

function nameOf(t: IToken | undefined, fallback?: Span): Name {
  return {
    kind: 'name',
    text: isRealToken(t) ? t.image : '',
    span: tokenSpan(t, fallback),
  };
}

class AstBuilder extends BaseVisitor {
  constructor() {
    super();
    this.validateVisitor();
  }

  program(ch: Children): Program {
    const statements = nodes(ch, 'statement').map((s) => this.visit(s) as Statement | undefined);
    const valid = statements.filter((s): s is Statement => s !== undefined);
    const span =
      valid.length > 0 ? joinSpans(valid[0].span, valid[valid.length - 1].span) : EMPTY_SPAN;
    return { kind: 'program', statements: valid, span };
  }

  statement(ch: Children): Statement | undefined {
    const inner =
      node(ch, 'definition') ??
      node(ch, 'experiment') ??
      node(ch, 'tableStmt') ??
      node(ch, 'plotStmt') ??
      node(ch, 'exportStmt') ??
      node(ch, 'useStmt');
    return inner ? (this.visit(inner) as Statement) : undefined;
  }

  definition(ch: Children): Definition {
    const kindTok = token(ch, 'defKind');
    const span = nodeSpan(ch);
    const bodyNode = node(ch, 'block');
    return {
      kind: 'definition',
      defKind: (kindTok?.image ?? 'vm') as DefinitionKind,
      name: nameOf(token(ch, 'name'), span),
      base: token(ch, 'Extends') ? nameOf(token(ch, 'base'), span) : undefined,
      body: bodyNode
        ? (this.visit(bodyNode) as Block)
        : { kind: 'block', properties: [], span: { ...span, length: 0 } },
      span,
    };
  }

  block(ch: Children): Block {
    const span = joinSpans(tokenSpan(token(ch, 'LCurly')), tokenSpan(token(ch, 'RCurly')));
    return {
      kind: 'block',
      properties: nodes(ch, 'items').map((n) => this.visit(n) as Property),
      span,
    };
  }

  property(ch: Children): Property {
    const span = nodeSpan(ch);
    const bodyNode = node(ch, 'body');
    return {
      kind: 'property',
      key: nameOf(token(ch, 'key'), span),
      args: nodes(ch, 'args').map((n) => this.visit(n) as Value),
      body: bodyNode ? (this.visit(bodyNode) as Block) : undefined,
      span,
    };
  }

  value(ch: Children): Value {
    const listNode = node(ch, 'list');
    if (listNode) return this.visit(listNode) as Value;
    const from = this.visit(node(ch, 'from') as CstNode) as Atom;
    const toNode = node(ch, 'to');
    if (!toNode) return from;
    return {
      kind: 'range',
      from,
      to: this.visit(toNode) as Atom,
      span: nodeSpan(ch),
    };
  }

  atom(ch: Children): Atom {
    const word = token(ch, 'Word');
    if (word)
      return { kind: 'word', text: isRealToken(word) ? word.image : '', span: tokenSpan(word) };
    const str = token(ch, 'StringLiteral');
    if (str) {
      const text = isRealToken(str) ? str.image.slice(1, -1) : '';
      return { kind: 'string', text, span: tokenSpan(str) };
    }
    const num = token(ch, 'NumberLike');
    const text = isRealToken(num) ? num.image : '';
    return { kind: 'quantity', text, quantity: parseQuantity(text), span: tokenSpan(num) };
  }

  list(ch: Children): Value {
    return {
      kind: 'list',
      items: nodes(ch, 'items').map((n) => this.visit(n) as Value),
      span: nodeSpan(ch),
    };
  }

  experiment(ch: Children): Experiment {
    const span = nodeSpan(ch);
    const val = (label: string): Value => {
      const n = node(ch, label);
      return n
        ? (this.visit(n) as Value)
        : { kind: 'word', text: '', span: { ...span, length: 0 } };
    };
    return {
      kind: 'experiment',
      mode: token(ch, 'mode')?.image === 'sweep' ? 'sweep' : 'run',
      vm: val('vm'),
      tracking: val('tracking'),
      migration: val('migration'),
      options: nodes(ch, 'options').map((n) => this.visit(n) as Property),
      span,
    };
  }

  runOption(ch: Children): Property {
    const arg = node(ch, 'arg');
    return {
      kind: 'property',
      key: nameOf(token(ch, 'key')),
      args: arg ? [this.visit(arg) as Value] : [],
      body: undefined,
      span: nodeSpan(ch),
    };
  }

  tableStmt(ch: Children): TableOutput {
    return {
      kind: 'table',
      views: tokens(ch, 'views').map((t) => nameOf(t)),
      ...(token(ch, 'With') ? { columns: tokens(ch, 'columns').map((t) => nameOf(t)) } : {}),
      span: nodeSpan(ch),
    };
  }

  exportStmt(ch: Children): ExportOutput {
    const span = nodeSpan(ch);
    const dir = token(ch, 'dir');
    const format = token(ch, 'format');
    return {
      kind: 'export',
      views: tokens(ch, 'views').map((t) => nameOf(t)),
      dir: isRealToken(dir) ? dir.image.slice(1, -1) : '',
      dirSpan: tokenSpan(dir, span),
      format: token(ch, 'As') ? nameOf(format, span) : undefined,
      span,
    };
  }

  useStmt(ch: Children): UseStatement {
    const path = token(ch, 'path');
    return {
      kind: 'use',
      path: isRealToken(path) ? path.image.slice(1, -1) : '',
      span: nodeSpan(ch),
    };
  }

  plotStmt(ch: Children): PlotOutput {
    const span = nodeSpan(ch);
    return {
      kind: 'plot',
      y: nameOf(token(ch, 'y'), span),
      x: nameOf(token(ch, 'x'), span),
      span,
    };
  }
}

const builder = new AstBuilder();

/** Build the AST of a CST produced by `parseCst`. */
export function toAst(cst: CstNode): Program {
  return builder.visit(cst) as Program;
}

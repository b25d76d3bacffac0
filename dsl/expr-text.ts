/**
 * An expression as it reads in the language, printed from its AST: the numbers and
 * words as written, the parentheses kept, one space around each operator (as `mmulab
 * fmt` spaces them). `%who` shows a session's lets with it.
 */
import type { ExprNode } from './ast.ts';

export function exprText(n: ExprNode): string {
  switch (n.kind) {
    case 'quantity':
    case 'word':
      return n.text;
    case 'string':
      return `"${n.text}"`;
    case 'paren':
      return `(${exprText(n.inner)})`;
    case 'unary':
      return n.op === 'not' ? `not ${exprText(n.arg)}` : `-${exprText(n.arg)}`;
    case 'binary':
      return `${exprText(n.left)} ${n.op} ${exprText(n.right)}`;
    case 'call':
      return `${n.fn.text}(${n.args.map(exprText).join(', ')})`;
  }
}

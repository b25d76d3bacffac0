import type { Expr, FlagDecl, SharedVar, Stmt } from './types.ts';

/**
 * Text for traces and reports: expressions, statements and values as a reader of the
 * protocol would write them.
 */

const PRECEDENCE: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '<=': 7,
  '>': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
};

/** `s & ~(W | MMU_W)`: constants by name when they have one, parentheses only where needed. */
export function renderExpr(e: Expr, parent = 0): string {
  switch (e.kind) {
    case 'const':
      return e.name ?? String(e.value);
    case 'reg':
    case 'var':
      return e.name;
    case 'threadReg':
      return `${e.thread}.${e.name}`;
    case 'done':
      return `done(${e.thread})`;
    case 'unary':
      return `${e.op}${renderExpr(e.arg, 11)}`;
    case 'binary': {
      const p = PRECEDENCE[e.op];
      const text = `${renderExpr(e.left, p)} ${e.op} ${renderExpr(e.right, p + 1)}`;
      return p < parent ? `(${text})` : text;
    }
  }
}

/** One line for a statement (its head only for compound statements). */
export function renderStmt(s: Stmt): string {
  switch (s.kind) {
    case 'load':
      return `${s.reg} = load ${s.var}`;
    case 'store':
      return `store ${s.var} = ${renderExpr(s.value)}`;
    case 'cmpxchg': {
      const into = [s.old, s.ok].filter((r) => r !== undefined).join(', ');
      return `${into ? `${into} = ` : ''}cmpxchg ${s.var}, ${renderExpr(s.expected)}, ${renderExpr(s.desired)}`;
    }
    case 'rmw':
      return `${s.old !== undefined ? `${s.old} = ` : ''}${s.op} ${s.var}, ${renderExpr(s.operand)}`;
    case 'fence':
      return 'fence';
    case 'lock':
      return `lock ${s.lock}`;
    case 'unlock':
      return `unlock ${s.lock}`;
    case 'atomic':
      return 'atomic { ... }';
    case 'assign':
      return `${s.reg} = ${renderExpr(s.value)}`;
    case 'ghost':
      return `ghost ${s.var} = ${renderExpr(s.value)}`;
    case 'if':
      return `if ${renderExpr(s.cond)}`;
    case 'loop':
      return `loop at most ${s.bound}${s.cond ? ` while ${renderExpr(s.cond)}` : ''}`;
    case 'break':
    case 'continue':
    case 'return':
      return s.kind;
    case 'assert':
      return `assert ${renderExpr(s.cond)}`;
    case 'assume':
      return `assume ${renderExpr(s.cond)}`;
  }
}

/** A value of a cell: decimal, or hex with the set flags when the cell names its bits. */
export function renderValue(value: number, v: Pick<SharedVar, 'flags'> | undefined): string {
  const flags = v?.flags;
  if (!flags || flags.length === 0) return String(value);
  return `0x${(value >>> 0).toString(16)} (${flagNames(value, flags)})`;
}

function flagNames(value: number, flags: readonly FlagDecl[]): string {
  const names: string[] = [];
  let rest = value;
  for (const f of flags) {
    const field = value & f.mask;
    if (field === 0) continue;
    rest &= ~f.mask;
    // A one-bit flag prints its name; a wider field (an identification) its value too.
    const single = (f.mask & (f.mask - 1)) === 0;
    names.push(single ? f.name : `${f.name}=${field >>> (31 - Math.clz32(f.mask & -f.mask))}`);
  }
  if (rest !== 0) names.push(`0x${(rest >>> 0).toString(16)}`);
  return names.length ? names.join('|') : '-';
}

/**
 * `let NAME = EXPR`: derived columns. The lets of a text join those of earlier texts
 * (a redefinition replaces, as a definition does), may name each other in any order,
 * and are checked together: an unknown column, a let that uses itself (through others
 * or an earlier cell's), a name that would hide a result or parameter column, and two
 * lets of one name in one text. The lets in effect come out each after those it uses.
 */
import type { ColumnInfo } from '../../engine/results.ts';
import { suffixForUnit, unitFromName } from '../../engine/results.ts';
import type { LetStatement } from '../ast.ts';
import { DiagnosticCode as C, diagnostic } from '../diagnostics.ts';
import { describeDimension } from '../units.ts';
import { exprText } from '../expr-text.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { TABLE_VIEWS } from '../schema.ts';
import { viewColumns } from './columns.ts';
import type { RunColumns } from './columns.ts';
import { compileExpr, unitScale } from './expr.ts';
import type { ExprNames, TypedExpr } from './expr.ts';
import type { Expr, LetDefinition } from './experiment-types.ts';
import type { TableView } from './outputs.ts';
import type { ScopeLet } from './scope.ts';

/**
 * The factor an expression of the form `X * c`, `c * X` or `X / c` (c a plain number)
 * applies to X; undefined for any other form.
 */
function constantFactor(e: Expr): number | undefined {
  if (e.kind !== 'binary') return undefined;
  if (e.op === '/' && e.right.kind === 'number' && e.right.value !== 0) return 1 / e.right.value;
  if (e.op === '*' && e.right.kind === 'number') return e.right.value;
  if (e.op === '*' && e.left.kind === 'number') return e.left.value;
  return undefined;
}

/** Equal up to rounding: `/ 1048576` is bytes to MiB. */
function sameFactor(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.abs(b);
}

/** A power of 1000 or 1024 (either way up): what a conversion by hand multiplies by. */
function looksLikeUnitFactor(f: number): boolean {
  const k = Math.abs(Math.log10(f)) / 3;
  const j = Math.abs(Math.log2(f)) / 10;
  return (k >= 1 && sameFactor(k, Math.round(k))) || (j >= 1 && sameFactor(j, Math.round(j)));
}

/** `/ 1000` or `* 1000` as written. */
function formatFactor(f: number): string {
  return f < 1 ? `\`/ ${1 / f}\`` : `\`* ${f}\``;
}

/** The lets in effect for a text's outputs, and the names an output of each table can use. */
export class Lets {
  /** Every let in effect, by name: earlier texts' replaced by this text's. */
  private readonly done = new Map<string, ScopeLet>();
  /** Lets of this text not yet compiled. */
  private readonly pending = new Map<string, LetStatement>();
  /** The lets being compiled, innermost last: a name met again closes a cycle. */
  private readonly visiting: string[] = [];
  /** Lets found in a cycle (reported once, left out). */
  private readonly cyclic = new Set<string>();
  /** Lets of this text with an error (reported), so lets naming them report nothing more. */
  private readonly failed = new Set<string>();
  /** This text's let statements, by name. */
  private readonly statements = new Map<string, LetStatement>();
  /** Every column of some table of the runs in scope. */
  private readonly anyColumn = new Map<string, ColumnInfo>();
  private readonly perView: ReadonlyMap<TableView, ReadonlyMap<string, ColumnInfo>>;

  constructor(
    earlier: ReadonlyMap<string, ScopeLet>,
    private readonly runs: RunColumns,
    private readonly diags: Diagnostic[],
  ) {
    this.perView = new Map(TABLE_VIEWS.map((v) => [v, viewColumns(runs, v)]));
    for (const cols of this.perView.values())
      for (const [name, info] of cols)
        if (!this.anyColumn.has(name)) this.anyColumn.set(name, info);
    for (const [name, l] of earlier) this.done.set(name, l);
  }

  /** Compile this text's lets (after checking their names). */
  compile(statements: readonly LetStatement[]): void {
    for (const s of statements) {
      const name = s.name.text;
      if (name === '') continue;
      if (this.pending.has(name)) {
        this.diags.push(
          diagnostic(
            'error',
            C.DuplicateDefinition,
            s.name.span,
            `'${name}' is defined twice in this text by \`let\`.`,
            'Keep one; a later cell may redefine it.',
          ),
        );
        continue;
      }
      if (this.anyColumn.has(name)) {
        this.diags.push(
          diagnostic(
            'error',
            C.LetShadowsColumn,
            s.name.span,
            `\`let ${name}\` would hide the column '${name}' of the results.`,
            `Choose another name, e.g. \`let ${name}_2 = ...\`.`,
          ),
        );
        continue;
      }
      this.done.delete(name);
      this.pending.set(name, s);
      this.statements.set(name, s);
    }
    for (const name of [...this.pending.keys()]) this.resolve(name);
  }

  /**
   * The value of `let NAME = EXPR` in the unit NAME's suffix gives: `let total_s =
   * total_ms` is converted to seconds, as a column's suffix says its unit. A value
   * multiplied or divided by the plain number that converts it (`rss_bytes / 1048576`
   * for `host_rss_mib`), or by several, is taken as converted by hand; one constant that
   * is not the conversion is arithmetic (`total_ms / 2` for `half_s`: converted), and a
   * power of 1000 or 1024 that is not it (`/ 1000000` for `_mib`) is warned about. A
   * value of another dimension (`let x_ms =
   * transferred_bytes`) is an error: its name would say the wrong unit.
   */
  private inNamedUnit(
    name: string,
    s: LetStatement,
    typed: TypedExpr,
    unit: string | undefined,
  ): Expr | undefined {
    if (unit === undefined || typed.unit === undefined || typed.unit === unit) return typed.expr;
    const want = unitScale(unit);
    const has = unitScale(typed.unit);
    if (!want || !has) return typed.expr;
    const ratio = has.factor / want.factor;
    if (typed.scaled === true) {
      const by = constantFactor(typed.expr);
      // Scaled by hand unless the one constant is plainly not the conversion: `total_ms /
      // 2` named in seconds is half the time, converted; `/ 1000` is the conversion.
      if (by === undefined || want.dim !== has.dim || sameFactor(by, ratio)) return typed.expr;
      if (looksLikeUnitFactor(by))
        this.diags.push(
          diagnostic(
            'warning',
            C.UnitFactor,
            s.expr.span,
            `\`let ${name}\`: ${formatFactor(by)} does not convert ${typed.unit} to ${unit} (${formatFactor(ratio)} does), so the value is converted from ${typed.unit} after it.`,
            `To convert by hand, use ${formatFactor(ratio)}; or name the let without a unit suffix.`,
          ),
        );
    }
    if (want.dim !== has.dim) {
      this.diags.push(
        diagnostic(
          'error',
          C.WrongUnit,
          s.expr.span,
          `\`let ${name}\` is ${describeDimension(has.dim)} (in ${typed.unit}), but its name ends in a unit of ${describeDimension(want.dim)} (${unit}).`,
          this.renameHint(name, unit, typed.unit),
        ),
      );
      return undefined;
    }
    const factor: Expr = { kind: 'number', value: ratio, span: s.expr.span };
    return { kind: 'binary', op: '*', left: typed.expr, right: factor, span: s.expr.span };
  }

  /** How to name `name` (in `unit` by its suffix) for a value in `holds`. */
  private renameHint(name: string, unit: string, holds: string): string {
    const base = name.slice(0, name.length - (suffixForUnit(unit) ?? '').length);
    const suffix = suffixForUnit(holds);
    return suffix === undefined
      ? `Name it without a unit suffix (\`let ${base} = ...\`), or convert it to ${unit}.`
      : `Name it for what it holds (\`let ${base}${suffix} = ...\`), or without a unit suffix.`;
  }

  /** Every let in effect, each after the lets it uses. */
  ordered(): LetDefinition[] {
    const out: LetDefinition[] = [];
    const placed = new Set<string>();
    const place = (name: string): void => {
      const l = this.done.get(name);
      if (!l || placed.has(name)) return;
      placed.add(name);
      for (const u of l.uses) place(u);
      out.push(l.def);
    };
    for (const name of this.done.keys()) place(name);
    return out;
  }

  /** The lets in effect, for the scope of later texts. */
  scope(): Map<string, ScopeLet> {
    return new Map(this.done);
  }

  /**
   * The names an expression over `view` can use: its columns, the axes, `label`, `seed`
   * and the lets whose columns are all in it; `view` undefined: any table's (a `let`).
   */
  names(view: TableView | undefined): ExprNames {
    const columns = view === undefined ? this.anyColumn : (this.perView.get(view) ?? new Map());
    const place = view === undefined ? 'the results' : `the ${view} table`;
    const letInfo = (name: string): ColumnInfo | undefined => {
      const l = this.pending.has(name) ? this.resolve(name) : this.done.get(name);
      if (!l || (view !== undefined && !this.fits(name, view))) return undefined;
      if (this.visiting.length > 0 && this.closesCycle(name)) return undefined;
      return { name, type: l.type, ...(l.unit === undefined ? {} : { unit: l.unit }) };
    };
    return {
      lookup: (name) => columns.get(name) ?? letInfo(name),
      names: () => [
        ...columns.keys(),
        ...[...this.done.keys(), ...this.pending.keys()].filter(
          (n) => view === undefined || this.fits(n, view),
        ),
      ],
      why: (name) => {
        if (view === undefined || !this.done.has(name) || this.fits(name, view)) return undefined;
        const lacking = this.baseColumns(name).filter((c) => !columns.has(c));
        return ` \`let ${name}\` uses ${lacking.map((c) => `'${c}'`).join(', ')}, which it lacks.`;
      },
      broken: (name) => this.failed.has(name) || this.cyclic.has(name),
      place,
    };
  }

  /**
   * True when the earlier text's let `name` uses (through others) a let being compiled:
   * `let b = a * 2` in one cell and `let a = b + 1` in the next make a cycle. Reported.
   */
  private closesCycle(name: string): boolean {
    const path: string[] = [];
    const seen = new Set<string>();
    const walk = (n: string): boolean => {
      if (this.visiting.includes(n)) return true;
      const l = this.done.get(n);
      if (!l || seen.has(n)) return false;
      seen.add(n);
      path.push(n);
      if (l.uses.some(walk)) return true;
      path.pop();
      return false;
    };
    if (!walk(name)) return false;
    const start = this.visiting[this.visiting.length - 1];
    const s = this.statements.get(start);
    const cycle = [start, ...path, start];
    for (const n of cycle) this.cyclic.add(n);
    if (s)
      this.diags.push(
        diagnostic(
          'error',
          C.LetCycle,
          s.name.span,
          `\`let ${start}\` uses itself: ${cycle.join(' -> ')}.`,
          'Define one of them from result columns only.',
        ),
      );
    return true;
  }

  /** True when every column the let `name` uses (through other lets too) is in `view`. */
  fits(name: string, view: TableView): boolean {
    const columns = this.perView.get(view);
    return this.baseColumns(name).every((c) => columns?.has(c) ?? false);
  }

  /** The columns (not lets) the let `name` uses, through other lets too. */
  private baseColumns(name: string): string[] {
    const out = new Set<string>();
    const seen = new Set<string>();
    const walk = (n: string): void => {
      if (seen.has(n)) return;
      seen.add(n);
      const l = this.done.get(n);
      if (l) l.uses.forEach(walk);
      else out.add(n);
    };
    walk(name);
    return [...out];
  }

  /** The let `name` of this text compiled, or undefined when it has an error or a cycle. */
  private resolve(name: string): ScopeLet | undefined {
    const done = this.done.get(name);
    if (done) return done;
    const s = this.pending.get(name);
    if (!s || this.cyclic.has(name)) return undefined;
    const at = this.visiting.indexOf(name);
    if (at >= 0) {
      const cycle = [...this.visiting.slice(at), name];
      for (const n of cycle) this.cyclic.add(n);
      this.diags.push(
        diagnostic(
          'error',
          C.LetCycle,
          s.name.span,
          `\`let ${name}\` uses itself: ${cycle.join(' -> ')}.`,
          'Define one of them from result columns only.',
        ),
      );
      return undefined;
    }
    this.visiting.push(name);
    const unit = unitFromName(name);
    const before = this.diags.length;
    const typed = compileExpr(s.expr, this.names(undefined), this.diags, {
      ...(unit === undefined ? {} : { unit }),
      what: `let ${name}`,
    });
    this.visiting.pop();
    this.pending.delete(name);
    const value = typed && this.inNamedUnit(name, s, typed, unit);
    const erred = this.diags.slice(before).some((d) => d.severity === 'error');
    if (!typed || !value || this.cyclic.has(name) || erred) {
      this.failed.add(name);
      return undefined;
    }
    const l: ScopeLet = {
      def: { name, expr: value, line: s.span.line },
      type: typed.type,
      ...((unit ?? typed.unit) === undefined ? {} : { unit: unit ?? typed.unit }),
      uses: namesIn(typed.expr),
      text: exprText(s.expr),
    };
    this.done.set(name, l);
    if (!TABLE_VIEWS.some((v) => this.fits(name, v))) {
      this.done.delete(name);
      this.failed.add(name);
      this.diags.push(
        diagnostic(
          'error',
          C.UnknownColumn,
          s.expr.span,
          `\`let ${name}\` mixes columns of different tables: no result table has all of ${l.uses.map((u) => `'${u}'`).join(', ')}.`,
          'Use columns of one table (summary, iterations, timeline, events or stale).',
        ),
      );
      return undefined;
    }
    return l;
  }
}

/** The columns and lets an expression names, each once. */
export function namesIn(e: Expr): string[] {
  const out = new Set<string>();
  const walk = (x: Expr): void => {
    switch (x.kind) {
      case 'column':
        out.add(x.name);
        return;
      case 'unary':
        walk(x.arg);
        return;
      case 'binary':
        walk(x.left);
        walk(x.right);
        return;
      case 'call':
        x.args.forEach(walk);
        return;
      default:
        return;
    }
  };
  walk(e);
  return [...out];
}

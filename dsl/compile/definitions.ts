/**
 * Definitions (`vm`, `tracking`, `costs`, `migration`) and `extends`: each definition's
 * body is bound to the schema, lowered to its engine value and merged onto its base's
 * value. A definition is looked up by kind and name, in this text first and then in
 * the scope of earlier texts and used files; one with an error (or whose base has one)
 * has no value and stays out of the new scope, so later texts never see half of it.
 */
import type { Definition, DefinitionKind, Property, Span } from '../ast.ts';
import { DEFINITION_KINDS } from '../ast.ts';
import { DiagnosticCode as C, diagnostic, didYouMean, oneOf } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { requiredFields } from '../schema.ts';
import { checkBlock } from './bind.ts';
import type { BoundProperty } from './bind.ts';
import {
  checkDowntimeCoversOnePage,
  checkMemslots,
  checkRequiredFields,
  checkSlotsAddressable,
  checkWorkloadsFit,
  checkDevicesFit,
} from './checks.ts';
import { axisOf, countVariants, propertyVariants, sweptFields } from './family.ts';
import { VariantPicker } from './variant.ts';
import type { Family, FamilyAxis, Param, Variant } from './family.ts';
import { lowerCosts, lowerMigration, lowerTracking, lowerVm } from './lower.ts';
import type { LoadTrace } from './lower.ts';
import { KIND_NOUN } from './scope.ts';
import type { DefinitionScope, DefinitionValues } from './scope.ts';

/** One map per kind of definition, its values of that kind. */
type PerKind<V extends { [K in DefinitionKind]: unknown }> = {
  readonly [K in DefinitionKind]: Map<string, V[K]>;
};

/** Values that are a definition's own fields, before its base is merged in. */
type DefinitionParts = { [K in DefinitionKind]: Partial<DefinitionValues[K]> };
type DefinitionNodes = { [K in DefinitionKind]: Definition };

/** The most variants a family may have: no experiment runs more plans. */
export const MAX_VARIANTS = 10_000;

/** What lowering needs besides the properties: where to report, how to read traces. */
interface LowerContext {
  diags: Diagnostic[];
  loadTrace: LoadTrace;
}

/**
 * A definition's value: its own fields lowered onto its base's (`{}` without a base).
 * Undefined when a required field is missing, which has been reported.
 */
const LOWER: {
  readonly [K in DefinitionKind]: (
    props: readonly BoundProperty[],
    base: DefinitionParts[K],
    name: string,
    ctx: LowerContext,
  ) => DefinitionValues[K] | undefined;
} = {
  vm: (props, base, name, ctx) => ({
    arch: 'x86_64',
    vcpus: 1,
    slots: [],
    workloads: [],
    ...base,
    ...lowerVm(props, ctx.diags, ctx.loadTrace),
    name,
  }),
  tracking: (props, base, name, ctx) => {
    const own = lowerTracking(props, ctx.diags);
    const merged = { ...base, ...own, name };
    if (base.proposals || own.proposals) merged.proposals = { ...base.proposals, ...own.proposals };
    const { dirtyLog } = merged;
    return dirtyLog === undefined ? undefined : { ...merged, dirtyLog };
  },
  migration: (props, base, name) => {
    const merged = { ...base, ...lowerMigration(props), name };
    const { bandwidth } = merged;
    return bandwidth === undefined ? undefined : { ...merged, bandwidth };
  },
  costs: (props, base) => ({ ...base, ...lowerCosts(props) }),
};

/** The value of every error-free definition of a text (a family's first variant), by kind, in text order. */
export interface DefinedValues {
  vms: DefinitionValues['vm'][];
  tracking: DefinitionValues['tracking'][];
  costs: { name: string; costs: DefinitionValues['costs'] }[];
  migrations: DefinitionValues['migration'][];
}

/** The definitions of one text, with the scope they can extend and name. */
export class Definitions {
  /** The unique definitions, in text order. */
  private readonly all: Definition[] = [];
  private readonly byName: PerKind<DefinitionNodes> = perKind();
  /** Each definition's own properties, one list per variant (one without swept fields). */
  private readonly variants = new Map<Definition, { props: BoundProperty[]; params: Param[] }[]>();
  private readonly ownAxes = new Map<Definition, FamilyAxis[]>();
  /** Resolved families by kind and name; undefined for a definition with an error. */
  private readonly resolved: {
    readonly [K in DefinitionKind]: Map<string, Family<DefinitionValues[K]> | undefined>;
  } = { vm: new Map(), tracking: new Map(), costs: new Map(), migration: new Map() };
  private readonly visiting = new Set<Definition>();
  private readonly erroneous = new Set<Definition>();
  /** What a check of every variant reported, so a family repeats no diagnostic. */
  private readonly reported = new Set<string>();
  /** Trace files read once per place they are named, however many variants lower them. */
  private readonly traces = new Map<string, ReturnType<LoadTrace>>();

  /**
   * Definitions whose block has an unknown field or a syntax error: a field missing
   * from such a block is not reported, since the error may be that very field (`slt r
   * at 0 size 1GiB`), and reporting it at the name would put it before the error that
   * explains it.
   */
  private readonly damaged = new Set<Definition>();

  constructor(
    private readonly scope: DefinitionScope,
    private readonly diags: Diagnostic[],
    /** Reads a trace workload's rows (reporting why not); the compiler does no I/O. */
    private readonly loadTrace: LoadTrace,
    /** The lines with a lexing or parse error. */
    private readonly syntaxLines: ReadonlySet<number> = new Set(),
    /** Picks the value of each `vary` bound for the variant compiled. */
    private readonly picker: VariantPicker = new VariantPicker(0),
  ) {}

  /** True when a syntax error is on a line from the definition's first to its last item's. */
  private hasSyntaxError(def: Definition): boolean {
    let last = def.span.line;
    const visit = (props: readonly Property[]): void => {
      for (const p of props) {
        last = Math.max(last, p.key.span.line);
        if (p.body) visit(p.body.properties);
      }
    };
    visit(def.body.properties);
    for (let line = def.span.line; line <= last + 1; line++)
      if (this.syntaxLines.has(line)) return true;
    return false;
  }

  /**
   * Resolve `defs` (every definition of the text, in order): names unique per kind,
   * bodies bound to the schema, bases merged in. Returns the values without errors.
   */
  compile(defs: readonly Definition[]): DefinedValues {
    this.checkUnique(defs);
    for (const def of this.all) {
      const before = this.diags.length;
      const props = this.picker.resolve(
        `${def.defKind} ${def.name.text}`,
        checkBlock(def.body, def.defKind, this.diags),
      );
      const misspelt = this.diags.slice(before).some((d) => d.code === C.UnknownField);
      if (misspelt || this.hasSyntaxError(def)) this.damaged.add(def);
      if (this.checkSweeps(def, props)) {
        const variants = propertyVariants(props);
        this.variants.set(def, variants);
        if (def.defKind === 'vm')
          for (const v of variants)
            this.report((diags) =>
              checkMemslots(
                v.props.filter((p) => p.key === 'slot'),
                diags,
              ),
            );
      }
      if (this.hasErrorSince(before)) this.erroneous.add(def);
    }
    const out: DefinedValues = { vms: [], tracking: [], costs: [], migrations: [] };
    for (const def of this.all) {
      switch (def.defKind) {
        case 'vm': {
          const v = this.resolve('vm', def);
          if (v) {
            out.vms.push(v.variants[0].value);
            // Every variant of a family (`vcpus [2, 8]`) against the VM's own workloads;
            // their places are the same in every variant.
            const own = this.variants.get(def)?.[0]?.props ?? [];
            const workloads = own.filter((p) => p.key === 'workload');
            const before = this.diags.length;
            const slots = own.filter((p) => p.key === 'slot');
            const devices = own.filter((p) => p.key === 'device');
            for (const { value } of v.variants)
              this.report((diags) => {
                checkSlotsAddressable(value, slots, def.name.span, diags);
                checkWorkloadsFit(value, workloads, def.name.span, diags);
                checkDevicesFit(value, devices, def.name.span, diags);
              });
            // A VM its run would reject stays out of the scope of later cells.
            if (this.hasErrorSince(before)) this.erroneous.add(def);
          }
          break;
        }
        case 'tracking': {
          const t = this.resolve('tracking', def);
          if (t) out.tracking.push(t.variants[0].value);
          break;
        }
        case 'migration': {
          const m = this.resolve('migration', def);
          if (m) {
            out.migrations.push(m.variants[0].value);
            // One warning for a family: the first variant that cannot stop.
            const before = this.diags.length;
            for (const { value } of m.variants) {
              checkDowntimeCoversOnePage(value, def.name.span, this.diags);
              if (this.diags.length > before) break;
            }
          }
          break;
        }
        case 'costs': {
          const c = this.resolve('costs', def);
          if (c) out.costs.push({ name: def.name.text, costs: c.variants[0].value });
          break;
        }
      }
    }
    return out;
  }

  /** `scope` plus this text's error-free definitions (a redefinition replaces). */
  newScope(): DefinitionScope {
    return {
      vm: this.scopeOf('vm'),
      tracking: this.scopeOf('tracking'),
      costs: this.scopeOf('costs'),
      migration: this.scopeOf('migration'),
    };
  }

  /** Look up a reference: this text first, then the scope. Reports unknown names and kinds. */
  lookup<K extends DefinitionKind>(
    kind: K,
    name: string,
    span: Span,
  ): Family<DefinitionValues[K]> | undefined {
    const local = this.byName[kind].get(name);
    if (local) return this.resolve(kind, local);
    const fromScope = this.scope[kind].get(name);
    if (fromScope) return fromScope;
    const names = this.namesOf(kind);
    const other = DEFINITION_KINDS.find(
      (k) => k !== kind && (this.byName[k].has(name) || this.scope[k].has(name)),
    );
    if (other) {
      this.diags.push(
        diagnostic(
          'error',
          C.WrongKind,
          span,
          `'${name}' is a ${KIND_NOUN[other]}, not a ${KIND_NOUN[kind]}.`,
          `Name a ${KIND_NOUN[kind]} here${names.length ? `: ${oneOf(names)}` : ''}.`,
        ),
      );
    } else {
      this.diags.push(
        diagnostic(
          'error',
          C.UnknownName,
          span,
          `Unknown ${KIND_NOUN[kind]} '${name}'.${didYouMean(name, names)}`,
          names.length
            ? `Known: ${oneOf(names)}.`
            : `Define it first: \`${kind} ${name} { ... }\`.`,
        ),
      );
    }
    return undefined;
  }

  private scopeOf<K extends DefinitionKind>(kind: K): Map<string, Family<DefinitionValues[K]>> {
    const next = new Map(this.scope[kind]);
    for (const def of this.byName[kind].values()) {
      const value = this.resolved[kind].get(def.name.text);
      if (value !== undefined && !this.erroneous.has(def)) next.set(def.name.text, value);
    }
    return next;
  }

  private hasErrorSince(index: number): boolean {
    return this.diags.slice(index).some((d) => d.severity === 'error');
  }

  /**
   * Run a check once per variant of a family: what it reports is added unless an
   * earlier variant reported the same (code, place and message).
   */
  private report<T>(check: (diags: Diagnostic[]) => T): T {
    const found: Diagnostic[] = [];
    const result = check(found);
    for (const d of found) {
      const key = `${d.code}:${d.line}:${d.column}:${d.message}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      this.diags.push(d);
    }
    return result;
  }

  /**
   * The swept fields of a definition: each column once, and not more variants than an
   * experiment may run. Records the definition's own axes; false after reporting.
   */
  private checkSweeps(def: Definition, props: readonly BoundProperty[]): boolean {
    const fields = sweptFields(props);
    const axes: FamilyAxis[] = [];
    for (const f of fields) {
      const first = axes.find((a) => a.column === f.column);
      if (first) {
        this.diags.push(
          diagnostic(
            'error',
            C.DuplicateAxis,
            f.span,
            `${def.defKind} '${def.name.text}' sweeps '${f.column}' twice (first on line ${first.span.line}); each swept column needs its own name.`,
            'Sweep it in one place, or define two families.',
          ),
        );
        return false;
      }
      axes.push(axisOf(f));
    }
    if (countVariants(fields) > MAX_VARIANTS) {
      this.diags.push(
        diagnostic(
          'error',
          C.TooManyPlans,
          def.name.span,
          `${def.defKind} '${def.name.text}' has ${describeProduct(axes)} = ${countVariants(fields).toLocaleString('en-US')} variants; an experiment runs at most ${MAX_VARIANTS.toLocaleString('en-US')} plans.`,
          'Sweep fewer values (a larger step), or split the family in two.',
        ),
      );
      return false;
    }
    this.ownAxes.set(def, axes);
    return true;
  }

  /** Two definitions of the same kind may not share a name in one text. */
  private checkUnique(defs: readonly Definition[]): void {
    for (const def of defs) {
      if (!def.name.text) continue;
      const first = this.byName[def.defKind].get(def.name.text);
      if (first) {
        this.diags.push(
          diagnostic(
            'error',
            C.DuplicateDefinition,
            def.name.span,
            `${def.defKind} '${def.name.text}' is already defined on line ${first.name.span.line}.`,
            'Rename one of them, or use `extends` to build on the first.',
          ),
        );
        continue;
      }
      this.byName[def.defKind].set(def.name.text, def);
      this.all.push(def);
    }
  }

  /** The names of a kind that are visible, for "did you mean". */
  private namesOf(kind: DefinitionKind): string[] {
    return [...new Set([...this.byName[kind].keys(), ...this.scope[kind].keys()])];
  }

  /** Reads a trace file once per place it is named (its errors reported once). */
  private readTrace(path: string, span: Span): ReturnType<LoadTrace> {
    const key = `${span.offset}:${path}`;
    if (!this.traces.has(key)) this.traces.set(key, this.loadTrace(path, span));
    return this.traces.get(key);
  }

  /**
   * A definition (of kind `kind`) merged onto its base: each variant of the base with
   * each of its own; undefined when it or its base has errors.
   */
  private resolve<K extends DefinitionKind>(
    kind: K,
    def: Definition,
  ): Family<DefinitionValues[K]> | undefined {
    const name = def.name.text;
    const cache = this.resolved[kind];
    if (cache.has(name)) return cache.get(name);
    if (this.visiting.has(def)) {
      this.diags.push(
        diagnostic(
          'error',
          C.ExtendsCycle,
          def.name.span,
          `${def.defKind} '${name}' extends itself through a cycle.`,
          'Break the cycle: one definition must stand alone.',
        ),
      );
      this.erroneous.add(def);
      return undefined;
    }
    this.visiting.add(def);
    const before = this.diags.length;
    let base: Family<DefinitionParts[K]> | undefined = {
      axes: [],
      variants: [{ value: {}, params: [] }],
    };
    if (def.base) {
      base = this.lookup(kind, def.base.text, def.base.span);
      if (base === undefined) this.erroneous.add(def);
    }
    let family: Family<DefinitionValues[K]> | undefined;
    const own = this.variants.get(def);
    if (base !== undefined && own !== undefined) {
      const ctx = {
        diags: this.diags,
        loadTrace: (path: string, span: Span) => this.readTrace(path, span),
      };
      family = this.merge(kind, def, base, own, ctx);
      // A field that is written but failed its own checks is present: no second error.
      // A base that resolved has every required field (else it would have an error).
      if (!def.base && !this.damaged.has(def))
        checkRequiredFields(
          def,
          def.body.properties.map((p) => p.key.text),
          requiredFields(kind),
          this.diags,
        );
    }
    if (this.hasErrorSince(before) || family === undefined) this.erroneous.add(def);
    this.visiting.delete(def);
    const ok = this.erroneous.has(def) ? undefined : family;
    cache.set(name, ok);
    return ok;
  }

  /**
   * Every variant of `base` with every variant of the definition's own fields, the
   * base's axes outermost. A base axis whose field the definition sets again changes
   * nothing any more: it is dropped, with the variants of its other values.
   */
  private merge<K extends DefinitionKind>(
    kind: K,
    def: Definition,
    base: Family<DefinitionParts[K]>,
    own: readonly { props: BoundProperty[]; params: Param[] }[],
    ctx: LowerContext,
  ): Family<DefinitionValues[K]> | undefined {
    const name = def.name.text;
    const variants: Variant<DefinitionValues[K]>[] = [];
    for (const b of base.variants) {
      for (const o of own) {
        const value = this.report((diags) =>
          LOWER[kind](o.props, b.value, name, { ...ctx, diags }),
        );
        if (value === undefined) return undefined;
        variants.push({ value, params: [...b.params, ...o.params] });
      }
    }
    const ownAxes = this.ownAxes.get(def) ?? [];
    // A `vary` axis has one value, so it changes nothing between variants; it is kept
    // as the column of the value picked unless the definition sets the field again.
    const live = base.axes.map(
      (a, i) =>
        !ownAxes.some((o) => o.column === a.column) &&
        (a.vary === true || changesValue(variants, i)),
    );
    const axes = [...base.axes.filter((_, i) => live[i]), ...ownAxes];
    if (live.every(Boolean)) return { axes, variants };
    const kept = variants
      .filter((v) => base.axes.every((a, i) => live[i] || v.params[i].value === a.values[0]))
      .map((v) => ({
        value: v.value,
        params: v.params.filter((_, i) => i >= live.length || live[i]),
      }));
    return { axes, variants: kept };
  }
}

/**
 * Whether the values of axis `i` make a difference: some two variants that differ only
 * in it have different values. Variants hold every combination, so comparing each with
 * the one that has the axis's first value is enough.
 */
function changesValue<V>(variants: readonly Variant<V>[], i: number): boolean {
  const key = (v: Variant<V>): string =>
    JSON.stringify(v.params.map((p, j) => (j === i ? null : p.value)));
  const firstValue = variants[0]?.params[i]?.value;
  const reference = new Map<string, string>();
  for (const v of variants)
    if (v.params[i].value === firstValue) reference.set(key(v), JSON.stringify(v.value));
  return variants.some((v) => reference.get(key(v)) !== JSON.stringify(v.value));
}

/** "bandwidth (7) × vcpus (8)". */
export function describeProduct(axes: readonly Pick<FamilyAxis, 'column' | 'values'>[]): string {
  return axes.map((a) => `${a.column} (${a.values.length})`).join(' × ');
}

function perKind<V extends { [K in DefinitionKind]: unknown }>(): PerKind<V> {
  return { vm: new Map(), tracking: new Map(), costs: new Map(), migration: new Map() };
}

/**
 * Definitions (`vm`, `tracking`, `costs`, `migration`) and `extends`: each definition's
 * body is bound to the schema, lowered to its engine value and merged onto its base's
 * value. A definition is looked up by kind and name, in this text first and then in
 * the scope of earlier texts and used files; one with an error (or whose base has one)
 * has no value and stays out of the new scope, so later texts never see half of it.
 */
import type { Definition, DefinitionKind, Span } from '../ast.ts';
import { DEFINITION_KINDS } from '../ast.ts';
import { DiagnosticCode as C, diagnostic, didYouMean, oneOf } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { requiredFields } from '../schema.ts';
import { checkBlock } from './bind.ts';
import type { BoundProperty } from './bind.ts';
import { checkDowntimeCoversOnePage, checkMemslots, checkRequiredFields } from './checks.ts';
import { lowerCosts, lowerMigration, lowerTracking, lowerVm } from './lower.ts';
import type { LoadTrace } from './lower.ts';
import { KIND_NOUN } from './scope.ts';
import type { DefinitionValues, Scope } from './scope.ts';

/** One map per kind of definition, its values of that kind. */
type PerKind<V extends { [K in DefinitionKind]: unknown }> = {
  readonly [K in DefinitionKind]: Map<string, V[K]>;
};

/** Values that are a definition's own fields, before its base is merged in. */
type DefinitionParts = { [K in DefinitionKind]: Partial<DefinitionValues[K]> };
type MaybeValues = { [K in DefinitionKind]: DefinitionValues[K] | undefined };
type DefinitionNodes = { [K in DefinitionKind]: Definition };

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

/** The value of every error-free definition of a text, by kind, in text order. */
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
  private readonly bound = new Map<Definition, BoundProperty[]>();
  /** Resolved values by kind and name; undefined for a definition with an error. */
  private readonly resolved: PerKind<MaybeValues> = perKind();
  private readonly visiting = new Set<Definition>();
  private readonly erroneous = new Set<Definition>();

  constructor(
    private readonly scope: Scope,
    private readonly diags: Diagnostic[],
    /** Reads a trace workload's rows (reporting why not); the compiler does no I/O. */
    private readonly loadTrace: LoadTrace,
  ) {}

  /**
   * Resolve `defs` (every definition of the text, in order): names unique per kind,
   * bodies bound to the schema, bases merged in. Returns the values without errors.
   */
  compile(defs: readonly Definition[]): DefinedValues {
    this.checkUnique(defs);
    for (const def of this.all) {
      const before = this.diags.length;
      const props = checkBlock(def.body, def.defKind, this.diags);
      if (def.defKind === 'vm')
        checkMemslots(
          props.filter((p) => p.key === 'slot'),
          this.diags,
        );
      this.bound.set(def, props);
      if (this.hasErrorSince(before)) this.erroneous.add(def);
    }
    const out: DefinedValues = { vms: [], tracking: [], costs: [], migrations: [] };
    for (const def of this.all) {
      switch (def.defKind) {
        case 'vm': {
          const v = this.resolve('vm', def);
          if (v) out.vms.push(v);
          break;
        }
        case 'tracking': {
          const t = this.resolve('tracking', def);
          if (t) out.tracking.push(t);
          break;
        }
        case 'migration': {
          const m = this.resolve('migration', def);
          if (m) {
            out.migrations.push(m);
            checkDowntimeCoversOnePage(m, def.name.span, this.diags);
          }
          break;
        }
        case 'costs': {
          const c = this.resolve('costs', def);
          if (c) out.costs.push({ name: def.name.text, costs: c });
          break;
        }
      }
    }
    return out;
  }

  /** `scope` plus this text's error-free definitions (a redefinition replaces). */
  newScope(): Scope {
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
  ): DefinitionValues[K] | undefined {
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

  private scopeOf<K extends DefinitionKind>(kind: K): Map<string, DefinitionValues[K]> {
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

  /** A definition (of kind `kind`) merged onto its base; undefined when it or its base has errors. */
  private resolve<K extends DefinitionKind>(
    kind: K,
    def: Definition,
  ): DefinitionValues[K] | undefined {
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
    let base: DefinitionParts[K] | undefined = {};
    if (def.base) {
      base = this.lookup(kind, def.base.text, def.base.span);
      if (base === undefined) this.erroneous.add(def);
    }
    let value: DefinitionValues[K] | undefined;
    if (base !== undefined) {
      const ctx = { diags: this.diags, loadTrace: this.loadTrace };
      value = LOWER[kind](this.bound.get(def) ?? [], base, name, ctx);
      // A field that is written but failed its own checks is present: no second error.
      // A base that resolved has every required field (else it would have an error).
      if (!def.base)
        checkRequiredFields(
          def,
          def.body.properties.map((p) => p.key.text),
          requiredFields(kind),
          this.diags,
        );
    }
    if (this.hasErrorSince(before) || value === undefined) this.erroneous.add(def);
    this.visiting.delete(def);
    const ok = this.erroneous.has(def) ? undefined : value;
    cache.set(name, ok);
    return ok;
  }
}

function perKind<V extends { [K in DefinitionKind]: unknown }>(): PerKind<V> {
  return { vm: new Map(), tracking: new Map(), costs: new Map(), migration: new Map() };
}

/**
 * How each rule of the grammar (parser.ts) is written, keyed by the generated rule
 * names: a rule without an entry does not compile, and neither does a statement whose
 * entry lacks its form, example and keyword docs. From this table come the hint of a
 * parse error in the rule (parse.ts), the docs of each keyword (hover, %help) and the
 * statements of docs/language.md. Words the hints name (views, axes, options,
 * definition kinds) come from the schema (schema.ts), never from a second list.
 */
import { DEFINITION_KINDS } from './ast.ts';
import type { StatementCstChildren } from './cst.generated.d.ts';
import { oneOf } from './diagnostics.ts';
import { parser } from './parser.ts';
import type { RuleName } from './parser.ts';
import { EXPORT_FORMATS, FIELDS, PLOT_X, PLOT_Y, TABLE_VIEWS } from './schema.ts';
import { fixedText } from './tokens.ts';

/** The rules that are statements: the alternatives of the `statement` rule. */
export type StatementRule = keyof StatementCstChildren;

/** A rule inside a statement: how to write it, as the hint of a parse error in it. */
export interface RuleSyntax {
  hint: string;
}

/** A statement. */
export interface StatementSyntax {
  /** How it is written, in the notation of docs/language.md. */
  form: string;
  /** A statement of this form; a parse error in it says "Write `example`." */
  example: string;
  /** The hint of a parse error in it, when an example is not the advice. */
  hint?: string;
  /** The docs of each of its keywords (hover, %help), the ones that start it first. */
  keywords: Readonly<Record<string, string>>;
}

export type Syntax = {
  readonly [R in RuleName]: R extends StatementRule ? StatementSyntax : RuleSyntax;
};

/** The keywords a statement can start with, from the grammar: `vm`, `tracking`, ... */
export const STATEMENT_KEYWORDS: readonly string[] = parser
  .computeContentAssist('statement', [])
  .map((path) => fixedText(path.nextTokenType) ?? '')
  .filter((k) => k !== '');

const startsStatement = `A statement starts with ${STATEMENT_KEYWORDS.slice(0, -1).join(', ')} or ${STATEMENT_KEYWORDS[STATEMENT_KEYWORDS.length - 1]}.`;

const [firstX, { table: firstXTable }] = Object.entries(PLOT_X)[0];

export const SYNTAX: Syntax = {
  program: { hint: startsStatement },
  statement: { hint: startsStatement },
  useStmt: {
    form: 'use "FILE"',
    example: 'use "common.mmu"',
    keywords: {
      use: '`use "common.mmu"`: bring in the definitions of another file (path relative to this file; cycles are reported).',
    },
  },
  definition: {
    form: `${DEFINITION_KINDS.join('|')} NAME [extends NAME] { FIELD VALUE ... }`,
    example: 'tracking ring8k extends ring { dirty_log ring 8192 }',
    hint: `Write a definition as \`KIND NAME [extends OTHER] { ... }\`, where KIND is ${DEFINITION_KINDS.slice(0, -1).join(', ')} or ${DEFINITION_KINDS[DEFINITION_KINDS.length - 1]}.`,
    keywords: {
      vm: 'Defines a guest: `vm NAME [extends OTHER] { arch, vcpus, slot, workload, device, balloon, prefill }`. Lowered to a VmSpec: the memslots KVM_SET_USER_MEMORY_REGION would register, the vCPUs and what they write.',
      tracking:
        'Defines a dirty-tracking policy: `tracking NAME [extends OTHER] { dirty_log ..., eager_split ..., pml ... }`. Maps to the KVM capabilities and module parameters QEMU sets up before migration (KVM_MEM_LOG_DIRTY_PAGES, KVM_CAP_DIRTY_LOG_RING, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, ...).',
      costs:
        'As a definition: `costs NAME { vm_exit 700ns, ... }` overrides the simulator cost table (ns per operation). As a run option: `costs NAME` applies those overrides to the run.',
      migration:
        "Defines a live-migration policy: `migration NAME { policy precopy, bandwidth 10Gbit/s, downtime 300ms, ... }`. Mirrors QEMU's migration parameters and capabilities (migrate-set-parameters).",
      extends:
        '`KIND NAME extends BASE { ... }`: start from the definition BASE of the same kind and override the keys given.',
    },
  },
  block: { hint: "Close the block with '}'; items are separated by newlines or commas." },
  property: { hint: 'A field is `KEY VALUE ...`, one per line or separated by commas.' },
  value: {
    hint: 'A value is a word, a number with its unit (4GiB), a "string", a range (1..5) or a list ([a, b]).',
  },
  atom: { hint: 'A value is a word, a number with its unit (4GiB) or a "string".' },
  list: { hint: "Close the list with ']'; its items are separated by commas." },
  experiment: {
    form: 'run|sweep VM with TRACKING, MIGRATION [OPTION VALUE ...]',
    example: 'run VM with TRACKING, MIGRATION seed N',
    keywords: {
      run: '`run VM with TRACKING, MIGRATION [seed N] [costs C] [warmup T] ...`: one simulated migration of VM, its dirty log set up by TRACKING.',
      sweep:
        '`sweep VM with [T1, T2], M seeds 1..5`: the cartesian product of every list and seed range; one run per combination, run in parallel.',
      with: 'Separates the VM of a run from its tracking policy and migration policy: `run db with ring, fast`.',
    },
  },
  runOption: {
    hint: `After the migration come options with their values (\`seed 7\`): ${oneOf(Object.keys(FIELDS.run))}.`,
  },
  tableStmt: {
    form: 'table VIEW, ... [with COLUMN, ...]',
    example: `table ${TABLE_VIEWS[0]}, ${TABLE_VIEWS[1]}`,
    keywords: {
      table:
        "`table summary, iterations, timeline, events, stale`: print these result tables of the runs above; `table summary with total_ms, downtime_ms` shows only those columns (after a sweep's `label`).",
      with: 'After `table V`, the columns to show: `table summary with total_ms, downtime_ms`.',
    },
  },
  plotStmt: {
    form: 'plot Y over X',
    example: `plot ${Object.keys(PLOT_Y[firstXTable])[0]} over ${firstX}`,
    keywords: {
      plot: '`plot Y over X`: a Plotly chart of column Y against `time` (timeline) or `iteration` (iterations).',
      over: '`plot Y over X`: X is `time` (timeline samples) or `iteration` (one point per dirty-log sync).',
    },
  },
  exportStmt: {
    form: `export VIEW, ... to "DIR" [as ${EXPORT_FORMATS.join('|')}]`,
    example: `export ${TABLE_VIEWS[0]} to "results/" as ${EXPORT_FORMATS[1]}`,
    keywords: {
      export:
        '`export summary, iterations to "results/" [as csv|arrow]`: after the runs, write these result tables as files (CSV by default, or Arrow) into a directory relative to this file, with their provenance.',
      to: '`export VIEWS to "DIR"`: the directory the files go to, relative to the .mmu file.',
      as: '`export VIEWS to "DIR" as FORMAT`: the file format, `csv` (default) or `arrow`.',
    },
  },
};

/** Every statement's syntax, in the order of the table. */
export const STATEMENTS: readonly StatementSyntax[] = Object.values(SYNTAX).filter(
  (s): s is StatementSyntax => 'keywords' in s,
);

/** True for the name of a rule of the grammar (a Chevrotain rule stack holds strings). */
export function isRuleName(name: string | undefined): name is RuleName {
  return name !== undefined && Object.hasOwn(SYNTAX, name);
}

/** The hint of a parse error in `rule`. */
export function ruleHint(rule: RuleName): string {
  const s: StatementSyntax | RuleSyntax = SYNTAX[rule];
  return 'example' in s ? (s.hint ?? `Write \`${s.example}\`.`) : s.hint;
}

/**
 * How each rule of the grammar (parser.ts) is written, keyed by the generated rule
 * names: a rule without an entry does not compile, and neither does a statement whose
 * entry lacks its form, example and keyword docs. From this table come the hint of a
 * parse error in the rule (parse.ts), the docs of each keyword (hover, %help) and the
 * statements of docs/language.md. Words the hints name (views, axes, options,
 * definition kinds) come from the schema (schema.ts), never from a second list.
 */
import {
  Alternation,
  Alternative,
  NonTerminal,
  Option,
  Repetition,
  RepetitionMandatory,
  RepetitionMandatoryWithSeparator,
  RepetitionWithSeparator,
  Terminal,
} from 'chevrotain';
import type { IProduction, Rule, TokenType } from 'chevrotain';
import { DEFINITION_KINDS } from './ast.ts';
import type { DefinitionKind } from './ast.ts';
import type { MmuCstVisitor, StatementCstChildren } from './cst.generated.d.ts';
import { oneOf } from './diagnostics.ts';
import { mmuParser } from './parser.ts';
import type { RuleName } from './parser.ts';
import {
  EXPORT_FORMATS,
  FIELDS,
  FIGURE_FORMATS,
  PLOT_X,
  PLOT_Y,
  TABLE_FILE_FORMATS,
  TABLE_VIEWS,
} from './schema.ts';
import type { BlockKind } from './schema.ts';
import {
  AGGREGATE_OPS,
  EXPR_FUNCTIONS,
  PLOT_ERRORS,
  PLOT_MARKS,
} from './compile/experiment-types.ts';
import { fixedText } from './tokens.ts';
import { EXPLORE_OPTIONS, EXPLORE_VALUE_DOCS } from './compile/protocols.ts';

/** The doc of an `explore` option. */
function exploreOptionDoc(word: string): string | undefined {
  return Object.entries(EXPLORE_OPTIONS).find(([k]) => k === word)?.[1].doc;
}

/** The rules that are statements: the alternatives of the `statement` rule. */
export type StatementRule = keyof StatementCstChildren;

/** The children of a rule's CST node, from the generated types. */
type Children<R extends RuleName> = Parameters<MmuCstVisitor<void, unknown>[R]>[0];

/**
 * The labelled parts of a rule (`views`, `vm`, `base`) and its sub-rules without a
 * label (`block`): the keys of its CST children that are not token names.
 */
export type SlotLabel<R extends RuleName> = {
  [K in keyof Children<R>]-?: K extends Uncapitalize<K & string> ? K : never;
}[keyof Children<R>] &
  string;

/**
 * What may stand in a slot. Completion offers, hover documents and the reference
 * describes each kind the same way in every statement.
 */
export type SlotValue =
  /** One of the keywords of an alternation (`run|sweep`): they document themselves. */
  | { kind: 'keyword' }
  /** The name a definition gives: nothing to offer. */
  | { kind: 'new-name' }
  /** The name of a protocol defined before (`protocol NAME { ... }`). */
  | { kind: 'protocol' }
  /** A defined name: of a kind, or (`own`) of the kind the statement defines, not its own. */
  | { kind: 'name'; of: DefinitionKind | 'own' }
  /** A word of a closed set, documented by `doc` or else by its value docs (keyword-docs.ts). */
  | {
      kind: 'word';
      values: readonly string[];
      doc?: (word: string) => string | undefined;
      /** The values that may follow the word before (an option's key), when they depend on it. */
      after?: (previous: string) => readonly string[] | undefined;
      /** The values, when they depend on an earlier word of the statement (its words so far). */
      within?: (words: readonly string[]) => readonly string[] | undefined;
    }
  /** A key of a field table (schema.ts): `seed` among the options of a run. */
  | { kind: 'field'; of: BlockKind; title: string }
  /** The value of the field whose key comes just before it. */
  | { kind: 'field-value'; of: BlockKind }
  /** A column of the result tables. */
  | { kind: 'column' }
  /** An axis of the experiment (a swept field, a list of names, a listed option). */
  | { kind: 'axis' }
  /** A value of an axis of the runs the statement reads: `ring`, `on`, `10Gbit/s`. */
  | { kind: 'axis-value' }
  /** A quoted string, or fields in a `{ ... }` block (the schema says which). */
  | { kind: 'text' };

/** A slot of a statement: what may stand there and how the reference writes it. */
export interface Slot {
  /** How its form is written: `VM`, `"DIR"`, `OPTION VALUE`. Keywords need none. */
  placeholder?: string;
  holds: SlotValue;
  /** For the reference: what stands there, when `holds` does not say it all. */
  note?: string;
}

/** A rule inside a statement: how to write it, as the hint of a parse error in it. */
export interface RuleSyntax<R extends RuleName> {
  hint: string;
  /** Its labelled parts that complete and document themselves (the options of a run). */
  slots?: Partial<Record<SlotLabel<R>, Slot>>;
}

/** A statement. */
export interface StatementSyntax<R extends RuleName> {
  /** A statement of this form; a parse error in it says "Write `example`." */
  example: string;
  /** The hint of a parse error in it, when an example is not the advice. */
  hint?: string;
  /** The docs of each of its keywords (hover, %help), the ones that start it first. */
  keywords: Readonly<Record<string, string>>;
  /** Every labelled part: completion, hover and the reference read it from here. */
  slots: Readonly<Record<SlotLabel<R>, Slot>>;
}

export type Syntax = {
  readonly [R in RuleName]: R extends StatementRule ? StatementSyntax<R> : RuleSyntax<R>;
};

let statementStarts: readonly string[] | undefined;

/**
 * The keywords a statement can start with, from the grammar: `vm`, `tracking`, ...
 * Read on first use, as the parser is built (parser.ts: `mmuParser`).
 */
export function statementKeywords(): readonly string[] {
  statementStarts ??= mmuParser()
    .computeContentAssist('statement', [])
    .map((path) => fixedText(path.nextTokenType) ?? '')
    .filter((k) => k !== '');
  return statementStarts;
}

/** The hint of a line that starts no statement. */
function startsStatement(): string {
  const k = statementKeywords();
  return `A statement starts with ${k.slice(0, -1).join(', ')} or ${k[k.length - 1]}.`;
}

const [firstX, { table: firstXTable }] = Object.entries(PLOT_X)[0];

/** The words of a list, for the reference: "`a`, `b` or `c`". */
function words(values: readonly string[]): string {
  const quoted = values.map((v) => `\`${v}\``);
  return quoted.length < 2
    ? quoted.join('')
    : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

const VIEW: Slot = { placeholder: 'VIEW', holds: { kind: 'word', values: TABLE_VIEWS } };
const COLUMN: Slot = { placeholder: 'COLUMN', holds: { kind: 'column' } };
const WHERE: Slot = {
  placeholder: 'where EXPR',
  holds: { kind: 'column' },
  note: 'keeps the rows for which the condition holds',
};
const BY: Slot = {
  placeholder: 'by COLUMN, ...',
  holds: { kind: 'column' },
  note: 'groups the rows by these columns (an axis such as `tracking`, or any column)',
};
const AGGREGATES: Slot = {
  placeholder: 'AGGREGATE COLUMN, ...',
  holds: { kind: 'column' },
  note: `each of ${words([...AGGREGATE_OPS, 'p1..p99'])} with a column (\`mean downtime_ms\` makes \`mean_downtime_ms\`), or \`n\` (the rows of each group)`,
};
const EXPR: Slot = {
  placeholder: 'EXPR',
  holds: { kind: 'column' },
  note: `columns, lets, numbers with units, "text" (or a bare word that names no column or let), on/off, \`or and not = != < <= > >= + - * / %\`, parentheses and ${words(EXPR_FUNCTIONS)}(...)`,
};

/** `vary`, in a definition's field or a run option (compile/variant.ts). */
const VARY_DOC =
  "`FIELD vary A..B step S` or `FIELD vary [A, B]`: one of these values, picked by the variant number, instead of a sweep: `mmulab run --variant N` (default 0), `%variant N` in the kernel (which compiles the definitions of the cells already run again, and names those that changed). The same number always picks the same value, each field independently of the others, so each student can get their own problem; the values picked are printed and recorded in the provenance. Each value picked is a column of the run's tables, named and shown as a sweep of those values would be (`table summary with rate`, `where`, `by`, plots, `expect`, exports), but not part of the label. In a run option, `seed vary 1..1000` picks a seed (the `seed` column); `warmup vary [1s, 2s]` a column `warmup`.";

export const SYNTAX: Syntax = {
  program: {
    get hint() {
      return startsStatement();
    },
  },
  statement: {
    get hint() {
      return startsStatement();
    },
  },
  useStmt: {
    example: 'use "common.mmu"',
    keywords: {
      use: '`use "common.mmu"`: bring in the definitions of another file (path relative to this file; cycles are reported).',
    },
    slots: {
      path: {
        placeholder: '"FILE"',
        holds: { kind: 'text' },
        note: 'a path relative to this file; its runs and outputs are ignored',
      },
    },
  },
  definition: {
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
      vary: VARY_DOC,
    },
    slots: {
      defKind: { holds: { kind: 'keyword' } },
      name: { placeholder: 'NAME', holds: { kind: 'new-name' }, note: 'the name it defines' },
      base: {
        placeholder: 'BASE',
        holds: { kind: 'name', of: 'own' },
        note: 'a definition of the same kind, defined before',
      },
      block: {
        placeholder: '{ FIELD VALUE ... }',
        holds: { kind: 'text' },
        note: 'the fields of the tables below, one per line or separated by commas',
      },
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
    example: 'run VM with TRACKING, MIGRATION seed N',
    keywords: {
      run: '`run VM with TRACKING, MIGRATION [seed N] [costs C] [warmup T] ...`: one simulated migration of VM, its dirty log set up by TRACKING.',
      sweep:
        '`sweep VM with [T1, T2], M seeds 1..5`: the cartesian product of every list and seed range; one run per combination, run in parallel.',
      with: 'Separates the VM of a run from its tracking policy and migration policy: `run db with ring, fast`.',
      where:
        '`run ... where EXPR`: keep only the points of the product (combinations of axis values) for which the condition holds, before anything runs, e.g. `where bandwidth >= 10Gbit/s or tracking = ring`. It names axes only; filter results with `table VIEW where ...`.',
      vary: VARY_DOC,
    },
    slots: {
      mode: { holds: { kind: 'keyword' } },
      vm: { placeholder: 'VM', holds: { kind: 'name', of: 'vm' }, note: 'a vm, or a list of them' },
      tracking: {
        placeholder: 'TRACKING',
        holds: { kind: 'name', of: 'tracking' },
        note: 'a tracking policy, or a list of them',
      },
      migration: {
        placeholder: 'MIGRATION',
        holds: { kind: 'name', of: 'migration' },
        note: 'a migration policy, or a list of them',
      },
      options: {
        placeholder: 'OPTION VALUE',
        holds: { kind: 'field', of: 'run', title: 'run option' },
        note: 'the options of `run` and `sweep` below',
      },
      whereClause: {
        placeholder: 'where EXPR',
        holds: { kind: 'axis' },
        note: 'keeps the points (combinations of axis values) for which the condition holds; it may name the axes only',
      },
    },
  },
  runOption: {
    hint: `After the migration come options with their values (\`seed 7\`): ${oneOf(Object.keys(FIELDS.run))}.`,
    slots: {
      key: { holds: { kind: 'field', of: 'run', title: 'run option' } },
      arg: { holds: { kind: 'field-value', of: 'run' } },
    },
  },
  tableStmt: {
    example: `table ${TABLE_VIEWS[0]}, ${TABLE_VIEWS[1]}`,
    keywords: {
      table:
        "`table summary, iterations, timeline, events, stale`: print these result tables of the runs above; `table summary with total_ms, downtime_ms` shows only those columns (after a sweep's `label`). `table summary where status = completed by tracking, bandwidth mean downtime_ms, p95 total_ms, n` keeps the rows where the condition holds, groups them and aggregates each group (columns `mean_downtime_ms`, `p95_total_ms`, `n`).",
      with: 'After `table V`, the columns to show: `table summary with total_ms, downtime_ms`.',
      where:
        '`where EXPR`: keep the rows for which the condition is true, e.g. `where status = completed and bandwidth >= 10Gbit/s`.',
      by: '`by COLUMN, ...`: group the rows by these columns (an axis such as `tracking` or `bandwidth`, or any column); each group becomes one row, or one trace of a plot.',
      all: '`table summary all`: every column of the summary; without `all` (or `with`, or aggregates) it shows the headline columns: the run, its axes, status, total and downtime, iterations, bytes sent, stale pages and the lets.',
    },
    slots: {
      views: VIEW,
      all: { holds: { kind: 'keyword' } },
      whereClause: WHERE,
      byClause: BY,
      aggregates: AGGREGATES,
      columns: COLUMN,
    },
  },
  whereClause: {
    hint: 'Write `where` and a condition, e.g. `where status = completed`.',
    slots: { expression: EXPR },
  },
  byClause: {
    hint: 'Write `by` and columns separated by commas, e.g. `by tracking, bandwidth`.',
    slots: { columns: COLUMN },
  },
  aggregates: {
    hint: `Aggregates are separated by commas: \`mean downtime_ms, p95 total_ms, n\` (${AGGREGATE_OPS.join(', ')}, p1..p99, n).`,
  },
  aggregate: {
    hint: `An aggregate is an operation and a column (\`mean downtime_ms\`, \`p95 total_ms\`) or \`n\`; operations: ${AGGREGATE_OPS.join(', ')}, p1..p99.`,
    slots: { column: COLUMN },
  },
  plotStmt: {
    example: `plot ${Object.keys(PLOT_Y[firstXTable])[0]} over ${firstX}`,
    keywords: {
      plot: '`plot Y over X`: a Plotly chart. Over `time` (timeline) or `iteration` (iterations): one line per run. Over any other column (`plot downtime_ms over bandwidth by tracking`): one line per group across runs, a point per X value with the mean of its runs and error bars. `plot progress`: the guest-progress chart of every run.',
      over: '`plot Y over X`: X is `time` (timeline samples), `iteration` (one point per dirty-log sync) or a column of the summary table, an axis or a `let` (across runs).',
      facet: '`facet COLUMN`: one subplot per value of the column.',
      as: '`as line|bar|scatter`: the marks of a plot across runs (default line).',
      error:
        '`error sd|se|ci95|none`: what the error bars of a plot across runs show: the standard deviation (default), the standard error, a 95 % confidence interval (Student t) or nothing.',
      log: '`log x|y|xy`: logarithmic axes.',
      title: '`title "TEXT"`: the chart\'s title, in place of `Y over X`.',
      xtitle:
        '`xtitle "TEXT"`: the x axis title, in place of the column and its unit (`bandwidth (Gbit/s)`); give the unit in it.',
      ytitle:
        '`ytitle "TEXT"`: the y axis title, in place of the column and its unit (`downtime (ms)`); give the unit in it.',
    },
    slots: {
      name: {
        placeholder: 'NAME',
        holds: { kind: 'new-name' },
        note: '`plot NAME = ...`: a name for `export plot NAME to "FILE"`',
      },
      progress: {
        holds: {
          kind: 'word',
          values: ['progress'],
          doc: () => 'The guest-progress chart of every run.',
        },
      },
      y: {
        placeholder: 'Y',
        holds: {
          kind: 'word',
          values: [...new Set(Object.values(PLOT_Y).flatMap((ys) => Object.keys(ys)))],
          doc: (y) => {
            const column = PLOT_Y.timeline[y] ?? PLOT_Y.iterations[y];
            return column && `Plot y axis: column ${column} of the timeline or iterations table.`;
          },
        },
        note: `${Object.entries(PLOT_X)
          .map(
            ([x, { table }]) =>
              `over \`${x}\`: ${words(Object.keys(PLOT_Y[table]))} or a column of the ${table} table`,
          )
          .join('; ')}; over any other X: number columns of the summary table and lets`,
      },
      x: {
        placeholder: 'X',
        holds: { kind: 'word', values: Object.keys(PLOT_X) },
        note: `${words(Object.keys(PLOT_X))} (one line per run), or a column of the summary table, an axis or a let (across runs: every swept column must be X, a \`by\` column, the facet, or held to one value by \`where\`)`,
      },
      clauses: {
        placeholder: 'CLAUSE',
        holds: { kind: 'keyword' },
        note: `\`by COLUMN, ...\`, \`facet COLUMN\`, \`where EXPR\`, \`as ${PLOT_MARKS.join('|')}\`, \`error ${PLOT_ERRORS.join('|')}\` (default \`sd\`), \`log x|y|xy\`, \`title "TEXT"\`, \`xtitle "TEXT"\`, \`ytitle "TEXT"\` or \`size WIDTHxHEIGHT\` (pixels, \`size 600x400\`)`,
      },
    },
  },
  plotClause: {
    hint: `After \`over X\`: \`by COLUMN\`, \`facet COLUMN\`, \`where EXPR\`, \`as ${PLOT_MARKS.join('|')}\`, \`error ${PLOT_ERRORS.join('|')}\`, \`log x|y|xy\`, \`title "TEXT"\`, \`xtitle "TEXT"\`, \`ytitle "TEXT"\` or \`size 600x400\`.`,
    slots: {
      key: { holds: { kind: 'keyword' } },
      arg: {
        placeholder: 'WORD',
        holds: {
          kind: 'word',
          values: [...PLOT_MARKS, ...PLOT_ERRORS, 'x', 'y', 'xy'],
        },
      },
    },
  },
  letStmt: {
    example: 'let fault_us = stall_fast_fault_ms * 1000 / pf_fast',
    keywords: {
      let: '`let NAME = EXPR`: a derived column, computed for every row of the tables that have its columns and usable in `table`, `plot`, `export`, `where` and `expect`. A name ending in a unit suffix (`_ms`, `_us`, `_s`, `_bytes`, `_mib`, ...) gives its unit, and the value is converted to it: `let total_s = total_ms` is in seconds (a value multiplied or divided by the number that converts it, `rss_bytes / 1048576` for `rss_mib`, is taken as converted by hand; another number is arithmetic: `let half_s = total_ms / 2` is half the time, in seconds). Dividing by a number with a unit gives a plain number: `transferred_bytes / 1MiB` counts MiB. A division by zero gives an empty value; a later cell may redefine it.',
      and: '`A and B`: true when both are.',
      or: '`A or B`: true when either is.',
      not: '`not A`: true when A is false.',
    },
    slots: {
      name: { placeholder: 'NAME', holds: { kind: 'new-name' }, note: 'the column it defines' },
      expression: EXPR,
    },
  },
  expression: {
    hint: `An expression combines columns, numbers with units (300ms), "text", on/off with \`or and not = != < <= > >= + - * / %\`, parentheses and ${EXPR_FUNCTIONS.join(', ')}(...).`,
  },
  andExpr: { hint: 'Write a condition on both sides of `and`.' },
  notExpr: { hint: 'Write a condition after `not`.' },
  comparison: { hint: 'Compare two values, e.g. `downtime_ms > 300ms`.' },
  additive: { hint: 'Write a value on both sides of `+` and `-`.' },
  multiplicative: { hint: 'Write a value on both sides of `*`, `/` and `%`.' },
  unary: { hint: 'Write a value after `-`.' },
  primary: {
    hint: 'A value is a column, a number with its unit (300ms), a "string", a call such as max(a, b), or an expression in parentheses.',
  },
  expectStmt: {
    example: 'expect summary where status = completed: stale_pages = 0',
    keywords: {
      expect:
        '`expect [all|any] VIEW [where EXPR] [by ... AGGREGATE ...]: CONDITION`: check the results. Passes when the condition holds for every row (`all`, the default) or some row (`any`) of the table after `where` (and grouping); no row is a failure. A failure names the rows, and `mmulab run` exits with status 1.',
      all: '`expect all VIEW: ...`: every row must satisfy the condition (the default).',
      any: '`expect any VIEW: ...`: at least one row must satisfy the condition.',
      where: '`expect VIEW where EXPR: ...`: the rows to check; no row left is a failure.',
      by: '`expect VIEW by COLUMN, ... AGGREGATE COLUMN, ...: ...`: check each group, its aggregates named like `mean_downtime_ms`.',
    },
    slots: {
      quantifier: { holds: { kind: 'keyword' } },
      view: VIEW,
      whereClause: WHERE,
      byClause: BY,
      aggregates: AGGREGATES,
      condition: {
        ...EXPR,
        note: `the condition every (or some) row must satisfy: ${EXPR.note ?? ''}`,
      },
    },
  },
  predictStmt: {
    example: 'predict downtime_ms for ring < bitmap',
    hint: 'Write `predict COLUMN for A < B`, A and B two values of what the runs vary: words (`predict downtime_ms for ring < bitmap`) or numbers with their units, no space between (`predict total_ms for 1Gbit/s > 10Gbit/s`).',
    keywords: {
      predict:
        '`predict COLUMN for A < B`: state an expectation before running: the mean of a summary column over the runs where a swept parameter is A, against its mean where it is B (`<`, `<=`, `>`, `>=`, `=`, `!=`). After the run it is shown right or wrong with both means; a wrong prediction is no error. It is about the runs written after it (the next `run` or `sweep`; the last ones when none follows).',
      for: '`predict COLUMN for [AXIS] A < B`: A and B are two values of one thing the runs vary: words (`ring`, `bitmap` of `tracking`; `on`, `off` of a flag) or numbers with their units (`1Gbit/s`, `10Gbit/s` of `bandwidth`). When two things the runs vary share both values, name the one meant first: `predict total_ms for pml on < off`.',
    },
    slots: {
      column: { ...COLUMN, note: 'a number column of the summary table or a `let`' },
      axis: {
        placeholder: 'AXIS',
        holds: { kind: 'axis' },
        note: 'what the runs vary that A and B are values of; needed only when two axes share both',
      },
      left: {
        placeholder: 'A',
        holds: { kind: 'axis-value' },
        note: "a value of a swept parameter: a definition's name (`ring`), a word of a swept field (`on`), or a number with its unit (`10Gbit/s`)",
      },
      op: { placeholder: '<', holds: { kind: 'keyword' } },
      right: {
        placeholder: 'B',
        holds: { kind: 'axis-value' },
        note: 'another value of the same parameter',
      },
    },
  },
  exportStmt: {
    example: `export ${TABLE_VIEWS[0]} to "results/" as ${EXPORT_FORMATS[1]}`,
    keywords: {
      export:
        '`export summary, iterations to "results/" [as csv|arrow]`: after the runs, write these result tables as files (CSV by default, or Arrow) into a directory relative to this file, with their provenance. `export summary [where ...] [by ... AGGREGATE ...] to "t.tex" as latex|markdown`: one table as shown by `table`, in one file for a paper (LaTeX with booktabs rules). `export plot NAME to "fig.svg" [as svg|pdf|png]`: the plot named `NAME` as an image, drawn in headless Chromium.',
      plot: '`export plot NAME to "FILE"`: the plot written `plot NAME = ...` in this text, as an SVG, PDF or PNG file (the format follows the extension, or `as`).',
      to: '`export VIEWS to "DIR"`: the directory the files go to (a file for a plot, `latex` or `markdown`), relative to the .mmu file.',
      as: `\`export VIEWS to "DIR" as FORMAT\`: the file format, \`csv\` (default) or \`arrow\`; ${TABLE_FILE_FORMATS.map((f) => `\`${f}\``).join(' or ')} for one table in one file; ${FIGURE_FORMATS.map((f) => `\`${f}\``).join(', ')} for a plot.`,
      where: '`export VIEW where EXPR to "FILE" as latex|markdown`: the rows to write.',
      by: '`export VIEW by COLUMN, ... AGGREGATE COLUMN, ... to "FILE" as latex|markdown`: one row per group, as `table` shows it.',
    },
    slots: {
      plot: {
        placeholder: 'NAME',
        holds: { kind: 'word', values: [] },
        note: 'the name of a plot of this text (`plot NAME = Y over X ...`)',
      },
      views: VIEW,
      whereClause: WHERE,
      byClause: BY,
      aggregates: AGGREGATES,
      dir: {
        placeholder: '"DIR"',
        holds: { kind: 'text' },
        note: 'a directory relative to the file, written after the runs with one file per table and run, carrying the provenance; a file for a plot, `latex` or `markdown` (`-2`, `-3` ... before the extension for a second experiment)',
      },
      format: {
        placeholder: [...EXPORT_FORMATS, ...FIGURE_FORMATS].join('|'),
        holds: {
          kind: 'word',
          values: [...EXPORT_FORMATS, ...FIGURE_FORMATS],
          // `export plot NAME ... as` takes an image format; `export VIEWS ... as` a table's.
          within: (words) => (words[1] === 'plot' ? FIGURE_FORMATS : EXPORT_FORMATS),
        },
        note: `default \`${EXPORT_FORMATS[0]}\`; a plot's follows its file's extension`,
      },
    },
  },
  protocolDef: {
    example: 'protocol sb2 { shared x = 0 }',
    hint: 'Write a protocol as `protocol NAME { ... }` with one declaration per line: `const`, `shared`, `ghost`, `lock`, `thread NAME(REGS) { ... }`, `invariant NAME always|at end EXPR`.',
    keywords: {
      protocol:
        '`protocol NAME { const X = N; shared VAR [bits [A, B]] = INIT; ghost VAR = INIT; lock L; thread T(REG, ...) { ... }; invariant NAME always|at end EXPR ["message"] }` (one declaration per line): a lockless protocol for the race explorer. Thread steps are `load R = VAR`, `store VAR = E`, `cmpxchg [OK =] VAR, EXPECTED, NEW [old R]`, `xchg|fetch_add|fetch_or|fetch_and|fetch_andnot [OLD =] VAR, E`, `fence`, `lock L`, `unlock L` and `atomic { ... }`; local statements `R = E`, `ghost VAR = E`, `if E { } else { }`, `loop at most K [while E] { }`, `break`, `continue`, `return`, `assert E`, `assume E`. A statement may end with a "label" for traces. Expressions use `or and not = != < <= > >= | ^ & << >> + - * ~`; invariants also `THREAD.REG` and `done(THREAD)`.',
    },
    slots: {
      name: {
        placeholder: 'NAME',
        holds: { kind: 'new-name' },
        note: 'the protocol it defines, for `explore`',
      },
      decls: {
        placeholder: '{ DECLARATION ... }',
        holds: { kind: 'text' },
        note: 'constants, shared and ghost variables, locks, threads and invariants, one per line',
      },
    },
  },
  protoDecl: {
    hint: 'A protocol declares `const X = N`, `shared VAR [bits [A, B]] = INIT`, `ghost VAR = INIT`, `lock L`, `thread NAME(REG, ...) { ... }` or `invariant NAME always|at end EXPR`, one per line.',
  },
  protoRegister: { hint: 'A register is `NAME` or `NAME = INITIAL`, separated by commas.' },
  protoBlock: { hint: "Close the block with '}'; its statements go one per line." },
  protoStmt: {
    hint: 'A thread statement is `load R = VAR`, `store VAR = E`, `cmpxchg [OK =] VAR, EXPECTED, NEW [old R]`, `xchg|fetch_add|fetch_or|fetch_and|fetch_andnot [OLD =] VAR, E`, `fence`, `lock L`, `unlock L`, `atomic { }`, `R = E`, `ghost VAR = E`, `if E { } else { }`, `loop at most K [while E] { }`, `break`, `continue`, `return`, `assert E` or `assume E`.',
  },
  protoExpr: {
    hint: 'A protocol expression combines registers, constants and numbers with `or and not = != < <= > >= | ^ & << >> + - * ~` and parentheses; an invariant also reads shared variables, `THREAD.REG` and `done(THREAD)`.',
  },
  protoAnd: { hint: 'Write a condition on both sides of `and`.' },
  protoNot: { hint: 'Write a condition after `not`.' },
  protoCompare: { hint: 'Compare two values, e.g. `spte & W = 0`.' },
  protoArith: { hint: 'Write a value on both sides of `| ^ & << >> + - *`.' },
  protoUnary: { hint: 'Write a value after `-` or `~`.' },
  protoPrimary: {
    hint: 'A value is a number, a name (a register, a constant or a shared variable), `THREAD.REG`, `done(THREAD)` or an expression in parentheses.',
  },
  exploreStmt: {
    example: 'explore sb2 memory tso',
    keywords: {
      explore: `\`explore PROTOCOL [memory sc|tso] [reduction none|por] [max_states N]\`: every interleaving of the protocol's threads, states hashed so each is explored once; the result is a table (protocol, memory model, states, interleavings, violations, shortest trace length) and, for a violation, its shortest trace as a swimlane chart.`,
    },
    slots: {
      protocol: {
        placeholder: 'PROTOCOL',
        holds: { kind: 'protocol' },
        note: 'a protocol defined before (in this text or an earlier cell)',
      },
      options: {
        placeholder: 'OPTION VALUE',
        holds: { kind: 'word', values: Object.keys(EXPLORE_OPTIONS), doc: exploreOptionDoc },
        note: `${words(Object.keys(EXPLORE_OPTIONS))}: ${Object.values(EXPLORE_OPTIONS)
          .map((o) => o.doc)
          .join(' ')}`,
      },
    },
  },
  exploreOption: {
    hint: `After the protocol come options with their values (\`memory tso\`): ${oneOf(Object.keys(EXPLORE_OPTIONS))}.`,
    slots: {
      key: {
        holds: { kind: 'word', values: Object.keys(EXPLORE_OPTIONS), doc: exploreOptionDoc },
      },
      arg: {
        holds: {
          kind: 'word',
          values: Object.keys(EXPLORE_VALUE_DOCS),
          doc: (w) => EXPLORE_VALUE_DOCS[w],
          after: (key) =>
            Object.entries(EXPLORE_OPTIONS).find(([k]) => k === key)?.[1].values ?? undefined,
        },
      },
    },
  },
};

/** A rule's slots by label, seen without the rule's own types. */
type SlotTable = Readonly<Partial<Record<string, Slot>>>;

/** The slots of a rule (none for most rules inside a statement). */
export function slotsOf(rule: RuleName): SlotTable {
  const s: { slots?: SlotTable } = SYNTAX[rule];
  return s.slots ?? {};
}

/** The grammar as Chevrotain recorded it: the rules' productions (GAST). */
function grammar(): Record<string, Rule> {
  return mmuParser().getGAstProductions();
}

/** The productions inside a production (a sub-rule's are its own rule's, not these). */
export function inside(p: IProduction): readonly IProduction[] {
  const nests =
    p instanceof Alternative ||
    p instanceof Alternation ||
    p instanceof Option ||
    p instanceof Repetition ||
    p instanceof RepetitionMandatory ||
    p instanceof RepetitionWithSeparator ||
    p instanceof RepetitionMandatoryWithSeparator;
  return nests ? p.definition : [];
}

/** A part of a rule: a token or a sub-rule, by its occurrence index (`CONSUME2` is 2). */
export type RulePart = { token: TokenType; idx: number } | { rule: string; idx: number };

/**
 * The label of a part of `rule` (`vm` for the first `value` of an experiment), or its
 * token or rule name when it has none, as the CST children are keyed.
 */
export function labelOf(rule: RuleName, part: RulePart): string | undefined {
  const find = (items: readonly IProduction[]): string | undefined => {
    for (const p of items) {
      if (p instanceof Terminal && 'token' in part) {
        if (p.terminalType === part.token && p.idx === part.idx) return p.label ?? part.token.name;
      } else if (p instanceof NonTerminal) {
        if ('rule' in part && p.nonTerminalName === part.rule && p.idx === part.idx)
          return p.label ?? part.rule;
      } else {
        const inner = find(inside(p));
        if (inner !== undefined) return inner;
      }
    }
    return undefined;
  };
  return find(grammar()[rule]?.definition ?? []);
}

/**
 * How a statement is written, from the grammar and its slots' placeholders: keywords
 * and punctuation as they are spelt, `[x]` optional, `x ...` repeated, `a|b` either.
 */
function formOf(rule: RuleName): string {
  const slots = slotsOf(rule);
  const placeholder = (label: string): string => slots[label]?.placeholder ?? label.toUpperCase();
  const pieces = (items: readonly IProduction[]): string[] =>
    items.flatMap((p): string[] => {
      const inner = (): string => pieces(inside(p)).join(' ');
      if (p instanceof Terminal)
        return [fixedText(p.terminalType) ?? placeholder(p.label ?? p.terminalType.name)];
      if (p instanceof NonTerminal) return [placeholder(p.label ?? p.nonTerminalName)];
      if (p instanceof Option) return [`[${inner()}]`];
      if (p instanceof Repetition) return [`[${inner()} ...]`];
      if (p instanceof RepetitionMandatory) return [`${inner()} ...`];
      if (p instanceof RepetitionWithSeparator)
        return [`[${inner()}${fixedText(p.separator) ?? ''} ...]`];
      if (p instanceof RepetitionMandatoryWithSeparator)
        return [`${inner()}${fixedText(p.separator) ?? ''} ...`];
      if (p instanceof Alternation) {
        const alts = p.definition.map((a) => pieces(inside(a)));
        return [alts.map((a) => (a.length > 1 ? `(${a.join(' ')})` : a.join(' '))).join('|')];
      }
      return pieces(inside(p));
    });
  return pieces(grammar()[rule]?.definition ?? [])
    .join(' ')
    .replace(/ ,/g, ',');
}

/** True for the name of a rule that is a statement (`tableStmt`). */
export function isStatementRule(name: string): name is StatementRule {
  return isRuleName(name) && 'keywords' in SYNTAX[name];
}

/** A statement's syntax, seen without its rule's own types. */
export interface StatementEntry {
  rule: StatementRule;
  /** How it is written, in the notation of docs/language.md (from the grammar). */
  form: string;
  example: string;
  hint?: string;
  keywords: Readonly<Record<string, string>>;
  slots: SlotTable;
}

let statementEntries: readonly StatementEntry[] | undefined;

/**
 * Every statement, in the order of the grammar's `statement` rule. Read from the grammar
 * on first use, as the parser is built (parser.ts: `mmuParser`).
 */
export function statements(): readonly StatementEntry[] {
  statementEntries ??= (grammar().statement?.definition ?? [])
    .flatMap(inside)
    .flatMap(inside)
    .flatMap((p) =>
      p instanceof NonTerminal && isStatementRule(p.nonTerminalName) ? [p.nonTerminalName] : [],
    )
    .map((rule) => {
      const s = SYNTAX[rule];
      return { rule, form: formOf(rule), ...s, slots: slotsOf(rule) };
    });
  return statementEntries;
}

/** True for the name of a rule of the grammar (a Chevrotain rule stack holds strings). */
export function isRuleName(name: string | undefined): name is RuleName {
  return name !== undefined && Object.hasOwn(SYNTAX, name);
}

/** The hint of a parse error in `rule`. */
export function ruleHint(rule: RuleName): string {
  const s: { example?: string; hint?: string } = SYNTAX[rule];
  return s.hint ?? (s.example !== undefined ? `Write \`${s.example}\`.` : '');
}

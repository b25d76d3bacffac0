/**
 * The language reference, generated from the grammar (parser.ts) and the field tables
 * (schema.ts), so it cannot drift from them: `npm run docs:language` writes
 * docs/language.md and docs/syntax-diagrams.html, and a test fails when the committed
 * files differ from what this module generates.
 */
import { everyResultColumn } from '../engine/results.ts';
import { SUMMARY_COLUMN_DOCS } from './column-docs.ts';
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
  createSyntaxDiagramsCode,
} from 'chevrotain';
import type { IProduction, TokenType } from 'chevrotain';
import { DiagnosticCode } from './diagnostics.ts';
import { STEP_WORD, VARY_WORD, mmuParser } from './parser.ts';
import { FIELDS, isSweepable, sweepColumn } from './schema.ts';
import type { ArgSpec, BlockKind, FieldSpec } from './schema.ts';
import { sweepWordDocs } from './keyword-docs.ts';
import { statements } from './syntax.ts';
import type { Slot, StatementEntry } from './syntax.ts';
import { fixedText, keywords } from './tokens.ts';
import { MAX_PLANS } from './compile/experiments.ts';
import { DIMENSION_EXAMPLE, UNIT_NAMES, describeDimension, parseQuantity } from './units.ts';
import type { Dimension } from './units.ts';

/** How the grammar shows the tokens that have no fixed text. */
const TERMINAL_NAMES: Readonly<Record<string, string>> = {
  Newline: 'NEWLINE',
  Word: 'WORD',
  NumberLike: 'NUMBER',
  StringLiteral: 'STRING',
  Identifier: 'NAME',
  ExprWord: 'NAME',
  Comparison: '( "=" | "!=" | "<" | "<=" | ">" | ">=" )',
};

/** A token in EBNF: a keyword or punctuation quoted as spelt, the others by name. */
function terminal(t: TokenType): string {
  const text = fixedText(t);
  return text !== undefined ? `"${text}"` : (TERMINAL_NAMES[t.name] ?? t.name);
}

/** A sequence of productions as EBNF: `a b`, `(a | b)`, `[a]`, `{a}`. */
function ebnf(items: readonly IProduction[]): string {
  return items.map(ebnfOne).join(' ');
}

function ebnfOne(p: IProduction): string {
  if (p instanceof Terminal) return terminal(p.terminalType);
  if (p instanceof NonTerminal) return p.nonTerminalName;
  if (p instanceof Alternation) return `( ${p.definition.map(ebnfOne).join(' | ')} )`;
  if (p instanceof Alternative) return ebnf(p.definition);
  if (p instanceof Option) return `[ ${ebnf(p.definition)} ]`;
  if (p instanceof Repetition) return `{ ${ebnf(p.definition)} }`;
  if (p instanceof RepetitionMandatory) return `${ebnf(p.definition)} { ${ebnf(p.definition)} }`;
  if (p instanceof RepetitionMandatoryWithSeparator || p instanceof RepetitionWithSeparator) {
    const one = ebnf(p.definition);
    const many = `${one} { ${terminal(p.separator)} ${one} }`;
    return p instanceof RepetitionWithSeparator ? `[ ${many} ]` : many;
  }
  return '';
}

/** The grammar of the language, one EBNF line per rule. */
export function grammarEbnf(): string {
  return Object.values(mmuParser().getGAstProductions())
    .map((r) => `${r.name} = ${ebnf(r.definition)} ;`)
    .join('\n');
}

const PLACEHOLDER: Readonly<Record<Dimension, string>> = {
  size: 'SIZE',
  time: 'TIME',
  rate: 'RATE',
  bandwidth: 'BANDWIDTH',
  percent: 'PERCENT',
  count: 'N',
};

function printArg(a: ArgSpec): string {
  const text = ((): string => {
    switch (a.type) {
      case 'quantity':
        return PLACEHOLDER[a.dim];
      case 'enum':
        return a.values.join('|');
      case 'name':
        return 'NAME';
      case 'range':
        return `${PLACEHOLDER[a.dim]}..${PLACEHOLDER[a.dim]}`;
      case 'vcpus':
        return 'VCPUS';
      case 'string':
        return '"FILE"';
    }
  })();
  return a.optional ? `[${text}]` : text;
}

/** `slot NAME at SIZE size SIZE [backing ...] [readonly] { ... }` */
export function printField(key: string, f: FieldSpec): string {
  const parts = [key, ...f.args.map(printArg)];
  for (const [k, spec] of Object.entries(f.keys ?? {})) {
    const required = f.requiredKeys?.includes(k) ?? false;
    const text = spec === 'flag' ? k : `${k} ${printArg(spec)}`;
    parts.push(required ? text : `[${text}]`);
  }
  if (f.body) parts.push(`{ ${f.body} fields }`);
  return parts.join(' ');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

const BLOCK_TITLES: Readonly<Record<BlockKind, string>> = {
  vm: '`vm NAME [extends NAME] { ... }`',
  tracking: '`tracking NAME [extends NAME] { ... }`',
  costs: '`costs NAME [extends NAME] { ... }`',
  migration: '`migration NAME [extends NAME] { ... }`',
  workload: '`workload KIND { ... }` (inside a vm) and `phase TIME KIND { ... }`',
  device: '`device its { ... }` (inside a vm)',
  balloon: '`balloon { ... }` (inside a vm)',
  run: 'Options of `run` and `sweep`',
};

/** The columns a field's swept arguments fill: `ring_entries` of `dirty_log ring [..]`. */
function sweptColumns(key: string, f: FieldSpec): string[] {
  const positional = f.args.flatMap((a, i) => (isSweepable(f, a) ? [sweepColumn(key, a, i)] : []));
  const keyed = Object.entries(f.keys ?? {}).flatMap(([k, a]) =>
    a !== 'flag' && isSweepable(f, a) ? [sweepColumn(key, a, k)] : [],
  );
  return [...positional, ...keyed];
}

function fieldTable(kind: BlockKind): string[] {
  const rows = Object.entries(FIELDS[kind]).map(([key, f]) => {
    const columns = kind === 'run' ? [] : sweptColumns(key, f);
    const notes = [
      f.required === true ? 'required' : f.required ? `required for ${f.required.join(', ')}` : '',
      f.repeatable ? 'repeatable' : '',
      f.appliesTo ? `only ${f.appliesTo.join(', ')}` : '',
      columns.length ? `sweeps as ${columns.map((c) => `\`${c}\``).join(', ')}` : '',
    ].filter(Boolean);
    return `| \`${cell(printField(key, f))}\` | ${cell(f.doc)} | ${notes.join('; ')} |`;
  });
  return ['| Field | Meaning | Notes |', '| --- | --- | --- |', ...rows];
}

function unitsTable(): string[] {
  const byDim = new Map<Dimension, string[]>();
  for (const u of UNIT_NAMES) {
    const dim = parseQuantity(`1${u}`)?.dim;
    if (dim) byDim.set(dim, [...(byDim.get(dim) ?? []), u]);
  }
  return [
    '| Dimension | Units | Example |',
    '| --- | --- | --- |',
    ...[...byDim].map(
      ([dim, us]) =>
        `| ${describeDimension(dim)} (${PLACEHOLDER[dim]}) | ${us.map((u) => `\`${u}\``).join(' ')} | \`${DIMENSION_EXAMPLE[dim]}\` |`,
    ),
  ];
}

/** What the reference says stands in a slot; undefined when nothing needs saying. */
function slotText(slot: Slot): string | undefined {
  if (slot.note !== undefined) return slot.note;
  const holds = slot.holds;
  if (holds.kind === 'word') return `one of ${holds.values.map((v) => `\`${v}\``).join(', ')}`;
  if (holds.kind === 'name') return `the name of a ${holds.of === 'own' ? 'definition' : holds.of}`;
  return undefined;
}

/** A statement: its form, what its keywords do, what stands in its slots, an example. */
function statementSection(s: StatementEntry): string[] {
  const slots = Object.values(s.slots).flatMap((slot) => {
    const text = slot && slot.placeholder !== undefined ? slotText(slot) : undefined;
    return slot?.placeholder !== undefined && text !== undefined
      ? [`- \`${slot.placeholder}\`: ${text}.`]
      : [];
  });
  return [
    `### \`${s.form}\``,
    '',
    ...Object.entries(s.keywords).map(([k, doc]) => `- \`${k}\`: ${doc}`),
    ...slots,
    '',
    `Example: \`${s.example}\``,
    '',
  ];
}

/** The summary's columns: name, unit and meaning (dsl/column-docs.ts). */
function summaryColumnTable(): string[] {
  const rows = everyResultColumn().summary.map(
    (c) =>
      `| \`${c.name}\` | ${c.unit ?? (c.type === 'text' ? 'text' : '')} | ${(SUMMARY_COLUMN_DOCS[c.name] ?? '').replace(/\|/g, '\\|')} |`,
  );
  return ['| Column | Unit | Meaning |', '| --- | --- | --- |', ...rows];
}

/** docs/language.md, before prettier. */
export function languageReference(): string {
  const blocks = Object.keys(FIELDS) as BlockKind[];
  return [
    '<!-- Generated by `npm run docs:language` from dsl/syntax.ts, dsl/schema.ts, dsl/parser.ts and dsl/column-docs.ts; do not edit. -->',
    '',
    '# The mmulab language',
    '',
    'A text is a list of statements, one per line. Inside `{ ... }` items are separated by',
    'newlines or commas. `#` starts a comment that runs to the end of the line.',
    '',
    '## Statements',
    '',
    'In a form, `[x]` may be left out, `x ...` repeats and `a|b` is one or the other.',
    '',
    ...statements().flatMap(statementSection),
    '## Grammar',
    '',
    'Property keys and their values are generic in the grammar (`property`); the field',
    'tables below say which keys each block takes. Syntax diagrams: `syntax-diagrams.html`.',
    '',
    '```ebnf',
    grammarEbnf(),
    '```',
    '',
    '## Keywords',
    '',
    keywords.map((k) => `\`${k.name.toLowerCase()}\``).join(', '),
    '',
    '## Units',
    '',
    'Numbers are exact (`1.5GiB` is 1610612736 bytes); `_` may group digits and `0x` starts',
    'a hexadecimal number. A bare `0` is zero in every dimension.',
    '',
    ...unitsTable(),
    '',
    '## Sweeps',
    '',
    'Where a field of a definition takes one number or one word of a fixed set, a list or a',
    'range may stand instead, and the definition becomes a family: one variant per value',
    '(per combination, when several fields are swept). Each value is checked as if written',
    'alone. The Notes column of the field tables below names the column each swept field fills.',
    '',
    '- a list: `bandwidth [1Gbit/s, 10Gbit/s, 25Gbit/s]`, `dirty_log ring [1024, 4096]`,',
    '  `eager_split [on, off]`; its values may have different units of one dimension;',
    `- a range with a step: \`bandwidth 1Gbit/s..25Gbit/s ${STEP_WORD} 4Gbit/s\` is start + i × step`,
    '  for i = 0, 1, ... while not past the end (both ends included when reached); a range',
    '  of plain numbers steps by 1 without a step (`vcpus 1..8`);',
    '- a geometric range: `vcpus 1..64 x2` multiplies by the whole number after `x`.',
    '',
    `\`${VARY_WORD}\` before a list or a range makes it one value per student, not a sweep: ${sweepWordDocs()[VARY_WORD]}`,
    'It composes with sweeps: `vm web { vcpus [2, 8], workload hotset { rate vary 10k/s..40k/s step 10k/s } }` sweeps the vCPUs at the rate the variant picked.',
    '',
    '`run` and `sweep` run every combination of the families named, the lists of names and',
    'the run options given as lists (`warmup [1s, 2s]`), each with every seed (`seeds 1..3`,',
    '`repeat 3`); `zip A, B` pairs two axes instead (the i-th value of A with the i-th of B).',
    `One experiment makes at most ${MAX_PLANS.toLocaleString('en-US')} plans. \`run\` takes one name in each place and one seed; \`sweep\` takes lists.`,
    '',
    'Each plan is labelled by the names chosen and each swept value as written',
    '(`web/ring/qemu/bandwidth=10Gbit/s/seed=1`). Its parameters are columns named after the',
    'field (`bandwidth`, `ring_entries`, `throttle_initial`), a list of names after the kind',
    '(`tracking`), each column in one unit (the first written); a field that differs between',
    'the definitions of a list of names is a column too (`dirty_log` of `[bitmap, ring]`).',
    'A swept on/off field is a column of flags: tables, labels, charts and LaTeX or Markdown',
    'exports show `on` and `off`, the words `where`, `expect` and `predict` compare with',
    '(`where pml = on`); a condition a `let` computes shows the same way. The CSV and Arrow files of',
    "tables keep them as data: `true` and `false` in CSV, which pandas' `read_csv` and R's",
    "`read.csv` read as booleans, and an Arrow Bool column; a chart's CSV holds its points",
    'as drawn (`on`, `off`).',
    '',
    ...blocks.flatMap((kind) => [`## ${BLOCK_TITLES[kind]}`, '', ...fieldTable(kind), '']),
    '## Columns of the summary table',
    '',
    'One row per run, after its label and the swept parameters (`%help COLUMN` in the kernel',
    'says the same). A run with a `balloon` or an `alloc` workload adds the free page',
    'reporting columns, from `reporting` on.',
    '',
    ...summaryColumnTable(),
    '',
    '## Diagnostic codes',
    '',
    Object.values(DiagnosticCode)
      .map((c) => `\`${c}\``)
      .join(', '),
    '',
  ].join('\n');
}

/** docs/syntax-diagrams.html: Chevrotain's railroad diagrams of the grammar. */
export function syntaxDiagramsHtml(): string {
  return createSyntaxDiagramsCode(mmuParser().getSerializedGastProductions());
}

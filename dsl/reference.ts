/**
 * The language reference, generated from the grammar (parser.ts) and the field tables
 * (schema.ts), so it cannot drift from them: `npm run docs:language` writes
 * docs/language.md and docs/syntax-diagrams.html, and a test fails when the committed
 * files differ from what this module generates.
 */
import { createSyntaxDiagramsCode } from 'chevrotain';
import { DiagnosticCode } from './diagnostics.ts';
import { parser } from './parser.ts';
import { EXPORT_FORMATS, FIELDS, PLOT_X, PLOT_Y, TABLE_VIEWS } from './schema.ts';
import type { ArgSpec, BlockKind, FieldSpec } from './schema.ts';
import { keywords } from './tokens.ts';
import { DIMENSION_EXAMPLE, UNIT_NAMES, describeDimension, parseQuantity } from './units.ts';
import type { Dimension } from './units.ts';

const PUNCTUATION: Readonly<Record<string, string>> = {
  LCurly: '"{"',
  RCurly: '"}"',
  LBracket: '"["',
  RBracket: '"]"',
  Comma: '","',
  DotDot: '".."',
  Newline: 'NEWLINE',
  Word: 'WORD',
  NumberLike: 'NUMBER',
  StringLiteral: 'STRING',
  Identifier: 'NAME',
};
const KEYWORD_NAMES = new Set(keywords.map((k) => k.name));

function terminal(name: string): string {
  if (KEYWORD_NAMES.has(name)) return `"${name.toLowerCase()}"`;
  return PUNCTUATION[name] ?? name;
}

/** The parts of Chevrotain's serialized grammar (ISerializedGast) that EBNF needs. */
interface Gast {
  type: string;
  name?: string;
  definition?: Gast[];
  separator?: { name: string };
}

/** A sequence of productions as EBNF: `a b`, `(a | b)`, `[a]`, `{a}`. */
function ebnf(items: readonly Gast[]): string {
  return items.map(ebnfOne).join(' ');
}

function ebnfOne(g: Gast): string {
  const inner = ebnf(g.definition ?? []);
  const sep = terminal(g.separator?.name ?? '');
  switch (g.type) {
    case 'Terminal':
      return terminal(g.name ?? '');
    case 'NonTerminal':
      return g.name ?? '';
    case 'Option':
      return `[ ${inner} ]`;
    case 'Repetition':
      return `{ ${inner} }`;
    case 'RepetitionMandatory':
      return `${inner} { ${inner} }`;
    case 'RepetitionWithSeparator':
      return `[ ${inner} { ${sep} ${inner} } ]`;
    case 'RepetitionMandatoryWithSeparator':
      return `${inner} { ${sep} ${inner} }`;
    case 'Alternation':
      return `( ${(g.definition ?? []).map(ebnfOne).join(' | ')} )`;
    default:
      return inner;
  }
}

/** The grammar of the language, one EBNF line per rule. */
export function grammarEbnf(): string {
  const rules = parser.getSerializedGastProductions() as unknown as Gast[];
  return rules.map((r) => `${r.name ?? ''} = ${ebnf(r.definition ?? [])} ;`).join('\n');
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
function printField(key: string, f: FieldSpec): string {
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

function fieldTable(kind: BlockKind): string[] {
  const rows = Object.entries(FIELDS[kind]).map(([key, f]) => {
    const notes = [
      f.required === true ? 'required' : f.required ? `required for ${f.required.join(', ')}` : '',
      f.repeatable ? 'repeatable' : '',
      f.appliesTo ? `only ${f.appliesTo.join(', ')}` : '',
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

/** docs/language.md, before prettier. */
export function languageReference(): string {
  const blocks = Object.keys(FIELDS) as BlockKind[];
  const plots = Object.entries(PLOT_X).map(
    ([x, { table }]) =>
      `- \`plot Y over ${x}\`: Y is one of ${Object.keys(PLOT_Y[table])
        .map((y) => `\`${y}\``)
        .join(', ')}.`,
  );
  return [
    '<!-- Generated by `npm run docs:language` from dsl/schema.ts and dsl/parser.ts; do not edit. -->',
    '',
    '# The mmulab language',
    '',
    'A text is a list of statements, one per line. Inside `{ ... }` items are separated by',
    'newlines or commas. `#` starts a comment that runs to the end of the line.',
    '`use "common.mmu"` brings in the definitions of another file (its path is relative to',
    'the file that uses it; its runs and outputs are ignored).',
    '',
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
    ...blocks.flatMap((kind) => [`## ${BLOCK_TITLES[kind]}`, '', ...fieldTable(kind), '']),
    '## Outputs',
    '',
    `- \`table V, ...\`: V is one of ${TABLE_VIEWS.map((v) => `\`${v}\``).join(', ')}.`,
    ...plots,
    `- \`export V, ... to "DIR" [as F]\`: V as for \`table\`; F is one of ${EXPORT_FORMATS.map((f) => `\`${f}\``).join(', ')} (default \`${EXPORT_FORMATS[0]}\`); DIR is a directory relative to the file, written after the runs with one file per table and run, carrying the provenance.`,
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
  return createSyntaxDiagramsCode(parser.getSerializedGastProductions());
}

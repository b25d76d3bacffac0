/**
 * The language reference, generated from the grammar (parser.ts) and the field tables
 * (schema.ts), so it cannot drift from them: `npm run docs:language` writes
 * docs/language.md and docs/syntax-diagrams.html, and a test fails when the committed
 * files differ from what this module generates.
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
  createSyntaxDiagramsCode,
} from 'chevrotain';
import type { IProduction, TokenType } from 'chevrotain';
import { DiagnosticCode } from './diagnostics.ts';
import { parser } from './parser.ts';
import { FIELDS } from './schema.ts';
import type { ArgSpec, BlockKind, FieldSpec } from './schema.ts';
import { STATEMENTS } from './syntax.ts';
import type { Slot, StatementEntry } from './syntax.ts';
import { fixedText, keywords } from './tokens.ts';
import { DIMENSION_EXAMPLE, UNIT_NAMES, describeDimension, parseQuantity } from './units.ts';
import type { Dimension } from './units.ts';

/** How the grammar shows the tokens that have no fixed text. */
const TERMINAL_NAMES: Readonly<Record<string, string>> = {
  Newline: 'NEWLINE',
  Word: 'WORD',
  NumberLike: 'NUMBER',
  StringLiteral: 'STRING',
  Identifier: 'NAME',
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
  return Object.values(parser.getGAstProductions())
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

/** docs/language.md, before prettier. */
export function languageReference(): string {
  const blocks = Object.keys(FIELDS) as BlockKind[];
  return [
    '<!-- Generated by `npm run docs:language` from dsl/syntax.ts, dsl/schema.ts and dsl/parser.ts; do not edit. -->',
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
    ...STATEMENTS.flatMap(statementSection),
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

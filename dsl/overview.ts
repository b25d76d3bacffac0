/**
 * The language at a glance, as `%help` shows it: every statement's form and example
 * (syntax.ts, from the grammar) and the fields of each block (schema.ts), so the
 * overview names only what the parser and the checker accept and gains a new
 * statement or field with nothing to add here.
 */
import { FIELDS, PLOT_X, TABLE_VIEWS } from './schema.ts';
import type { BlockKind } from './schema.ts';
import { printField } from './reference.ts';
import { statements } from './syntax.ts';

/** The widest line of the overview: a console's width. */
const WIDTH = 88;
const INDENT = '  ';

/** The blocks whose fields are shown in full forms: the ones every program writes. */
const SHOWN_IN_FULL: readonly BlockKind[] = ['tracking'];

/** The most lines a block's fields take; the rest are counted (the reference lists all). */
const MAX_FIELD_LINES = 3;

/**
 * Words joined by `, ` and wrapped at WIDTH, each line after `head` indented to it; past
 * `maxLines` lines the rest are counted, not listed.
 */
function wrapped(head: string, words: readonly string[], maxLines = Infinity): string[] {
  const lines: string[] = [];
  let line = head;
  for (const [i, w] of words.entries()) {
    const piece = i === 0 ? w : `, ${w}`;
    if (i > 0 && line.length + piece.length > WIDTH) {
      if (lines.length + 1 === maxLines) {
        lines.push(`${line}, … ${words.length - i} more`);
        return lines;
      }
      lines.push(`${line},`);
      line = ' '.repeat(head.length) + w;
    } else line += piece;
  }
  lines.push(line);
  return lines;
}

/** The overview of the language: statements with an example each, then the fields. */
export function languageOverview(): string {
  const forms = statements().flatMap((s) => [
    `${INDENT}${s.form}`,
    `${INDENT}${INDENT}e.g. ${s.example}`,
  ]);
  const kinds = Object.keys(FIELDS) as BlockKind[];
  const pad = Math.max(...kinds.map((k) => k.length)) + 2;
  const fields = kinds.flatMap((kind) =>
    wrapped(
      `${INDENT}${kind.padEnd(pad)}`,
      Object.entries(FIELDS[kind]).map(([key, f]) =>
        SHOWN_IN_FULL.includes(kind) ? printField(key, f) : key,
      ),
      SHOWN_IN_FULL.includes(kind) ? Infinity : MAX_FIELD_LINES,
    ),
  );
  return [
    'Statements (`[x]` may be left out, `x ...` repeats, `a|b` is one or the other):',
    ...forms,
    '',
    ...wrapped('Result tables (VIEW): ', TABLE_VIEWS),
    `Plots over (X): ${Object.keys(PLOT_X).join(', ')} or a column of the summary table`,
    'Summary columns and aggregates: `%help stale_pages` or `%help ci95` says what one holds',
    '',
    'Fields of each block (`%help FIELD` documents one; docs/language.md lists them all):',
    ...fields,
  ].join('\n');
}

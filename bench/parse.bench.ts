/**
 * Parsing a text into its AST and diagnostics (dsl/parse.ts), clean and full of syntax
 * errors: every error gets a hint, and when one keyword, `{` or `,` is missing,
 * misspelt or extra, the fixed statement, found on the error's line through a per-line
 * token index. A file of 16,000 syntax errors once took 28 s (each hint scanned every
 * token of the text); the goal is seconds. Printed, not asserted.
 */
import { parseProgram } from '../dsl/parse.ts';
import { row, timeMs } from './util.ts';

const LINES = 16_000;

/** Statements with one syntax error each, most with a fix to suggest; `i` keeps them apart. */
const BROKEN: readonly ((i: number) => string)[] = [
  (i) => `export summary "out${i}/"`,
  (i) => `plot remaining t${i}`,
  (i) => `run db${i} with a b`,
  (i) => `tracking t${i} dirty_log ring }`,
];

/** The same statements written correctly. */
const CLEAN: readonly ((i: number) => string)[] = [
  (i) => `export summary to "out${i}/"`,
  (i) => `plot remaining over t${i}`,
  (i) => `run db${i} with a, b`,
  (i) => `tracking t${i} { dirty_log ring }`,
];

function text(kinds: readonly ((i: number) => string)[]): string {
  const lines: string[] = [];
  for (let i = 0; i < LINES; i++) lines.push(kinds[i % kinds.length]!(i));
  return `${lines.join('\n')}\n`;
}

// Warm up Chevrotain's lookahead caches and the JIT.
parseProgram(text(CLEAN).slice(0, 2000));

for (const [label, kinds] of [
  ['clean', CLEAN],
  ['one syntax error per line', BROKEN],
] as const) {
  const t = text(kinds);
  let errors = 0;
  const ms = timeMs(() => {
    errors = parseProgram(t).diagnostics.length;
  });
  row(`parse ${LINES} lines, ${label} (${errors} errors)`, `${(ms / 1000).toFixed(2)} s`);
}

/**
 * Diagnostics of the mmulab language: codes, the record, "did you mean", and the
 * terminal rendering (`file:line:col: error: message`, the line, a caret, a hint).
 */
import type { Span } from './ast.ts';

/** Every diagnostic code, kebab-case, in one place. */
export const DiagnosticCode = {
  UnexpectedCharacter: 'unexpected-character',
  SyntaxError: 'syntax-error',
  UnknownName: 'unknown-name',
  WrongKind: 'wrong-kind',
  UnknownField: 'unknown-field',
  InapplicableField: 'inapplicable-field',
  UnknownValue: 'unknown-value',
  DuplicateDefinition: 'duplicate-definition',
  DuplicateField: 'duplicate-field',
  MissingField: 'missing-field',
  MissingArgument: 'missing-argument',
  UnexpectedArgument: 'unexpected-argument',
  WrongUnit: 'wrong-unit',
  NotWhole: 'not-whole',
  OutOfRange: 'out-of-range',
  OverlappingSlots: 'overlapping-slots',
  MisalignedSlot: 'misaligned-slot',
  ExtendsCycle: 'extends-cycle',
  UnsupportedCombination: 'unsupported-combination',
  RunWithList: 'run-with-list',
  IgnoredOnArch: 'ignored-on-arch',
  DowntimeShorterThanPage: 'downtime-shorter-than-page',
  WillLosePages: 'will-lose-pages',
  UseCycle: 'use-cycle',
  MissingFile: 'missing-file',
  IgnoredInUsedFile: 'ignored-in-used-file',
  BadTrace: 'bad-trace',
  UnknownExportFormat: 'unknown-export-format',
  EmptyExportPath: 'empty-export-path',
} as const;

export type DiagnosticCode = (typeof DiagnosticCode)[keyof typeof DiagnosticCode];

export type Severity = 'error' | 'warning';

/** One problem in a text. line and column are 1-based; length counts characters from there. */
export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  /** A full sentence naming the bad value. */
  message: string;
  line: number;
  column: number;
  length: number;
  /** How to fix it, or '' when there is nothing more to say. */
  hint: string;
  /** The file the text came from, when known. */
  file?: string;
}

/** Build a diagnostic at a span. */
export function diagnostic(
  severity: Severity,
  code: DiagnosticCode,
  span: Span,
  message: string,
  hint = '',
): Diagnostic {
  return {
    severity,
    code,
    message,
    line: span.line,
    column: span.column,
    length: span.length,
    hint,
  };
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions, transpositions. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The closest candidate to `word`, if one is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = c.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, c);
    if (dist < bestDistance) [best, bestDistance] = [c, dist];
  }
  return bestDistance <= limit ? best : undefined;
}

/** " Did you mean 'x'?" or '' — appended to messages about unknown words. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` Did you mean '${c}'?`;
}

/** "a, b or c" for hints. */
export function oneOf(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  return quoted.length <= 1
    ? quoted.join('')
    : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

/**
 * Render a diagnostic as a compiler does:
 * ```
 * cell.mmu:3:22: error: Expected a size like 4GiB, got a time 300ms.
 *   slot ram0 at 0 size 300ms
 *                       ^^^^^
 * hint: ...
 * ```
 */
export function formatDiagnostic(source: string, diag: Diagnostic): string {
  const lines = source.split(/\r?\n|\r/);
  const text = lines[diag.line - 1] ?? '';
  const start = Math.max(0, diag.column - 1);
  const width = Math.max(1, Math.min(diag.length, Math.max(1, text.length - start)));
  const out = [
    `${diag.file ?? '<input>'}:${diag.line}:${diag.column}: ${diag.severity}: ${diag.message}`,
    text,
    `${text.slice(0, start).replace(/[^\t]/g, ' ')}${'^'.repeat(width)}`,
  ];
  if (diag.hint) out.push(`hint: ${diag.hint}`);
  return out.join('\n');
}

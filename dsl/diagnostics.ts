/**
 * Diagnostics of the mmulab language: codes, the record, "did you mean", and the
 * terminal rendering (`file:line:col: error: message`, the line, a caret, a hint).
 */
import type { Span } from './ast.ts';

/** Every diagnostic code, kebab-case, in one place. */
export const DiagnosticCode = {
  UnexpectedCharacter: 'unexpected-character',
  NonAsciiName: 'non-ascii-name',
  UnterminatedString: 'unterminated-string',
  SyntaxError: 'syntax-error',
  MissingComma: 'missing-comma',
  UnknownKeyword: 'unknown-keyword',
  Unclosed: 'unclosed',
  KeywordAsName: 'keyword-as-name',
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
  UnitFactor: 'unit-factor',
  UnknownUnit: 'unknown-unit',
  NotWhole: 'not-whole',
  NegativeNumber: 'negative-number',
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
  UnknownPlotName: 'unknown-plot-name',
  DuplicatePlotName: 'duplicate-plot-name',
  ExportShape: 'export-shape',
  NotSweepable: 'not-sweepable',
  MixedUnits: 'mixed-units',
  EmptyRange: 'empty-range',
  BadStep: 'bad-step',
  VaryWithoutBounds: 'vary-without-bounds',
  MisplacedVary: 'misplaced-vary',
  DuplicateValue: 'duplicate-value',
  TooManyPlans: 'too-many-plans',
  OneSeed: 'one-seed',
  DuplicateAxis: 'duplicate-axis',
  UnknownAxis: 'unknown-axis',
  ZipLengths: 'zip-lengths',
  NoPointKept: 'no-point-kept',
  DuplicateSlotName: 'duplicate-slot-name',
  SlotTooLarge: 'slot-too-large',
  SlotBeyondMaxGfn: 'slot-beyond-max-gfn',
  EmptyRegion: 'empty-region',
  AllocExceedsRam: 'alloc-exceeds-ram',
  UnknownVcpu: 'unknown-vcpu',
  RegionOutsideRam: 'region-outside-ram',
  VcpuInTwoWorkloads: 'vcpu-in-two-workloads',
  DeviceTablesOutsideRam: 'device-tables-outside-ram',
  DeviceTablesOverlap: 'device-tables-overlap',
  UnknownColumn: 'unknown-column',
  AllWithColumns: 'all-with-columns',
  TypeMismatch: 'type-mismatch',
  WordNamesColumn: 'word-names-column',
  UnknownFunction: 'unknown-function',
  LetCycle: 'let-cycle',
  LetShadowsColumn: 'let-shadows-column',
  AggregateOfText: 'aggregate-of-text',
  UnplottedAxis: 'unplotted-axis',
  AmbiguousPrediction: 'ambiguous-prediction',
  UnknownBit: 'unknown-bit',
  AssignToConstant: 'assign-to-constant',
  UnlockWithoutLock: 'unlock-without-lock',
  UnboundedLoop: 'unbounded-loop',
  UnknownStatement: 'unknown-statement',
  InvalidProtocol: 'invalid-protocol',
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
    message: clipped(message),
    line: span.line,
    column: span.column,
    length: span.length,
    hint: clipped(hint),
  };
}

/**
 * The longest message or hint a diagnostic keeps. A message quotes what was written,
 * and what was written may be a megabyte-long word: cut there, the output of a check
 * stays bounded whatever the text (and no real message comes near it).
 */
export const MAX_MESSAGE = 1000;

function clipped(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 3)}...`;
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
    // The lengths alone put `c` out of reach: no table of a megabyte-long word.
    if (Math.abs(c.length - word.length) > limit) continue;
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
 * The lines of a text, found once: rendering many diagnostics of one text costs one
 * pass over it, not one split per diagnostic (a 340 KB file with 20,000 errors took
 * 25 s that way). Line ends are `\r\n`, `\n` or `\r`, as the lexer counts them.
 */
export class SourceLines {
  /** Offset of the first character of each line (0-based lines). */
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  /** Line `n` (1-based) without its line end; '' for a line the text does not have. */
  line(n: number): string {
    const start = this.starts[n - 1];
    if (start === undefined) return '';
    const next = this.starts[n];
    let end = next === undefined ? this.text.length : next - 1;
    // `\r\n`: the `\n` ended the line, the `\r` before it is part of the line end.
    if (
      next !== undefined &&
      this.text.charCodeAt(end) === 10 &&
      this.text.charCodeAt(end - 1) === 13
    )
      end--;
    return this.text.slice(start, end);
  }
}

/**
 * Render a diagnostic as a compiler does:
 * ```
 * cell.mmu:3:22: error: Expected a size like 4GiB, got a time 300ms.
 *   slot ram0 at 0 size 300ms
 *                       ^^^^^
 * hint: ...
 * ```
 * Pass the text's `SourceLines` when rendering more than one diagnostic of it.
 */
export function formatDiagnostic(source: string | SourceLines, diag: Diagnostic): string {
  const lines = typeof source === 'string' ? new SourceLines(source) : source;
  const { text, start } = shownLine(lines.line(diag.line), Math.max(0, diag.column - 1));
  const width = Math.max(1, Math.min(diag.length, Math.max(1, text.length - start)));
  const out = [
    `${diag.file ?? '<input>'}:${diag.line}:${diag.column}: ${diag.severity}: ${diag.message}`,
    text,
    `${text.slice(0, start).replace(/[^\t]/g, ' ')}${'^'.repeat(width)}`,
  ];
  if (diag.hint) out.push(`hint: ${diag.hint}`);
  return out.join('\n');
}

/** The most of a source line a rendered diagnostic shows. */
export const SHOWN_LINE_WIDTH = 160;

/**
 * A source line as a diagnostic shows it, and where the caret starts in it: a line
 * longer than SHOWN_LINE_WIDTH (a minified or generated text, a pasted blob) is cut
 * to a window around the caret, marked with `...` where it was cut, so that twenty
 * diagnostics of a 1 MB one-line text print kilobytes, not forty megabytes.
 */
function shownLine(line: string, start: number): { text: string; start: number } {
  if (line.length <= SHOWN_LINE_WIDTH) return { text: line, start };
  const MARK = '...';
  const from = Math.max(0, Math.min(start - 40, line.length - SHOWN_LINE_WIDTH));
  const to = Math.min(line.length, from + SHOWN_LINE_WIDTH);
  const head = from > 0 ? MARK : '';
  const tail = to < line.length ? MARK : '';
  return { text: head + line.slice(from, to) + tail, start: start - from + head.length };
}

/**
 * How many errors, and separately warnings, of one file are shown; the rest are
 * counted ("and 19,980 more errors in lab.mmu"). The first errors are the ones worth
 * reading (later ones often follow from them), and a text with thousands of them
 * would otherwise flood a terminal or a notebook. clang stops at 20 errors too
 * (`-ferror-limit`).
 */
export const SHOWN_PER_FILE = 20;

/** The diagnostics worth printing, and what was left out. */
export interface ShownDiagnostics {
  /** The first `limit` errors and the first `limit` warnings of each file, in their order. */
  shown: Diagnostic[];
  /** One line per file with diagnostics left out: "... and 19,980 more errors in lab.mmu, not shown." */
  omitted: string[];
}

/** Cap `diags` to the first `limit` errors and warnings of each file (see SHOWN_PER_FILE). */
export function shownDiagnostics(
  diags: readonly Diagnostic[],
  limit = SHOWN_PER_FILE,
): ShownDiagnostics {
  const counts = new Map<string, { error: number; warning: number }>();
  const shown: Diagnostic[] = [];
  for (const d of diags) {
    const file = d.file ?? '<input>';
    let count = counts.get(file);
    if (!count) counts.set(file, (count = { error: 0, warning: 0 }));
    if (++count[d.severity] <= limit) shown.push(d);
  }
  const omitted: string[] = [];
  const more = (n: number, word: string): string =>
    `${n.toLocaleString('en-US')} more ${word}${n === 1 ? '' : 's'}`;
  for (const [file, count] of counts) {
    const parts = [
      count.error > limit ? more(count.error - limit, 'error') : '',
      count.warning > limit ? more(count.warning - limit, 'warning') : '',
    ].filter((p) => p !== '');
    if (parts.length > 0) omitted.push(`... and ${parts.join(' and ')} in ${file}, not shown.`);
  }
  return { shown, omitted };
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, diagnosticRenderer, renderDiagnostic } from '../../dsl/compile.ts';
import {
  formatDiagnostic,
  SHOWN_LINE_WIDTH,
  SHOWN_PER_FILE,
  shownDiagnostics,
  SourceLines,
} from '../../dsl/diagnostics.ts';
import type { Diagnostic } from '../../dsl/diagnostics.ts';
import { memoryLoader } from './cases.ts';

/** Kept short: the suite must stay fast. */
const RUNS = 300;

function diag(line: number, severity: Diagnostic['severity'] = 'error', file?: string): Diagnostic {
  return {
    severity,
    code: 'duplicate-definition',
    message: `problem on line ${line}.`,
    line,
    column: 1,
    length: 1,
    hint: '',
    ...(file === undefined ? {} : { file }),
  };
}

describe('SourceLines', () => {
  it('finds the lines a split on \\r\\n, \\n and \\r finds', () => {
    const text = fc
      .array(fc.constantFrom('a', 'bc', ' ', '\t', '\n', '\r', '\r\n', 'é', '😀'), {
        maxLength: 40,
      })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (t) => {
        const lines = new SourceLines(t);
        const expected = t.split(/\r?\n|\r/);
        for (let n = 1; n <= expected.length; n++) expect(lines.line(n)).toBe(expected[n - 1]);
        expect(lines.line(expected.length + 1)).toBe('');
        expect(lines.line(0)).toBe('');
      }),
      { numRuns: RUNS },
    );
  });

  it('renders a diagnostic as the text itself does', () => {
    const text = 'vm v {\r\n  slot r at 0 size 300ms\r\n}';
    const [d] = compile(text).diagnostics;
    expect(d).toBeDefined();
    expect(formatDiagnostic(new SourceLines(text), d!)).toBe(formatDiagnostic(text, d!));
    expect(formatDiagnostic(text, d!).split('\n')[1]).toBe('  slot r at 0 size 300ms');
  });
});

describe('formatDiagnostic of a long line', () => {
  it('shows a window of the line around the caret, marked where it was cut', () => {
    const text = `${'x'.repeat(5000)} @ ${'y'.repeat(5000)}`;
    const d = compile(text).diagnostics.find((x) => x.code === 'unexpected-character');
    expect(d).toBeDefined();
    const [, shown, caret] = formatDiagnostic(text, d!).split('\n');
    expect(shown!.length).toBeLessThanOrEqual(SHOWN_LINE_WIDTH + 6);
    expect(shown).toMatch(/^\.\.\.x+ @ y+\.\.\.$/);
    expect(caret!.indexOf('^')).toBe(shown!.indexOf('@'));
  });

  it('shows a line as it is when it fits', () => {
    const text = `${'x'.repeat(SHOWN_LINE_WIDTH - 2)} @`;
    const d = compile(text).diagnostics.find((x) => x.code === 'unexpected-character');
    const [, shown, caret] = formatDiagnostic(text, d!).split('\n');
    expect(shown).toBe(text);
    expect(caret!.indexOf('^')).toBe(text.indexOf('@'));
  });
});

describe('diagnosticRenderer', () => {
  it("renders each diagnostic against its own file's text, as renderDiagnostic does", () => {
    const load = memoryLoader({ '/lib.mmu': 'tracking t {\n  dirty_log ring 7\n}' });
    const text = 'use "lib.mmu"\nvm v { vcpus 0 }';
    const result = compile(text, { file: '/lab.mmu', load });
    const render = diagnosticRenderer(result, text, '/lab.mmu');
    expect(result.diagnostics.map((d) => d.file)).toEqual(
      expect.arrayContaining(['/lib.mmu', '/lab.mmu']),
    );
    for (const d of result.diagnostics)
      expect(render(d)).toBe(renderDiagnostic(result, text, d, '/lab.mmu'));
    const inLib = result.diagnostics.find((d) => d.file === '/lib.mmu')!;
    expect(render(inLib).split('\n')[1]).toBe('  dirty_log ring 7');
  });
});

describe('shownDiagnostics', () => {
  it('keeps the first errors and warnings of each file and counts the rest', () => {
    const diags = [
      ...Array.from({ length: 25 }, (_, i) => diag(i + 1)),
      diag(30, 'warning'),
      ...Array.from({ length: 3 }, (_, i) => diag(i + 1, 'error', 'lib.mmu')),
    ];
    const { shown, omitted } = shownDiagnostics(diags, 20);
    expect(shown).toEqual([...diags.slice(0, 20), diags[25], ...diags.slice(26)]);
    expect(omitted).toEqual(['... and 5 more errors in <input>, not shown.']);
  });

  it('counts thousands of errors and warnings in one line per file', () => {
    const diags = Array.from({ length: 20_000 }, (_, i) =>
      diag(i + 1, i % 2 === 0 ? 'error' : 'warning', 'big.mmu'),
    );
    const { shown, omitted } = shownDiagnostics(diags);
    expect(shown).toHaveLength(2 * SHOWN_PER_FILE);
    expect(omitted).toEqual([
      `... and ${(10_000 - SHOWN_PER_FILE).toLocaleString('en-US')} more errors and ${(10_000 - SHOWN_PER_FILE).toLocaleString('en-US')} more warnings in big.mmu, not shown.`,
    ]);
  });

  it('leaves out nothing under the limit', () => {
    const diags = [diag(1), diag(2, 'warning')];
    expect(shownDiagnostics(diags)).toEqual({ shown: diags, omitted: [] });
  });
});

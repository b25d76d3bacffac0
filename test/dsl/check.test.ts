import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import { DiagnosticCode, formatDiagnostic } from '../../dsl/diagnostics.ts';
import { BASE, CASE_LINE, DIAGNOSTIC_CASES, LAB_FILE, memoryLoader } from './cases.ts';

describe('check: every diagnostic code', () => {
  it('has a case for every code', () => {
    const covered = new Set(DIAGNOSTIC_CASES.map((c) => c.code));
    expect([...Object.values(DiagnosticCode)].filter((c) => !covered.has(c))).toEqual([]);
  });

  it('the base program has no diagnostic', () => {
    expect(compile(BASE).diagnostics).toEqual([]);
  });

  for (const c of DIAGNOSTIC_CASES) {
    const options = { file: LAB_FILE, load: memoryLoader(c.files ?? {}) };
    describe(c.code, () => {
      it(`reports ${c.code} with its message and position`, () => {
        const text = `${BASE}\n${c.bad}`;
        const { diagnostics } = compile(text, options);
        const d = diagnostics.find((x) => x.code === c.code);
        expect(d, JSON.stringify(diagnostics, null, 1)).toBeDefined();
        const source = c.inFile === undefined ? c.bad : (c.files?.[c.inFile] ?? '');
        const lineText = source.split('\n')[c.lineOffset ?? 0];
        expect(d).toMatchObject({
          severity: c.severity ?? 'error',
          message: c.message,
          line: (c.inFile === undefined ? CASE_LINE : 1) + (c.lineOffset ?? 0),
          column: lineText.indexOf(c.at) + 1,
          file: c.inFile ?? LAB_FILE,
        });
        expect(d?.hint).not.toBe('');
      });

      it('reports nothing for its passing twin', () => {
        expect(compile(`${BASE}\n${c.good}`, options).diagnostics).toEqual([]);
      });
    });
  }
});

describe('formatDiagnostic', () => {
  it('renders file:line:col, the source line, a caret under the span and the hint', () => {
    const text = 'vm v {\n  slot r at 0 size 300ms\n}';
    const { diagnostics } = compile(text, { file: 'lab.mmu' });
    expect(formatDiagnostic(text, diagnostics[0])).toBe(
      [
        'lab.mmu:2:20: error: Expected a size like 4GiB, got a time 300ms.',
        '  slot r at 0 size 300ms',
        '                   ^^^^^',
        'hint: Write the slot size as a size like 4GiB.',
      ].join('\n'),
    );
  });

  it('puts a single caret at the end of the text for a missing token', () => {
    const text = 'plot remaining';
    const d = compile(text).diagnostics.find((x) => x.code === 'syntax-error');
    expect(d).toBeDefined();
    if (!d) return;
    expect(formatDiagnostic(text, d)).toContain(
      "<input>:1:15: error: Expected 'over' but found the end of the text.",
    );
  });
});

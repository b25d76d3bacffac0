import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import { languageOverview } from '../../dsl/overview.ts';
import { parseProgram } from '../../dsl/parse.ts';
import { FIELDS, TABLE_VIEWS } from '../../dsl/schema.ts';
import { statements } from '../../dsl/syntax.ts';

const overview = languageOverview();

/**
 * The alternatives a help text shows for `dirty_log` (`dirty_log a|b N|c [N]`), each as
 * a tracking field with N filled in, that the checker rejects.
 */
function rejectedDirtyLogModes(text: string): string[] {
  const m = /dirty_log ([^,}\n]*\|[^,}\n]*)/.exec(text);
  if (!m) return ['(no dirty_log alternatives shown)'];
  const field = (alt: string): string[] => {
    const filled = alt.trim().replace(/\bN\b/g, '4096');
    // `ring|ring_with_bitmap [4096]`: the optional count belongs to every alternative.
    return filled.includes('[')
      ? [filled.replace(/\[|\]/g, ''), filled.replace(/ \[.*\]/, '')]
      : [filled];
  };
  const [alternatives, optional = ''] = m[1].split(/ (?=\[)/);
  return alternatives.split('|').flatMap((alt) => {
    const forms = field(`${alt} ${optional}`);
    const accepted = forms.some(
      (f) => compile(`tracking t { dirty_log ${f} }`).diagnostics.length === 0,
    );
    return accepted ? [] : [alt.trim()];
  });
}

describe('the language overview (%help)', () => {
  it('shows every statement with its form and an example', () => {
    for (const s of statements()) {
      expect(overview).toContain(s.form);
      expect(overview).toContain(`e.g. ${s.example}`);
    }
  });

  it('names every result table and the fields of every block', () => {
    for (const v of TABLE_VIEWS) expect(overview).toContain(v);
    for (const [kind, fields] of Object.entries(FIELDS)) {
      const block = overview.slice(overview.indexOf(`  ${kind} `));
      // A long list is cut after its first lines; what is listed is the schema's order.
      const listed = Object.keys(fields).filter((k) => block.includes(k));
      expect(listed.length, kind).toBeGreaterThan(0);
      expect(Object.keys(fields).slice(0, listed.length), kind).toEqual(listed);
    }
  });

  it('has examples that parse', () => {
    for (const line of overview.split('\n').filter((l) => l.trim().startsWith('e.g. '))) {
      const example = line.trim().slice('e.g. '.length);
      expect(parseProgram(example).diagnostics, example).toEqual([]);
    }
  });

  it('shows only dirty-log modes the checker accepts, every one of them', () => {
    expect(rejectedDirtyLogModes(overview)).toEqual([]);
    for (const mode of ['bitmap', 'manual', 'initially_set', 'ring', 'ring_with_bitmap'])
      expect(overview).toContain(mode);
  });

  it('would catch a hand-written mode the checker rejects (the twin of the test above)', () => {
    const handWritten =
      'tracking NAME { dirty_log get|manual|initially_set|ring N|ring N with bitmap, eager_split on }';
    expect(rejectedDirtyLogModes(handWritten)).toEqual(['get', 'ring N with bitmap']);
  });
});

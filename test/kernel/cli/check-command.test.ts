import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capturedIo } from '../../helpers/cli.ts';
import { checkCommand } from '../../../kernel/cli/check-command.ts';
import { ExitCode } from '../../../kernel/cli/io.ts';
import { BASE, DIAGNOSTIC_CASES } from '../../dsl/cases.ts';
import { editedTexts } from '../../helpers/edited-texts.ts';

/** The largest text the property feeds `mmulab check`: what a kernel cell may hold. */
const MAX_TEXT = 2 ** 20;
/**
 * The most `mmulab check` may print, whatever the text: 20 errors and 20 warnings,
 * each with a message and a hint of at most 1000 characters (MAX_MESSAGE), a source
 * line of at most 160 and a caret, the count of those not shown and a summary line.
 */
const MAX_OUTPUT = 128 * 2 ** 10;
/** Few: a text of 1 MB of errors takes seconds to compile on a loaded machine. */
const LARGE_RUNS = 4;
const SMALL_RUNS = 40;

const DIR = mkdtempSync(join(tmpdir(), 'mmulab-check-fuzz-'));

const SEEDS = [
  BASE,
  ...DIAGNOSTIC_CASES.flatMap((c) => [`${BASE}\n${c.bad}`, `${BASE}\n${c.good}`]),
];

/** What a user mid-edit or a careless paste hands the checker. */
const PIECES = fc.oneof(
  editedTexts(SEEDS, {
    inserts: fc.constantFrom(
      '{',
      '}',
      '"',
      '-',
      'é',
      '😀',
      '\u00a0',
      '\u0000',
      '10Gbit',
      'vmm',
      '',
    ),
    maxDelete: 8,
    maxEdits: 4,
  }),
  fc.string({ maxLength: 300, unit: 'binary' }),
  fc.constantFrom('vm a { vcpus 4 }', '{', '"', 'x'.repeat(200), '\n'),
);

/** A piece repeated up to `max` characters: one statement thousands of times, or one long line. */
function texts(max: number): fc.Arbitrary<string> {
  return fc.tuple(PIECES, fc.integer({ min: 1, max }), fc.boolean()).map(([piece, size, lines]) => {
    const unit = lines ? `${piece}\n` : piece;
    if (unit.length === 0) return '';
    return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  });
}

let n = 0;

/** `mmulab check` on `text` as a file, through the command's own function. */
function check(text: string): { code: ExitCode; out: string; err: string } {
  const file = `case-${n++}.mmu`;
  writeFileSync(join(DIR, file), text);
  const { io, out, err } = capturedIo(DIR);
  const code = checkCommand({ file: join(DIR, file) }, io);
  return { code, out: out(), err: err() };
}

/** A bounded, clear answer: an exit code, a summary, line:col for every error, no stack. */
function expectClearAnswer(text: string): void {
  const { code, out, err } = check(text);
  expect([ExitCode.Ok, ExitCode.PlanError]).toContain(code);
  expect(out.length).toBeLessThanOrEqual(MAX_OUTPUT);
  expect(err).toBe('');
  expect(out).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(out).toMatch(/case-\d+\.mmu: \d+ errors?, \d+ warnings?/);
  if (code === ExitCode.PlanError) expect(out).toMatch(/case-\d+\.mmu:\d+:\d+: error: \S/);
  else expect(out).toMatch(/: 0 errors/);
}

describe('mmulab check on any text', () => {
  it('answers texts of up to 64 KiB with an exit code, line:col for errors and bounded output', () => {
    fc.assert(fc.property(texts(64 * 2 ** 10), expectClearAnswer), { numRuns: SMALL_RUNS });
  });

  it('answers texts of up to 1 MiB the same way (thousands of errors, or one long line)', () => {
    const large = fc.tuple(PIECES, fc.boolean()).chain(([piece, lines]) =>
      fc.integer({ min: MAX_TEXT / 2, max: MAX_TEXT }).map((size) => {
        const unit = lines || piece.length === 0 ? `${piece}\n` : piece;
        return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
      }),
    );
    fc.assert(fc.property(large, expectClearAnswer), { numRuns: LARGE_RUNS });
  }, 600_000);

  it('a valid program of the same pieces passes with exit 0', () => {
    const { code, out } = check(BASE);
    expect(code).toBe(ExitCode.Ok);
    expect(out).toMatch(/: 0 errors, 0 warnings/);
  });
});

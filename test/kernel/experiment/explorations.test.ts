import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../../dsl/compile.ts';
import {
  explorationFigures,
  explorationsTable,
  runExplorations,
  showExplorations,
} from '../../../kernel/experiment/explorations.ts';
import { ResultCache } from '../../../kernel/experiment/result-cache.ts';
import { STORE_BUFFERING_MMU } from '../../helpers/litmus.ts';

const TMP = mkdtempSync(join(tmpdir(), 'mmulab-explore-cache-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const SB = `${STORE_BUFFERING_MMU}
explore sb memory sc
explore sb memory tso reduction por
`;

function program(extra = '') {
  const r = compile(SB + extra);
  expect(r.diagnostics).toEqual([]);
  return r.program;
}

describe('explorations (the experiment layer of `explore`)', () => {
  it('runs each explore with its options, one table row each, the same bytes every time', () => {
    const list = runExplorations(program().explores ?? []);
    const rows = explorationsTable(list).objects() as Record<string, unknown>[];
    expect(rows.map((r) => [r.memory_model, r.reduction, r.violations])).toEqual([
      ['sc', 'none', 0],
      ['tso', 'por', 1],
    ]);
    expect(Object.keys(rows[0])).not.toContain('time_ms');
    expect(explorationsTable(runExplorations(program().explores ?? [])).objects()).toEqual(rows);
  });

  it('draws one swimlane chart per exploration with a violation, its shortest trace', () => {
    const figures = explorationFigures(runExplorations(program().explores ?? []));
    expect(figures.map((f) => f.title)).toEqual([
      expect.stringMatching(/^sb \(TSO\): not_both_zero, \d+ steps$/),
    ]);
  });

  it('checks expect explore after its where: all rows, any row, no row is a failure', () => {
    const shown = showExplorations(
      program(
        'expect explore where memory_model = sc: violations = 0\n' +
          'expect explore: violations = 0\n' +
          'expect any explore: violations = 0\n' +
          'expect explore where protocol = nothing: violations = 0\n',
      ),
    );
    expect(shown?.expects.map((e) => [e.pass, e.summary])).toEqual([
      [true, 'all 1 row pass'],
      [false, '1 of 2 rows fail'],
      [true, '1 of 2 rows pass'],
      [false, 'no row matches the where in explore'],
    ]);
    expect(shown?.expects[1].failing.objects()).toEqual([
      { protocol: 'sb', memory_model: 'tso', reduction: 'por', violations: 1 },
    ]);
  });

  it('reads an unchanged exploration back from the cache and explores a changed one', () => {
    const cache = new ResultCache(TMP);
    const explores = program().explores ?? [];
    const first = runExplorations(explores, cache);
    const dir = join(TMP, cache.fingerprint);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(first.map((x) => `explore-${x.result.protocolHash}.json`).sort());
    // Mark what the cache holds: a result read back carries the mark, a new one does not.
    for (const f of files) {
      const stored = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { states: number };
      writeFileSync(join(dir, f), JSON.stringify({ ...stored, states: -1 }));
    }
    const again = runExplorations(explores, cache);
    expect(again.map((x) => x.result.states)).toEqual([-1, -1]);
    expect(again.map((x) => x.result.violations)).toEqual(first.map((x) => x.result.violations));
    // Another state limit, and the protocol's text moved down a line: both explored anew.
    const limited = compile(`${SB}explore sb memory sc max_states 100000\n`).program.explores ?? [];
    const moved = compile(`\n${SB}`).program.explores ?? [];
    expect(runExplorations([limited[2]], cache)[0].result.states).toBe(first[0].result.states);
    expect(runExplorations(moved, cache).map((x) => x.result.states)).toEqual(
      first.map((x) => x.result.states),
    );
  });

  it('is nothing for a program without explore', () => {
    expect(showExplorations(compile('let x = 1\n').program)).toBeUndefined();
  });
});

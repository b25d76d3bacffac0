/**
 * Reference outputs: a fixed set of programs (test/golden/programs/*.mmu) compiled and
 * run, every plan's canonical JSON and every result table as CSV compared with the files
 * stored under test/golden/expected/. They hold the language and the engine to
 * byte-identical results across refactorings. A change that is meant to change results
 * (a model fix, a new column) rewrites them with `npx vitest run test/golden -u` and
 * says in its commit message which tables changed and why.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toCSV } from 'arquero';
import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import { nodeFileLoader } from '../../dsl/node-loader.ts';
import { planHash, resultColumns } from '../../engine/results.ts';
import type { RunResult } from '../../engine/results.ts';
import { run } from '../../engine/run.ts';

const HERE = import.meta.dirname;
const PROGRAMS = join(HERE, 'programs');
const TABLES = ['summary', 'iterations', 'timeline', 'events', 'stale', 'vcpu_stats'] as const;

/** Keys sorted at every level, so the text depends only on the plan's content. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    );
  return value;
}

function resultText(result: RunResult): string {
  const { plan_hash, seed, costs } = result.provenance;
  const parts = [
    `# plan_hash: ${plan_hash}`,
    `# seed: ${seed}`,
    `# costs: ${JSON.stringify(costs)}`,
  ];
  for (const t of TABLES) parts.push(`## ${t}`, toCSV(result[t]));
  return parts.join('\n') + '\n';
}

/**
 * Each table's columns as a run returned them, with the type of their values: what
 * `resultColumns(plan)` must have said before the run (an all-null column takes the
 * catalog's word for it).
 */
function catalogOf(
  result: RunResult,
  catalog: ReturnType<typeof resultColumns>,
): Record<string, [string, string][]> {
  const typeOf = (values: unknown[]): string => {
    const types = new Set(
      values
        .filter((v) => v !== null && v !== undefined)
        .map((v) => (typeof v === 'string' ? 'text' : typeof v)),
    );
    return types.size === 1 ? [...types][0] : [...types].join('|');
  };
  return Object.fromEntries(
    TABLES.map((t) => {
      const table = result[t];
      return [
        t,
        table.columnNames().map((c): [string, string] => {
          const type = typeOf(Array.from(table.array(c) as ArrayLike<unknown>));
          const stated = catalog[t].find((info) => info.name === c)?.type ?? 'absent';
          return [c, type === '' ? stated : type];
        }),
      ];
    }),
  );
}

const programs = readdirSync(PROGRAMS)
  .filter((f) => f.endsWith('.mmu'))
  .sort();

describe('reference outputs', () => {
  for (const name of programs) {
    const base = name.replace(/\.mmu$/, '');
    it(`${name} compiles to the stored plans and runs to the stored tables`, async () => {
      const file = join(PROGRAMS, name);
      const compiled = compile(readFileSync(file, 'utf8'), { file, load: nodeFileLoader });
      expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const plans = compiled.program.experiments.flatMap((e) => e.plans);
      expect(plans.length).toBeGreaterThan(0);
      const planText = plans
        .map((p) =>
          JSON.stringify({ label: p.label, hash: planHash(p.plan), plan: canonical(p.plan) }),
        )
        .join('\n');
      await expect(planText + '\n').toMatchFileSnapshot(
        join(HERE, 'expected', base, 'plans.jsonl'),
      );
      for (const p of plans) {
        const slug = p.label.replace(/[^A-Za-z0-9_=.-]+/g, '_');
        const result = run(p.plan);
        await expect(resultText(result)).toMatchFileSnapshot(
          join(HERE, 'expected', base, `${slug}.txt`),
        );
        const catalog = resultColumns(p.plan);
        const expected = Object.fromEntries(
          TABLES.map((t) => [t, catalog[t].map(({ name, type }) => [name, type])]),
        );
        expect(catalogOf(result, catalog), p.label).toEqual(expected);
      }
    });
  }
});

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
import { planHash } from '../../engine/results.ts';
import type { RunResult } from '../../engine/results.ts';
import { run } from '../../engine/run.ts';

const HERE = import.meta.dirname;
const PROGRAMS = join(HERE, 'programs');
const TABLES = ['summary', 'iterations', 'timeline', 'events', 'stale'] as const;

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
        await expect(resultText(run(p.plan))).toMatchFileSnapshot(
          join(HERE, 'expected', base, `${slug}.txt`),
        );
      }
    });
  }
});

import * as aq from 'arquero';
import type { CalibrationRow } from '../../engine/calibration/index.ts';
import type { Costs } from '../../engine/kvm/costs.ts';
import { PUBLISHED_FIGURES, calibrate } from '../../engine/calibration/index.ts';
import { COST_INFO, DEFAULT_COSTS } from '../../engine/kvm/costs.ts';
import { textTable } from '../output/text-table.ts';

/**
 * `npm run calibrate`: the reference scenarios (engine/calibration/) against every
 * published figure the project keeps, with the relative error, then the cost table
 * with each entry's basis. Simulated time; deterministic.
 */

const USAGE = `usage: npm run calibrate -- [--only ID[,ID...]] [--costs]

Runs the reference scenarios and prints the model beside each published figure
(engine/calibration/) with the relative error.

  --only IDS   only these figures (comma-separated ids)
  --costs      also print the cost table with the basis of each default
  -h, --help   this text`;

class UsageError extends Error {}

interface Args {
  only?: string[];
  costs: boolean;
}

export function parseArgs(argv: readonly string[]): Args | null {
  const args: Args = { costs: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') return null;
    if (a === '--costs') args.costs = true;
    else if (a === '--only') {
      const v = argv[++i];
      if (!v)
        throw new UsageError('--only needs figure ids, e.g. --only google-2021-eager-split-1.5tb');
      const ids = v.split(',').filter((x) => x !== '');
      const known = new Set(PUBLISHED_FIGURES.map((f) => f.id));
      const unknown = ids.filter((x) => !known.has(x));
      if (unknown.length) {
        throw new UsageError(
          `unknown figure id ${unknown.join(', ')}; known: ${[...known].join(', ')}`,
        );
      }
      args.only = ids;
    } else throw new UsageError(`unknown option "${a}"`);
  }
  return args;
}

/** A number for the table: 4 significant digits. */
function num(x: number | null): string {
  if (x === null) return '—';
  return Number(x.toPrecision(4)).toString();
}

/** The comparison as a table: one row per figure. */
export function calibrationTable(rows: readonly CalibrationRow[]): aq.ColumnTable {
  return aq.from(
    rows.map((r) => ({
      figure: r.figure.id,
      unit: r.figure.unit,
      published: num(r.figure.value),
      model: num(r.model),
      rel_error: r.relativeError === null ? '—' : `${(r.relativeError * 100).toFixed(1)}%`,
      confidence: r.figure.confidence,
    })),
  );
}

/** The cost table: default and basis of every entry. */
export function costBasisTable(): aq.ColumnTable {
  return aq.from(
    (Object.keys(DEFAULT_COSTS) as (keyof Costs)[]).map((name) => {
      const basis = COST_INFO[name].basis;
      return {
        cost: name,
        default_ns: DEFAULT_COSTS[name],
        basis: basis.kind,
        figures: basis.kind === 'estimate' ? '' : basis.figures.join(', '),
      };
    }),
  );
}

export function main(argv: readonly string[]): number {
  let args: Args | null;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const rows = calibrate({ only: args.only });
  process.stdout.write(
    'mmulab calibration: the model (simulated) beside published figures, relative error = (model - published) / published\n\n',
  );
  process.stdout.write(`${textTable(calibrationTable(rows))}\n\n`);
  for (const r of rows) {
    process.stdout.write(`${r.figure.id}: ${r.figure.what}. ${r.figure.source}.\n`);
    process.stdout.write(`  published setup: ${r.figure.setup}\n`);
    process.stdout.write(`  ${r.model === null ? 'not modelled' : 'scenario'}: ${r.scenario}\n`);
  }
  if (args.costs) process.stdout.write(`\n${textTable(costBasisTable())}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));

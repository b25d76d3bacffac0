import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { ColumnError } from '../experiment/experiment-table.ts';
import { indexedPlans } from '../experiment/plans.ts';
import { ChromiumMissingError, figureTitle, renderFigures } from '../output/figure-image.ts';
import type { FigureJob } from '../output/figure-image.ts';
import { runEnvironment } from '../output/environment.ts';
import { fileProvenance } from '../output/exports.ts';
import { imageWithProvenance } from '../output/image-provenance.ts';
import { plotlyConfig } from '../output/plotly-js.ts';
import { shownByExperiment } from '../output/shown.ts';
import type { FigureArgs } from './commands.ts';
import { ExitCode } from './io.ts';
import type { CliIo } from './io.ts';
import { formatDiagnostics, loadFile } from './load.ts';
import { cliRunner, runWithProgress } from './run-plans.ts';

/**
 * `mmulab figure FILE`: run the file as `mmulab run` does, then write every chart the
 * report would draw as an image file (figure-image.ts), named after its title.
 */
export async function figureCommand(args: FigureArgs, io: CliIo): Promise<ExitCode> {
  const loaded = loadFile('mmulab figure', args.file, io.cwd, args.variant);
  const { compiled } = loaded;
  if (compiled.diagnostics.length) io.stderr.write(`${formatDiagnostics(loaded)}\n\n`);
  if (!compiled.ok) {
    io.stderr.write(`${loaded.shownPath}: no figure drawn; fix the errors above.\n`);
    return ExitCode.PlanError;
  }
  const { program } = compiled;
  const drawsCharts = program.outputs.some((o) => o.kind === 'plot' || o.kind === 'progress');
  if (program.experiments.length === 0 || !drawsCharts) {
    io.stderr.write(
      `${loaded.shownPath}: no chart to draw; add a \`run\` or \`sweep\` and a \`plot\` statement after it (for example \`plot downtime_ms over bandwidth by tracking\`).\n`,
    );
    return ExitCode.PlanError;
  }
  const plans = indexedPlans(program, args.seed);
  const run = await runWithProgress(
    'mmulab figure',
    io,
    program,
    loaded.text,
    plans,
    cliRunner(io, plans, args.jobs, args.cache),
  );
  if (!run) return ExitCode.PlanError;
  const { experiments } = run;
  // Each image records the runs it shows, as an export does (image-provenance.ts).
  const environment = runEnvironment(loaded.sources, program.variant?.n);
  const from = { source: basename(loaded.path), environment };
  const charts: { title: string; job: FigureJob; provenance: [string, string][] }[] = [];
  const size = {
    ...(args.width === undefined ? {} : { width: args.width }),
    ...(args.height === undefined ? {} : { height: args.height }),
  };
  try {
    for (const { experiment, items } of shownByExperiment(
      experiments,
      program.outputs,
      program.lets ?? [],
    ))
      for (const shown of items)
        if (shown.kind === 'plot')
          charts.push({
            title: figureTitle(shown.figure),
            job: { figure: shown.figure, size },
            provenance: fileProvenance([experiment], from),
          });
  } catch (e) {
    if (!(e instanceof ColumnError)) throw e;
    io.stderr.write(`${loaded.shownPath}: ${e.message}\nFix that plot line and run again.\n`);
    return ExitCode.PlanError;
  }
  let images: Buffer[];
  try {
    images = await renderFigures(
      charts.map((c) => c.job),
      args.format,
      io.env ?? process.env,
    );
  } catch (e) {
    if (!(e instanceof ChromiumMissingError)) throw e;
    io.stderr.write(`mmulab figure: ${e.message}\n`);
    return ExitCode.PlanError;
  }
  const dir = resolve(io.cwd, args.out);
  mkdirSync(dir, { recursive: true });
  const used = new Set<string>();
  charts.forEach((c, i) => {
    const stem = plotlyConfig(c.title).toImageButtonOptions.filename;
    let name = stem;
    for (let k = 2; used.has(name); k++) name = `${stem}-${k}`;
    used.add(name);
    const path = join(dir, `${name}.${args.format}`);
    writeFileSync(path, imageWithProvenance(args.format, images[i]!, c.provenance));
    const rel = relative(io.cwd, path);
    io.stdout.write(`${rel && !rel.startsWith('..') ? rel : path}\n`);
  });
  io.stderr.write(`wrote ${charts.length} ${args.format.toUpperCase()} figure(s)\n`);
  return ExitCode.Ok;
}

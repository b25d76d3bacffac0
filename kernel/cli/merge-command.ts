import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { mergeArrowTables, readArrowTable, writeArrowTable } from '../output/arrow.ts';
import type { ArrowTable } from '../output/arrow.ts';
import type { MergeArgs } from './commands.ts';
import { ExitCode } from './io.ts';
import type { CliIo } from './io.ts';

/**
 * `mmulab merge DIR... --out DIR`: join the shards' `<table>.arrow` files into one per
 * table, sorted by plan_index (see arrow.ts). Files that do not fit together (a shard
 * given twice, shards of different files) are exit code 1 with the reason.
 */
export function mergeCommand(args: MergeArgs, io: CliIo): ExitCode {
  const byTable = new Map<string, ArrowTable[]>();
  try {
    for (const dir of args.dirs) {
      const abs = resolve(io.cwd, dir);
      const files = readdirSync(abs)
        .filter((f) => f.endsWith('.arrow'))
        .sort();
      if (files.length === 0) {
        io.stderr.write(
          `mmulab merge: '${dir}' has no .arrow file; give the directories 'mmulab run --arrow DIR' wrote.\n`,
        );
        return ExitCode.PlanError;
      }
      for (const f of files) {
        const t = readArrowTable(join(abs, f));
        byTable.set(t.table, [...(byTable.get(t.table) ?? []), t]);
      }
    }
    const out = resolve(io.cwd, args.out);
    let plans = 0;
    for (const parts of byTable.values()) {
      const merged = mergeArrowTables(parts);
      plans = Math.max(plans, merged.provenance.length);
      writeArrowTable(out, merged);
    }
    const rel = relative(io.cwd, out);
    const shown = rel && !rel.startsWith('..') ? rel : out;
    io.stderr.write(
      `merged ${args.dirs.length} director${args.dirs.length === 1 ? 'y' : 'ies'}: ${plans} plan(s), ${byTable.size} table(s) in ${shown}\n`,
    );
    return ExitCode.Ok;
  } catch (e) {
    io.stderr.write(`mmulab merge: ${(e as Error).message}\n`);
    return ExitCode.PlanError;
  }
}

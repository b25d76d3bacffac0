import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as aq from 'arquero';
import { ENVIRONMENT_KEYS } from './environment.ts';

/**
 * A rerun checked against published results: every CSV file of a directory an earlier
 * `--csv` or `export ... as csv` wrote, compared with the same file of a fresh run.
 * What must match is what the run determines: the provenance (plan hash, seed, costs,
 * version) and every value of every row. What describes the machine (Node, the
 * checkout's commit, the source files' hash) may differ: a rerun elsewhere is the point.
 */

/** One way a published file and its rerun disagree. */
export interface ExportDifference {
  /** The file's name in the published directory. */
  file: string;
  /** What differs, in words: `row 3, downtime_ms: 270.5 published, 270.6 now`. */
  detail: string;
}

/** The `# key: value` lines of a CSV export and its data. */
function splitCsv(text: string): { provenance: Map<string, string>; data: string } {
  const provenance = new Map<string, string>();
  const lines = text.split('\n');
  let i = 0;
  for (; i < lines.length && lines[i].startsWith('# '); i++) {
    const at = lines[i].indexOf(': ');
    if (at > 0) provenance.set(lines[i].slice(2, at), lines[i].slice(at + 2));
  }
  return { provenance, data: lines.slice(i).join('\n') };
}

/**
 * The variant a directory of published CSV files records (`# variant: N`), so that
 * `--verify` reruns the problem that was published; undefined when none does.
 */
export function publishedVariant(dir: string): number | undefined {
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort()) {
    const value = splitCsv(readFileSync(join(dir, file), 'utf8')).provenance.get('variant');
    if (value !== undefined && /^\d+$/.test(value)) return Number(value);
  }
  return undefined;
}

/** The first differences between `published` and `rerun` (CSV texts of one file). */
export function compareCsv(file: string, published: string, rerun: string): ExportDifference[] {
  const out: ExportDifference[] = [];
  const a = splitCsv(published);
  const b = splitCsv(rerun);
  for (const key of new Set([...a.provenance.keys(), ...b.provenance.keys()])) {
    if (ENVIRONMENT_KEYS.has(key)) continue;
    const [x, y] = [a.provenance.get(key), b.provenance.get(key)];
    if (x !== y)
      out.push({ file, detail: `${key}: ${x ?? '(absent)'} published, ${y ?? '(absent)'} now` });
  }
  if (a.data === b.data) return out;
  const [ta, tb] = [aq.fromCSV(a.data), aq.fromCSV(b.data)];
  const [ca, cb] = [ta.columnNames(), tb.columnNames()];
  if (ca.join(',') !== cb.join(','))
    return [...out, { file, detail: `columns: ${ca.join(', ')} published, ${cb.join(', ')} now` }];
  if (ta.numRows() !== tb.numRows())
    return [...out, { file, detail: `${ta.numRows()} rows published, ${tb.numRows()} now` }];
  const [ra, rb] = [
    ta.objects() as Record<string, unknown>[],
    tb.objects() as Record<string, unknown>[],
  ];
  for (let r = 0; r < ra.length && out.length < 10; r++)
    for (const c of ca)
      if (String(ra[r][c]) !== String(rb[r][c]))
        out.push({
          file,
          detail: `row ${r + 1}, ${c}: ${String(ra[r][c])} published, ${String(rb[r][c])} now`,
        });
  // Same values parsed, different text: a formatting change is a difference too.
  if (out.length === 0) out.push({ file, detail: 'same values, written differently' });
  return out;
}

/**
 * Compare every CSV of `publishedDir` with the file of the same name in `rerunDir`.
 * A published file the rerun did not make (the plan or its label changed) is a
 * difference; files only the rerun made are not (the publication may hold a subset).
 */
export function compareCsvDirs(
  publishedDir: string,
  rerunDir: string,
): {
  compared: number;
  differences: ExportDifference[];
} {
  const published = readdirSync(publishedDir)
    .filter((f) => f.endsWith('.csv'))
    .sort();
  const rerun = new Set(readdirSync(rerunDir));
  const differences: ExportDifference[] = [];
  for (const file of published) {
    if (!rerun.has(file)) {
      differences.push({
        file,
        detail: 'the rerun made no such file (a plan or its label changed)',
      });
      continue;
    }
    differences.push(
      ...compareCsv(
        file,
        readFileSync(join(publishedDir, file), 'utf8'),
        readFileSync(join(rerunDir, file), 'utf8'),
      ),
    );
  }
  return { compared: published.length, differences };
}

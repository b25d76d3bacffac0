import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { contentHash } from '../../engine/results.ts';
import { packageRoot } from '../kernelspec.ts';

/**
 * What, besides the plan, a published result depends on: the text that described it
 * (every file, the `use`d ones too), the mmulab checkout that ran it (its git commit,
 * and whether it had uncommitted changes), and Node. Recorded in every export, so a
 * figure can be traced to the exact source and code; a rerun compares the results,
 * not these (another Node may well give the same tables).
 */
export interface RunEnvironment {
  /** FNV-1a 64 of the source texts by file name, in the order they were read. */
  source_hash: string;
  /** The files hashed: the program's own first, then what it `use`s. */
  source_files: string;
  /** The commit of the mmulab checkout that ran, when it runs from a git checkout. */
  mmulab_commit?: string;
  /** 'yes' when that checkout had uncommitted changes to tracked files. */
  mmulab_dirty?: 'yes' | 'no';
  node: string;
  platform: string;
  /**
   * The variant whose values the program's `vary` bounds took (`--variant N`,
   * `%variant N`): with the sources, it determines the plans, so a rerun compares it.
   */
  variant?: string;
}

/** One file of a program: its name as shown and its text. */
export interface SourceText {
  name: string;
  text: string;
}

/** The environment of a run of `sources` (for `variant`, when given) on this machine. */
export function runEnvironment(sources: readonly SourceText[], variant?: number): RunEnvironment {
  return {
    source_hash: contentHash(sources.map((s) => [s.name, s.text])),
    source_files: sources.map((s) => s.name).join(', '),
    ...gitState(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    ...(variant === undefined ? {} : { variant: String(variant) }),
  };
}

let cachedGit: Pick<RunEnvironment, 'mmulab_commit' | 'mmulab_dirty'> | undefined;

/** The checkout's commit and dirty flag; nothing when mmulab is not a git checkout. */
function gitState(): Pick<RunEnvironment, 'mmulab_commit' | 'mmulab_dirty'> {
  if (cachedGit) return cachedGit;
  cachedGit = {};
  const root = packageRoot();
  if (!existsSync(join(root, '.git'))) return cachedGit;
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', root, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
    cachedGit = { mmulab_commit: commit, mmulab_dirty: dirty ? 'yes' : 'no' };
  } catch {
    // No git on PATH, or not a repository after all: the version alone must do.
  }
  return cachedGit;
}

/** The environment as `key: value` pairs, in a fixed order. */
export function environmentEntries(env: RunEnvironment | undefined): [string, string][] {
  if (!env) return [];
  const entries: [string, string | undefined][] = [
    ['source_hash', env.source_hash],
    ['source_files', env.source_files],
    ['mmulab_commit', env.mmulab_commit],
    ['mmulab_dirty', env.mmulab_dirty],
    ['node', env.node],
    ['platform', env.platform],
    ['variant', env.variant],
  ];
  return entries.filter((e): e is [string, string] => e[1] !== undefined);
}

/** The keys environmentEntries writes: a rerun's comparison leaves them out. */
export const ENVIRONMENT_KEYS: ReadonlySet<string> = new Set([
  'source_hash',
  'source_files',
  'mmulab_commit',
  'mmulab_dirty',
  'node',
  'platform',
]);

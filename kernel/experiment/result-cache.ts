import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunPlan } from '../../engine/plan.ts';
import { planHash } from '../../engine/results.ts';
import type { RunResult } from '../../engine/results.ts';
import type { ExploreResult } from '../../engine/races/types.ts';
import { engineFingerprint } from './engine-fingerprint.ts';
import { outcomeOf, resultFromOutcome } from './plan-task.ts';
import type { PlanOutcome } from './plan-task.ts';

/**
 * Results stored on disk, keyed by the plan's hash (FNV-1a of its canonical JSON, the
 * `plan_hash` of its provenance) and the engine's fingerprint (engine-fingerprint.ts):
 * `DIR/<fingerprint>/<plan hash>.json`. The engine is deterministic, so a stored
 * result is the result the plan would give again; a new engine or a changed plan
 * (another seed, another cost) has another key. Interrupted results are never stored.
 * Files are written under a temporary name and renamed, so two processes sharing a
 * directory never read half a file; an unreadable file counts as absent.
 *
 * Explorations (`explore`) are kept beside them as `explore-<hash>.json`, keyed by
 * `exploreHash` (the protocol IR, source locations included, and the options): the
 * explorer is deterministic too. Other keyed results (a tslab run with a policy) use
 * `getKeyed`/`setKeyed` with a key their caller derives from everything the result
 * depends on.
 */
export class ResultCache {
  private readonly dir: string;

  constructor(
    root: string,
    /** The engine's fingerprint (default: this process's engine). */
    readonly fingerprint: string = engineFingerprint(),
  ) {
    this.dir = join(root, fingerprint);
  }

  /** The stored result of `plan`, or undefined. */
  get(plan: RunPlan): RunResult | undefined {
    return this.getKeyed(planHash(plan));
  }

  /** Store the result of `plan` (not when it was interrupted). */
  set(plan: RunPlan, result: RunResult): void {
    this.setKeyed(planHash(plan), result);
  }

  /**
   * The result stored under `key` (a plan hash, or a key that covers everything else
   * the run depended on), or undefined.
   */
  getKeyed(key: string): RunResult | undefined {
    const outcome = this.read(`${key}.json`) as PlanOutcome | undefined;
    try {
      return outcome && resultFromOutcome(outcome);
    } catch {
      return undefined;
    }
  }

  /** Store `result` under `key` (not when it was interrupted). */
  setKeyed(key: string, result: RunResult): void {
    if (!result.interrupted) this.write(`${key}.json`, outcomeOf(0, result));
  }

  /** The stored result of the exploration `exploreHash` names, or undefined. */
  getExploration(hash: string): ExploreResult | undefined {
    const result = this.read(`explore-${hash}.json`) as ExploreResult | undefined;
    return result?.protocolHash === hash ? result : undefined;
  }

  setExploration(result: ExploreResult): void {
    this.write(`explore-${result.protocolHash}.json`, result);
  }

  private read(file: string): unknown {
    try {
      return JSON.parse(readFileSync(join(this.dir, file), 'utf8'), revive) as unknown;
    } catch {
      return undefined;
    }
  }

  private write(file: string, value: unknown): void {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, file);
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, JSON.stringify(value, replace));
    renameSync(tmp, path);
  }
}

/**
 * The result cache's directory for the front ends that keep one by default (the
 * Jupyter kernel, tslab's `mmu` and `run`), or undefined when it is turned off:
 * `MMULAB_CACHE=off` (or 0, no, false) turns it off, `MMULAB_CACHE_DIR` names it,
 * else the user's cache directory.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const off = env.MMULAB_CACHE?.trim().toLowerCase();
  if (off === 'off' || off === '0' || off === 'no' || off === 'false') return undefined;
  return env.MMULAB_CACHE_DIR?.trim() ? env.MMULAB_CACHE_DIR : userCacheDir(env);
}

/**
 * The user's cache directory for mmulab: `$XDG_CACHE_HOME/mmulab`, else
 * `~/.cache/mmulab` (the XDG Base Directory specification's default).
 */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.trim() ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'mmulab');
}

/** JSON has no NaN, ±Infinity or −0: they are stored as `{"$number": "NaN"}` and back. */
function replace(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0)))
    return { $number: Object.is(value, -0) ? '-0' : String(value) };
  return value;
}

function revive(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const n = (value as { $number?: unknown }).$number;
    if (typeof n === 'string' && Object.keys(value).length === 1) return Number(n);
  }
  return value;
}

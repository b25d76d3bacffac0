import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunPlan } from '../../engine/plan.ts';
import { planHash } from '../../engine/results.ts';
import type { RunResult } from '../../engine/results.ts';
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
    let text: string;
    try {
      text = readFileSync(this.path(plan), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const outcome = JSON.parse(text, revive) as PlanOutcome;
      return resultFromOutcome(outcome);
    } catch {
      return undefined;
    }
  }

  /** Store the result of `plan` (not when it was interrupted). */
  set(plan: RunPlan, result: RunResult): void {
    if (result.interrupted) return;
    mkdirSync(this.dir, { recursive: true });
    const path = this.path(plan);
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, JSON.stringify(outcomeOf(0, result), replace));
    renameSync(tmp, path);
  }

  private path(plan: RunPlan): string {
    return join(this.dir, `${planHash(plan)}.json`);
  }
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

import type { RunPlan } from '../../engine/plan.ts';
import { contentHash, planHash } from '../../engine/results.ts';
import type { RunResult } from '../../engine/results.ts';
import { run } from '../../engine/run.ts';
import type { RunOptions } from '../../engine/sim/simulation.ts';
import type { PrecopyPolicy } from '../../engine/vmm/policy-hook.ts';
import type { ResultCache } from './result-cache.ts';

/**
 * The engine's `run(plan, options)` through the result cache, for TypeScript callers
 * (tslab). Without a policy the key is the plan hash, as for the runners. A policy is
 * code the plan hash does not cover, so the key adds the policy's own text: each
 * method's source and each data property's JSON. That text decides the run only if the
 * policy reads nothing else, which cannot be seen from the text; so the run is made
 * with the policy rebuilt from its text alone, in a scope where every other name (a
 * notebook variable, `Date`, `Math.random`, `console`) throws. A run that reads one, or
 * that fails, is made again with the policy as given and not stored; so is one that
 * changes the policy's data (its state is copied back, as the policy itself would
 * have changed it).
 */
export function cachedRun(plan: RunPlan, options: RunOptions, cache: ResultCache): RunResult {
  const { policy } = options;
  if (policy === undefined) {
    const stored = cache.get(plan);
    if (stored) return stored;
    const result = run(plan, options);
    cache.set(plan, result);
    return result;
  }
  const text = policyText(policy);
  if (text === undefined) return run(plan, options);
  const key = `policy-${contentHash({ plan: planHash(plan), policy: text })}`;
  const stored = cache.getKeyed(key);
  if (stored) return stored;
  const rebuilt = rebuildPolicy(text);
  if (rebuilt === undefined) return run(plan, options);
  let result: RunResult;
  try {
    result = run(plan, { ...options, policy: rebuilt.policy });
  } catch {
    // An outside name read, or a failure: the policy as given says which.
    return run(plan, options);
  }
  if (rebuilt.escaped()) return run(plan, options);
  const after = dataJson(rebuilt.policy);
  if (after !== text.data) {
    // A stateful policy: leave it as the run left it, and keep no result.
    Object.assign(policy, JSON.parse(after) as object);
    return result;
  }
  cache.setKeyed(key, result);
  return result;
}

/** A policy as text: its methods' sources and its data, or undefined if it has other parts. */
interface PolicyText {
  methods: Record<string, string>;
  /** JSON of the data properties (the name included). */
  data: string;
}

/** Properties a function has by itself; any other is state the source does not show. */
const FUNCTION_OWN = new Set(['length', 'name', 'prototype', 'arguments', 'caller']);

function policyText(policy: PrecopyPolicy): PolicyText | undefined {
  const proto: unknown = Object.getPrototypeOf(policy);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const methods: Record<string, string> = {};
  for (const key of Object.getOwnPropertyNames(policy)) {
    const d = Object.getOwnPropertyDescriptor(policy, key);
    // An accessor, or a hidden property the rebuilt policy would not have.
    if (!d || !('value' in d) || !d.enumerable) return undefined;
    if (typeof d.value !== 'function') continue;
    const fn = d.value as (...args: unknown[]) => unknown;
    if (Object.getOwnPropertyNames(fn).some((k) => !FUNCTION_OWN.has(k))) return undefined;
    methods[key] = Function.prototype.toString.call(fn);
  }
  if (Object.getOwnPropertySymbols(policy).length > 0) return undefined;
  const data = dataJson(policy);
  // Data that JSON does not carry whole (functions inside, class instances, undefined)
  // would come back different.
  if (!sameAfterJson(policy, data)) return undefined;
  return { methods, data };
}

/** JSON of the policy's non-function properties, keys in order. */
function dataJson(policy: object): string {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(policy))
    if (typeof value !== 'function') data[key] = value;
  return JSON.stringify(data);
}

function sameAfterJson(policy: object, json: string): boolean {
  const back = JSON.parse(json) as Record<string, unknown>;
  const plain = (v: unknown): boolean => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
    if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
    if (Array.isArray(v)) return v.every(plain);
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
      return Object.values(v as object).every(plain);
    return false;
  };
  return Object.entries(policy).every(
    ([k, v]) => typeof v === 'function' || (plain(v) && k in back),
  );
}

/**
 * Globals a rebuilt policy may read: deterministic built-ins. `Math` is given without
 * `random`; anything else (Date, performance, console, process, the notebook's own
 * globals) reads as an escape.
 */
const ALLOWED = new Set([
  'Array',
  'BigInt',
  'Boolean',
  'Error',
  'Infinity',
  'JSON',
  'Map',
  'NaN',
  'Number',
  'Object',
  'RangeError',
  'Set',
  'String',
  'TypeError',
  'isFinite',
  'isNaN',
  'parseFloat',
  'parseInt',
  'undefined',
]);

const SAFE_MATH: object = Object.freeze(
  Object.fromEntries(
    Object.getOwnPropertyNames(Math)
      .filter((k) => k !== 'random')
      .map((k) => [k, (Math as unknown as Record<string, unknown>)[k]]),
  ),
);

/** A policy made from its text alone, and whether it read a name from outside. */
function rebuildPolicy(
  text: PolicyText,
): { policy: PrecopyPolicy; escaped: () => boolean } | undefined {
  let escaped = false;
  const escape = (name: PropertyKey): never => {
    escaped = true;
    throw new ReferenceError(`${String(name)} is outside the policy's text`);
  };
  // Every name but the allowed globals resolves here (a `with` scope), and throws.
  const scope = new Proxy(Object.create(null) as object, {
    has: (_t, key) => typeof key === 'string' && !ALLOWED.has(key),
    get: (_t, key) =>
      key === Symbol.unscopables ? undefined : key === 'Math' ? SAFE_MATH : escape(key),
    set: (_t, key) => escape(key),
  });
  const policy = JSON.parse(text.data) as Record<string, unknown>;
  for (const [key, source] of Object.entries(text.methods)) {
    const fn =
      compileIn(scope, source) ?? compileIn(scope, `({ ${source} })[${JSON.stringify(key)}]`);
    if (typeof fn !== 'function') return undefined;
    policy[key] = fn;
  }
  return { policy: policy as unknown as PrecopyPolicy, escaped: () => escaped };
}

/** Evaluate a function's source as an expression inside `scope`, or undefined if it is not one. */
function compileIn(scope: object, source: string): unknown {
  try {
    // `with` is sloppy-mode only; the source itself runs strict, with no `this` of its own.
    const make = new Function(
      'scope',
      `with (scope) { return (function () { 'use strict'; return (${source}\n); })(); }`,
    ) as (scope: object) => unknown;
    return make(scope);
  } catch {
    return undefined;
  }
}

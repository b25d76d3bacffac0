import { contentHash } from '../results.ts';
import { checkProtocol, ProtocolError } from './check.ts';
import { compileProtocol } from './compile.ts';
import type { Program } from './compile.ts';
import { AmpleSets } from './por.ts';
import { Machine, StepEffects } from './semantics.ts';
import { StateStore } from './state-store.ts';
import { replayTrace } from './trace.ts';
import type {
  ExploreOptions,
  ExploreResult,
  Protocol,
  SourceLoc,
  Violation,
  ViolationKind,
} from './types.ts';

/**
 * Exhaustive breadth-first exploration of a protocol's interleavings, with every state
 * stored once (hashing, as TLC and SPIN do). BFS discovers states in order of
 * distance, so the first state (or transition) found to violate a property ends a
 * shortest trace to it.
 */

export const DEFAULT_MAX_STATES = 2_000_000;

/**
 * What identifies an exploration's result: FNV-1a 64 of the protocol IR (source
 * locations included, as traces show them) and the options that change the result.
 * The explorer draws no random numbers, so the same hash gives the same result; it is
 * the result's `protocolHash` and the result cache's key.
 */
export function exploreHash(p: Protocol, options: ExploreOptions = {}): string {
  return contentHash({
    protocol: p,
    memory: options.memory ?? 'sc',
    reduction: options.reduction ?? 'none',
    maxStates: options.maxStates ?? DEFAULT_MAX_STATES,
    checkDeadlock: options.checkDeadlock ?? true,
  });
}

/** Explores every interleaving of `p` under the options' memory model. */
export function explore(p: Protocol, options: ExploreOptions = {}): ExploreResult {
  const problems = checkProtocol(p);
  if (problems.length > 0) throw new ProtocolError(p.name, problems);
  return exploreProgram(compileProtocol(p, options.memory ?? 'sc'), options);
}

/** Where a property was first seen to fail. */
type FirstSeen = { state: number } | { parent: number; action: number };

interface PropertyRecord {
  property: string;
  kind: ViolationKind;
  message: string;
  loc: SourceLoc | null;
  culprits: string[];
  count: number;
  first: FirstSeen;
}

/** Explores a compiled program (see `explore`). */
export function exploreProgram(prog: Program, options: ExploreOptions = {}): ExploreResult {
  const clock = options.clock ?? (() => performance.now());
  const started = clock();
  const reduction = options.reduction ?? 'none';
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  const checkDeadlock = options.checkDeadlock ?? true;
  const machine = new Machine(prog);
  const ample = reduction === 'por' ? new AmpleSets(prog) : null;
  const fx = new StepEffects();
  const store = new StateStore(prog.stride);
  const records = new Map<string, PropertyRecord>();
  const always = prog.invariants.filter((i) => i.decl.when === 'always');
  const final = prog.invariants.filter((i) => i.decl.when === 'final');
  const varNames = (vs: readonly number[]): string[] => {
    const named = vs.map((v) => prog.vars[v]);
    const real = named.filter((v) => !v.ghost);
    return (real.length ? real : named).map((v) => v.name);
  };

  const record = (
    property: string,
    kind: ViolationKind,
    message: string,
    loc: SourceLoc | null,
    culprits: string[],
    first: FirstSeen,
  ): void => {
    const r = records.get(property);
    if (r) r.count++;
    else records.set(property, { property, kind, message, loc, culprits, count: 1, first });
  };
  const checkAlways = (st: Int32Array, id: number): void => {
    for (const inv of always) {
      if (inv.fn(st) === 0)
        record(
          inv.decl.name,
          'invariant',
          inv.decl.message ?? `invariant ${inv.decl.name} does not hold`,
          inv.decl.loc ?? null,
          varNames(inv.vars),
          { state: id },
        );
    }
  };
  const transitionEffects = (parent: number, action: number): void => {
    for (const a of fx.failedAsserts) {
      const info = prog.asserts[a];
      record(
        info.name,
        'assert',
        info.stmt.message ?? `assert fails in thread ${prog.threads[info.thread].name}`,
        info.stmt.loc ?? null,
        [],
        { parent, action },
      );
    }
    if (fx.lockMisuse >= 0) {
      const t = prog.threads[action >> 1].name;
      record(
        'lock-misuse',
        'lock-misuse',
        `thread ${t} unlocks ${prog.locks[fx.lockMisuse]} without holding it`,
        null,
        [],
        { parent, action },
      );
    }
  };

  const cur = new Int32Array(prog.stride);
  const next = new Int32Array(prog.stride);
  const actions = new Int32Array(2 * prog.threads.length);
  const edges = new GrowableInt32();
  const edgeStart = new GrowableInt32();
  const terminal = new GrowableInt32();
  let transitions = 0;
  let terminalStates = 0;
  let truncated = false;

  const init = machine.initial(fx);
  if (init) {
    store.insert(init, -1, -1, 0);
    for (const a of fx.failedAsserts) {
      const info = prog.asserts[a];
      record(info.name, 'assert', info.stmt.message ?? 'assert fails', info.stmt.loc ?? null, [], {
        state: 0,
      });
    }
    checkAlways(init, 0);
  }

  explore: for (let id = 0; id < store.count; id++) {
    store.read(id, cur);
    edgeStart.push(edges.length);
    let n = machine.enabled(cur, actions);
    terminal.push(n === 0 ? 1 : 0);
    if (n === 0) {
      terminalStates++;
      if (machine.allDone(cur)) {
        for (const inv of final) {
          if (inv.fn(cur) === 0)
            record(
              inv.decl.name,
              'invariant',
              inv.decl.message ?? `invariant ${inv.decl.name} does not hold at the end`,
              inv.decl.loc ?? null,
              varNames(inv.vars),
              { state: id },
            );
        }
      } else if (checkDeadlock) {
        record('deadlock', 'deadlock', 'no thread can move but some have not finished', null, [], {
          state: id,
        });
      }
      continue;
    }
    if (ample) n = ample.reduce(cur, actions, n);
    const depth = store.depth(id) + 1;
    for (let k = 0; k < n; k++) {
      const action = actions[k];
      next.set(cur);
      machine.apply(next, action, fx);
      transitions++;
      transitionEffects(id, action);
      if (fx.pruned) continue;
      if (store.count >= maxStates) {
        truncated = true;
        break explore;
      }
      const r = store.insert(next, id, action, depth);
      edges.push(r >= 0 ? r : -r - 1);
      if (r >= 0) checkAlways(next, r);
    }
  }
  edgeStart.push(edges.length);

  const violations: Violation[] = [...records.values()].map((r) => {
    const path =
      'state' in r.first
        ? store.pathTo(r.first.state)
        : [...store.pathTo(r.first.parent), r.first.action];
    return {
      property: r.property,
      kind: r.kind,
      message: r.message,
      loc: r.loc,
      count: r.count,
      culprits: r.culprits,
      trace: replayTrace(machine, path),
    };
  });

  let depth = 0;
  for (let id = 0; id < store.count; id++) depth = Math.max(depth, store.depth(id));
  return {
    protocol: prog.protocol.name,
    protocolHash: exploreHash(prog.protocol, {
      memory: prog.memory,
      reduction,
      maxStates,
      checkDeadlock,
    }),
    memory: prog.memory,
    reduction,
    threads: prog.threads.length,
    states: store.count,
    transitions,
    interleavings: truncated
      ? null
      : countPaths(store.count, edgeStart.view(), edges.view(), terminal.view()),
    terminalStates,
    depth,
    truncated,
    timeMs: clock() - started,
    violations,
    loopBounds: prog.threads.flatMap((t) => t.loopBounds),
  };
}

/**
 * The number of maximal paths from state 0 in the (acyclic) state graph given as
 * adjacency lists: `to[start[s] .. start[s + 1])` are the successors of s. A terminal
 * state ends one path; a state whose every action was pruned by an assume ends none.
 * Float64: exact below 2^53, approximate beyond.
 */
function countPaths(n: number, start: Int32Array, to: Int32Array, terminal: Int32Array): number {
  if (n === 0) return 0;
  const paths = new Float64Array(n);
  const mark = new Uint8Array(n); // 0 new, 1 on the stack, 2 done
  const stack = new Int32Array(n);
  const cursor = new Int32Array(n);
  let sp = 0;
  stack[sp++] = 0;
  mark[0] = 1;
  cursor[0] = start[0];
  while (sp > 0) {
    const s = stack[sp - 1];
    if (cursor[s] < start[s + 1]) {
      const t = to[cursor[s]++];
      if (mark[t] === 0) {
        mark[t] = 1;
        cursor[t] = start[t];
        stack[sp++] = t;
      } else if (mark[t] === 1) {
        throw new Error(`the state graph has a cycle through state ${t}; loops must be bounded`);
      }
      continue;
    }
    sp--;
    mark[s] = 2;
    let sum = 0;
    for (let e = start[s]; e < start[s + 1]; e++) sum += paths[to[e]];
    paths[s] = terminal[s] ? 1 : sum;
  }
  return paths[0];
}

/** An Int32Array that grows by doubling. */
class GrowableInt32 {
  private data = new Int32Array(1 << 12);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

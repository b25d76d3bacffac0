import { locOf, stepLabel } from './compile.ts';
import type { Program } from './compile.ts';
import { renderValue } from './render.ts';
import { StepEffects } from './semantics.ts';
import type { Machine, Recorder } from './semantics.ts';
import type { SourceLoc, StateSnapshot, Trace, TraceAccess, TraceStep } from './types.ts';

/**
 * Traces: a path of actions replayed from the initial state with a recorder attached,
 * so that each step says what it read and wrote. Exploration itself records nothing
 * but, per state, the action that first reached it.
 */

/** Replays `actions` from the initial state; the trace's steps and the state it ends in. */
export function replayTrace(machine: Machine, actions: readonly number[]): Trace {
  const prog = machine.prog;
  const fx = new StepEffects();
  const rec = new StepRecorder();
  const st = machine.initial(fx, rec);
  if (!st) throw new Error('replayTrace: the initial state is pruned by an assume');
  const initial = snapshot(machine, st);
  const steps: TraceStep[] = [];
  actions.forEach((action, k) => {
    const th = prog.threads[action >> 1];
    const flush = (action & 1) === 1;
    const ins = flush ? null : th.code[st[th.pcOff]];
    rec.clear();
    machine.apply(st, action, fx, rec);
    const src = ins?.src ?? null;
    steps.push({
      index: k + 1,
      thread: th.name,
      kind: flush ? 'flush' : 'step',
      label: flush ? 'flush' : stepLabel(src),
      text: flush ? flushText(prog, rec) : stepText(prog, ins?.op ?? '', th.regs, rec),
      loc: flush ? null : locOf(src),
      reads: rec.reads.map((a) => access(prog, a)),
      writes: rec.writes.map((a) => access(prog, a)),
      registers: rec.regs
        .filter((r) => r.reg < th.declaredRegs)
        .map((r) => ({ reg: th.regs[r.reg], value: r.value })),
      locals: rec.locals.map((l) => ({ ...l })),
    });
  });
  return { initial, steps, final: snapshot(machine, st) };
}

/** A readable copy of state `st`. */
export function snapshot(machine: Machine, st: Int32Array): StateSnapshot {
  const prog = machine.prog;
  const memory: Record<string, number> = {};
  const shown: Record<string, string> = {};
  prog.vars.forEach((v, i) => {
    memory[v.name] = st[i];
    shown[v.name] = renderValue(st[i], v);
  });
  const locks: Record<string, string | null> = {};
  prog.locks.forEach((l, i) => {
    const holder = st[prog.lockOff + i];
    locks[l] = holder === 0 ? null : prog.threads[holder - 1].name;
  });
  return {
    memory,
    shown,
    locks,
    threads: prog.threads.map((th) => {
      const pc = st[th.pcOff];
      const done = pc >= th.code.length;
      const registers: Record<string, number> = {};
      for (let r = 0; r < th.declaredRegs; r++) registers[th.regs[r]] = st[th.regOff + r];
      const buffer: { var: string; value: number }[] = [];
      if (th.bufLenOff >= 0) {
        for (let k = 0; k < st[th.bufLenOff]; k++) {
          buffer.push({
            var: prog.vars[st[th.bufOff + 2 * k]].name,
            value: st[th.bufOff + 2 * k + 1],
          });
        }
      }
      const src = done ? null : th.code[pc].src;
      return {
        name: th.name,
        done,
        at: done ? 'done' : stepLabel(src),
        loc: locOf(src),
        registers,
        buffer,
      };
    }),
  };
}

class StepRecorder implements Recorder {
  readonly reads: { v: number; value: number; via: 'memory' | 'buffer' }[] = [];
  readonly writes: { v: number; value: number; via: 'memory' | 'buffer' }[] = [];
  readonly regs: { reg: number; value: number }[] = [];
  readonly locals: { text: string; loc: SourceLoc | null }[] = [];
  readonly notes: string[] = [];

  clear(): void {
    this.reads.length = 0;
    this.writes.length = 0;
    this.regs.length = 0;
    this.locals.length = 0;
    this.notes.length = 0;
  }

  read(v: number, value: number, via: 'memory' | 'buffer'): void {
    this.reads.push({ v, value, via });
  }

  write(v: number, value: number, via: 'memory' | 'buffer'): void {
    this.writes.push({ v, value, via });
  }

  reg(reg: number, value: number): void {
    this.regs.push({ reg, value });
  }

  local(text: string, loc: SourceLoc | null): void {
    this.locals.push({ text, loc });
  }

  note(text: string): void {
    this.notes.push(text);
  }
}

/** Trace accesses name their cell. */
function access(
  prog: Program,
  a: { v: number; value: number; via: 'memory' | 'buffer' },
): TraceAccess {
  return {
    var: prog.vars[a.v].name,
    value: a.value,
    shown: renderValue(a.value, prog.vars[a.v]),
    via: a.via,
  };
}

function val(prog: Program, v: number, value: number): string {
  return renderValue(value, prog.vars[v]);
}

function flushText(prog: Program, rec: StepRecorder): string {
  const w = rec.writes[0];
  return `flush: ${prog.vars[w.v].name} = ${val(prog, w.v, w.value)} reaches memory`;
}

function stepText(prog: Program, op: string, regs: readonly string[], rec: StepRecorder): string {
  const name = (v: number): string => prog.vars[v].name;
  const r = rec.reads[0];
  const w = rec.writes[0];
  switch (op) {
    case 'load':
      return `${regs[rec.regs[0].reg]} = load ${name(r.v)} → ${val(prog, r.v, r.value)}${r.via === 'buffer' ? ' (forwarded from its own store buffer)' : ''}`;
    case 'store':
      return `store ${name(w.v)} = ${val(prog, w.v, w.value)}${w.via === 'buffer' ? ' (into its store buffer)' : ''}`;
    case 'cmpxchg':
      return w
        ? `cmpxchg ${name(r.v)}: found ${val(prog, r.v, r.value)} as expected → ${val(prog, w.v, w.value)}`
        : `cmpxchg ${name(r.v)}: found ${val(prog, r.v, r.value)}, ${rec.notes[0] ?? 'failed'}`;
    case 'rmw':
      return `rmw ${name(r.v)}: ${val(prog, r.v, r.value)} → ${val(prog, w.v, w.value)}`;
    case 'atomic': {
      const parts = [
        ...rec.reads.map((a) => `read ${name(a.v)} = ${val(prog, a.v, a.value)}`),
        ...rec.writes.map((a) => `write ${name(a.v)} = ${val(prog, a.v, a.value)}`),
      ];
      return `atomic: ${parts.join(', ') || 'no memory access'}`;
    }
    default:
      return op;
  }
}

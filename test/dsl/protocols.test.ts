import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import type { CompiledExplore } from '../../dsl/compile.ts';
import { DiagnosticCode } from '../../dsl/diagnostics.ts';
import { format } from '../../dsl/format.ts';
import { explore } from '../../engine/races/explore.ts';
import { builtinProtocol } from '../../engine/races/protocols/index.ts';
import type { Expr, ExploreResult, Protocol } from '../../engine/races/types.ts';
import { counter, storeBuffering } from '../helpers/litmus.ts';

const DIR = new URL('../../examples/races/', import.meta.url);

function explores(text: string): CompiledExplore[] {
  const r = compile(text);
  expect(r.diagnostics).toEqual([]);
  return r.program.explores ?? [];
}

function protocolOf(text: string): Protocol {
  const [e] = explores(text);
  return e.protocol;
}

/** What an exploration found, with property names spelt as in the TypeScript twins. */
function outcome(r: ExploreResult): Record<string, unknown> {
  return {
    states: r.states,
    transitions: r.transitions,
    interleavings: r.interleavings,
    terminal: r.terminalStates,
    violations: r.violations.map((v) => ({
      property: v.property.replaceAll('_', '-'),
      count: v.count,
      trace: v.trace.steps.length,
    })),
  };
}

/** Each shipped .mmu protocol and the built-in TypeScript protocol it was written from. */
const TWINS: Readonly<Record<string, string>> = {
  'identification-unique.mmu': 'identification-unique',
  'identification-shared.mmu': 'identification-shared',
  'two-bit.mmu': 'two-bit',
  'two-bit-cmpxchg.mmu': 'two-bit-cmpxchg',
  'mmu-writable.mmu': 'mmu-writable',
  'mmu-writable-plain-store.mmu': 'mmu-writable-plain-store',
  'dirty-log.mmu': 'dirty-log',
};

describe('protocols in the language (examples/races)', () => {
  it('ships a .mmu twin for the built-in protocols of the debate, each formatted', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.mmu'));
    for (const f of Object.keys(TWINS)) expect(files).toContain(f);
    for (const f of files) {
      const text = readFileSync(new URL(f, DIR), 'utf8');
      expect(format(text).text, f).toBe(text);
    }
  });

  for (const [file, builtin] of Object.entries(TWINS)) {
    it(`${file} explores like the built-in ${builtin}, under SC and TSO`, () => {
      const list = explores(readFileSync(new URL(file, DIR), 'utf8'));
      expect(list.map((e) => e.memory)).toEqual(['sc', 'tso']);
      for (const e of list) {
        const mine = explore(e.protocol, { memory: e.memory });
        const twin = explore(builtinProtocol(builtin), { memory: e.memory });
        expect(outcome(mine), `${file} ${e.memory}`).toEqual(outcome(twin));
      }
    });
  }

  it('finds the OOPS interleaving: vCPU 0 publishes, vCPU 1 write-protects, vCPU 2 republishes, vCPU 0 cmpxchg wins', () => {
    const [sc] = explores(readFileSync(new URL('identification-shared.mmu', DIR), 'utf8'));
    const [v] = explore(sc.protocol, { memory: 'sc' }).violations;
    expect(v.property).toBe('write_protect_holds');
    const steps = v.trace.steps.map((s) => `${s.thread}: ${s.label}`);
    const at = (step: string): number => steps.indexOf(step);
    expect(at('vcpu0: (1) write the identification')).toBeLessThan(
      at('vcpu1: (3) clear W and the identification'),
    );
    expect(at('vcpu1: (3) clear W and the identification')).toBeLessThan(
      at('vcpu2: (1) write the identification'),
    );
    expect(steps[steps.length - 1]).toBe('vcpu0: (3) cmpxchg old+id → old+W');
    expect(v.trace.final.memory.wp_done).toBe(1);
  });
});

describe('litmus tests in the language, counted by hand', () => {
  const litmus = explores(readFileSync(new URL('litmus.mmu', DIR), 'utf8'));
  const run = (name: string, memory: 'sc' | 'tso'): ExploreResult => {
    const e = litmus.find((x) => x.protocol.name === name && x.memory === memory);
    if (!e) throw new Error(`litmus.mmu explores no ${name} under ${memory}`);
    return explore(e.protocol, { memory });
  };

  it('SB under SC: 13 states, the 6 interleavings of 2+2 steps, r0 = r1 = 0 unreachable', () => {
    const r = run('sb', 'sc');
    expect([r.states, r.interleavings, r.violations.length]).toEqual([13, 6, 0]);
    expect(outcome(r)).toEqual(outcome(explore(storeBuffering(false), { memory: 'sc' })));
  });

  it('SB under TSO: one final state has both loads reading 0; a fence on each side forbids it', () => {
    const r = run('sb', 'tso');
    expect(r.violations.map((v) => [v.property, v.count])).toEqual([['not_both_zero', 1]]);
    expect(outcome(r)).toEqual(outcome(explore(storeBuffering(false), { memory: 'tso' })));
    const fenced = run('sb_fenced', 'tso');
    expect(fenced.violations).toEqual([]);
    expect(outcome(fenced)).toEqual(outcome(explore(storeBuffering(true), { memory: 'tso' })));
  });

  it('racy counter under SC: of the 3 final states, one has x = 1', () => {
    const r = run('racy_counter', 'sc');
    expect(r.states).toBe(13);
    expect(r.violations.map((v) => [v.property, v.count, v.trace.final.memory.x])).toEqual([
      ['counter_is_2', 1, 1],
    ]);
    expect(outcome(r)).toEqual(outcome(explore(counter('plain'), { memory: 'sc' })));
  });
});

describe('protocol expressions', () => {
  const condOf = (e: string): Expr => {
    const p = protocolOf(
      `protocol p {\n  const W = 2\n  shared x = 0\n  thread t(s) {\n    load s = x\n    assert ${e}\n  }\n}\nexplore p\n`,
    );
    const a = p.threads[0].body[1];
    if (a.kind !== 'assert') throw new Error('no assert');
    return a.cond;
  };
  const shape = (e: Expr): string => {
    switch (e.kind) {
      case 'binary':
        return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
      case 'unary':
        return `${e.op}${shape(e.arg)}`;
      case 'const':
        return e.name ?? String(e.value);
      case 'reg':
      case 'var':
        return e.name;
      default:
        return e.kind;
    }
  };

  it('binds bit operators tighter than comparisons, `|` loosest, as in Python', () => {
    expect(shape(condOf('s & W = 0'))).toBe('((s & W) == 0)');
    expect(shape(condOf('s | 1 & W << 1 + 2 * 3'))).toBe('(s | (1 & (W << (1 + (2 * 3)))))');
    expect(shape(condOf('not s & W or s = 1 and s != 2'))).toBe(
      '(!(s & W) || ((s == 1) && (s != 2)))',
    );
    expect(shape(condOf('~s ^ -W'))).toBe('(~s ^ -W)');
  });

  it('evaluates constants with 32-bit arithmetic, from earlier constants', () => {
    const p = protocolOf(
      'protocol p {\n  const A = 15 << 8\n  const B = A | 1\n  const C = 0xffffffff\n  shared x bits [A] = B\n  thread t() {\n    fence\n  }\n}\nexplore p\n',
    );
    expect(p.constants?.map((c) => [c.name, c.value])).toEqual([
      ['A', 0xf00],
      ['B', 0xf01],
      ['C', -1],
    ]);
    expect(p.vars[0]).toMatchObject({
      name: 'x',
      init: 0xf01,
      flags: [{ name: 'A', mask: 0xf00 }],
    });
  });
});

/** A protocol around one thread body, and an explore of it. */
const program = (decls: string, body: string, exploreOptions = ''): string =>
  `protocol p {\n${decls}\n  thread t(r) {\n${body}\n  }\n}\nexplore p${exploreOptions}\n`;

interface Case {
  what: string;
  bad: string;
  code: DiagnosticCode;
  /** line:col of the diagnostic. */
  at: string;
  message: RegExp;
  good: string;
}

const CASES: Case[] = [
  {
    what: 'an unknown shared variable',
    bad: program('  shared x = 0', '    load r = y'),
    code: DiagnosticCode.UnknownName,
    at: '4:5',
    message: /y is not declared|not declared.*y/,
    good: program('  shared x = 0', '    load r = x'),
  },
  {
    what: 'an unknown register',
    bad: program('  shared x = 0', '    load q = x'),
    code: DiagnosticCode.UnknownName,
    at: '4:5',
    message: /no register q/,
    good: program('  shared x = 0', '    load r = x'),
  },
  {
    what: 'an unknown register in an expression',
    bad: program('  shared x = 0', '    store x = rr + 1'),
    code: DiagnosticCode.UnknownName,
    at: '4:15',
    message: /no register rr \(did you mean r\b/,
    good: program('  shared x = 0', '    store x = r + 1'),
  },
  {
    what: 'an unknown lock',
    bad: program('  lock m', '    lock mm'),
    code: DiagnosticCode.UnknownName,
    at: '4:5',
    message: /Lock mm is not declared/,
    good: program('  lock m', '    lock m'),
  },
  {
    what: 'an unknown bit',
    bad: program('  const W = 1\n  shared x bits [W, WP] = 0', '    fence'),
    code: DiagnosticCode.UnknownBit,
    at: '3:21',
    message: /Bit WP is not a constant/,
    good: program('  const W = 1\n  const WP = 2\n  shared x bits [W, WP] = 0', '    fence'),
  },
  {
    what: 'an assignment to a constant',
    bad: program('  const K = 1\n  shared x = 0', '    K = 2'),
    code: DiagnosticCode.AssignToConstant,
    at: '5:5',
    message: /K is a constant/,
    good: program('  const K = 1\n  shared x = 0', '    r = K + 1'),
  },
  {
    what: 'a store to a constant',
    bad: program('  const K = 1\n  shared x = 0', '    store K = 2'),
    code: DiagnosticCode.AssignToConstant,
    at: '5:11',
    message: /K is a constant/,
    good: program('  const K = 1\n  shared x = 0', '    store x = K'),
  },
  {
    what: 'an unlock without a lock',
    bad: program('  lock m', '    unlock m\n    lock m'),
    code: DiagnosticCode.UnlockWithoutLock,
    at: '4:5',
    message: /unlock m comes before any `lock m`/,
    good: program('  lock m', '    lock m\n    unlock m'),
  },
  {
    what: 'a loop without a bound',
    bad: program('  shared x = 0', '    loop {\n      load r = x\n    }'),
    code: DiagnosticCode.UnboundedLoop,
    at: '4:5',
    message: /A loop needs a bound/,
    good: program('  shared x = 0', '    loop at most 3 {\n      load r = x\n    }'),
  },
  {
    what: 'a misspelt statement word',
    bad: program('  shared x = 0', '    fense'),
    code: DiagnosticCode.UnknownStatement,
    at: '4:5',
    message: /fense does not start a thread statement. Did you mean 'fence'/,
    good: program('  shared x = 0', '    fence'),
  },
  {
    what: 'an explore of an unknown protocol',
    bad: program('  shared x = 0', '    fence').replace('explore p', 'explore q'),
    code: DiagnosticCode.UnknownName,
    at: '7:9',
    message: /There is no protocol q/,
    good: program('  shared x = 0', '    fence'),
  },
  {
    what: 'max_states out of range',
    bad: program('  shared x = 0', '    fence', ' max_states 0'),
    code: DiagnosticCode.OutOfRange,
    at: '7:22',
    message: /max_states 0 is out of range/,
    good: program('  shared x = 0', '    fence', ' max_states 100'),
  },
  {
    what: 'max_states above the limit',
    bad: program('  shared x = 0', '    fence', ' max_states 20000000'),
    code: DiagnosticCode.OutOfRange,
    at: '7:22',
    message: /from 1 to 10000000/,
    good: program('  shared x = 0', '    fence', ' max_states 10000000'),
  },
  {
    what: 'an unknown memory model',
    bad: program('  shared x = 0', '    fence', ' memory pso'),
    code: DiagnosticCode.UnknownValue,
    at: '7:18',
    message: /pso is not a value of memory/,
    good: program('  shared x = 0', '    fence', ' memory tso'),
  },
  {
    what: 'an unknown explore option',
    bad: program('  shared x = 0', '    fence', ' memroy tso'),
    code: DiagnosticCode.UnknownField,
    at: '7:11',
    message: /memroy is not an option of explore. Did you mean 'memory'/,
    good: program('  shared x = 0', '    fence', ' memory tso'),
  },
  {
    what: 'a thread reading memory inside an expression',
    bad: program('  shared x = 0', '    r = x + 1'),
    code: DiagnosticCode.InvalidProtocol,
    at: '4:9',
    message: /load it into a register first/,
    good: program('  shared x = 0', '    load r = x\n    r = r + 1'),
  },
];

describe('protocol diagnostics, each with a passing twin', () => {
  for (const c of CASES) {
    it(`reports ${c.what} at its line:col`, () => {
      const bad = compile(c.bad);
      const errors = bad.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual([`${c.code} ${c.at}`]);
      expect(errors[0].message).toMatch(c.message);
      expect(bad.program.explores ?? []).toEqual([]);
      const good = compile(c.good);
      expect(good.diagnostics).toEqual([]);
      expect(good.program.explores).toHaveLength(1);
    });
  }

  it('says nothing more about an explore of a protocol that has errors', () => {
    const r = compile(program('  shared x = 0', '    load r = y'));
    expect(r.diagnostics.map((d) => d.code)).toEqual([DiagnosticCode.UnknownName]);
  });

  it('keeps the protocols of a text for the texts after it (a later cell)', () => {
    const first = compile(program('  shared x = 0', '    fence').replace('explore p\n', ''));
    expect(first.ok).toBe(true);
    const second = compile('explore p memory tso\n', { scope: first.scope });
    expect(second.diagnostics).toEqual([]);
    expect(second.program.explores?.[0]).toMatchObject({ memory: 'tso', protocol: { name: 'p' } });
  });
});

describe('expect explore', () => {
  const text = `${program('  shared x = 0', '    fence')}`;

  it('compiles against the explore table: its where and condition name its columns', () => {
    const r = compile(
      `${text}expect any explore where memory_model = tso: violations = 0 and not truncated\n`,
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.program.exploreExpects).toMatchObject([
      { kind: 'expect', view: 'explore', quantifier: 'any', line: 8 },
    ]);
    expect(r.program.outputs).toEqual([]);
  });

  it('reports a column the explore table does not have, with its twin', () => {
    const bad = compile(`${text}expect explore: violation = 0\n`);
    expect(bad.diagnostics.map((d) => [d.code, `${d.line}:${d.column}`])).toEqual([
      [DiagnosticCode.UnknownColumn, '8:17'],
    ]);
    expect(bad.diagnostics[0].message).toMatch(/Did you mean 'violations'/);
    expect(compile(`${text}expect explore: violations = 0\n`).diagnostics).toEqual([]);
  });

  it('refuses by and aggregates, with its twin', () => {
    const bad = compile(`${text}expect explore by protocol n: n = 1\n`);
    expect(bad.diagnostics.map((d) => d.code)).toEqual([DiagnosticCode.UnexpectedArgument]);
    expect(compile(`${text}expect explore: threads = 1\n`).diagnostics).toEqual([]);
  });
});

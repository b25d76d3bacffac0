import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import { format } from '../../dsl/format.ts';
import { editedTexts } from '../helpers/edited-texts.ts';
import { BASE, DIAGNOSTIC_CASES } from './cases.ts';

/** Kept short: the suite must stay fast. */
const RUNS = 150;

/** A block item: `head` alone, or `head { body }`. */
interface Item {
  head: string;
  body?: Item[];
}

const HOTSET: Item = {
  head: 'workload hotset',
  body: [
    { head: 'rate 20k/s per vcpu' },
    { head: 'set 16MiB' },
    { head: 'hot 95%' },
    { head: 'vcpus 0' },
  ],
};
/** On its own vCPU: a vCPU runs one workload, and HOTSET runs on all of them. */
const PHASES: Item = {
  head: 'workload phases',
  body: [
    { head: 'vcpus 1' },
    { head: 'phase 10ms hotset', body: [{ head: 'rate 1k/s' }, { head: 'set 1MiB' }] },
    { head: 'phase 5ms idle' },
    { head: 'repeat off' },
  ],
};
const VM_OPTIONAL: Item[] = [
  { head: 'arch x86_64' },
  { head: 'slot ram1 at 1GiB size 64MiB backing 4k readonly' },
  HOTSET,
  PHASES,
  { head: 'prefill 25%' },
];
const DEFS: [string, Item[]][] = [
  ['tracking t1', [{ head: 'dirty_log ring 4096' }, { head: 'ring_acq_rel on' }]],
  ['tracking t2 extends t1', [{ head: 'dirty_log manual' }, { head: 'eager_split off' }]],
  ['migration m1', [{ head: 'bandwidth 10Gbit/s' }, { head: 'downtime 300ms' }]],
  ['costs c1', [{ head: 'vm_exit 700ns' }]],
  // Families: a list, a range with a step, a geometric range.
  [
    'migration m2',
    [{ head: 'bandwidth [1Gbit/s, 10Gbit/s]' }, { head: 'downtime 100ms..300ms step 100ms' }],
  ],
  ['tracking t3', [{ head: 'dirty_log ring 1024..4096 x4' }]],
];
const TAIL = [
  'run db with t1, m1 seed 3 warmup 10ms',
  'sweep db with [t1, t2], m1 seeds 1..2 costs c1',
  'sweep db with [t1, t3], m2 seeds 1..2 warmup [10ms, 20ms]',
  'run db with t3, m2 zip bandwidth, ring_entries',
  'sweep db with [t1, t3], m2 seeds 1..2 where bandwidth >= 10Gbit/s or tracking = t3 warmup 10ms',
  'table summary, iterations',
  'table summary with total_ms, downtime_ms',
  'plot remaining over time',
  'export summary, iterations to "results/" as arrow',
  'export stale to "out"',
  'let fault_us = stall_fast_fault_ms * 1000 / (pf_fast + 1)',
  'let slow = if(downtime_ms > 0.3s, 1, 0)',
  'table summary where status = completed and not (downtime_ms >= 1s) by tracking mean downtime_ms, p95 total_ms, n with tracking, n',
  'plot downtime_ms, fault_us over seed by tracking, ring_entries, bandwidth facet downtime where warmup = 10ms and -total_ms < -1ms as bar error ci95 log y',
  'plot remaining over time by tracking',
  'plot progress',
  'expect any summary where tracking = t1: fault_us >= 0 or slow % 2 != 1',
  'expect summary by tracking mean downtime_ms: mean_downtime_ms < 1min',
];

/** Random layout choices for one block. */
const layout = fc.record({
  inline: fc.boolean(),
  comma: fc.boolean(),
  pad: fc.constantFrom(' ', '  ', '\t'),
  comment: fc.option(fc.constantFrom('# note', '#x', '# a, b { }'), { nil: undefined }),
  blank: fc.boolean(),
});
type Layout = typeof layout extends fc.Arbitrary<infer T> ? T : never;

/** Render items with layouts drawn in turn from `ls` (cycled). */
function renderBlock(head: string, items: Item[], ls: Layout[], depth = 0): string {
  const l = ls[depth % ls.length];
  const parts = items.map((it, i) => {
    const lx = ls[(depth + i + 1) % ls.length];
    const h = it.head.replace(/ /g, lx.pad);
    return it.body ? renderBlock(h, it.body, ls, depth + i + 1) : h;
  });
  if (l.inline) return `${head} {${l.pad}${parts.join(l.comma ? ', ' : ` ,${l.pad}`)} }`;
  const sep = l.comma ? ',\n' : '\n';
  const lines = parts.map((p, i) => {
    const lx = ls[(depth + i) % ls.length];
    return `${lx.blank ? '\n' : ''}${'  '.repeat(depth + 1)}${p}${lx.comment ? ` ${lx.comment}` : ''}`;
  });
  const note = l.comment ? `\n${'  '.repeat(depth + 1)}${l.comment}` : '';
  return `${head} {${l.comment ? ` ${l.comment}` : ''}\n${lines.join(sep)}${note}\n}`;
}

/** Valid programs in varied layouts: every definition and experiment compiles. */
const program = fc
  .tuple(
    fc.subarray(VM_OPTIONAL),
    fc.array(layout, { minLength: 1, maxLength: 8 }),
    fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
  )
  .map(([vmItems, ls, gaps]) => {
    const vm: Item[] = [
      { head: 'vcpus 2' },
      { head: 'slot ram0 at 0 size 256MiB backing thp' },
      ...vmItems,
    ];
    const statements = [
      renderBlock('vm db', vm, ls),
      ...DEFS.map(([h, items], i) => renderBlock(h, items, [...ls.slice(i), ...ls])),
      ...TAIL,
    ];
    return statements
      .map((s, i) => `${gaps[i] ? '\n# between\n' : ''}${s}${gaps[i + 1] ? ' # end' : ''}`)
      .join('\n');
  });

/** Compiled plans without source positions (lines, and the spans of expressions). */
function withoutLines(x: unknown): unknown {
  return JSON.parse(
    JSON.stringify(x, (k, v: unknown) => (k === 'line' || k === 'span' ? undefined : v)),
  );
}

/**
 * Number expressions over columns in ms and plain numbers, as tokens: every operator,
 * unary minus, parentheses and calls, which `fmt` must print back to the same tree.
 */
const numberExpr: fc.Arbitrary<string[]> = fc.letrec<{ e: string[] }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('total_ms', 'downtime_ms', 'setup_ms', '2', '0.5', '1_000').map((t) => [t]),
    fc
      .tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '%'), tie('e'))
      .map(([a, op, b]) => [...a, op, ...b]),
    tie('e').map((a) => ['(', ...a, ')']),
    tie('e').map((a) => ['-', ...a]),
    fc
      .tuple(fc.constantFrom('max', 'min'), tie('e'), tie('e'))
      .map(([f, a, b]) => [f, '(', ...a, ',', ...b, ')']),
    tie('e').map((a) => ['abs', '(', ...a, ')']),
  ),
})).e;

/** `let` and `where` over generated expressions, their tokens spaced at random. */
const expressionProgram = fc
  .tuple(
    numberExpr,
    numberExpr,
    fc.constantFrom('>', '<=', '=', '!='),
    fc.array(fc.constantFrom(' ', '  ', '\t'), { minLength: 1, maxLength: 6 }),
  )
  .map(([a, b, cmp, pads]) => {
    const join = (ts: string[]): string =>
      ts.map((t, i) => `${t}${pads[i % pads.length]}`).join('');
    return `${BASE}\nrun db with manual, fast\nlet x_ms = ${join(a)}\ntable summary where ${join(b)} ${cmp} x_ms by vm mean x_ms`;
  });

describe('format', () => {
  it('prints one field per line (a one-line block stays one), keeps comments and literal spellings', () => {
    const text = [
      '# header',
      '',
      '',
      'vm db {   # the db',
      '  arch x86_64, vcpus   2',
      '  slot ram0 at 4GiB size 1.5GiB backing thp',
      '  workload hotset { rate 5000 pages/s, set 16MiB }  # hot',
      '  # before close',
      '}',
      'tracking e {}',
      'run db with [e,e],  fast   seeds 1..5 # x',
      'use "common.mmu"',
    ].join('\n');
    expect(format(text)).toEqual({
      text: [
        '# header',
        '',
        'vm db { # the db',
        '  arch x86_64',
        '  vcpus 2',
        '  slot ram0 at 4GiB size 1.5GiB backing thp',
        '  workload hotset { rate 5000 pages/s, set 16MiB } # hot',
        '  # before close',
        '}',
        'tracking e {}',
        'run db with [e, e], fast seeds 1..5 # x',
        'use "common.mmu"',
        '',
      ].join('\n'),
      diagnostics: [],
    });
  });

  it('starts every statement on its own line, also two written on one line', () => {
    expect(format('table iterations plot remaining over time # both\n').text).toBe(
      'table iterations\nplot remaining over time # both\n',
    );
    expect(format('vm a {} vm b { vcpus 2 }').text).toBe('vm a {}\nvm b { vcpus 2 }\n');
  });

  it("keeps a field's negative value a sign, so the checker still reads it as written", () => {
    expect(format('vm a { vcpus -4 }\nmigration m {\n  downtime -300ms\n}\n').text).toBe(
      'vm a { vcpus -4 }\nmigration m {\n  downtime -300ms\n}\n',
    );
    expect(format('run a with t, m seed -1\n').text).toBe('run a with t, m seed -1\n');
  });

  it('spaces a minus that subtracts, and keeps a sign by its operand, in expressions', () => {
    expect(format('let d = vcpus -4\nlet e = -vcpus\nlet f = a*-b - -4\n').text).toBe(
      'let d = vcpus - 4\nlet e = -vcpus\nlet f = a * -b - -4\n',
    );
    expect(
      format(
        'protocol p {\n  shared x = 0\n  thread t() {\n    store x = x-1\n    store x = -1\n  }\n}\n',
      ).text,
    ).toContain('store x = x - 1\n    store x = -1');
  });

  it('returns a text with syntax errors unchanged, with the errors', () => {
    const r = format('vm v {\n  slot r at 0');
    expect(r.text).toBe('vm v {\n  slot r at 0');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['unclosed']);
  });

  it('leaves the base program compiling to the same plans', () => {
    expect(withoutLines(compile(format(BASE).text).program)).toEqual(
      withoutLines(compile(BASE).program),
    );
  });

  it('generated programs are valid', () => {
    fc.assert(
      fc.property(program, (x) => {
        expect(compile(x).diagnostics).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });

  it('is idempotent: fmt(fmt(x)) = fmt(x)', () => {
    fc.assert(
      fc.property(program, (x) => {
        const once = format(x).text;
        expect(format(once).text).toBe(once);
      }),
      { numRuns: RUNS },
    );
  });

  it('never changes the compiled plan: compile(fmt(x)) = compile(x)', () => {
    fc.assert(
      fc.property(program, (x) => {
        const before = compile(x);
        const after = compile(format(x).text);
        expect(after.diagnostics).toEqual([]);
        expect(withoutLines(after.program)).toEqual(withoutLines(before.program));
      }),
      { numRuns: RUNS },
    );
  });

  it('prints generated expressions back to the same compiled lets and conditions', () => {
    fc.assert(
      fc.property(expressionProgram, (x) => {
        const before = compile(x);
        expect(before.diagnostics).toEqual([]);
        const once = format(x).text;
        expect(format(once).text).toBe(once);
        expect(withoutLines(compile(once).program)).toEqual(withoutLines(before.program));
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps every comment', () => {
    fc.assert(
      fc.property(program, (x) => {
        const count = (t: string): number => (t.match(/#/g) ?? []).length;
        expect(count(format(x).text)).toBe(count(x));
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws, and is idempotent on every text that parses, valid or not', () => {
    const seeds = [BASE, ...DIAGNOSTIC_CASES.map((c) => `${BASE}\n${c.bad}`)];
    const pieces = [
      '{',
      '}',
      ',',
      '\n',
      ' # c\n',
      '[',
      ']',
      '..',
      'x',
      ' x2',
      ' step 2',
      '4GiB',
      '"f"',
      ' ',
    ];
    const mutated = editedTexts(seeds, {
      inserts: fc.constantFrom(...pieces, ''),
      maxDelete: 4,
      maxEdits: 4,
    });
    fc.assert(
      fc.property(mutated, (x) => {
        const once = format(x);
        if (once.diagnostics.length > 0) return;
        expect(format(once.text).text).toBe(once.text);
      }),
      { numRuns: RUNS },
    );
  });
});

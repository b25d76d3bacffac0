import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import { complete } from '../../dsl/completion.ts';
import { inspect } from '../../dsl/inspect.ts';
import { isComplete } from '../../dsl/is-complete.ts';
import { parseProgram } from '../../dsl/parse.ts';
import { FIELD_DOCS, VALUE_DOCS, keywordDocs } from '../../dsl/keyword-docs.ts';
import { FIELDS } from '../../dsl/schema.ts';
import type { BlockKind } from '../../dsl/schema.ts';
import { keywords } from '../../dsl/tokens.ts';

/** Complete at the `|` in `src` (a code-point offset, as Jupyter sends it). */
function at(src: string, scope?: Parameters<typeof complete>[2]): ReturnType<typeof complete> {
  const cursor = [...src.slice(0, src.indexOf('|'))].length;
  return complete(src.replace('|', ''), cursor, scope);
}

const DEFS = [
  'vm db { vcpus 2 }',
  'tracking ring { dirty_log ring 4096 }',
  'migration fast { bandwidth 10Gbit/s }',
  'costs slow { vm_exit 700ns }',
  '',
].join('\n');

describe('complete', () => {
  it('offers the statement keywords at the start of a line, from content assist', () => {
    expect(at('|').matches).toEqual([
      'costs',
      'expect',
      'explore',
      'export',
      'let',
      'migration',
      'plot',
      'predict',
      'protocol',
      'run',
      'sweep',
      'table',
      'tracking',
      'use',
      'vm',
    ]);
  });

  it('offers the views after export and the formats after as', () => {
    expect(at('export summary, |').matches).toEqual([
      'events',
      'iterations',
      'stale',
      'summary',
      'timeline',
      'vcpu_stats',
    ]);
    // A table's formats for tables, an image's for a named plot.
    expect(at('export summary to "r" as |').matches).toEqual(['arrow', 'csv', 'latex', 'markdown']);
    expect(at('plot fig = remaining over time\nexport plot fig to "f" as |').matches).toEqual([
      'pdf',
      'png',
      'svg',
    ]);
  });

  it('filters by the prefix under the cursor and reports the replaced range', () => {
    expect(at('tr|')).toEqual({ matches: ['tracking'], cursorStart: 0, cursorEnd: 2 });
  });

  it('counts positions in code points, past an emoji in a comment', () => {
    const r = at('# 🚀 rocket\ntracking t { dirty_log ri|');
    expect(r.matches).toEqual(['ring', 'ring_with_bitmap']);
    // "# 🚀 rocket\n" is 11 code points (12 UTF-16 units); "tracking t { dirty_log " 23 more.
    expect(r.cursorStart).toBe(34);
    expect(r.cursorEnd).toBe(36);
  });

  it('offers the dirty-log modes after dirty_log', () => {
    expect(at('tracking t { dirty_log |').matches).toEqual([
      'bitmap',
      'initially_set',
      'manual',
      'ring',
      'ring_with_bitmap',
      // A list or a range may stand there, so may `vary` (one value per variant).
      'vary',
    ]);
  });

  it('offers `vary` only where a field or a run option may take it', () => {
    expect(at('vm v {\n  vcpus |').matches).toEqual(['vary']);
    expect(at('vm v {\n  vcpus vary |').matches).toEqual([]);
    expect(at('vm v {\n  slot |').matches).toEqual([]);
    expect(at(`${DEFS}run db with ring, fast seed |`).matches).toEqual(['vary']);
    expect(at(`${DEFS}sweep |`).matches).toEqual(['db']);
  });

  it('offers the tracking keys inside a tracking block', () => {
    expect(at('tracking x {\n  |').matches).toEqual(Object.keys(FIELDS.tracking).sort());
    expect(at('tracking x { pml on, e|').matches).toEqual(['eager_split']);
  });

  it('offers sub-keys and their values (slot at/size/backing)', () => {
    expect(at('vm v {\n  slot ram0 |').matches).toEqual(['at', 'backing', 'readonly', 'size']);
    expect(at('vm v {\n  slot ram0 at 0 size 4GiB backing |').matches).toEqual([
      '4k',
      'hugetlb_1g',
      'hugetlb_2m',
      'thp',
      'vary',
    ]);
  });

  it('offers only the workload keys that apply to the workload kind', () => {
    const m = at('vm v {\n  workload hotset {\n    |').matches;
    expect(m).toContain('set');
    expect(m).not.toContain('file');
  });

  it('offers vm names after run, then with, tracking and migration names, then options', () => {
    const scope = { vm: new Map([['big', {}]]), tracking: new Map([['bitmap0', {}]]) };
    expect(at(`${DEFS}run |`, scope).matches).toEqual(['big', 'db']);
    expect(at(`${DEFS}run db |`).matches).toEqual(['with']);
    expect(at(`${DEFS}run db with |`, scope).matches).toEqual(['bitmap0', 'ring']);
    expect(at(`${DEFS}run db with ring, |`).matches).toEqual(['fast']);
    expect(at(`${DEFS}run db with ring, fast s|`).matches).toEqual([
      'sample',
      'seed',
      'seeds',
      'slice',
    ]);
    expect(at(`${DEFS}run db with ring, fast costs |`).matches).toEqual(['slow']);
    expect(at(`${DEFS}sweep db with [ring, |`).matches).toEqual(['ring']);
  });

  it('offers where among the options of a run, and documents it as choosing points', () => {
    expect(at(`${DEFS}sweep db with ring, fast seeds 1..3 w|`).matches).toEqual([
      'warmup',
      'where',
    ]);
    const text = `${DEFS}sweep db with ring, fast where bandwidth > 1Gbit/s`;
    const cursor = [...text.slice(0, text.indexOf('where') + 1)].length;
    expect(inspect(text, cursor, 0)?.plain).toMatch(
      /^where: `run \.\.\. where EXPR`: keep only the points/,
    );
  });

  describe('in an expression slot', () => {
    const RUNS = [
      'vm db { vcpus 2, slot r at 0 size 64MiB }',
      'tracking ring { dirty_log ring 4096 }',
      'tracking bm { dirty_log manual }',
      'migration m { bandwidth [1Gbit/s, 10Gbit/s] }',
      'sweep db with [ring, bm], m seeds 1..2',
      'let sent = pages_sent / total_ms',
      '',
    ].join('\n');

    it('offers the result columns, axes and lets of the runs above', () => {
      expect(at(`${RUNS}table summary where band|`).matches).toEqual(['bandwidth']);
      expect(at(`${RUNS}let y = sen|`).matches).toEqual(['sent']);
      expect(at(`${RUNS}table summary by tracking mean downtime_m|`).matches).toEqual([
        'downtime_ms',
      ]);
      expect(at(`${RUNS}table summary by tr|`).matches).toEqual([
        'tracking',
        'tracking_memory_bytes',
        'transferred_bytes',
      ]);
      expect(at(`${RUNS}plot downtime_ms over bandw|`).matches).toEqual([
        'bandwidth',
        'bandwidth_mbps',
      ]);
      expect(at(`${RUNS}expect any summary where status = completed: se|`).matches).toEqual([
        'seed',
        'sent',
        'setup_ms',
      ]);
    });

    it("offers the columns of the table a table or expect reads, not another table's", () => {
      expect(at(`${RUNS}table iterations where dirty_pages_s|`).matches).toEqual([
        'dirty_pages_synced',
      ]);
      expect(at(`${RUNS}table summary where dirty_pages_s|`).matches).toEqual([]);
    });

    it("offers a run's axes only in its where, not results or seed", () => {
      expect(at(`${RUNS}sweep db with [ring, bm], m where |`).matches).toEqual([
        'bandwidth',
        'dirty_log',
        'not',
        'ring_entries',
        'tracking',
      ]);
      expect(
        at(`${RUNS}sweep db with [ring, bm], m where bandwidth > 1Gbit/s and se|`).matches,
      ).toEqual([]);
    });

    it("offers the axes of the runs above after a prediction's `for`, with their values", () => {
      // ring_entries has one value in these runs: nothing to compare.
      expect(at(`${RUNS}predict downtime_ms for |`).matches).toEqual([
        '10Gbit/s',
        '1Gbit/s',
        'bandwidth',
        'bm',
        'dirty_log',
        'manual',
        'ring',
        'tracking',
      ]);
    });

    describe('the values of a prediction', () => {
      const FLAGS = [
        'vm db { vcpus 2, slot r at 0 size 64MiB }',
        'tracking ring { dirty_log ring 4096 }',
        'tracking logged { dirty_log manual, pml [on, off] }',
        'migration m { bandwidth [1Gbit/s, 10Gbit/s] }',
        '',
      ].join('\n');
      const SWEEP = '\nsweep db with logged, m seed 1\n';

      it("offers an axis's values after its name: on and off for a flag, not names", () => {
        expect(at(`${FLAGS}predict total_ms for pml |${SWEEP}`).matches).toEqual(['off', 'on']);
        expect(at(`${FLAGS}predict total_ms for pml o|${SWEEP}`).matches).toEqual(['off', 'on']);
        expect(at(`${FLAGS}predict total_ms for bandwidth |${SWEEP}`).matches).toEqual([
          '10Gbit/s',
          '1Gbit/s',
        ]);
        // Its twin: a list of names is an axis whose values are the names.
        expect(at(`${RUNS}predict downtime_ms for tracking |`).matches).toEqual(['bm', 'ring']);
      });

      it('offers the other values of the same axis after the comparison', () => {
        expect(at(`${FLAGS}predict total_ms for pml on < |${SWEEP}`).matches).toEqual(['off']);
        expect(at(`${FLAGS}predict total_ms for off >= |${SWEEP}`).matches).toEqual(['on']);
        expect(at(`${FLAGS}predict total_ms for 1Gbit/s > |${SWEEP}`).matches).toEqual([
          '10Gbit/s',
        ]);
        expect(at(`${RUNS}predict downtime_ms for ring < |`).matches).toEqual(['bm', 'manual']);
      });

      it('reads the runs written after the prediction, as the compiler does', () => {
        expect(at(`${FLAGS}predict total_ms for |${SWEEP}`).matches).toEqual([
          '10Gbit/s',
          '1Gbit/s',
          'bandwidth',
          'off',
          'on',
          'pml',
        ]);
        // Its twin: with no run in the text or the scope, nothing to offer.
        expect(at(`${FLAGS}predict total_ms for |`).matches).toEqual([]);
      });

      it("offers an axis's values after `AXIS =` in a where or an expect, beside the columns", () => {
        const runs = `${FLAGS}sweep db with [logged, ring], m seed 1\n`;
        expect(at(`${runs}table summary where pml = o|`).matches).toEqual(['off', 'on']);
        expect(at(`${runs}expect summary where pml != o|: stale_pages = 0`).matches).toEqual([
          'off',
          'on',
        ]);
        expect(at(`${runs}table summary where tracking = ri|`).matches).toEqual([
          'ring',
          'ring_entries',
          'ring_full_exits',
        ]);
        expect(at(`${FLAGS}sweep db with logged, m where bandwidth = 1|`).matches).toEqual([
          '10Gbit/s',
          '1Gbit/s',
        ]);
        // Its twins: after another operator, or a column that is no axis, only names.
        expect(at(`${runs}table summary where pml and o|`).matches).toEqual([]);
        expect(at(`${runs}table summary where status = o|`).matches).toEqual([]);
      });

      it('still documents a definition named as a value', () => {
        const text = `${RUNS}predict downtime_ms for ring < bm`;
        const cursor = text.lastIndexOf('ring') + 1;
        expect(inspect(text, cursor, 0)?.plain).toContain('tracking defined on line 2');
      });
    });

    it('offers the columns of an earlier cell from its scope', () => {
      const session = compile(RUNS).scope;
      const text = 'table summary where ban|';
      const cursor = text.indexOf('|');
      expect(complete(text.replace('|', ''), cursor, session, session).matches).toEqual([
        'bandwidth',
      ]);
    });
  });

  it('offers only names defined before the cursor', () => {
    expect(at('run |\nvm later { }').matches).toEqual([]);
  });

  it('offers base names after extends, table views and plot axes', () => {
    expect(at(`${DEFS}tracking r2 extends |`).matches).toEqual(['ring']);
    expect(at('table summary, |').matches).toContain('iterations');
    expect(at('plot remaining over |').matches).toEqual(['iteration', 'time']);
  });

  it('offers nothing in a comment or a string', () => {
    expect(at('# run |').matches).toEqual([]);
    expect(at('use "co|').matches).toEqual([]);
  });
});

describe('complete inside a protocol', () => {
  const HEAD = [
    'protocol sb {',
    '  const W = 1',
    '  shared x bits [W] = 0',
    '  shared y = 0',
    '  ghost seen = 0',
    '  lock l',
    '  thread t0(r, ok) {',
    '    store x = 1',
    '  }',
    '',
  ].join('\n');

  it("offers a declaration's words in the protocol's body, as the parser reads them", () => {
    expect(at(`${HEAD}  |`).matches).toEqual([
      'const',
      'ghost',
      'invariant',
      'lock',
      'shared',
      'thread',
    ]);
    // Each word offered starts a declaration the compiler accepts (a twin of the list).
    const decls = ['const K = 1', 'shared v = 0', 'ghost g = 0', 'lock m', 'thread u() {\n}'];
    const text = `protocol p {\n${decls.join('\n')}\ninvariant i always v = 0\n}\n`;
    expect(compile(text).diagnostics).toEqual([]);
  });

  it("offers a step's words and the thread's registers at the start of a thread's line", () => {
    const { matches } = at(`${HEAD}  thread t1(a, b) {\n    |`);
    expect(matches).toEqual(
      expect.arrayContaining(['load', 'store', 'cmpxchg', 'fence', 'a', 'b']),
    );
    expect(matches).toEqual(expect.arrayContaining(['fetch_add', 'atomic', 'loop', 'assume']));
    // Another thread's registers are not this one's.
    expect(matches).not.toContain('r');
    // `} else` on the line that closes an if's block.
    expect(at(`${HEAD}  thread t1(a) {\n    if a {\n      fence\n    } e|`).matches).toEqual([
      'else',
    ]);
  });

  it('offers shared variables where memory is read or written, registers and constants in values', () => {
    const thread = `${HEAD}  thread t1(a, ok) {\n    `;
    expect(at(`${thread}load a = |`).matches).toEqual(['x', 'y']);
    expect(at(`${thread}load |`).matches).toEqual(['a', 'ok']);
    expect(at(`${thread}store |`).matches).toEqual(['x', 'y']);
    expect(at(`${thread}store x = |`).matches).toEqual(['W', 'a', 'ok']);
    expect(at(`${thread}cmpxchg ok = |`).matches).toEqual(['x', 'y']);
    expect(at(`${thread}cmpxchg ok = x, a, a | |`).matches).toEqual(['W', 'a', 'ok', 'old']);
    expect(at(`${thread}ghost |`).matches).toEqual(['seen']);
    expect(at(`${thread}lock |`).matches).toEqual(['l']);
    expect(at(`${thread}loop at |`).matches).toEqual(['most']);
  });

  it("offers memory, threads and a thread's registers in an invariant", () => {
    expect(at(`${HEAD}  invariant i |`).matches).toEqual(['always', 'at']);
    expect(at(`${HEAD}  invariant i at |`).matches).toEqual(['end']);
    const { matches } = at(`${HEAD}  invariant i always |`);
    expect(matches).toEqual(expect.arrayContaining(['x', 'y', 'seen', 'W', 't0', 'done', 'not']));
    expect(at(`${HEAD}  invariant i at end t0.|`).matches).toEqual(['ok', 'r']);
    expect(at(`${HEAD}  invariant i at end done(|`).matches).toEqual(['t0']);
  });

  it('offers the protocols defined before after explore, and the values of the option given', () => {
    const text = `${HEAD}}\n`;
    expect(at(`${text}explore |`).matches).toEqual(['sb']);
    expect(at(`${text}explore sb memory |`).matches).toEqual(['sc', 'tso']);
    expect(at(`${text}explore sb reduction |`).matches).toEqual(['none', 'por']);
    // An earlier cell's protocols, from the session's scope.
    const scope = compile(text).scope;
    expect(at('explore |', scope).matches).toEqual(['sb']);
  });

  it('leaves completion after the protocol as it was', () => {
    expect(at(`${HEAD}}\nru|`).matches).toEqual(['run']);
  });
});

describe('inspect', () => {
  const text = `${DEFS}run db with ring, fast seed 1`;
  const cursorAt = (word: string, nth = 0): number => {
    let i = -1;
    for (let k = 0; k <= nth; k++) i = text.indexOf(word, i + 1);
    return [...text.slice(0, i + 1)].length;
  };

  it('documents a statement keyword', () => {
    expect(inspect(text, cursorAt('tracking'), 0)).toMatchObject({ found: true });
    expect(inspect(text, cursorAt('tracking'), 0)?.plain).toContain('KVM_CAP_DIRTY_LOG_RING');
  });

  it('documents a key, a value and a unit', () => {
    expect(inspect(text, cursorAt('dirty_log'), 0)?.markdown).toContain('KVM_GET_DIRTY_LOG');
    expect(inspect(text, cursorAt('ring 4096'), 0)?.plain).toMatch(/^ring: KVM_CAP_DIRTY_LOG_RING/);
    expect(inspect(text, cursorAt('Gbit/s'), 0)?.plain).toMatch(/^Gbit\/s: Gigabits/);
    expect(inspect(text, cursorAt('700ns'), 0)?.plain).toMatch(/^ns:/);
    expect(inspect(text, cursorAt('vm_exit'), 0)?.plain).toContain('Default 350ns');
  });

  it('documents a sub-key, a run option and a defined name', () => {
    expect(inspect('vm v { slot r at 0 size 4GiB }', 15, 0)?.plain).toMatch(/^slot at:/);
    expect(inspect(text, cursorAt('seed'), 0)?.plain).toMatch(/^seed \(run option\)/);
    expect(inspect(text, cursorAt('fast', 1), 0)?.plain).toContain('migration defined on line 3');
    expect(inspect('run big', 6, 0, { vm: new Map([['big', {}]]) })?.plain).toContain(
      'earlier cell',
    );
  });

  it('adds the syntax line at detail level 1', () => {
    const brief = inspect(text, cursorAt('dirty_log'), 0)!;
    const full = inspect(text, cursorAt('dirty_log'), 1)!;
    expect(full.plain.length).toBeGreaterThan(brief.plain.length);
  });

  it('returns null on whitespace and found: false on an unknown word', () => {
    expect(inspect('   ', 1, 0)).toBeNull();
    expect(inspect('vm v { frobnicate 1 }', 9, 0)).toEqual({
      found: false,
      markdown: '',
      plain: '',
    });
  });
});

describe('keyword docs', () => {
  it('documents every key and sub-key of every block kind in the schema', () => {
    const missing: string[] = [];
    for (const kind of Object.keys(FIELDS) as BlockKind[]) {
      for (const [key, spec] of Object.entries(FIELDS[kind])) {
        if (!FIELD_DOCS[kind][key]) missing.push(`${kind}.${key}`);
        for (const sub of Object.keys(spec.keys ?? {})) {
          if (!FIELD_DOCS[kind][`${key}.${sub}`]) missing.push(`${kind}.${key}.${sub}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('documents every enumerated value and every keyword', () => {
    const missing: string[] = [];
    for (const fields of Object.values(FIELDS)) {
      for (const spec of Object.values(fields)) {
        const args = [...spec.args, ...Object.values(spec.keys ?? {})];
        for (const a of args) {
          if (a !== 'flag' && a.type === 'enum')
            missing.push(...a.values.filter((v) => !VALUE_DOCS[v]));
        }
      }
    }
    missing.push(...keywords.map((k) => k.name.toLowerCase()).filter((k) => !keywordDocs()[k]));
    expect(missing).toEqual([]);
  });
});

describe('isComplete', () => {
  it('is incomplete with an open brace, indenting two spaces per brace', () => {
    expect(isComplete('vm db {')).toEqual({ status: 'incomplete', indent: '  ' });
    expect(isComplete('vm db {\n  workload hotset {')).toEqual({
      status: 'incomplete',
      indent: '    ',
    });
  });

  it('is incomplete with an open bracket, also after a comma inside it', () => {
    expect(isComplete('sweep db with [a,')).toMatchObject({ status: 'incomplete' });
    expect(isComplete('vm db { vcpus 2,')).toMatchObject({ status: 'incomplete' });
  });

  it('is complete where the parser ends the statement, even a wrong one (the compiler says why)', () => {
    for (const text of ['table summary,', 'run db with', 'run db with ring', 'run db with ring\n'])
      expect(isComplete(text), text).toEqual({ status: 'complete' });
    // The twin: a line the parser would join to the next is incomplete.
    expect(parseProgram('table summary,\niterations').diagnostics).not.toEqual([]);
    expect(parseProgram('let x = a +\nb').diagnostics).toEqual([]);
  });

  it('is incomplete after a binary operator, where the expression goes on', () => {
    expect(isComplete('let x = a +')).toEqual({ status: 'incomplete', indent: '' });
    expect(isComplete('table summary where a = 1 and')).toMatchObject({ status: 'incomplete' });
    expect(isComplete('expect summary: downtime_ms <=')).toMatchObject({ status: 'incomplete' });
    expect(isComplete('let x = a + b')).toEqual({ status: 'complete' });
    expect(isComplete('table summary where a = 1 and b = 2')).toEqual({ status: 'complete' });
  });

  it('is invalid on a lexing error', () => {
    expect(isComplete('use "common.mmu')).toEqual({ status: 'invalid' });
    expect(isComplete('vm db { vcpus 2 } $')).toEqual({ status: 'invalid' });
  });

  it('is invalid on a closing brace or bracket that closes nothing open', () => {
    expect(isComplete('}')).toEqual({ status: 'invalid' });
    expect(isComplete('vm a { vcpus 4 } }')).toEqual({ status: 'invalid' });
    expect(isComplete('sweep db with [a, b]]')).toEqual({ status: 'invalid' });
    expect(isComplete('vm a {\n  workload w { rate 1k/s ]')).toEqual({ status: 'invalid' });
    // The twins: closers that match, and an opener still waiting.
    expect(isComplete('vm a { vcpus 4 }')).toEqual({ status: 'complete' });
    expect(isComplete('sweep db with [a, b], fast')).toEqual({ status: 'complete' });
    expect(isComplete('vm a {\n  workload w { rate 1k/s }')).toEqual({
      status: 'incomplete',
      indent: '  ',
    });
  });

  it('is complete otherwise, with no indent', () => {
    expect(isComplete('vm db { vcpus 2 }')).toEqual({ status: 'complete' });
    expect(isComplete('run db with ring, fast seed 1 # with {')).toEqual({ status: 'complete' });
    expect(isComplete('')).toEqual({ status: 'complete' });
  });
});

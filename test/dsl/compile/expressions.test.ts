import { describe, expect, it } from 'vitest';
import { compile } from '../../../dsl/compile.ts';
import type { CompileResult, Expr, Scope } from '../../../dsl/compile.ts';
import type { ExprNode, Statement } from '../../../dsl/ast.ts';
import { format } from '../../../dsl/format.ts';
import { parseProgram } from '../../../dsl/parse.ts';
import { evaluator } from '../../../dsl/compile/evaluate.ts';
import { mmuLexer } from '../../../dsl/tokens.ts';
import { BASE } from '../cases.ts';

/** The token names of a text. */
function lex(text: string): string[] {
  return mmuLexer.tokenize(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);
}

/** An expression tree fully parenthesised, to read its grouping. */
function grouping(e: ExprNode): string {
  switch (e.kind) {
    case 'word':
    case 'quantity':
      return e.text;
    case 'string':
      return `"${e.text}"`;
    case 'paren':
      return grouping(e.inner);
    case 'unary':
      return `(${e.op === 'not' ? 'not ' : '-'}${grouping(e.arg)})`;
    case 'binary':
      return `(${grouping(e.left)} ${e.op} ${grouping(e.right)})`;
    case 'call':
      return `${e.fn.text}(${e.args.map(grouping).join(', ')})`;
  }
}

/** The expression of `let x = TEXT`, parsed. */
function parsed(text: string): ExprNode {
  const { ast, diagnostics } = parseProgram(`let x = ${text}`);
  expect(diagnostics).toEqual([]);
  const s: Statement | undefined = ast.statements[0];
  if (s?.kind !== 'let') throw new Error('not a let');
  return s.expr;
}

/** An Expr without spans, to compare shapes. */
function bare(e: Expr | undefined): unknown {
  return JSON.parse(JSON.stringify(e ?? null, (k, v: unknown) => (k === 'span' ? undefined : v)));
}

/** Compile TEXT after the base program (a run of db with manual, fast). */
function lab(text: string, scope?: Scope): CompileResult {
  return compile(`${BASE}\nrun db with manual, fast\n${text}`, scope ? { scope } : {});
}

/** The where of the first output of TEXT, without spans (no diagnostics allowed). */
function whereOf(text: string): unknown {
  const r = lab(text);
  expect(r.diagnostics).toEqual([]);
  const o = r.program.outputs[0];
  return bare(o.kind === 'table' || o.kind === 'expect' ? o.where : undefined);
}

describe('expression tokens', () => {
  it('attaches a unit only to a number', () => {
    expect(lex('10Gbit/s a/b 200k/s')).toEqual([
      'BandwidthLiteral:10Gbit/s',
      'Identifier:a',
      'Slash:/',
      'Identifier:b',
      'RateLiteral:200k/s',
    ]);
  });

  it('reads % after a number as a percentage, and as the remainder otherwise', () => {
    expect(lex('50% x%y 50%2 50 % 2')).toEqual([
      'PercentLiteral:50%',
      'Identifier:x',
      'Modulo:%',
      'Identifier:y',
      'NumberLiteral:50',
      'Modulo:%',
      'NumberLiteral:2',
      'NumberLiteral:50',
      'Modulo:%',
      'NumberLiteral:2',
    ]);
  });

  it('reads 10/sqrt(x) as a division, not the rate 10/s', () => {
    expect(lex('10/sqrt(x)')).toEqual([
      'NumberLiteral:10',
      'Slash:/',
      'Identifier:sqrt',
      'LParen:(',
      'Identifier:x',
      'RParen:)',
    ]);
  });

  it('reads two-character comparisons as one token', () => {
    expect(lex('a<=b!=c>=d')).toEqual([
      'Identifier:a',
      'LessEqual:<=',
      'Identifier:b',
      'NotEqual:!=',
      'Identifier:c',
      'GreaterEqual:>=',
      'Identifier:d',
    ]);
  });
});

describe('expression grammar', () => {
  it('groups subtraction and division to the left', () => {
    expect(grouping(parsed('a - b - c'))).toBe('((a - b) - c)');
    expect(grouping(parsed('a / b * c % d'))).toBe('(((a / b) * c) % d)');
  });

  it('binds * before +, + before comparisons, comparisons before not, and, or', () => {
    expect(grouping(parsed('a + b * c'))).toBe('(a + (b * c))');
    expect(grouping(parsed('not a = b + 1 and c < d or e > 2'))).toBe(
      '(((not (a = (b + 1))) and (c < d)) or (e > 2))',
    );
    expect(grouping(parsed('-x * y'))).toBe('((-x) * y)');
  });

  it('keeps parentheses, calls and their arguments', () => {
    expect(grouping(parsed('(a + b) * max(c, -d, 2)'))).toBe('((a + b) * max(c, (-d), 2))');
    expect(parsed('(a)').kind).toBe('paren');
  });

  it('lets an expression name keyword columns and call log', () => {
    expect(grouping(parsed('tracking = ring and log(vm) > 1'))).toBe(
      '((tracking = ring) and (log(vm) > 1))',
    );
  });

  it('goes on on the next line after a trailing operator, and fmt joins the lines', () => {
    const text = 'let x = pages_sent *\n  2 +\n  total_ms\nlet y = 1';
    const { ast, diagnostics } = parseProgram(text);
    expect(diagnostics).toEqual([]);
    expect(ast.statements).toHaveLength(2);
    const s = ast.statements[0];
    if (s?.kind !== 'let') throw new Error('not a let');
    expect(grouping(s.expr)).toBe('((pages_sent * 2) + total_ms)');
    expect(format(text).text).toBe('let x = pages_sent * 2 + total_ms\nlet y = 1\n');
    // Its twin: without the operator the line ends the statement.
    expect(parseProgram('let x = pages_sent\n  2').diagnostics).not.toEqual([]);
  });

  it('reports a comparison chain as a syntax error', () => {
    const { diagnostics } = parseProgram('let x = a < b < c');
    expect(diagnostics.map((d) => d.code)).toEqual(['syntax-error']);
  });
});

describe('expression compiler', () => {
  it('converts a number with a unit to the unit of the column it meets', () => {
    expect(whereOf('table summary where downtime_ms < 1s')).toEqual({
      kind: 'binary',
      op: '<',
      left: { kind: 'column', name: 'downtime_ms' },
      right: { kind: 'number', value: 1000, unit: 's' },
    });
    expect(whereOf('table summary where 10Gbit/s <= mbps')).toMatchObject({
      left: { kind: 'number', value: 10_000, unit: 'Gbit/s' },
    });
  });

  it('scales a column in another unit of the same dimension to the first', () => {
    expect(whereOf('table timeline where time_s > stall_fast_fault_ms')).toEqual({
      kind: 'binary',
      op: '>',
      left: { kind: 'column', name: 'time_s' },
      right: {
        kind: 'binary',
        op: '*',
        left: { kind: 'column', name: 'stall_fast_fault_ms' },
        right: { kind: 'number', value: 0.001 },
      },
    });
  });

  it('reads a bare word compared with a text column as text, on either side', () => {
    const text = { kind: 'text', value: 'completed' };
    expect(whereOf('table summary where status = completed')).toMatchObject({ right: text });
    expect(whereOf('table summary where completed = status')).toMatchObject({ left: text });
    expect(whereOf('table summary where status != "completed"')).toMatchObject({ right: text });
  });

  it('reads a bare word that names a column as the column: against text, it says to quote it', () => {
    const sweep = (where: string): CompileResult =>
      compile(
        `${BASE}\ntracking pml { dirty_log manual, pml off }\nsweep db with [pml, ring], fast\ntable summary where ${where}\n`,
      );
    for (const where of ['tracking = pml', 'pml != tracking', 'status = iterations']) {
      const [d, ...more] = sweep(where).diagnostics;
      const word = where.includes('iterations') ? 'iterations' : 'pml';
      const other = where.includes('iterations') ? 'status' : 'tracking';
      expect(more).toEqual([]);
      expect(d).toMatchObject({
        code: 'word-names-column',
        column: 'table summary where '.length + where.indexOf(word) + 1,
        hint: `Write "${word}" in quotes to compare ${other} with the text ${word}.`,
      });
    }
    expect(sweep('tracking = pml').diagnostics[0]?.message).toContain('the column pml (on or off)');
    // Its twins: quoted, the text; a column against a column of its type, the column.
    expect(sweep('tracking = "pml"').diagnostics).toEqual([]);
    expect(sweep('pml = on').diagnostics).toEqual([]);
    expect(sweep('tracking = vm').diagnostics).toEqual([]);
  });

  it('names flags and conditions by on and off, the words for them, and reads true as no word', () => {
    const sweep = (where: string): CompileResult =>
      compile(
        `${BASE}\ntracking logged { dirty_log manual, pml [on, off] }\nsweep db with logged, fast\ntable summary where ${where}\n`,
      );
    expect(sweep('pml = true').diagnostics).toMatchObject([
      {
        code: 'unknown-column',
        message: "'true' names no column here, and flags and conditions are written on and off.",
        hint: 'Write `on`, as tables show them (`where pml = on`).',
      },
    ]);
    expect(sweep('(total_ms > 1ms) = false').diagnostics[0]?.hint).toMatch(/^Write `off`/);
    expect(sweep('iterations = on').diagnostics).toMatchObject([
      { code: 'type-mismatch', message: 'Cannot compare a number with on or off.' },
    ]);
    // Their twins; and beside a text column, true is text like any bare word.
    expect(sweep('pml = on').diagnostics).toEqual([]);
    expect(sweep('(total_ms > 1ms) = off').diagnostics).toEqual([]);
    expect(sweep('status != true').diagnostics).toEqual([]);
  });

  it('compiles on/off, if() and the functions', () => {
    const r = lab(
      'let slow_ms = if(downtime_ms > 300ms, downtime_ms, 0)\nlet tiny = round(log10(abs(total_ms - 1s) + 1))',
    );
    expect(r.diagnostics).toEqual([]);
    expect(bare(r.program.lets?.[0].expr)).toEqual({
      kind: 'call',
      fn: 'if',
      args: [
        {
          kind: 'binary',
          op: '>',
          left: { kind: 'column', name: 'downtime_ms' },
          right: { kind: 'number', value: 300, unit: 'ms' },
        },
        { kind: 'column', name: 'downtime_ms' },
        { kind: 'number', value: 0 },
      ],
    });
    expect(r.program.lets?.map((l) => l.name)).toEqual(['slow_ms', 'tiny']);
  });

  it('converts a lone number with a unit to the unit a let names', () => {
    const r = lab('let budget_us = 1.5ms');
    expect(r.diagnostics).toEqual([]);
    expect(bare(r.program.lets?.[0].expr)).toEqual({ kind: 'number', value: 1500, unit: 'ms' });
    expect(lab('let budget = 1.5ms').diagnostics.map((d) => d.code)).toEqual(['wrong-unit']);
  });

  it('needs a condition where a condition goes, and says what it got', () => {
    const r = lab('expect summary: downtime_ms');
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      'The condition of an expect must be true or false; this is a number.',
    ]);
    expect(lab('expect summary: downtime_ms > 0').diagnostics).toEqual([]);
  });

  it('reports an unknown column once, at its place, with did-you-mean', () => {
    const r = lab('table summary, iterations where pagse_sent > 0');
    expect(r.diagnostics).toMatchObject([
      {
        code: 'unknown-column',
        message: "Unknown column 'pagse_sent' in the summary table. Did you mean 'pages_sent'?",
        column: 33,
      },
    ]);
  });

  it('reports a column one of several tables lacks', () => {
    const r = lab('table summary, iterations where downtime_ms > 0');
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      "Unknown column 'downtime_ms' in the iterations table.",
    ]);
  });
});

describe('let', () => {
  it('may name a let defined later in the text, and comes out after it', () => {
    const r = lab('let b_ms = a_ms + 1ms\nlet a_ms = total_ms * 2');
    expect(r.diagnostics).toEqual([]);
    expect(r.program.lets?.map((l) => l.name)).toEqual(['a_ms', 'b_ms']);
    expect(bare(r.program.lets?.[1].expr)).toMatchObject({
      right: { kind: 'number', value: 1 },
    });
  });

  it('carries lets to later cells, where a redefinition replaces', () => {
    const one = lab('let a_ms = total_ms * 2');
    const two = compile('let b_ms = a_ms + 1', { scope: one.scope });
    expect(two.diagnostics).toEqual([]);
    expect(two.program.lets?.map((l) => l.name)).toEqual(['a_ms', 'b_ms']);
    const three = compile('let a_ms = setup_ms', { scope: two.scope });
    expect(three.diagnostics).toEqual([]);
    expect(three.program.lets?.map((l) => `${l.name}=${JSON.stringify(bare(l.expr))}`)).toEqual([
      'a_ms={"kind":"column","name":"setup_ms"}',
      'b_ms={"kind":"binary","op":"+","left":{"kind":"column","name":"a_ms"},"right":{"kind":"number","value":1}}',
    ]);
  });

  it('reports a cycle through an earlier cell, and not one that is not there', () => {
    const one = lab('let a_ms = total_ms * 2\nlet b_ms = a_ms + 1');
    const cyclic = compile('let a_ms = b_ms * 2', { scope: one.scope });
    expect(cyclic.diagnostics).toMatchObject([
      { code: 'let-cycle', message: '`let a_ms` uses itself: a_ms -> b_ms -> a_ms.', line: 1 },
    ]);
    expect(compile('let c_ms = b_ms * 2', { scope: one.scope }).diagnostics).toEqual([]);
  });

  it('reports a let that uses itself directly, once', () => {
    expect(lab('let a = a + 1').diagnostics.map((d) => d.message)).toEqual([
      '`let a` uses itself: a -> a.',
    ]);
  });

  it('says nothing more about a let that names a broken one', () => {
    const r = lab('let a = nosuch + 1\nlet b = a * 2');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['unknown-column']);
  });

  it('says nothing more where an output names a let with an error: the let is reported once', () => {
    const uses = [
      'table summary with sent_mib, total_ms',
      'table summary by sent_mib n',
      'table summary mean sent_mib',
      'plot sent_mib over total_ms',
      'plot total_ms over sent_mib',
      'expect summary by seed mean sent_mib: mean_sent_mib > 1',
      'export summary by seed mean sent_mib to "t.md" as markdown',
    ].join('\n');
    const broken = lab(`let sent_mib = transfered_bytes / 1MiB\n${uses}`);
    expect(broken.diagnostics).toMatchObject([
      {
        code: 'unknown-column',
        message:
          "Unknown column 'transfered_bytes' in the results. Did you mean 'transferred_bytes'?",
      },
    ]);
    // Its twin: the let fixed, every output compiles.
    expect(lab(`let sent_mib = transferred_bytes / 1MiB\n${uses}`).diagnostics).toEqual([]);
  });

  it('suggests the column an unknown name lacks only the unit suffix of', () => {
    for (const text of [
      'table summary mean downtime',
      'table summary with downtime',
      'table summary where downtime > 1ms',
      'plot downtime over total_ms',
    ])
      expect(lab(text).diagnostics[0]?.message, text).toMatch(/ Did you mean 'downtime_ms'\?$/);
    expect(lab('table summary mean downtime_ms').diagnostics).toEqual([]);
  });

  it('is a column of the tables that have every column it uses', () => {
    const r = lab(
      'let r = remaining_pages / 2\ntable timeline where r > 1\ntable summary where r > 1',
    );
    expect(r.diagnostics).toMatchObject([
      {
        code: 'unknown-column',
        message:
          "Unknown column 'r' in the summary table. `let r` uses 'remaining_pages', which it lacks.",
        line: 14,
      },
    ]);
  });

  /** The value `let NAME` of TEXT gives for a row. */
  function letValue(text: string, name: string, row: Record<string, number>): unknown {
    const r = lab(text);
    expect(r.diagnostics).toEqual([]);
    const l = r.program.lets?.find((x) => x.name === name);
    if (!l) throw new Error(`no let ${name}`);
    return evaluator(l.expr)(row);
  }

  it('holds its value in the unit its name gives: a column in another unit is converted', () => {
    expect(letValue('let total_s = total_ms', 'total_s', { total_ms: 1500 })).toBe(1.5);
    expect(letValue('let wait_us = downtime_ms', 'wait_us', { downtime_ms: 2.5 })).toBe(2500);
    // A quantity divided by a count keeps its unit: milliseconds per fault, converted.
    const perFault = 'let fault_us = stall_fast_fault_ms / pf_fast';
    expect(letValue(perFault, 'fault_us', { stall_fast_fault_ms: 3, pf_fast: 2 })).toBe(1500);
    // Its twin: in the unit the name gives already, the value is the column's.
    expect(letValue('let all_ms = total_ms', 'all_ms', { total_ms: 1500 })).toBe(1500);
  });

  it('takes a value multiplied or divided by a plain number as converted by hand', () => {
    const hand = 'let ram_mib = ram_bytes / 1048576';
    expect(letValue(hand, 'ram_mib', { ram_bytes: 2 * 1048576 })).toBe(2);
    const perFault = 'let fault_us = stall_fast_fault_ms * 1000 / pf_fast';
    expect(letValue(perFault, 'fault_us', { stall_fast_fault_ms: 3, pf_fast: 2 })).toBe(1500);
  });

  it('takes a plain number that is not the conversion as arithmetic, and converts after it', () => {
    // Half the migration time, in seconds: not milliseconds labelled seconds.
    expect(letValue('let half_s = total_ms / 2', 'half_s', { total_ms: 3000 })).toBe(1.5);
    expect(letValue('let twice_us = 2 * downtime_ms', 'twice_us', { downtime_ms: 1.5 })).toBe(3000);
    // A power of 1000 or 1024 that is not the conversion is likely a slip: said, as a warning.
    const r = lab('let sent_mib = transferred_bytes / 1000000');
    expect(r.diagnostics).toMatchObject([
      {
        code: 'unit-factor',
        severity: 'warning',
        hint: 'To convert by hand, use `/ 1048576`; or name the let without a unit suffix.',
      },
    ]);
    const l = r.program.lets?.find((x) => x.name === 'sent_mib');
    expect(l && evaluator(l.expr)({ transferred_bytes: 2e6 * 1048576 })).toBe(2);
  });

  it('divides a quantity by a number with a unit of its dimension to a plain number', () => {
    const mib = 'let sent_mib = transferred_bytes / 1MiB';
    expect(letValue(mib, 'sent_mib', { transferred_bytes: 3 * 1048576 })).toBe(3);
    expect(
      letValue('let sent = transferred_bytes / 1MiB', 'sent', { transferred_bytes: 1048576 }),
    ).toBe(1);
    const share = 'let share = stall_fast_fault_ms / time_s';
    expect(letValue(share, 'share', { stall_fast_fault_ms: 500, time_s: 2 })).toBe(0.25);
    expect(lab('expect summary: transferred_bytes / 1MiB > 1').diagnostics).toEqual([]);
  });

  it('multiplies a plain column by a number with a unit into that unit', () => {
    const bytes = 'let sent_bytes = pages_sent * 4KiB';
    expect(letValue(bytes, 'sent_bytes', { pages_sent: 3 })).toBe(12288);
    expect(letValue('let sent_mib = 4KiB * pages_sent', 'sent_mib', { pages_sent: 512 })).toBe(2);
  });

  it('reports a value whose dimension its name contradicts, and how to name it', () => {
    expect(lab('let x_ms = transferred_bytes').diagnostics).toMatchObject([
      {
        code: 'wrong-unit',
        message: '`let x_ms` is a size (in bytes), but its name ends in a unit of a time (ms).',
        hint: 'Name it for what it holds (`let x_bytes = ...`), or without a unit suffix.',
      },
    ]);
    expect(lab('let x_bytes = transferred_bytes').diagnostics).toEqual([]);
  });

  it('says which column a number with a unit could meet, in its own dimension', () => {
    expect(lab('let y = pages_sent / 1ms').diagnostics).toMatchObject([
      {
        code: 'wrong-unit',
        message: "'1ms' has a unit, but nothing here says which unit to convert it to.",
        hint: 'Compare it with, or divide, a column of a time (`downtime_ms > 1ms`, `downtime_ms / 1ms`), or write a plain number.',
      },
    ]);
    expect(lab('let y = downtime_ms / 1ms').diagnostics).toEqual([]);
  });

  it('may not take the name of label or seed', () => {
    const r = lab('let label = 1\nlet seed = 2');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['let-shadows-column', 'let-shadows-column']);
  });
});

describe('table', () => {
  it('groups and aggregates, naming each aggregate after its op and column', () => {
    const r = lab(
      'table summary where status = completed by tracking, vm mean downtime_ms, stdev downtime_ms, p95 total_ms, ci95 total_ms, n with tracking, p95_total_ms, n',
    );
    expect(r.diagnostics).toEqual([]);
    const o = r.program.outputs[0];
    expect(o).toMatchObject({
      kind: 'table',
      views: ['summary'],
      by: ['tracking', 'vm'],
      columns: ['tracking', 'p95_total_ms', 'n'],
      line: 12,
    });
    if (o.kind !== 'table') return;
    expect(o.aggregates?.map((a) => ({ ...a, span: undefined }))).toEqual([
      { op: 'mean', column: 'downtime_ms', name: 'mean_downtime_ms', span: undefined },
      { op: 'stdev', column: 'downtime_ms', name: 'stdev_downtime_ms', span: undefined },
      { op: 'percentile', p: 95, column: 'total_ms', name: 'p95_total_ms', span: undefined },
      { op: 'ci95', column: 'total_ms', name: 'ci95_total_ms', span: undefined },
      { op: 'n', name: 'n', span: undefined },
    ]);
  });

  it('asks for every column with `all` after the views, with or without a where', () => {
    const r = lab('table summary all where status = completed\ntable summary, iterations');
    expect(r.diagnostics).toEqual([]);
    expect(r.program.outputs[0]).toMatchObject({ kind: 'table', views: ['summary'], all: true });
    expect(r.program.outputs[1]).not.toHaveProperty('all');
    expect(lab('table all summary').diagnostics.map((d) => d.severity)).toContain('error');
  });

  it('groups without aggregates, showing n', () => {
    const r = lab('table summary by tracking with tracking, n');
    expect(r.diagnostics).toEqual([]);
    expect(r.program.outputs[0]).toEqual({
      kind: 'table',
      views: ['summary'],
      by: ['tracking'],
      columns: ['tracking', 'n'],
      line: 12,
    });
  });

  it('keeps a table without clauses as it was', () => {
    expect(lab('table summary, stale').program.outputs).toEqual([
      { kind: 'table', views: ['summary', 'stale'], line: 12 },
    ]);
  });

  it('takes a percentile from p1 to p99 only', () => {
    expect(lab('table summary p99 total_ms, p1 total_ms').diagnostics).toEqual([]);
    expect(lab('table summary p100 total_ms').diagnostics.map((d) => d.code)).toEqual([
      'unknown-value',
    ]);
  });

  it('aggregates a let, in the unit its name gives', () => {
    const r = lab(
      'let fault_us = stall_fast_fault_ms * 1000 / pf_fast\ntable summary mean fault_us',
    );
    expect(r.diagnostics).toEqual([]);
  });
});

describe('plot', () => {
  const sweep = `${BASE}\nsweep db with [manual, ring], fast seeds 1..3`;

  it('checks a later text against the runs of the last text that ran, not of earlier ones', () => {
    // The kernel renders a cell's outputs from the last cell that ran something.
    const one = compile(`${sweep}`);
    const two = compile(
      'migration fam { bandwidth [1Gbit/s, 10Gbit/s] }\nsweep db with manual, fam',
      {
        scope: one.scope,
      },
    );
    expect(two.diagnostics).toEqual([]);
    // `tracking` varied in the first sweep only: the plot need not place it.
    const three = compile('plot downtime_ms over bandwidth', { scope: two.scope });
    expect(three.diagnostics).toEqual([]);
    // Its twin: over the first sweep's runs, `tracking` must be placed.
    const beside = compile('plot downtime_ms over seed', { scope: one.scope });
    expect(beside.diagnostics.map((d) => d.code)).toEqual(['unplotted-axis']);
  });

  it('draws across runs over a column, grouped and faceted, with its options', () => {
    const r = compile(
      `${sweep}\nplot downtime_ms, total_ms over seed by tracking facet vm where status = completed as scatter error se log y`,
    );
    expect(r.diagnostics).toEqual([]);
    const o = r.program.outputs[0];
    expect(o).toMatchObject({
      kind: 'plot',
      y: 'downtime_ms',
      x: 'seed',
      table: 'summary',
      xColumn: 'seed',
      yColumn: 'downtime_ms',
      yColumns: ['downtime_ms', 'total_ms'],
      by: ['tracking'],
      facet: 'vm',
      mark: 'scatter',
      error: 'se',
      log: 'y',
      line: 12,
    });
  });

  it('allows a swept column held to one value by where', () => {
    expect(
      compile(`${sweep}\nplot downtime_ms over seed where tracking = ring`).diagnostics,
    ).toEqual([]);
    expect(compile(`${sweep}\nplot downtime_ms over tracking`).diagnostics).toEqual([]);
  });

  it('keeps plots over time and iteration, now with by', () => {
    const r = compile(`${sweep}\nplot remaining over time by tracking\nplot dirty over iteration`);
    expect(r.diagnostics).toEqual([]);
    expect(r.program.outputs).toEqual([
      {
        kind: 'plot',
        y: 'remaining',
        x: 'time',
        table: 'timeline',
        xColumn: 'time_s',
        yColumn: 'remaining_pages',
        by: ['tracking'],
        line: 12,
      },
      {
        kind: 'plot',
        y: 'dirty',
        x: 'iteration',
        table: 'iterations',
        xColumn: 'iteration',
        yColumn: 'dirty_pages_synced',
        line: 13,
      },
    ]);
  });

  it('draws the guest progress only when asked: plot progress', () => {
    const r = compile(`${sweep}\nplot progress\nplot progress over time`);
    expect(r.diagnostics).toEqual([]);
    expect(r.program.outputs.map((o) => o.kind)).toEqual(['progress', 'plot']);
  });

  it('needs a number to plot', () => {
    expect(lab('plot status over total_ms').diagnostics.map((d) => d.message)).toEqual([
      "Cannot plot 'status': it holds text.",
    ]);
  });
});

describe('expect', () => {
  it('keeps the statement as written, the quantifier and the query', () => {
    const text = 'expect any summary where tracking = manual: stale_pages = 0';
    const r = lab(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.program.outputs[0]).toMatchObject({
      kind: 'expect',
      quantifier: 'any',
      view: 'summary',
      text,
      line: 12,
    });
  });

  it('checks an aggregated condition against the grouped columns', () => {
    const r = lab(
      'expect summary by tracking mean downtime_ms, n: mean_downtime_ms < 1s and n >= 1',
    );
    expect(r.diagnostics).toEqual([]);
    const o = r.program.outputs[0];
    expect(o).toMatchObject({ quantifier: 'all', by: ['tracking'] });
    expect(
      lab('expect summary by tracking mean downtime_ms: downtime_ms < 1s').diagnostics.map(
        (d) => d.message,
      ),
    ).toEqual(["Unknown column 'downtime_ms' in the grouped summary table."]);
  });
});

describe('fmt of the new statements', () => {
  it('prints each form canonically', () => {
    const text = [
      'let  fault_us=stall_fast_fault_ms*1000/( pf_fast+1 )',
      'let x = - total_ms  %  2',
      'table summary  where status=completed and not(downtime_ms>=1s)  by tracking ,vm  mean downtime_ms,n  with tracking,n',
      'plot downtime_ms,total_ms over seed log y  error ci95 as bar where tracking=ring facet vm by tracking',
      'plot   progress',
      'expect any summary where tracking=ring:stale_pages=0',
      'expect summary:max( total_ms ,1s )>0',
    ].join('\n');
    expect(format(text).text).toBe(
      [
        'let fault_us = stall_fast_fault_ms * 1000 / (pf_fast + 1)',
        'let x = -total_ms % 2',
        'table summary where status = completed and not (downtime_ms >= 1s) by tracking, vm mean downtime_ms, n with tracking, n',
        'plot downtime_ms, total_ms over seed log y error ci95 as bar where tracking = ring facet vm by tracking',
        'plot progress',
        'expect any summary where tracking = ring: stale_pages = 0',
        'expect summary: max(total_ms, 1s) > 0',
        '',
      ].join('\n'),
    );
  });
});

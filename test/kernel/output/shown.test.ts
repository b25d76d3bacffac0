import { describe, expect, it } from 'vitest';
import type { CompiledOutput, ExpectOutput, Expr } from '../../../dsl/compile.ts';
import type { ExperimentRun } from '../../../kernel/experiment/experiments.ts';
import { shownByExperiment } from '../../../kernel/output/shown.ts';
import type { ExperimentShown } from '../../../kernel/output/shown.ts';
import { handExperiment, nameAxis } from '../../helpers/experiments.ts';

const span = { line: 1, column: 1, offset: 0, length: 1 };
const text = (value: string): Expr => ({ kind: 'text', value, span });
const num = (value: number): Expr => ({ kind: 'number', value, span });
const col = (name: string): Expr => ({ kind: 'column', name, span });
const eq = (l: Expr, r: Expr): Expr => ({ kind: 'binary', op: '=', left: l, right: r, span });

/** A one-run experiment of tracking `name`, written on `line`. */
function experiment(name: string, line: number): ExperimentRun {
  const e = handExperiment(
    [nameAxis('tracking', [name])],
    [{ params: { tracking: name }, seed: 1, summary: { stale_pages: 0 } }],
  );
  return { ...e, line, statement: `run ${name}` };
}

const table = (line: number): CompiledOutput => ({ kind: 'table', views: ['summary'], line });
const expectation = (line: number, where?: Expr): ExpectOutput => ({
  kind: 'expect',
  quantifier: 'all',
  view: 'summary',
  ...(where === undefined ? {} : { where }),
  condition: eq(col('stale_pages'), num(0)),
  text: 'expect summary: stale_pages = 0',
  line,
});

/** Per experiment (by statement): the lines of the outputs it shows, and whether each passed. */
function shape(shown: ExperimentShown[]): Record<string, string[]> {
  return Object.fromEntries(
    shown.map(({ experiment: e, items }) => [
      e.statement,
      items.map((i) =>
        i.kind === 'expect'
          ? `expect ${i.result.output.line} ${i.result.pass ? 'pass' : 'fail'}`
          : i.kind,
      ),
    ]),
  );
}

describe('shownByExperiment', () => {
  const a = experiment('bitmap', 1);
  const b = experiment('ring', 2);
  const c = experiment('pml', 5);

  it('applies an output to the experiments it follows, as a cell its own runs', () => {
    const outputs = [table(3), expectation(4), table(6)];
    expect(shape(shownByExperiment([a, b, c], outputs))).toEqual({
      'run bitmap': ['table', 'expect 4 pass'],
      'run ring': ['table', 'expect 4 pass'],
      'run pml': ['table'],
    });
  });

  it('applies outputs written before any experiment to the first ones', () => {
    const first = experiment('bitmap', 2);
    expect(shape(shownByExperiment([first, c], [table(1), expectation(3)]))).toEqual({
      'run bitmap': ['table', 'expect 3 pass'],
      'run pml': [],
    });
  });

  it("applies every output to an earlier cell's experiments", () => {
    expect(shape(shownByExperiment([a, c], [table(3)], [], false))).toEqual({
      'run bitmap': ['table'],
      'run pml': ['table'],
    });
  });

  it('checks an expect whose where selects one experiment of those it follows on that one only', () => {
    const ring = expectation(4, eq(col('tracking'), text('ring')));
    expect(shape(shownByExperiment([a, b], [ring]))).toEqual({
      'run bitmap': [],
      'run ring': ['expect 4 pass'],
    });
  });

  it('fails an expect whose where selects no row of any experiment it follows (the twin)', () => {
    const none = expectation(4, eq(col('tracking'), text('shadow')));
    expect(shape(shownByExperiment([a, b], [none]))).toEqual({
      'run bitmap': ['expect 4 fail'],
      'run ring': ['expect 4 fail'],
    });
  });
});

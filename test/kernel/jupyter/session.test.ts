import { describe, expect, it } from 'vitest';
import { PlanFailed } from '../../../kernel/experiment/runner.ts';
import type { PlanRunner, RunnerOutcome } from '../../../kernel/experiment/runner.ts';
import { MmulabSession } from '../../../kernel/jupyter/session.ts';
import type { CellOutput } from '../../../kernel/jupyter/session.ts';

/** A cell with one plan; the runner below decides what becomes of it. */
const CELL = `vm a {
  vcpus 2
  slot s at 0 size 64MiB
}
tracking r { dirty_log ring 1024 }
migration q { bandwidth 10Gbit/s, downtime 300ms }
run a with r, q seed 1`;

/** A runner whose every run fails as the engine would fail with `errorName`. */
function failingRunner(errorName: string): PlanRunner {
  return {
    run: (): Promise<RunnerOutcome> =>
      Promise.reject(new PlanFailed('a/r/q/seed=1', errorName, 'what the engine said')),
    close: () => Promise.resolve(),
  };
}

const quiet: CellOutput = {
  stream: () => undefined,
  display: () => undefined,
  updateDisplay: () => undefined,
  clear: () => undefined,
};

describe('MmulabSession: a plan the engine rejects', () => {
  it.each(['KvmError', 'PlanError', 'SimInvariantError', 'Error'])(
    'names the error by the engine error’s class (%s)',
    async (errorName) => {
      const session = new MmulabSession(failingRunner(errorName));
      const outcome = await session.execute(CELL, quiet);
      expect(outcome).toMatchObject({
        status: 'error',
        error: { ename: errorName, evalue: 'what the engine said' },
      });
    },
  );
});

describe('MmulabSession: a cell with many errors', () => {
  it('shows the first 20 in the traceback and counts the rest', async () => {
    const session = new MmulabSession(failingRunner('Error'));
    const outcome = await session.execute('vm a { vcpus 4 }\n'.repeat(25), quiet);
    if (outcome.status !== 'error') throw new Error('expected an error');
    expect(outcome.error.evalue).toBe("line 1:4: vm 'a' has no 'slot'. (and 24 more errors)");
    const shown = outcome.error.traceback.filter((l) => l.includes('<input>:'));
    expect(shown).toHaveLength(20);
    expect(outcome.error.traceback.at(-1)).toBe('... and 5 more errors in <input>, not shown.');
  });
});

describe('%who', () => {
  it('lists the definitions, then the lets with their expressions', async () => {
    const session = new MmulabSession(failingRunner('KvmError'));
    const defs = CELL.replace('run a with r, q seed 1', '');
    await session.execute(
      `${defs}\nlet sent_per_ms = pages_sent / total_ms\nlet slow = if(downtime_ms > 0.3s, 1, 0)`,
      quiet,
    );
    const who = await session.execute('%who', quiet);
    expect(who).toMatchObject({
      status: 'ok',
      result: {
        data: {
          'text/plain': [
            'vm a',
            'tracking r',
            'migration q',
            'let sent_per_ms = pages_sent / total_ms',
            'let slow = if(downtime_ms > 0.3s, 1, 0)',
          ].join('\n'),
        },
      },
    });
  });
});

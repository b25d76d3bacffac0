import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../../../kernel/experiment/pool-runner.ts';

describe("a pool's threads start with this process's Node options", () => {
  it('less the ones that preload tsx, written any way Node takes them', () => {
    expect(workerExecArgv(['--import', 'tsx'])).toEqual([]);
    expect(workerExecArgv(['--import=tsx'])).toEqual([]);
    expect(workerExecArgv(['--import', 'tsx/esm', '--require=tsx/cjs'])).toEqual([]);
    expect(workerExecArgv(['--loader', 'tsx', '--experimental-loader=tsx'])).toEqual([]);
    expect(workerExecArgv(['-r', 'tsx/cjs'])).toEqual([]);
    // What the `tsx` command passes to node.
    expect(
      workerExecArgv([
        '--require',
        '/repo/node_modules/tsx/dist/preflight.cjs',
        '--import',
        'file:///repo/node_modules/tsx/dist/loader.mjs',
      ]),
    ).toEqual([]);
  });

  it('keeping every other option, other preloads included, in order', () => {
    const others = [
      '--expose-gc',
      '--import',
      './instrument.mjs',
      '--max-old-space-size=8192',
      '--require=dotenv/config',
      '--cpu-prof',
      '--import',
      'tsxlike',
    ];
    expect(workerExecArgv(others)).toEqual(others);
    expect(
      workerExecArgv(['--expose-gc', '--import', 'tsx', '--cpu-prof', '--import=./a.mjs']),
    ).toEqual(['--expose-gc', '--cpu-prof', '--import=./a.mjs']);
  });
});

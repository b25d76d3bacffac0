import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * eslint.config.js holds kernel/'s layers: the front ends (kernel/cli, kernel/jupyter,
 * kernel/tslab.ts) import nothing from each other, and the library under them
 * (kernel/experiment, kernel/output, kernel/display, kernel/kernelspec.ts) imports no
 * front end. Each case lints a one-line file (a re-export, which the rule checks as
 * it checks an import), as if it stood at `path`, with the project's own configuration.
 */

const eslint = new ESLint({ cwd: join(import.meta.dirname, '..', '..') });

/** The messages of no-restricted-imports for `text` as the file `path`. */
async function restricted(path: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${text}\n`, { filePath: path });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('eslint.config.js: kernel layers', () => {
  it.each([
    ['kernel/cli/x.ts', "export { KernelHandler } from '../jupyter/handler.ts';", 'kernel/jupyter'],
    ['kernel/cli/x.ts', "export { mmu } from '../tslab.ts';", 'kernel/tslab.ts'],
    ['kernel/jupyter/x.ts', "export { main } from '../cli/main.ts';", 'kernel/cli'],
    ['kernel/tslab.ts', "export { main } from './jupyter/main.ts';", 'kernel/jupyter'],
    ['kernel/output/x.ts', "export { main } from '../cli/main.ts';", 'kernel/cli'],
    [
      'kernel/experiment/x.ts',
      "export { htmlTable } from '../output/html-table.ts';",
      'kernel/output',
    ],
    [
      'kernel/experiment/x.ts',
      "export { tableBundle } from '../display/table.ts';",
      'kernel/display',
    ],
  ])('rejects, in %s, %s', async (path, text, named) => {
    const messages = await restricted(path, text);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(named);
  });

  it.each([
    ['kernel/cli/x.ts', "export { runExperiments } from '../experiment/experiments.ts';"],
    ['kernel/jupyter/x.ts', "export { writeExports } from '../output/exports.ts';"],
    ['kernel/jupyter/x.ts', "export { KERNEL_NAME } from '../kernelspec.ts';"],
    ['kernel/tslab.ts', "export { tableBundle } from './display/table.ts';"],
    ['kernel/cli/x.ts', "export { ExitCode } from './io.ts';"],
    ['kernel/output/x.ts', "export { indexedPlans } from '../experiment/plans.ts';"],
  ])('accepts, in %s, %s (the library, or its own folder)', async (path, text) => {
    expect(await restricted(path, text)).toEqual([]);
  });
});

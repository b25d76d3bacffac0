import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { CliIo } from '../../kernel/cli/io.ts';

/** The real `mmulab` command; tests spawn it from temporary directories (it must work from any cwd). */
export const MMULAB_BIN = resolve(import.meta.dirname, '../../bin/mmulab.js');

/** What one `mmulab` invocation printed and how it exited. */
export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `mmulab ...args` in `cwd`; a non-zero exit is returned, not thrown. */
export async function runMmulab(cwd: string, ...args: string[]): Promise<CliOutcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MMULAB_BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      maxBuffer: 64 * 2 ** 20,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout: string; stderr: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** What a command called in-process wrote: its io (kernel/cli/io.ts) and the text so far. */
export interface CapturedIo {
  io: CliIo;
  out: () => string;
  err: () => string;
}

/** An io for calling a command's function directly in `cwd`, keeping what it writes. */
export function capturedIo(cwd: string, env?: CliIo['env']): CapturedIo {
  let out = '';
  let err = '';
  return {
    io: {
      cwd,
      ...(env !== undefined && { env }),
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
    },
    out: () => out,
    err: () => err,
  };
}

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSY_DEFINITIONS, BUSY_RUN, startMmulabKernel } from '../../helpers/mmulab-kernel.ts';
import type { RunningKernel } from '../../helpers/jupyter-client.ts';

/**
 * A busy kernel, as Jupyter starts it: it keeps answering heartbeats, control and
 * interrupts while a huge cell compiles, replies to any cell, and never outlives its
 * client — SIGTERM, SIGHUP and the death of its parent end it whatever it is doing.
 * Every wait is bounded by a generous timeout; nothing here measures time.
 */

/** ~900 KB, every line an error (a vm without a slot): seconds of compiling. */
const SLOW_CELL = 'vm a { vcpus 4 }\n'.repeat(53_000);

/** The cell from the report this comes from: 10 MB of the same line. */
const HUGE_CELL = 'vm a { vcpus 4 }\n'.repeat(590_000);

let dir: string;
const started: RunningKernel[] = [];
const others: ChildProcess[] = [];

async function kernel(env?: NodeJS.ProcessEnv): Promise<RunningKernel> {
  const k = await startMmulabKernel(dir, { env });
  started.push(k);
  return k;
}

/** Send `code` without waiting; resolves with its msg_id once the kernel took it up. */
async function begin(k: RunningKernel, code: string): Promise<string> {
  const id = await k.client.send('execute_request', {
    code,
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: false,
  });
  await k.client.iopubMatching(id, (m) => m.header.msg_type === 'execute_input');
  return id;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmulab-lifetime-'));
});

afterAll(async () => {
  for (const p of others) p.kill('SIGKILL');
  await Promise.all(started.map((k) => k.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('a busy mmulab kernel', () => {
  let shared: RunningKernel;
  beforeAll(async () => {
    shared = await kernel();
  }, 90_000);

  it('answers heartbeats and control while a long cell compiles, and stops it on interrupt', async () => {
    const id = await begin(shared, SLOW_CELL);
    expect(await shared.client.heartbeat('while compiling')).toBe('while compiling');
    const info = await shared.client.request('kernel_info_request', {}, 'control');
    expect(info.reply.content.status).toBe('ok');
    const interrupt = await shared.client.request('interrupt_request', {}, 'control');
    expect(interrupt.reply.content).toEqual({ status: 'ok' });
    expect((await shared.client.reply(id, 'shell', 60_000)).content).toMatchObject({
      status: 'error',
      ename: 'KeyboardInterrupt',
    });
    expect((await shared.client.execute('%echo alive')).reply.content.status).toBe('ok');
  }, 120_000);

  it('replies to a 10 MB cell with an error naming the limit, and stays usable', async () => {
    const r = await shared.client.execute(HUGE_CELL, 60_000);
    expect(r.reply.content).toMatchObject({ status: 'error', ename: 'MmulabError' });
    expect(r.reply.content.evalue).toMatch(/10,030,000 characters; .* up to 1,048,576/);
    expect(await shared.client.heartbeat()).toBe('ping');
    const next = await shared.client.execute('vm a {\n  vcpus 4\n}');
    expect(next.reply.content).toMatchObject({ status: 'error', evalue: /no 'slot'/ });
  }, 120_000);

  it('ends on SIGTERM while a cell compiles', async () => {
    const k = await kernel();
    await begin(k, SLOW_CELL);
    k.process.kill('SIGTERM');
    expect(await exited(k.process)).toMatchObject({ signal: 'SIGTERM' });
  }, 120_000);

  it('ends on SIGHUP while a simulation runs', async () => {
    const k = await kernel();
    expect((await k.client.execute(BUSY_DEFINITIONS)).reply.content.status).toBe('ok');
    const id = await begin(k, BUSY_RUN);
    await k.client.iopubMatching(id, (m) => m.header.msg_type === 'update_display_data');
    k.process.kill('SIGHUP');
    expect(await exited(k.process)).toMatchObject({ signal: 'SIGHUP' });
  }, 120_000);

  it('ends when the process that launched it dies, while a simulation runs', async () => {
    // A stand-in for jupyter_client's launcher, which sets JPY_PARENT_PID to its own pid.
    const parent = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], {
      stdio: 'ignore',
    });
    others.push(parent);
    const k = await kernel({ ...process.env, JPY_PARENT_PID: String(parent.pid) });
    expect((await k.client.execute(BUSY_DEFINITIONS)).reply.content.status).toBe('ok');
    const id = await begin(k, BUSY_RUN);
    await k.client.iopubMatching(id, (m) => m.header.msg_type === 'update_display_data');
    expect(k.process.exitCode).toBeNull();
    parent.kill('SIGKILL');
    expect(await exited(k.process)).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('keeps running while the process that launched it lives', async () => {
    const parent = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], {
      stdio: 'ignore',
    });
    others.push(parent);
    const k = await kernel({ ...process.env, JPY_PARENT_PID: String(parent.pid) });
    // Several parent polls later, it still answers.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await k.client.execute('%echo alive')).reply.content.status).toBe('ok');
    expect(k.process.exitCode).toBeNull();
  }, 120_000);
});

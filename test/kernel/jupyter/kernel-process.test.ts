import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dealer, Request } from 'zeromq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionInfo } from '../../../kernel/jupyter/protocol.ts';
import { BUSY_DEFINITIONS, BUSY_RUN, startMmulabKernel } from '../../helpers/mmulab-kernel.ts';
import type { KernelMessage, RunningKernel } from '../../helpers/jupyter-client.ts';

/**
 * The kernel as Jupyter starts it (bin/mmulab-kernel.js from a connection file), over
 * real zeromq sockets: what no socket-free test can show — the protocol stays live
 * while a simulation runs, interrupts stop it, and bad messages are dropped.
 */

let dir: string;
let kernel: RunningKernel;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mmulab-kernel-'));
  kernel = await startMmulabKernel(dir);
}, 90_000);

afterAll(async () => {
  await kernel?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function info(): ConnectionInfo {
  return JSON.parse(readFileSync(kernel.connectionFile, 'utf8')) as ConnectionInfo;
}

/** Send `frames` on a fresh DEALER connected to the shell port. */
async function sendRawToShell(frames: (string | Buffer)[]): Promise<void> {
  const c = info();
  const d = new Dealer();
  d.connect(`tcp://${c.ip}:${c.shell_port}`);
  await d.send(frames);
  await new Promise((r) => setTimeout(r, 100));
  d.close();
}

async function heartbeat(): Promise<string> {
  const c = info();
  const req = new Request();
  req.receiveTimeout = 5_000;
  req.connect(`tcp://${c.ip}:${c.hb_port}`);
  await req.send('ping');
  const [echo] = await req.receive();
  req.close();
  return echo!.toString();
}

/** Wait for the first iopub message of request `msgId` that `match`es. */
async function waitFor(msgId: string, match: (m: KernelMessage) => boolean): Promise<void> {
  const client = kernel.client as unknown as {
    inboxes: {
      iopub: {
        take: (f: (m: KernelMessage) => boolean, t: number, w: string) => Promise<KernelMessage>;
      };
    };
  };
  await client.inboxes.iopub.take(
    (m) => m.parent_header.msg_id === msgId && match(m),
    60_000,
    'progress',
  );
}

/** Send the endless cell and resolve with its msg_id once its first progress update arrived. */
async function startEndlessRun(): Promise<string> {
  const id = await kernel.client.send('execute_request', {
    code: BUSY_RUN,
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: false,
  });
  await waitFor(id, (m) => m.header.msg_type === 'update_display_data');
  return id;
}

describe('mmulab kernel process', () => {
  it('echoes heartbeats', async () => {
    expect(await heartbeat()).toBe('ping');
  });

  it('drops a message with a bad signature without executing it, and keeps serving', async () => {
    const header = {
      msg_id: 'forged-1',
      session: 's',
      username: 'u',
      date: new Date().toISOString(),
      msg_type: 'execute_request',
      version: '5.3',
    };
    const content = {
      code: '%echo forged',
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
    };
    await sendRawToShell([
      '<IDS|MSG>',
      'f'.repeat(64),
      JSON.stringify(header),
      '{}',
      '{}',
      JSON.stringify(content),
    ]);
    await sendRawToShell([
      '<IDS|MSG>',
      '',
      JSON.stringify(header),
      '{}',
      '{}',
      JSON.stringify(content),
    ]);
    const after = await kernel.client.execute('%echo genuine');
    expect(after.reply.content.status).toBe('ok');
    expect(kernel.stderr()).toMatch(/dropped a shell message: invalid signature/);
    expect(kernel.stderr()).toMatch(/dropped a shell message: missing signature/);
    await expect(kernel.client.reply('forged-1', 'shell', 500)).rejects.toThrow(/timed out/);
  });

  it('executes a correctly signed message sent twice once, and logs the replay', async () => {
    const c = info();
    const header = {
      msg_id: `replayed-${Date.now()}`,
      session: 's',
      username: 'u',
      date: new Date().toISOString(),
      msg_type: 'execute_request',
      version: '5.3',
    };
    const json = [header, {}, {}, { code: '%echo once', silent: false, store_history: true }].map(
      (o) => Buffer.from(JSON.stringify(o)),
    );
    const hmac = createHmac('sha256', c.key);
    for (const f of json) hmac.update(f);
    const frames = ['<IDS|MSG>', hmac.digest('hex'), ...json];
    const d = new Dealer();
    d.receiveTimeout = 3_000;
    d.connect(`tcp://${c.ip}:${c.shell_port}`);
    await d.send(frames);
    await d.send(frames);
    const replies: string[] = [];
    try {
      for (;;) {
        const reply = await d.receive();
        const at = reply.findIndex((f) => f.toString() === '<IDS|MSG>');
        replies.push((JSON.parse(reply[at + 3]!.toString()) as { msg_id: string }).msg_id);
      }
    } catch {
      // receiveTimeout: no more replies.
    }
    d.close();
    expect(replies).toEqual([header.msg_id]);
    expect(kernel.stderr()).toMatch(/dropped a shell message: duplicate signature/);
  });

  it('survives malformed frames', async () => {
    await sendRawToShell(['garbage']);
    await sendRawToShell(['<IDS|MSG>', 'x']);
    const r = await kernel.client.request('kernel_info_request', {});
    expect(r.reply.content.status).toBe('ok');
    expect(kernel.stderr()).toMatch(/no <IDS\|MSG> delimiter/);
  });

  it('stops a long run on interrupt_request, answering heartbeats meanwhile, and stays usable', async () => {
    expect((await kernel.client.execute(BUSY_DEFINITIONS)).reply.content.status).toBe('ok');
    const id = await startEndlessRun();
    expect(await heartbeat()).toBe('ping');
    const interrupt = await kernel.client.request('interrupt_request', {}, 'control');
    expect(interrupt.reply.content).toEqual({ status: 'ok' });
    const reply = await kernel.client.reply(id, 'shell', 60_000);
    expect(reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    const who = await kernel.client.execute('%who');
    const result = who.iopub.find((m) => m.header.msg_type === 'execute_result');
    expect((result?.content.data as Record<string, string>)['text/plain']).toContain('vm big');
  }, 120_000);

  it('accepts interrupt_request on the shell channel while a cell runs', async () => {
    const id = await startEndlessRun();
    const interrupt = await kernel.client.send('interrupt_request', {}, 'shell');
    expect((await kernel.client.reply(interrupt, 'shell')).content).toEqual({ status: 'ok' });
    expect((await kernel.client.reply(id, 'shell', 60_000)).content).toMatchObject({
      ename: 'KeyboardInterrupt',
    });
  }, 120_000);

  it('stops a long run on SIGINT (interrupt_mode signal) and keeps the kernel', async () => {
    const id = await startEndlessRun();
    kernel.process.kill('SIGINT');
    expect((await kernel.client.reply(id, 'shell', 60_000)).content).toMatchObject({
      ename: 'KeyboardInterrupt',
    });
    expect((await kernel.client.execute('%echo alive')).reply.content.status).toBe('ok');
  }, 120_000);

  it('exits after a shutdown_request', async () => {
    const local = await startMmulabKernel(dir);
    const exited = new Promise<number | null>((resolve) =>
      local.process.once('exit', (code) => resolve(code)),
    );
    const r = await local.client.request('shutdown_request', { restart: false }, 'control');
    expect(r.reply.content).toEqual({ status: 'ok', restart: false });
    expect(await exited).toBe(0);
    local.client.close();
  }, 90_000);
});

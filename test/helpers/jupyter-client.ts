import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Dealer, Request, Subscriber } from 'zeromq';
import type { ConnectionInfo } from '../../kernel/jupyter/protocol.ts';

/**
 * A small Jupyter client for tests and benchmarks, independent of the kernel's own
 * wire code (so a bug there is not mirrored here): it writes a connection file,
 * starts a kernel from a kernelspec argv, and talks to it over ZeroMQ with HMAC-SHA256
 * signed messages (jupyter_client docs/messaging.rst, "The Wire Protocol", 5.3).
 *
 *   const kernel = await startKernel(argv, tmpDir);
 *   const { reply, iopub } = await kernel.client.request('execute_request', { code: '%who' });
 *   await kernel.stop();
 */

const DELIMITER = '<IDS|MSG>';
const PROTOCOL_VERSION = '5.3';

export type RequestChannel = 'shell' | 'control';

export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** A message as received: the four JSON frames parsed. */
export interface KernelMessage {
  header: MessageHeader;
  /** The request's header on replies and iopub messages it caused; `{}` otherwise. */
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
}

/** A reply and every iopub message its request caused, busy through idle. */
export interface Exchange {
  reply: KernelMessage;
  iopub: KernelMessage[];
}

/** Free TCP ports on 127.0.0.1, found by binding port 0 (the kernel binds them next). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Write a connection file with fresh ports and a random key into `dir`. */
export async function writeConnectionFile(
  dir: string,
): Promise<{ file: string; info: ConnectionInfo }> {
  const [shell, iopub, stdin, control, hb] = await freePorts(5);
  const info: ConnectionInfo = {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: shell!,
    iopub_port: iopub!,
    stdin_port: stdin!,
    control_port: control!,
    hb_port: hb!,
    key: randomBytes(16).toString('hex'),
    signature_scheme: 'hmac-sha256',
    kernel_name: 'mmulab',
  };
  const file = join(dir, `kernel-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(info, null, 2));
  return { file, info };
}

/** Messages of one socket, queued until someone asks for them. */
class Inbox {
  private readonly queue: KernelMessage[] = [];
  private waiters: (() => void)[] = [];
  private closedWith: Error | undefined;

  push(m: KernelMessage): void {
    this.queue.push(m);
    this.wake();
  }

  close(why: Error): void {
    this.closedWith = why;
    this.wake();
  }

  /** The first queued message that `match`es, removed; waits up to `timeoutMs`. */
  async take(match: (m: KernelMessage) => boolean, timeoutMs: number, what: string) {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const at = this.queue.findIndex(match);
      if (at >= 0) return this.queue.splice(at, 1)[0]!;
      if (this.closedWith) throw this.closedWith;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** A connected client: shell and control DEALERs and an iopub SUBSCRIBER. */
export class JupyterClient {
  /** Messages whose signature did not verify; a conforming kernel leaves this empty. */
  readonly badSignatures: string[] = [];
  private readonly session = randomUUID();
  private readonly inboxes = { shell: new Inbox(), control: new Inbox(), iopub: new Inbox() };
  private readonly sockets: { shell: Dealer; control: Dealer; iopub: Subscriber };

  private constructor(
    private readonly info: ConnectionInfo,
    iopub: boolean,
  ) {
    this.sockets = { shell: new Dealer(), control: new Dealer(), iopub: new Subscriber() };
    this.sockets.shell.connect(this.url(info.shell_port));
    this.sockets.control.connect(this.url(info.control_port));
    if (iopub) this.joinIopub();
    for (const channel of ['shell', 'control', 'iopub'] as const) void this.receive(channel);
  }

  /**
   * Connect to the kernel of `info`; requests queue in ZeroMQ until it has bound.
   * With `iopub: false` the client subscribes to IOPub only when `joinIopub` is called.
   */
  static connect(info: ConnectionInfo, options: { iopub?: boolean } = {}): JupyterClient {
    return new JupyterClient(info, options.iopub ?? true);
  }

  /** Connect and subscribe the IOPub socket (done by `connect` unless told otherwise). */
  joinIopub(): void {
    this.sockets.iopub.connect(this.url(this.info.iopub_port));
    this.sockets.iopub.subscribe();
  }

  private url(port: number): string {
    return `${this.info.transport}://${this.info.ip}:${port}`;
  }

  /** Send a signed request; returns its msg_id. */
  async send(
    msgType: string,
    content: Record<string, unknown>,
    channel: RequestChannel = 'shell',
  ): Promise<string> {
    const header: MessageHeader = {
      msg_id: randomUUID(),
      session: this.session,
      username: 'mmulab-test',
      date: new Date().toISOString(),
      msg_type: msgType,
      version: PROTOCOL_VERSION,
    };
    const frames = [header, {}, {}, content].map((o) => Buffer.from(JSON.stringify(o)));
    await this.sockets[channel].send([DELIMITER, this.sign(frames), ...frames]);
    return header.msg_id;
  }

  /** The reply to request `msgId` on `channel`. */
  reply(msgId: string, channel: RequestChannel = 'shell', timeoutMs = 30_000) {
    return this.inboxes[channel].take(
      (m) => m.parent_header.msg_id === msgId,
      timeoutMs,
      `the reply to ${msgId} on ${channel}`,
    );
  }

  /** The iopub messages caused by request `msgId`, up to and including `status: idle`. */
  async iopubUntilIdle(msgId: string, timeoutMs = 30_000): Promise<KernelMessage[]> {
    const out: KernelMessage[] = [];
    while (true) {
      const m = await this.inboxes.iopub.take(
        (x) => x.parent_header.msg_id === msgId,
        timeoutMs,
        `iopub status idle for ${msgId}`,
      );
      out.push(m);
      if (m.header.msg_type === 'status' && m.content.execution_state === 'idle') return out;
    }
  }

  /** Send a request, then wait for its reply and its iopub messages through idle. */
  async request(
    msgType: string,
    content: Record<string, unknown>,
    channel: RequestChannel = 'shell',
    timeoutMs = 30_000,
  ): Promise<Exchange> {
    const id = await this.send(msgType, content, channel);
    const [reply, iopub] = await Promise.all([
      this.reply(id, channel, timeoutMs),
      this.iopubUntilIdle(id, timeoutMs),
    ]);
    return { reply, iopub };
  }

  /** Execute `code`; shorthand for an execute_request with the usual defaults. */
  execute(code: string, timeoutMs = 60_000): Promise<Exchange> {
    return this.request(
      'execute_request',
      { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false },
      'shell',
      timeoutMs,
    );
  }

  /**
   * Wait until the kernel answers kernel_info and its iopub reaches this client (a
   * SUB socket misses what was published before it joined; jupyter_client's
   * wait_for_ready does the same). Returns the first kernel_info_reply.
   */
  async waitForReady(timeoutMs = 30_000): Promise<KernelMessage> {
    const deadline = Date.now() + timeoutMs;
    const first = await this.reply(await this.send('kernel_info_request', {}), 'shell', timeoutMs);
    while (true) {
      const id = await this.send('kernel_info_request', {});
      await this.reply(id, 'shell', Math.max(1, deadline - Date.now()));
      try {
        await this.iopubUntilIdle(id, 200);
        return first;
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
    }
  }

  /** The first iopub message of request `msgId` that `match`es (removed from the inbox). */
  iopubMatching(
    msgId: string,
    match: (m: KernelMessage) => boolean,
    timeoutMs = 60_000,
  ): Promise<KernelMessage> {
    return this.inboxes.iopub.take(
      (m) => m.parent_header.msg_id === msgId && match(m),
      timeoutMs,
      `an iopub message of ${msgId}`,
    );
  }

  /** One heartbeat on a fresh REQ socket: the echo, or a rejection after `timeoutMs`. */
  async heartbeat(payload = 'ping', timeoutMs = 5_000): Promise<string> {
    const req = new Request();
    req.receiveTimeout = timeoutMs;
    req.linger = 0;
    req.connect(`${this.info.transport}://${this.info.ip}:${this.info.hb_port}`);
    try {
      await req.send(payload);
      const [echo] = await req.receive();
      return echo!.toString();
    } finally {
      req.close();
    }
  }

  close(): void {
    for (const s of Object.values(this.sockets)) s.close();
  }

  private sign(frames: readonly Buffer[]): string {
    if (this.info.key === '') return '';
    const hmac = createHmac(this.info.signature_scheme.replace(/^hmac-/, ''), this.info.key);
    for (const f of frames) hmac.update(f);
    return hmac.digest('hex');
  }

  private async receive(channel: 'shell' | 'control' | 'iopub'): Promise<void> {
    const inbox = this.inboxes[channel];
    try {
      for await (const frames of this.sockets[channel]) {
        const at = frames.findIndex(
          (f) => f.length === DELIMITER.length && f.toString() === DELIMITER,
        );
        if (at < 0) continue;
        const signature = frames[at + 1]!.toString();
        const json = frames.slice(at + 2, at + 6);
        const expected = Buffer.from(this.sign(json));
        if (
          expected.length !== signature.length ||
          !timingSafeEqual(expected, Buffer.from(signature))
        ) {
          this.badSignatures.push(`${channel}: ${json[0]?.toString()}`);
          continue;
        }
        const [header, parent_header, metadata, content] = json.map(
          (f) => JSON.parse(f.toString()) as Record<string, unknown>,
        );
        inbox.push({
          header: header as unknown as MessageHeader,
          parent_header: parent_header as Partial<MessageHeader>,
          metadata: metadata!,
          content: content!,
        });
      }
      inbox.close(new Error(`${channel} socket closed`));
    } catch (e) {
      inbox.close(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

/** A kernel process started from a kernelspec argv, and a client connected to it. */
export interface RunningKernel {
  process: ChildProcess;
  client: JupyterClient;
  connectionFile: string;
  /** What the kernel wrote to stderr so far (for failure messages). */
  stderr: () => string;
  /** shutdown_request on control, then wait for exit (SIGKILL after `graceMs`). */
  stop: (graceMs?: number) => Promise<void>;
}

/**
 * Start the kernel `argv` (a kernelspec's, with `{connection_file}`) with a new
 * connection file in `dir`, and connect a client (its IOPub too, unless `iopub` is
 * false). Does not wait for it to be ready: call `client.waitForReady()`.
 */
export async function startKernel(
  argv: readonly string[],
  dir: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv; iopub?: boolean } = {},
): Promise<RunningKernel> {
  const { file, info } = await writeConnectionFile(dir);
  const [command, ...args] = argv.map((a) => a.replaceAll('{connection_file}', file));
  const child = spawn(command!, args, {
    cwd: options.cwd ?? dir,
    env: options.env ?? process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client = JupyterClient.connect(info, { iopub: options.iopub ?? true });
  return {
    process: child,
    client,
    connectionFile: file,
    stderr: () => stderr,
    stop: async (graceMs = 5_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        await client.send('shutdown_request', { restart: false }, 'control').catch(() => {});
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      client.close();
    },
  };
}

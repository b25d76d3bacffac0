import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WorkerRunner } from '../experiment/worker-runner.ts';
import { KernelHandler } from './handler.ts';
import type { ConnectionInfo } from './protocol.ts';
import type { MmulabSession } from './session.ts';
import { ZmqTransport } from './transport.ts';

/**
 * The kernel process: `mmulab-kernel --connection-file FILE`, as the kernelspec's
 * argv starts it. Binds the connection file's sockets, publishes `starting`, and
 * serves until a shutdown_request (or its parent Jupyter goes away).
 */

const USAGE = 'usage: mmulab-kernel --connection-file FILE';

function log(text: string): void {
  process.stderr.write(`[mmulab kernel] ${text}\n`);
}

function readConnection(path: string): ConnectionInfo {
  const info = JSON.parse(readFileSync(path, 'utf8')) as Partial<ConnectionInfo>;
  for (const k of ['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'] as const) {
    if (typeof info[k] !== 'number') throw new Error(`connection file ${path} lacks ${k}`);
  }
  return {
    ...(info as ConnectionInfo),
    transport: info.transport ?? 'tcp',
    ip: info.ip ?? '127.0.0.1',
    key: info.key ?? '',
    signature_scheme: info.signature_scheme ?? 'hmac-sha256',
  };
}

/**
 * jupyter_client's launcher sets JPY_PARENT_PID; like ipykernel's ParentPollerUnix we
 * exit once re-parented, so a crashed notebook server leaves no orphan kernel.
 */
function watchParent(exit: () => void): void {
  if (!process.env.JPY_PARENT_PID) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) exit();
  }, 1000);
  timer.unref();
}

export async function main(argv: readonly string[]): Promise<void> {
  const at = argv.findIndex((a) => a === '--connection-file' || a === '-f');
  const file = at >= 0 ? argv[at + 1] : argv.find((a) => a.endsWith('.json'));
  if (!file) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const info = readConnection(file);
  // From the sources this is kernel/jupyter/run-worker.mjs (registers tsx); in the
  // bundle, dist/run-worker.mjs: the same relative name in both layouts.
  let runner: WorkerRunner | undefined;
  // The language and the engine load after the sockets are bound (a separate chunk
  // of the bundle), and the simulation thread starts after that: kernel_info does
  // not wait for either.
  const session: Promise<MmulabSession> = new Promise((r) => setImmediate(r)).then(async () => {
    const { MmulabSession } = await import('./session.ts');
    runner = new WorkerRunner(new URL('./run-worker.mjs', import.meta.url));
    return new MmulabSession(runner, process.cwd());
  });
  // The handler needs a sender before the sockets exist; it sends nothing before `starting`.
  const sockets: { transport?: ZmqTransport } = {};
  let exiting = false;
  const exit = (): void => {
    if (exiting) return;
    exiting = true;
    void (async () => {
      await sockets.transport?.close();
      await runner?.close();
      process.exit(0);
    })();
  };
  const handler = new KernelHandler(
    { send: (channel, message) => sockets.transport?.send(channel, message) ?? Promise.resolve() },
    session,
    { session: randomUUID(), onShutdown: exit, log },
  );
  sockets.transport = await ZmqTransport.bind(
    info,
    (channel, message) => handler.receive(channel, message),
    log,
  );
  // interrupt_mode "signal" clients (and Ctrl-C in a terminal) send SIGINT: stop the
  // running cell, keep the kernel.
  process.on('SIGINT', () => handler.interrupt());
  process.on('SIGTERM', exit);
  // Whatever goes wrong in one request, the kernel and its session stay up.
  process.on('unhandledRejection', (e) => log(`unhandled rejection: ${String(e)}`));
  process.on('uncaughtException', (e) => log(`uncaught exception: ${e.stack ?? e.message}`));
  watchParent(exit);
  await handler.starting();
}

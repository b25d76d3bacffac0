import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PlanRunner } from '../experiment/runner.ts';
import { KernelHandler } from './handler.ts';
import type { ConnectionInfo } from './protocol.ts';
import type { MmulabSession } from './session.ts';
import { ThreadCompiler } from './thread-compiler.ts';
import { ZmqTransport } from './transport.ts';

/**
 * The kernel process: `mmulab-kernel --connection-file FILE`, as the kernelspec's
 * argv starts it. Binds the connection file's sockets, publishes `starting`, and
 * serves until a shutdown_request (or its parent Jupyter goes away).
 */

const USAGE = 'usage: mmulab-kernel --connection-file FILE';

/** How long an exiting kernel waits for its last messages to go out. */
const EXIT_GRACE_MS = 2000;

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

/** How often the kernel looks for its parent, as ipykernel's ParentPollerUnix (1 s). */
const PARENT_POLL_MS = 1000;

/**
 * jupyter_client's launcher sets JPY_PARENT_PID; like ipykernel's ParentPollerUnix we
 * exit once re-parented, so a crashed notebook server or console leaves no orphan
 * kernel. A wrapper between the two (a shell, `npx`) can outlive the client, so the
 * kernel also exits once JPY_PARENT_PID itself is gone. The poll runs on the main
 * thread, which cells never block: they compile and run on threads of their own.
 */
function watchParent(exit: () => void): void {
  const pid = Number(process.env.JPY_PARENT_PID);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const parent = process.ppid;
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      // EPERM: the process exists but belongs to someone else.
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const timer = setInterval(() => {
    if (process.ppid !== parent || !alive()) exit();
  }, PARENT_POLL_MS);
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
  let runner: PlanRunner | undefined;
  let compiler: ThreadCompiler | undefined;
  // The language and the engine load after the sockets are bound (a separate chunk
  // of the bundle), and the simulation thread starts after that: kernel_info does
  // not wait for either.
  const session: Promise<MmulabSession> = new Promise((r) => setImmediate(r)).then(async () => {
    const { MmulabSession } = await import('./session.ts');
    const { kernelRunner } = await import('./kernel-runner.ts');
    // From the sources these are kernel/jupyter/run-worker.mjs and plan-worker.js
    // (which register tsx); in the bundle, dist/run-worker.mjs and dist/plan-worker.js:
    // the same relative names in both layouts.
    runner = kernelRunner({
      thread: new URL('./run-worker.mjs', import.meta.url),
      pool: new URL('./plan-worker.js', import.meta.url),
    });
    // As run-worker.mjs: compile-worker.mjs beside the sources and in dist/.
    compiler = new ThreadCompiler(new URL('./compile-worker.mjs', import.meta.url));
    return new MmulabSession(runner, process.cwd(), compiler);
  });
  // The handler needs a sender before the sockets exist; it sends nothing before `starting`.
  const sockets: { transport?: ZmqTransport } = {};
  let exiting = false;
  const exit = (): void => {
    if (exiting) return;
    exiting = true;
    // A send that never completes must not keep the kernel alive.
    setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
    void (async () => {
      await sockets.transport?.close();
      await Promise.all([runner?.close(), compiler?.close()]);
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
  // SIGTERM and SIGHUP keep their default action on purpose: the process ends at once,
  // whatever its threads are doing. A JavaScript handler would run only when the main
  // thread next turns its event loop; a kernel blocked in a long task then ignored
  // SIGTERM for minutes after its client had gone.
  // Whatever goes wrong in one request, the kernel and its session stay up.
  process.on('unhandledRejection', (e) => log(`unhandled rejection: ${String(e)}`));
  process.on('uncaughtException', (e) => log(`uncaught exception: ${e.stack ?? e.message}`));
  watchParent(exit);
  await handler.starting();
}

/**
 * The Jupyter kernel's responsiveness, as a frontend sees it: from starting the
 * process (the installed kernelspec's argv) to the kernel_info reply (goal < 0.5 s),
 * and the round trip of a cell that only defines things, request to idle (goal
 * < 30 ms). ipykernel (Debian's python3-ipykernel) is measured the same way for
 * comparison when /usr/bin/python3 has it. Printed, not asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkg from '../package.json' with { type: 'json' };
import { installKernelSpec, kernelSpecJson } from '../kernel/kernelspec.ts';
import { startKernel } from '../test/helpers/jupyter-client.ts';
import { row } from './util.ts';

/** Kernel starts measured after one warm-up start (which may rebuild dist/). */
const STARTS = 5;
/** Definition-only cells per kernel. */
const CELLS = 50;
const PYTHON = '/usr/bin/python3';

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** ms from spawning `argv` to the reply of a kernel_info_request sent at once. */
async function startToKernelInfo(argv: readonly string[], dir: string): Promise<number> {
  const t0 = performance.now();
  const kernel = await startKernel(argv, dir);
  try {
    // ZeroMQ queues the request until the kernel binds its shell socket.
    const id = await kernel.client.send('kernel_info_request', {});
    await kernel.client.reply(id, 'shell', 120_000);
    return performance.now() - t0;
  } catch (e) {
    throw new Error(`${(e as Error).message}; kernel stderr:\n${kernel.stderr()}`, { cause: e });
  } finally {
    await kernel.stop();
  }
}

/** ms per execute round trip (request sent to reply and idle received) of `cell(i)`. */
async function cellRoundTrips(
  argv: readonly string[],
  dir: string,
  cell: (i: number) => string,
): Promise<number[]> {
  const kernel = await startKernel(argv, dir);
  try {
    await kernel.client.waitForReady(120_000);
    await kernel.client.execute(cell(-1)); // the first cell may load what later ones reuse
    const times: number[] = [];
    for (let i = 0; i < CELLS; i++) {
      const t0 = performance.now();
      const { reply } = await kernel.client.execute(cell(i));
      times.push(performance.now() - t0);
      if (reply.content.status !== 'ok')
        throw new Error(`cell ${i} failed: ${JSON.stringify(reply.content)}`);
    }
    return times;
  } finally {
    await kernel.stop();
  }
}

async function measure(
  name: string,
  argv: readonly string[],
  dir: string,
  cell: (i: number) => string,
  goals: { startMs?: number; cellMs?: number },
): Promise<void> {
  const first = await startToKernelInfo(argv, dir);
  const starts: number[] = [];
  for (let i = 0; i < STARTS; i++) starts.push(await startToKernelInfo(argv, dir));
  const cells = await cellRoundTrips(argv, dir, cell);
  const goal = (ms: number | undefined) => (ms === undefined ? '' : ` (goal < ${ms} ms)`);
  row(`${name}: first start -> kernel_info reply`, `${first.toFixed(0)} ms`);
  row(
    `${name}: start -> kernel_info reply, median of ${STARTS}`,
    `${median(starts).toFixed(0)} ms${goal(goals.startMs)}`,
  );
  row(
    `${name}: definition cell round trip, median of ${CELLS}`,
    `${median(cells).toFixed(1)} ms${goal(goals.cellMs)}`,
  );
  row(`${name}: definition cell round trip, p90`, `${quantile(cells, 0.9).toFixed(1)} ms`);
}

const dir = mkdtempSync(join(tmpdir(), 'mmulab-kernel-bench-'));
try {
  installKernelSpec({
    location: { kind: 'prefix', dir },
    name: 'mmulab',
    displayName: 'mmulab',
    version: pkg.version,
  });
  const { argv } = kernelSpecJson('mmulab', pkg.version);
  await measure(
    'mmulab',
    argv,
    dir,
    (i) => `vm bench_${i + 1} { vcpus 2, slot ram at 4GiB size 1GiB backing thp }`,
    { startMs: 500, cellMs: 30 },
  );
  const hasIpykernel =
    spawnSync(PYTHON, ['-c', 'import ipykernel'], { stdio: 'ignore' }).status === 0;
  if (hasIpykernel) {
    await measure(
      'ipykernel',
      [PYTHON, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      dir,
      (i) => `x_${i + 1} = ${i}`,
      {},
    );
  } else {
    row('ipykernel', `not installed for ${PYTHON} (Debian: python3-ipykernel)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

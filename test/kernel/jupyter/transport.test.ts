import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startKernel } from '../../helpers/jupyter-client.ts';
import type { KernelMessage, RunningKernel } from '../../helpers/jupyter-client.ts';
import { MMULAB_KERNEL_ARGV } from '../../helpers/mmulab-kernel.ts';

/**
 * The kernel's sockets as a client sees them when its IOPub subscription arrives after
 * its first requests, as jupyter console's can (a SUB socket gets only what is
 * published after its subscription reached the kernel): the kernel as Jupyter starts
 * it, over real zeromq.
 */

let dir: string;
const kernels: RunningKernel[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmulab-transport-'));
});

afterAll(async () => {
  await Promise.all(kernels.map((k) => k.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** A kernel whose client has connected shell and control, not IOPub, and which has bound. */
async function kernelWithoutIopub(): Promise<RunningKernel> {
  const kernel = await startKernel(MMULAB_KERNEL_ARGV, dir, { iopub: false });
  kernels.push(kernel);
  // The heartbeat echoes once the kernel has bound its sockets (the first start may
  // rebuild the bundles).
  expect(await kernel.client.heartbeat('up?', 60_000)).toBe('up?');
  return kernel;
}

function states(messages: readonly KernelMessage[]): unknown[] {
  return messages
    .filter((m) => m.header.msg_type === 'status')
    .map((m) => m.content.execution_state);
}

const NO_SUBSCRIBER = 'no client subscribed to iopub';

describe('a client that subscribes to IOPub after its first requests', () => {
  it("gets their busy, outputs and idle, as jupyter console's first cell needs", async () => {
    const kernel = await kernelWithoutIopub();
    const info = await kernel.client.send('kernel_info_request', {});
    const cell = await kernel.client.send('execute_request', {
      code: '%echo late',
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
    });
    // Time for a kernel that answered at once to publish both requests' messages,
    // which a client not yet subscribed would never see.
    await new Promise((r) => setTimeout(r, 1000));
    kernel.client.joinIopub();
    expect(states(await kernel.client.iopubUntilIdle(info))).toEqual(['busy', 'idle']);
    const outputs = await kernel.client.iopubUntilIdle(cell);
    expect(states(outputs)).toEqual(['busy', 'idle']);
    expect(outputs.find((m) => m.header.msg_type === 'stream')?.content.text).toBe('late\n');
    expect((await kernel.client.reply(info)).header.msg_type).toBe('kernel_info_reply');
    expect((await kernel.client.reply(cell)).content.status).toBe('ok');
    expect(kernel.stderr()).not.toContain(NO_SUBSCRIBER);
  }, 120_000);

  it('still gets its replies if it never subscribes, and the kernel says why they waited', async () => {
    const kernel = await kernelWithoutIopub();
    const reply = await kernel.client.reply(
      await kernel.client.send('kernel_info_request', {}),
      'shell',
      60_000,
    );
    expect(reply.header.msg_type).toBe('kernel_info_reply');
    await vi.waitFor(() => expect(kernel.stderr()).toContain(NO_SUBSCRIBER), { timeout: 10_000 });
  }, 120_000);
});

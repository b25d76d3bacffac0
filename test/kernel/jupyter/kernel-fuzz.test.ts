import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Dealer } from 'zeromq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionInfo } from '../../../kernel/jupyter/protocol.ts';
import { startMmulabKernel } from '../../helpers/mmulab-kernel.ts';
import { editedTexts } from '../../helpers/edited-texts.ts';
import type { RunningKernel } from '../../helpers/jupyter-client.ts';

/**
 * A live kernel fed random, malformed, forged and mutated input (fast-check): after
 * every case it still echoes heartbeats and answers kernel_info; every signed request
 * it takes gets its reply within a bound; a cell with an error names its line:col.
 * Bounds are generous timeouts, never measured time.
 */

// ---- tunables ----
/** Cases per property: enough to wander, few enough for a shared 2-core machine. */
const WIRE_RUNS = 150;
const REQUEST_RUNS = 150;
const MUTATED_RUNS = 80;
const LARGE_RUNS = 2;
/** How long any reply may take: a 1 MB cell compiles in seconds, a loaded machine is slower. */
const REPLY_BOUND_MS = 120_000;

/** A program with definitions and outputs but no run: a mutation never starts a long simulation. */
const PROGRAM = `# a small VM
vm a {
  vcpus 2
  slot s at 0 size 64MiB backing thp
  workload hotset { rate 10k/s per vcpu, set 16MiB, hot 90% }
}
tracking r { dirty_log ring 1024, eager_split on }
migration q { bandwidth 10Gbit/s, downtime 300ms, max_iterations 30 }
`;

/** Requests a client may send (shutdown_request left out: it ends the kernel by design). */
const REQUEST_TYPES = [
  'execute_request',
  'kernel_info_request',
  'is_complete_request',
  'complete_request',
  'inspect_request',
  'history_request',
  'comm_info_request',
  'interrupt_request',
  'frobnicate_request',
] as const;

/** Content keys the kernel reads, so random values land where they are parsed. */
const CONTENT_KEYS = [
  'code',
  'cursor_pos',
  'detail_level',
  'silent',
  'store_history',
  'user_expressions',
  'allow_stdin',
  'stop_on_error',
  'hist_access_type',
  'output',
  'raw',
  'n',
  'pattern',
  'unique',
  'start',
  'stop',
  'session',
  'target_name',
] as const;

let dir: string;
let kernel: RunningKernel;
let info: ConnectionInfo;
let raw: Dealer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mmulab-fuzz-'));
  kernel = await startMmulabKernel(dir);
  info = JSON.parse(readFileSync(kernel.connectionFile, 'utf8')) as ConnectionInfo;
  raw = new Dealer();
  raw.connect(`tcp://${info.ip}:${info.shell_port}`);
}, 90_000);

afterAll(async () => {
  raw?.close();
  await kernel?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function sign(frames: readonly Buffer[]): string {
  const hmac = createHmac('sha256', info.key);
  for (const f of frames) hmac.update(f);
  return hmac.digest('hex');
}

function header(msgType: string): Record<string, string> {
  return {
    msg_id: randomUUID(),
    session: 'fuzz',
    username: 'fuzz',
    date: new Date().toISOString(),
    msg_type: msgType,
    version: '5.3',
  };
}

/** The kernel is alive: a heartbeat echoes and kernel_info gets its reply. */
async function expectAlive(): Promise<void> {
  expect(await kernel.client.heartbeat('alive?', REPLY_BOUND_MS)).toBe('alive?');
  const r = await kernel.client.request('kernel_info_request', {}, 'shell', REPLY_BOUND_MS);
  expect(r.reply.content.status).toBe('ok');
}

const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const json = fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null'));

/** Multipart messages a broken or hostile client could send. */
const wireMessages = fc.oneof(
  // Anything at all.
  fc.array(bytes, { maxLength: 8 }),
  // A delimiter, then a random signature and JSON.
  fc
    .tuple(
      fc.array(bytes, { maxLength: 2 }),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 70 }),
      fc.array(json, { maxLength: 6 }),
    )
    .map(([ids, sig, rest]) => [...ids, Buffer.from('<IDS|MSG>'), Buffer.from(sig), ...rest]),
  // Correctly signed, but the four frames are random JSON (not a header, not an object).
  fc
    .array(json, { minLength: 4, maxLength: 4 })
    .map((parts) => [Buffer.from('<IDS|MSG>'), Buffer.from(sign(parts)), ...parts]),
  // A real request, signed, then one byte of it changed (a tampered message).
  fc
    .tuple(fc.constantFrom(...REQUEST_TYPES), fc.nat(), fc.integer({ min: 1, max: 255 }))
    .map(([type, at, delta]) => {
      const parts = [header(type), {}, {}, { code: '%echo tampered' }].map((o) =>
        Buffer.from(JSON.stringify(o)),
      );
      const signature = sign(parts);
      const flat = Buffer.concat(parts);
      const i = at % flat.length;
      flat[i] = (flat[i]! + delta) % 256;
      const tampered: Buffer[] = [];
      let offset = 0;
      for (const p of parts) {
        tampered.push(flat.subarray(offset, offset + p.length));
        offset += p.length;
      }
      return [Buffer.from('<IDS|MSG>'), Buffer.from(signature), ...tampered];
    }),
);

/** A signed, well-framed request whose content holds random values. */
const requests = fc.record({
  type: fc.oneof(fc.constantFrom(...REQUEST_TYPES), fc.string({ maxLength: 20 })),
  channel: fc.constantFrom('shell' as const, 'control' as const),
  content: fc.dictionary(fc.constantFrom(...CONTENT_KEYS), fc.jsonValue({ maxDepth: 2 }), {
    maxKeys: 6,
  }),
});

/** The errors a bad cell gets: the language's, and an unknown kernel command's. */
const ERRORS_THAT_SAY_WHERE = ['MmulabError', 'UsageError'];

/** PROGRAM with characters deleted, inserted or replaced at random places. */
const mutatedPrograms = editedTexts([PROGRAM], {
  inserts: fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.string({ unit: 'binary', maxLength: 3 }),
    fc.constantFrom('{', '}', '[', ']', ',', '-', '"', '\n', '..', '0', '9TiB', 'é', '🙂', '\0'),
  ),
  maxDelete: 4,
  maxEdits: 6,
});

describe('the kernel under fuzzed input', () => {
  it('drops malformed, forged and tampered messages and keeps answering', async () => {
    await fc.assert(
      fc.asyncProperty(wireMessages, async (frames) => {
        await raw.send(frames.length > 0 ? frames : [Buffer.alloc(0)]);
        await expectAlive();
      }),
      { numRuns: WIRE_RUNS },
    );
  }, 600_000);

  it('replies to every signed request whatever its content holds', async () => {
    await fc.assert(
      fc.asyncProperty(requests, async ({ type, channel, content }) => {
        const id = await kernel.client.send(type, content, channel);
        if (type.endsWith('_request')) {
          const reply = await kernel.client.reply(id, channel, REPLY_BOUND_MS);
          expect(reply.header.msg_type).toBe(type.replace(/_request$/, '_reply'));
          // is_complete answers with its own statuses (messaging.rst "Code completeness").
          const statuses =
            type === 'is_complete_request'
              ? ['complete', 'incomplete', 'invalid', 'unknown']
              : ['ok', 'error', 'aborted'];
          expect(statuses).toContain(reply.content.status);
        }
        await expectAlive();
      }),
      { numRuns: REQUEST_RUNS },
    );
  }, 600_000);

  it('answers a mutated program with ok or an error at line:col', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedPrograms, async (code) => {
        const { reply } = await kernel.client.execute(code, REPLY_BOUND_MS);
        const c = reply.content;
        // A mutation can start a line with '%': a kernel command, answered as a UsageError.
        if (c.status === 'error' && ERRORS_THAT_SAY_WHERE.includes(String(c.ename)))
          expect(c.evalue).toMatch(/line \d+:\d+: /);
        else expect(c.status, String(c.evalue)).toBe('ok');
        await expectAlive();
      }),
      { numRuns: MUTATED_RUNS },
    );
  }, 900_000);

  it('answers a cell of up to 1 MB of mutated programs, then keeps answering', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedPrograms,
        fc.integer({ min: 100_000, max: 1_000_000 }),
        async (code, size) => {
          const cell = code.repeat(Math.ceil(size / Math.max(1, code.length))).slice(0, size);
          const { reply } = await kernel.client.execute(cell, REPLY_BOUND_MS);
          const { ename } = reply.content;
          if (reply.content.status === 'error' && ERRORS_THAT_SAY_WHERE.includes(String(ename)))
            expect(reply.content.evalue).toMatch(/line \d+:\d+: /);
          else expect(reply.content.status).toBe('ok');
          await expectAlive();
        },
      ),
      { numRuns: LARGE_RUNS },
    );
  }, 900_000);
});

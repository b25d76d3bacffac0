import { KernelHandler } from '../../kernel/jupyter/handler.ts';
import type { Channel, Header, JsonObject, Message } from '../../kernel/jupyter/protocol.ts';
import { WorkerRunner } from '../../kernel/experiment/worker-runner.ts';
import { MmulabSession } from '../../kernel/jupyter/session.ts';
import { ThreadCompiler } from '../../kernel/jupyter/thread-compiler.ts';
import { newHeader } from '../../kernel/jupyter/wire.ts';

/**
 * The kernel's handler and session without sockets (STYLE R12): requests go in as
 * decoded messages, every message the kernel sends is recorded with its channel.
 * Cells compile and plans run on the kernel's real threads (the source tree's
 * compile-worker.mjs and run-worker.mjs).
 */

export interface Sent {
  channel: Channel;
  message: Message<JsonObject>;
}

export interface FakeKernel {
  handler: KernelHandler;
  sent: Sent[];
  shutdowns: boolean[];
  /** Send a request; resolves with its reply once the kernel published idle for it. */
  request(type: string, content?: JsonObject, channel?: Channel): Promise<Reply>;
  /** Send without waiting (returns the request header). */
  post(type: string, content?: JsonObject, channel?: Channel): Header;
  /** Every message sent with `parent` as parent, in order. */
  childrenOf(parent: Header): Sent[];
  /** Resolves with the reply to `parent` once its idle went out. */
  settled(parent: Header): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply {
  header: Header;
  reply: Message<JsonObject>;
  /** iopub messages of the request, busy first, idle last. */
  iopub: Message<JsonObject>[];
}

export function fakeKernel(cwd: string = process.cwd()): FakeKernel {
  const sent: Sent[] = [];
  const shutdowns: boolean[] = [];
  const runner = new WorkerRunner(new URL('../../kernel/jupyter/run-worker.mjs', import.meta.url));
  const compiler = new ThreadCompiler(
    new URL('../../kernel/jupyter/compile-worker.mjs', import.meta.url),
  );
  const session = new MmulabSession(runner, cwd, compiler);
  const handler = new KernelHandler(
    {
      send: (channel, message) => {
        sent.push({ channel, message: message as Message<JsonObject> });
        return Promise.resolve();
      },
    },
    session,
    { session: 'kernel-session', onShutdown: (restart) => shutdowns.push(restart) },
  );
  const childrenOf = (parent: Header): Sent[] =>
    sent.filter((s) => (s.message.parent_header as Partial<Header>).msg_id === parent.msg_id);
  const post = (type: string, content: JsonObject = {}, channel: Channel = 'shell'): Header => {
    const header = newHeader(type, 'client-session');
    handler.receive(channel, {
      identities: [Buffer.from('client')],
      header,
      parent_header: {},
      metadata: {},
      content,
      buffers: [],
    });
    return header;
  };
  const settled = async (parent: Header): Promise<Reply> => {
    for (;;) {
      const children = childrenOf(parent);
      const iopub = children.filter((s) => s.channel === 'iopub').map((s) => s.message);
      const last = iopub[iopub.length - 1];
      const reply = children.find((s) => s.channel !== 'iopub');
      if (reply && last?.header.msg_type === 'status' && last.content.execution_state === 'idle') {
        return { header: parent, reply: reply.message, iopub };
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return {
    handler,
    sent,
    shutdowns,
    post,
    childrenOf,
    settled,
    request: (type, content, channel) => settled(post(type, content, channel)),
    close: async () => {
      await Promise.all([runner.close(), compiler.close()]);
    },
  };
}

/** The msg_types of a request's iopub messages, status as `status:<state>`. */
export function iopubTypes(r: Reply): string[] {
  return r.iopub.map((m) =>
    m.header.msg_type === 'status'
      ? `status:${String(m.content.execution_state)}`
      : m.header.msg_type,
  );
}

/** Content defaults of an execute_request. */
export function execute(code: string, extra: JsonObject = {}): JsonObject {
  return {
    code,
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: false,
    stop_on_error: true,
    ...extra,
  };
}

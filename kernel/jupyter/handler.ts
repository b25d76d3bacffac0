import { MMULAB_VERSION } from '../../engine/results.ts';
import type { MimeBundle } from '../display/mime.ts';
import { CODEMIRROR_MODE, PYGMENTS_LEXER } from '../kernelspec.ts';
import { History } from './history.ts';
import { PROTOCOL_VERSION } from './protocol.ts';
import type {
  Channel,
  DisplayContent,
  ErrorReply,
  ExecuteRequest,
  ExecutionState,
  Header,
  HistoryRequest,
  IopubContents,
  IopubType,
  JsonObject,
  KernelInfoReply,
  Message,
  ReplyContents,
  ReplyType,
} from './protocol.ts';
import type { CellOutput, MmulabSession } from './session.ts';
import { newHeader } from './wire.ts';

/**
 * The kernel's protocol logic, without sockets (STYLE R12): a decoded request comes
 * in, replies and iopub messages go out through `Sender`. Every request on shell and
 * control is bracketed by `status: busy` and `status: idle` with the request as
 * parent (messaging.rst "Kernel status"; clients wait for it, see
 * jupyter_client/client.py `_async_wait_for_ready`), kernel_info included.
 *
 * Shell requests run one at a time in arrival order, as in ipykernel; control
 * requests and interrupts (which VS Code used to send on shell, vscode-jupyter#17143)
 * are handled at once, even while a cell's simulation runs on its worker thread.
 */

export interface Sender {
  send(channel: Channel, message: Message<object>): Promise<void>;
}

export interface HandlerOptions {
  /** The kernel session id (header.session of every message the kernel sends). */
  session: string;
  /** Called after the shutdown reply went out. */
  onShutdown?: (restart: boolean) => void;
  log?: (text: string) => void;
}

export const LANGUAGE_INFO = {
  name: 'mmulab',
  version: MMULAB_VERSION,
  mimetype: 'text/x-mmulab',
  file_extension: '.mmu',
  pygments_lexer: PYGMENTS_LEXER,
  codemirror_mode: CODEMIRROR_MODE,
  nbconvert_exporter: 'script',
};

const BANNER = `mmulab ${MMULAB_VERSION} — KVM MMU and dirty-logging laboratory. '%help' for the language.`;

type Request = { channel: Channel; message: Message };

function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

function int(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isInteger(v) ? v : fallback;
}

export class KernelHandler {
  private executionCount = 0;
  private readonly history = new History();
  private readonly queue: Request[] = [];
  private working = false;
  /** Aborts the running cell's simulation (interrupt_request, SIGINT). */
  private running: AbortController | undefined;
  private readonly log: (text: string) => void;

  constructor(
    private readonly sender: Sender,
    /**
     * A promise while the language and engine load: the kernel binds its sockets and
     * answers kernel_info first, so a client sees it ready sooner.
     */
    private readonly session: MmulabSession | Promise<MmulabSession>,
    private readonly options: HandlerOptions,
  ) {
    this.log = options.log ?? (() => undefined);
  }

  /** `status: starting`, once, when the kernel process is up. */
  async starting(): Promise<void> {
    await this.publish(undefined, 'status', { execution_state: 'starting' });
  }

  /** A verified message from a socket. Never throws. */
  receive(channel: Channel, message: Message): void {
    const type = message.header.msg_type;
    if (channel === 'stdin' || channel === 'iopub') return;
    if (channel === 'control' || type === 'interrupt_request') {
      void this.handle({ channel, message });
      return;
    }
    this.queue.push({ channel, message });
    void this.pump();
  }

  /** Stop the running cell (SIGINT in `interrupt_mode: signal`). */
  interrupt(): void {
    this.running?.abort();
  }

  /** Resolves when every queued shell request has been handled (for tests). */
  async idle(): Promise<void> {
    while (this.working || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private async pump(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) await this.handle(next);
    } finally {
      this.working = false;
    }
  }

  /** Publish on iopub: the content is the one messaging.rst gives `type` (IopubContents). */
  private publish<T extends IopubType>(
    parent: Header | undefined,
    type: T,
    content: IopubContents[T],
    metadata: JsonObject = {},
  ): Promise<void> {
    return this.sender.send('iopub', {
      identities: [],
      header: newHeader(type, this.options.session),
      parent_header: parent ?? {},
      metadata,
      content,
      buffers: [],
    });
  }

  /** Reply to `req`: the content is the one messaging.rst gives `type` (ReplyContents), or an error. */
  private reply<T extends ReplyType>(
    req: Request,
    type: T,
    content: ReplyContents[T] | ErrorReply,
    metadata: JsonObject = {},
  ): Promise<void> {
    return this.send(req, type, content, metadata);
  }

  /**
   * The reply to a request this kernel has no handler for, or whose handler failed:
   * `<name>_reply` for `<name>_request`, so no client waits for a timeout.
   */
  private replyToAny(req: Request, content: { status: 'ok' } | ErrorReply): Promise<void> {
    return this.send(req, req.message.header.msg_type.replace(/_request$/, '_reply'), content);
  }

  private send(
    req: Request,
    type: string,
    content: object,
    metadata: JsonObject = {},
  ): Promise<void> {
    return this.sender.send(req.channel, {
      identities: req.message.identities,
      header: newHeader(type, this.options.session),
      parent_header: req.message.header,
      metadata,
      content,
      buffers: [],
    });
  }

  private status(parent: Header, state: ExecutionState): Promise<void> {
    return this.publish(parent, 'status', { execution_state: state });
  }

  private async handle(req: Request): Promise<void> {
    const parent = req.message.header;
    const type = parent.msg_type;
    await this.status(parent, 'busy');
    try {
      await this.dispatch(req, type);
    } catch (e) {
      // A handler bug must not take the kernel down or leave the client waiting.
      this.log(
        `error handling ${type}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
      if (type.endsWith('_request')) {
        const evalue = e instanceof Error ? e.message : String(e);
        await this.replyToAny(req, {
          status: 'error',
          ename: 'InternalError',
          evalue,
          traceback: [evalue],
        });
      }
    }
    await this.status(parent, 'idle');
    if (type === 'shutdown_request') {
      this.options.onShutdown?.(bool(req.message.content.restart, false));
    }
  }

  private async dispatch(req: Request, type: string): Promise<void> {
    const c = req.message.content;
    switch (type) {
      case 'kernel_info_request':
        return this.reply(req, 'kernel_info_reply', this.kernelInfo());
      case 'execute_request':
        return this.execute(req);
      case 'is_complete_request': {
        const r = (await this.session).isComplete(str(c.code));
        return this.reply(
          req,
          'is_complete_reply',
          r.status === 'incomplete'
            ? { status: r.status, indent: r.indent ?? '' }
            : { status: r.status },
        );
      }
      case 'complete_request': {
        const code = str(c.code);
        const cursor = int(c.cursor_pos, Array.from(code).length);
        const r = (await this.session).complete(code, cursor);
        return this.reply(req, 'complete_reply', {
          status: 'ok',
          matches: r.matches,
          cursor_start: r.cursorStart,
          cursor_end: r.cursorEnd,
          metadata: {},
        });
      }
      case 'inspect_request': {
        const code = str(c.code);
        const r = (await this.session).inspect(
          code,
          int(c.cursor_pos, Array.from(code).length),
          int(c.detail_level, 0) >= 1 ? 1 : 0,
        );
        return this.reply(req, 'inspect_reply', {
          status: 'ok',
          found: r.found,
          data: r.data,
          metadata: {},
        });
      }
      case 'history_request':
        return this.reply(req, 'history_reply', {
          status: 'ok',
          history: await this.history.query(c as unknown as HistoryRequest),
        });
      case 'comm_info_request':
        return this.reply(req, 'comm_info_reply', { status: 'ok', comms: {} });
      case 'comm_open':
        // No comm targets: say so by closing it, as messaging.rst "Opening a Comm" asks.
        return this.publish(req.message.header, 'comm_close', {
          comm_id: str(c.comm_id),
          data: {},
        });
      case 'comm_msg':
      case 'comm_close':
        return;
      case 'interrupt_request':
        this.interrupt();
        return this.reply(req, 'interrupt_reply', { status: 'ok' });
      case 'shutdown_request':
        this.interrupt();
        return this.reply(req, 'shutdown_reply', { status: 'ok', restart: bool(c.restart, false) });
      default:
        this.log(`unhandled message type ${type}`);
        // An unknown request still gets a valid (empty) reply, so no client waits for a timeout.
        if (type.endsWith('_request')) return this.replyToAny(req, { status: 'ok' });
    }
  }

  private kernelInfo(): KernelInfoReply {
    return {
      status: 'ok',
      protocol_version: PROTOCOL_VERSION,
      implementation: 'mmulab',
      implementation_version: MMULAB_VERSION,
      language_info: LANGUAGE_INFO,
      banner: BANNER,
      help_links: [
        {
          text: 'mmulab language reference',
          url: 'https://github.com/mmulab/mmulab/blob/main/docs/language.md',
        },
        { text: 'KVM API (api.rst)', url: 'https://docs.kernel.org/virt/kvm/api.html' },
      ],
    };
  }

  private async execute(req: Request): Promise<void> {
    const c = req.message.content;
    const request: ExecuteRequest = {
      code: str(c.code),
      silent: bool(c.silent, false),
      store_history: bool(c.store_history, !bool(c.silent, false)),
      user_expressions: (typeof c.user_expressions === 'object' && c.user_expressions !== null
        ? c.user_expressions
        : {}) as Record<string, string>,
      allow_stdin: bool(c.allow_stdin, false),
      stop_on_error: bool(c.stop_on_error, true),
    };
    const parent = req.message.header;
    const silent = request.silent;
    if (!silent && request.store_history) this.executionCount++;
    const count = this.executionCount;
    if (!silent)
      await this.publish(parent, 'execute_input', { code: request.code, execution_count: count });
    if (!silent && request.store_history) this.history.add(count, request.code);

    const sends: Promise<void>[] = [];
    const out: CellOutput = {
      stream: (name, text) => {
        if (!silent) sends.push(this.publish(parent, 'stream', { name, text }));
      },
      display: (bundle, displayId) => {
        if (!silent)
          sends.push(this.publish(parent, 'display_data', displayContent(bundle, displayId)));
      },
      updateDisplay: (bundle, displayId) => {
        if (!silent)
          sends.push(
            this.publish(parent, 'update_display_data', displayContent(bundle, displayId)),
          );
      },
      clear: (wait) => {
        if (!silent) sends.push(this.publish(parent, 'clear_output', { wait }));
      },
    };
    const controller = new AbortController();
    this.running = controller;
    let outcome;
    try {
      outcome = await (
        await this.session
      ).execute(request.code, out, { signal: controller.signal });
    } finally {
      this.running = undefined;
    }
    if (outcome.status === 'ok' && outcome.result && !silent) {
      const text = outcome.result.data['text/plain'];
      if (typeof text === 'string' && request.store_history) this.history.setOutput(count, text);
      sends.push(
        this.publish(parent, 'execute_result', {
          ...displayContent(outcome.result),
          execution_count: count,
        }),
      );
    }
    if (outcome.status === 'error' && !silent)
      sends.push(this.publish(parent, 'error', outcome.error));
    await Promise.all(sends);
    if (outcome.status === 'error') {
      // What is queued now is aborted, not what a client sends after seeing this reply.
      const aborted = request.stop_on_error ? this.takeQueuedExecutes() : [];
      await this.reply(req, 'execute_reply', {
        status: 'error',
        execution_count: count,
        ...outcome.error,
      });
      for (const r of aborted) await this.abort(r);
      return;
    }
    const userExpressions: Record<string, ErrorReply> = {};
    for (const key of Object.keys(request.user_expressions)) {
      userExpressions[key] = {
        status: 'error',
        ename: 'NotSupported',
        evalue: 'mmulab has no expressions to evaluate',
        traceback: [],
      };
    }
    await this.reply(req, 'execute_reply', {
      status: 'ok',
      execution_count: count,
      payload: outcome.payload,
      user_expressions: userExpressions,
    });
  }

  /**
   * After a failed cell, the execute requests already queued are aborted, as
   * ipykernel's `_abort_queues` does: "Run All" stops at the first failing cell.
   */
  private takeQueuedExecutes(): Request[] {
    const executes = this.queue.filter((r) => r.message.header.msg_type === 'execute_request');
    const rest = this.queue.filter((r) => r.message.header.msg_type !== 'execute_request');
    this.queue.splice(0, this.queue.length, ...rest);
    return executes;
  }

  private async abort(req: Request): Promise<void> {
    await this.status(req.message.header, 'busy');
    await this.reply(req, 'execute_reply', {
      status: 'aborted',
      execution_count: this.executionCount,
    });
    await this.status(req.message.header, 'idle');
  }
}

function displayContent(bundle: MimeBundle, displayId?: string): DisplayContent {
  return displayId === undefined
    ? { data: bundle.data, metadata: bundle.metadata, transient: {} }
    : { data: bundle.data, metadata: bundle.metadata, transient: { display_id: displayId } };
}

import * as zmq from 'zeromq';
import type { Channel, ConnectionInfo, Message } from './protocol.ts';
import { decode, DigestHistory, encode, Signer, WireError } from './wire.ts';

/**
 * The kernel's five zeromq sockets (messaging.rst "Introduction"): ROUTER for shell,
 * control and stdin, PUB for iopub, REP for the heartbeat. Only this file knows
 * sockets; the handler sees decoded, verified messages and sends through `send`.
 *
 * zeromq.js v6 allows one pending send per socket and throws EBUSY otherwise
 * (zeromq/zeromq.js#381), so every socket has a send queue: messages go out in the
 * order they were sent, which also keeps a request's `idle` after its outputs.
 *
 * IOPub is an XPUB socket, which a PUB is plus the subscriptions it receives, so the
 * kernel knows when its first client has joined (see IOPUB_JOIN_BOUND_MS).
 */

/**
 * How long after binding the kernel holds shell requests while no client has
 * subscribed to IOPub. A SUB socket receives only what is published after its
 * subscription reached the kernel (zeromq's "slow joiner"), and a client connects its
 * sockets one by one, each retrying every 100 ms until the kernel has bound: its
 * shell request can arrive first (up to 170 ms before the subscription, measured under
 * load). A reply sent then reaches the client, its `busy` and `idle` do not, and a
 * client that waits for `idle` waits forever: jupyter_console's ptshell.py `run_cell`
 * loops until `idle` without a timeout, after an `init_kernel_info` that waits for the
 * shell reply only, not for IOPub as jupyter_client's `wait_for_ready` does
 * (jupyter_client#593). Holding the first requests until a subscription arrives makes
 * the kernel_info reply itself the sign that IOPub is live. A client that never
 * subscribes gets its answers once the bound has passed. Control requests are not
 * held: an interrupt or a shutdown is answered at once.
 */
export const IOPUB_JOIN_BOUND_MS = 5000;

export type Incoming = (channel: Exclude<Channel, 'iopub'>, message: Message) => void;
export type Log = (text: string) => void;

export interface Sender {
  send(channel: Channel, message: Message<object>): Promise<void>;
}

class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  constructor(
    private readonly socket: zmq.Writable,
    private readonly log: Log,
  ) {}

  push(frames: Buffer[]): Promise<void> {
    this.tail = this.tail.then(() =>
      this.socket.send(frames).catch((e: unknown) => this.log(`send failed: ${String(e)}`)),
    );
    return this.tail;
  }

  /** Resolves when every queued message has been handed to zeromq. */
  drain(): Promise<void> {
    return this.tail;
  }
}

function address(info: ConnectionInfo, port: number): string {
  return info.transport === 'ipc' ? `ipc://${info.ip}-${port}` : `tcp://${info.ip}:${port}`;
}

export class ZmqTransport implements Sender {
  readonly signer: Signer;
  /** One history for every channel, as one Session serves them all in ipykernel. */
  private readonly digests = new DigestHistory();
  private readonly shell = new zmq.Router();
  private readonly control = new zmq.Router();
  private readonly stdin = new zmq.Router();
  private readonly iopub = new zmq.XPublisher();
  private readonly hb = new zmq.Reply();
  private readonly queues: Record<Channel, SendQueue>;
  private closed = false;
  /** Resolves once a client subscribed to IOPub, or IOPUB_JOIN_BOUND_MS after binding. */
  private iopubJoined: Promise<void> = Promise.resolve();

  private constructor(
    info: ConnectionInfo,
    private readonly log: Log,
  ) {
    this.signer = new Signer(info.key, info.signature_scheme || 'hmac-sha256');
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) s.linger = 0;
    this.queues = {
      shell: new SendQueue(this.shell, log),
      control: new SendQueue(this.control, log),
      stdin: new SendQueue(this.stdin, log),
      iopub: new SendQueue(this.iopub, log),
    };
  }

  /** Bind every socket of the connection file and start delivering messages to `onMessage`. */
  static async bind(info: ConnectionInfo, onMessage: Incoming, log: Log): Promise<ZmqTransport> {
    const t = new ZmqTransport(info, log);
    await Promise.all([
      t.shell.bind(address(info, info.shell_port)),
      t.control.bind(address(info, info.control_port)),
      t.stdin.bind(address(info, info.stdin_port)),
      t.iopub.bind(address(info, info.iopub_port)),
      t.hb.bind(address(info, info.hb_port)),
    ]);
    t.iopubJoined = t.firstSubscription();
    void t.receive('shell', t.shell, onMessage);
    void t.receive('control', t.control, onMessage);
    void t.receive('stdin', t.stdin, onMessage);
    void t.heartbeat();
    return t;
  }

  private async receive(
    channel: Exclude<Channel, 'iopub'>,
    socket: zmq.Router,
    onMessage: Incoming,
  ): Promise<void> {
    try {
      for await (const frames of socket) {
        // Later shell messages wait in zeromq's queue meanwhile, so order is kept.
        if (channel === 'shell') await this.iopubJoined;
        let message: Message;
        try {
          message = decode(frames, this.signer, this.digests);
        } catch (e) {
          // A bad or unsigned message is dropped, never executed, and never fatal.
          if (e instanceof WireError) this.log(`dropped a ${channel} message: ${e.message}`);
          else this.log(`dropped a ${channel} message: ${String(e)}`);
          continue;
        }
        try {
          onMessage(channel, message);
        } catch (e) {
          this.log(`handler failed on ${message.header.msg_type}: ${String(e)}`);
        }
      }
    } catch (e) {
      if (!this.closed) this.log(`${channel} socket failed: ${String(e)}`);
    }
  }

  /**
   * Resolves at IOPub's first subscription, or after IOPUB_JOIN_BOUND_MS. The socket is
   * read for as long as it is open: an XPUB queues every new subscription and
   * unsubscription for its reader.
   */
  private firstSubscription(): Promise<void> {
    return new Promise((resolve) => {
      const bound = setTimeout(() => {
        this.log(
          `no client subscribed to iopub within ${IOPUB_JOIN_BOUND_MS} ms; answering shell requests anyway`,
        );
        resolve();
      }, IOPUB_JOIN_BOUND_MS);
      bound.unref();
      void (async () => {
        try {
          // A subscription message is byte 1 then the topic; byte 0 unsubscribes.
          for await (const [frame] of this.iopub) {
            if (frame?.[0] === 1) {
              clearTimeout(bound);
              resolve();
            }
          }
        } catch (e) {
          if (!this.closed) this.log(`iopub failed: ${String(e)}`);
        }
      })();
    });
  }

  /** The heartbeat echoes whatever arrives, byte for byte (it is not a Jupyter message). */
  private async heartbeat(): Promise<void> {
    try {
      for await (const frames of this.hb) await this.hb.send(frames);
    } catch (e) {
      if (!this.closed) this.log(`heartbeat failed: ${String(e)}`);
    }
  }

  send(channel: Channel, message: Message<object>): Promise<void> {
    if (this.closed) return Promise.resolve();
    const topic = channel === 'iopub' ? `kernel.${message.header.msg_type}` : undefined;
    return this.queues[channel].push(encode(message, this.signer, topic));
  }

  /** Wait for queued sends, then close every socket. */
  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.drain()));
    this.closed = true;
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) s.close();
  }
}

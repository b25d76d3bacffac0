/**
 * The Jupyter messaging protocol as the kernel speaks it: version 5.3
 * (jupyter_client docs/messaging.rst). Field names are the wire's (snake_case) so a
 * reader can hold this file next to the spec. Only transport.ts and wire.ts know
 * how these objects are framed and signed.
 */

export const PROTOCOL_VERSION = '5.3';

/** The channels of a kernel (messaging.rst "Introduction"); hb is not a message channel. */
export type Channel = 'shell' | 'control' | 'iopub' | 'stdin';

/** "Message Header": msg_id is unique per message, session per kernel process. */
export interface Header {
  msg_id: string;
  session: string;
  username: string;
  /** ISO 8601; mandatory since 5.1. */
  date: string;
  msg_type: string;
  version: string;
}

/** JSON object as it comes off the wire: unknown until a handler reads it. */
export type JsonObject = { [key: string]: unknown };

/**
 * A whole message. `parent_header` is the request's header on replies and on every
 * iopub message a request causes, `{}` otherwise. `buffers` are never signed.
 */
export interface Message<C extends object = JsonObject> {
  /** ROUTER identities to send a reply back through; empty on iopub. */
  identities: Buffer[];
  header: Header;
  parent_header: Header | Record<string, never>;
  metadata: JsonObject;
  content: C;
  buffers: Buffer[];
}

/** The connection file Jupyter writes for a kernel (docs/kernels.rst "Connection files"). */
export interface ConnectionInfo {
  transport: 'tcp' | 'ipc';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  /** Empty disables signing ("Authentication is disabled if the key is empty"). */
  key: string;
  /** `hmac-sha256` unless told otherwise. */
  signature_scheme: string;
  kernel_name?: string;
}

/** "Kernel status": every request is bracketed by busy and idle on iopub. */
export type ExecutionState = 'starting' | 'busy' | 'idle';

/** "Execute": the request's content. */
export interface ExecuteRequest {
  code: string;
  silent: boolean;
  store_history: boolean;
  user_expressions: Record<string, string>;
  allow_stdin: boolean;
  /** Abort the queued execute requests when this one fails (default true). */
  stop_on_error: boolean;
}

/** "Execution errors": mirrored into the error reply and the iopub `error` message. */
export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** "Payloads (DEPRECATED)": `page` is still what frontends show for help text. */
export interface PagePayload {
  source: 'page';
  data: Record<string, string>;
  start: number;
}

/**
 * `ask_exit`: the frontend ends its session (jupyter console exits, and shuts the
 * kernel down unless `keepkernel`), as ipykernel's `exit`/`quit` ask
 * (ipykernel/zmqshell.py `ask_exit`, jupyter_console/ptshell.py `handle_execute_reply`).
 */
export interface AskExitPayload {
  source: 'ask_exit';
  keepkernel: boolean;
}

export type Payload = PagePayload | AskExitPayload;

/** `language_info` of kernel_info_reply. */
export interface LanguageInfo {
  name: string;
  version: string;
  mimetype: string;
  file_extension: string;
  pygments_lexer: string;
  codemirror_mode: string | JsonObject;
  nbconvert_exporter: string;
}

export interface KernelInfoReply {
  status: 'ok';
  protocol_version: string;
  implementation: string;
  implementation_version: string;
  language_info: LanguageInfo;
  banner: string;
  help_links: { text: string; url: string }[];
}

/** "History": the three access types. */
export interface HistoryRequest {
  output: boolean;
  raw: boolean;
  hist_access_type: 'range' | 'tail' | 'search';
  session?: number;
  start?: number;
  stop?: number;
  n?: number;
  pattern?: string;
  unique?: boolean;
}

/** One history entry as sent: (session, line, input) or (session, line, [input, output]). */
export type HistoryEntry = [number, number, string] | [number, number, [string, string | null]];

/** A display's data and metadata (display_data, execute_result, update_display_data). */
export interface DisplayContent {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}

/** "Request-Reply": any reply may say the request failed, with the error's fields. */
export interface ErrorReply extends ErrorContent {
  status: 'error';
}

/** "Execute", the reply: `aborted` when an earlier cell failed and stop_on_error held. */
export type ExecuteReply =
  | {
      status: 'ok';
      execution_count: number;
      payload: Payload[];
      /** One result per expression of the request ("user_expressions"). */
      user_expressions: Record<string, ErrorReply>;
    }
  | (ErrorReply & { execution_count: number })
  | { status: 'aborted'; execution_count: number };

/** "Code completeness": `indent` only when incomplete. */
export type IsCompleteReply =
  { status: 'complete' | 'invalid' | 'unknown' } | { status: 'incomplete'; indent: string };

/** "Completion": matches replace the text in [cursor_start, cursor_end). */
export interface CompleteReply {
  status: 'ok';
  matches: string[];
  cursor_start: number;
  cursor_end: number;
  metadata: JsonObject;
}

/** "Introspection". */
export interface InspectReply {
  status: 'ok';
  found: boolean;
  data: Record<string, string>;
  metadata: JsonObject;
}

/** The content of each reply the kernel sends, by msg_type ("Messages on the shell (ROUTER/DEALER) channel", "Control"). */
export interface ReplyContents {
  kernel_info_reply: KernelInfoReply;
  execute_reply: ExecuteReply;
  is_complete_reply: IsCompleteReply;
  complete_reply: CompleteReply;
  inspect_reply: InspectReply;
  history_reply: { status: 'ok'; history: HistoryEntry[] };
  comm_info_reply: { status: 'ok'; comms: Record<string, { target_name: string }> };
  interrupt_reply: { status: 'ok' };
  shutdown_reply: { status: 'ok'; restart: boolean };
}

export type ReplyType = keyof ReplyContents;

/** The content of each message the kernel publishes on iopub, by msg_type ("Messages on the IOPub (PUB/SUB) channel"). */
export interface IopubContents {
  status: { execution_state: ExecutionState };
  execute_input: { code: string; execution_count: number };
  stream: { name: 'stdout' | 'stderr'; text: string };
  display_data: DisplayContent;
  update_display_data: DisplayContent;
  execute_result: DisplayContent & { execution_count: number };
  error: ErrorContent;
  clear_output: { wait: boolean };
  comm_close: { comm_id: string; data: JsonObject };
}

export type IopubType = keyof IopubContents;

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

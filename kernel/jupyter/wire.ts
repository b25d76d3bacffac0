import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { PROTOCOL_VERSION } from './protocol.ts';
import type { Header, JsonObject, Message } from './protocol.ts';

/**
 * "The Wire Protocol" (messaging.rst): identities, the delimiter, the HMAC signature,
 * four JSON frames (header, parent_header, metadata, content), then raw buffers. The
 * signature is the hex HMAC of the four JSON frames exactly as sent, with the
 * connection file's key and the digest its `signature_scheme` names; an empty key
 * disables signing (jupyter_client session.py `sign` returns b"" when auth is None).
 */

export const DELIMITER = '<IDS|MSG>';

/** Signs and checks messages for one connection file. */
export class Signer {
  private readonly key: Buffer;
  private readonly digest: string;

  constructor(key: string, scheme = 'hmac-sha256') {
    if (!scheme.startsWith('hmac-')) {
      throw new Error(`Unsupported signature_scheme '${scheme}': expected hmac-<digest>.`);
    }
    this.key = Buffer.from(key, 'utf8');
    this.digest = scheme.slice('hmac-'.length);
    // Fails now, not on the first message, when Node lacks the digest.
    createHmac(this.digest, 'probe');
  }

  /** Whether signing is on (a non-empty key). */
  get enabled(): boolean {
    return this.key.length > 0;
  }

  sign(frames: readonly Buffer[]): string {
    if (!this.enabled) return '';
    const hmac = createHmac(this.digest, this.key);
    for (const f of frames) hmac.update(f);
    return hmac.digest('hex');
  }

  /** Constant-time check (session.py uses hmac.compare_digest). */
  verify(signature: string, frames: readonly Buffer[]): boolean {
    if (!this.enabled) return true;
    const expected = Buffer.from(this.sign(frames), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** Why an incoming multipart message was dropped. */
export class WireError extends Error {}

/**
 * The signatures of the messages received lately, to drop a replayed copy of one: a
 * signature covers the header, whose msg_id and date are fresh in every message, so
 * two messages with one signature are one message sent twice. jupyter_client's
 * Session does the same (session.py: `digest_history`, "Duplicate Signature"), with
 * up to 2^16 digests. Memory is bounded: past `capacity`, the oldest is forgotten
 * (Session culls a random 10% instead).
 */
export class DigestHistory {
  private readonly ring: string[] = [];
  private next = 0;
  private readonly seen = new Set<string>();

  constructor(readonly capacity = 2 ** 16) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`digest history capacity must be a positive integer, got ${capacity}`);
  }

  /** Remember `digest`; false when it is remembered already (a replay). */
  add(digest: string): boolean {
    if (this.seen.has(digest)) return false;
    const old = this.ring[this.next];
    if (old !== undefined) this.seen.delete(old);
    this.ring[this.next] = digest;
    this.next = (this.next + 1) % this.capacity;
    this.seen.add(digest);
    return true;
  }

  /** How many digests are remembered (at most `capacity`). */
  get size(): number {
    return this.seen.size;
  }
}

function parseObject(frame: Buffer | undefined, what: string): JsonObject {
  if (frame === undefined) throw new WireError(`missing ${what} frame`);
  let value: unknown;
  try {
    value = JSON.parse(frame.toString('utf8'));
  } catch {
    throw new WireError(`${what} is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WireError(`${what} is not a JSON object`);
  }
  return value as JsonObject;
}

function isHeader(h: JsonObject): h is JsonObject & Header {
  return typeof h.msg_id === 'string' && typeof h.msg_type === 'string';
}

/**
 * Parse and verify a message from a ROUTER socket. Throws WireError (the caller logs
 * and drops it) for a missing delimiter, a bad signature, a signature `history` has
 * seen before (a replay), or frames that are not JSON objects; a message is never
 * half-trusted. Only verified signatures enter the history, so forged messages cannot
 * push genuine ones out of it.
 */
export function decode(
  frames: readonly Buffer[],
  signer: Signer,
  history?: DigestHistory,
): Message {
  const at = frames.findIndex((f) => f.length === DELIMITER.length && f.toString() === DELIMITER);
  if (at < 0) throw new WireError('no <IDS|MSG> delimiter');
  const json = frames.slice(at + 2, at + 6);
  if (json.length < 4) throw new WireError(`expected 4 JSON frames, got ${json.length}`);
  const signature = frames[at + 1]?.toString('utf8') ?? '';
  if (!signer.verify(signature, json)) {
    throw new WireError(signature === '' ? 'missing signature' : 'invalid signature');
  }
  if (signer.enabled && history && !history.add(signature))
    throw new WireError('duplicate signature (a replayed message)');
  const header = parseObject(json[0], 'header');
  if (!isHeader(header)) throw new WireError('header lacks msg_id or msg_type');
  return {
    identities: frames.slice(0, at) as Buffer[],
    header,
    parent_header: parseObject(json[1], 'parent_header') as Message['parent_header'],
    metadata: parseObject(json[2], 'metadata'),
    content: parseObject(json[3], 'content'),
    buffers: frames.slice(at + 6) as Buffer[],
  };
}

/** Frames of `message`, signed; `topic` leads iopub messages (ipykernel's `kernel.<id>.<type>`). */
export function encode(message: Message<object>, signer: Signer, topic?: string): Buffer[] {
  const json = [message.header, message.parent_header, message.metadata, message.content].map(
    (part) => Buffer.from(JSON.stringify(part), 'utf8'),
  );
  const lead = topic === undefined ? message.identities : [Buffer.from(topic, 'utf8')];
  return [
    ...lead,
    Buffer.from(DELIMITER),
    Buffer.from(signer.sign(json)),
    ...json,
    ...message.buffers,
  ];
}

/** A fresh header: a new msg_id and date for every message (clients reject reused signatures). */
export function newHeader(msgType: string, session: string): Header {
  return {
    msg_id: randomUUID(),
    session,
    username: 'mmulab',
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}

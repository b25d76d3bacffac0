import { describe, expect, it } from 'vitest';
import {
  decode,
  DELIMITER,
  DigestHistory,
  encode,
  newHeader,
  Signer,
  WireError,
} from '../../../kernel/jupyter/wire.ts';
import type { Message } from '../../../kernel/jupyter/protocol.ts';

const KEY = 'a0436f6c-1916-498b-8eb9-e81ab9368e84';

function request(type = 'kernel_info_request'): Message<object> {
  return {
    identities: [Buffer.from('client-1')],
    header: newHeader(type, 'client-session'),
    parent_header: {},
    metadata: {},
    content: { code: 'vm a {}' },
    buffers: [],
  };
}

describe('Signer', () => {
  it('signs the four JSON frames with HMAC-SHA256 as jupyter_client does', () => {
    const frames = ['{"a":1}', '{}', '{}', '{}'].map((s) => Buffer.from(s));
    // Reference digest computed with Python: hmac.new(key, b''.join(frames), sha256).hexdigest()
    const signer = new Signer('key', 'hmac-sha256');
    expect(signer.sign(frames)).toBe(
      'f1128388193e4dd1aa760827bd756a1b40b627676b5efe22c0e8297919bfa218',
    );
  });

  it('uses the digest the signature_scheme names', () => {
    const frames = [Buffer.from('{}')];
    expect(new Signer('k', 'hmac-sha512').sign(frames)).toMatch(/^[0-9a-f]{128}$/);
  });

  it('rejects a scheme that is not hmac-<digest>', () => {
    expect(() => new Signer('k', 'sha256')).toThrow(/signature_scheme/);
  });

  it('an empty key disables signing: empty signature, every message accepted', () => {
    const signer = new Signer('');
    expect(signer.sign([Buffer.from('{}')])).toBe('');
    expect(signer.verify('anything', [Buffer.from('{}')])).toBe(true);
  });
});

describe('decode', () => {
  const signer = new Signer(KEY);

  it('round-trips a signed message with its identities', () => {
    const m = request();
    const back = decode(encode(m, signer), signer);
    expect(back.identities.map(String)).toEqual(['client-1']);
    expect(back.header).toEqual(m.header);
    expect(back.content).toEqual({ code: 'vm a {}' });
  });

  it('drops a message with a wrong signature', () => {
    const frames = encode(request(), signer);
    const at = frames.findIndex((f) => f.toString() === DELIMITER);
    frames[at + 1] = Buffer.from('0'.repeat(64));
    expect(() => decode(frames, signer)).toThrow(new WireError('invalid signature'));
  });

  it('drops a message signed with another key', () => {
    expect(() => decode(encode(request(), new Signer('other')), signer)).toThrow(
      /invalid signature/,
    );
  });

  it('drops an unsigned message when a key is set', () => {
    expect(() => decode(encode(request(), new Signer('')), signer)).toThrow(/missing signature/);
  });

  it('drops a message whose content was changed after signing', () => {
    const frames = encode(request(), signer);
    frames[frames.length - 1] = Buffer.from('{"code":"evil"}');
    expect(() => decode(frames, signer)).toThrow(/invalid signature/);
  });

  it('drops a second copy of a signed message (a replay), as Session does', () => {
    const history = new DigestHistory();
    const frames = encode(request('execute_request'), signer);
    expect(decode(frames, signer, history).header.msg_type).toBe('execute_request');
    expect(() => decode(frames, signer, history)).toThrow(
      new WireError('duplicate signature (a replayed message)'),
    );
    // A new message (fresh msg_id and date) has a new signature.
    expect(() => decode(encode(request('execute_request'), signer), signer, history)).not.toThrow();
  });

  it('remembers no signature of a message that failed verification', () => {
    const history = new DigestHistory();
    const frames = encode(request(), signer);
    const forged = [...frames];
    forged[forged.length - 1] = Buffer.from('{"code":"evil"}');
    expect(() => decode(forged, signer, history)).toThrow(/invalid signature/);
    expect(history.size).toBe(0);
    expect(() => decode(frames, signer, history)).not.toThrow();
  });

  it('checks no history when signing is off (every signature is empty)', () => {
    const none = new Signer('');
    const history = new DigestHistory();
    decode(encode(request(), none), none, history);
    expect(() => decode(encode(request(), none), none, history)).not.toThrow();
  });

  it('drops frames without the delimiter, or with JSON that is not an object', () => {
    expect(() => decode([Buffer.from('x')], signer)).toThrow(/delimiter/);
    const none = new Signer('');
    const frames = [
      Buffer.from(DELIMITER),
      Buffer.from(''),
      ...['[1]', '{}', '{}', '{}'].map((s) => Buffer.from(s)),
    ];
    expect(() => decode(frames, none)).toThrow(/header is not a JSON object/);
    const notJson = [
      Buffer.from(DELIMITER),
      Buffer.from(''),
      ...['{', '{}', '{}', '{}'].map((s) => Buffer.from(s)),
    ];
    expect(() => decode(notJson, none)).toThrow(/header is not JSON/);
  });

  it('keeps raw buffers after the four JSON frames', () => {
    const m = { ...request(), buffers: [Buffer.from([1, 2, 3])] };
    expect([...decode(encode(m, signer), signer).buffers[0]!]).toEqual([1, 2, 3]);
  });
});

describe('encode', () => {
  it('leads an iopub message with its topic instead of identities', () => {
    const frames = encode(request('status'), new Signer(KEY), 'kernel.status');
    expect(frames[0]!.toString()).toBe('kernel.status');
    expect(frames[1]!.toString()).toBe(DELIMITER);
  });

  it('gives every header a fresh msg_id and the protocol version 5.3', () => {
    const a = newHeader('status', 's');
    const b = newHeader('status', 's');
    expect(a.msg_id).not.toBe(b.msg_id);
    expect(a.version).toBe('5.3');
    expect(Number.isNaN(Date.parse(a.date))).toBe(false);
  });
});

describe('DigestHistory', () => {
  it('remembers at most `capacity` digests, forgetting the oldest first', () => {
    const history = new DigestHistory(3);
    expect(['a', 'b', 'c'].map((d) => history.add(d))).toEqual([true, true, true]);
    expect(history.add('b')).toBe(false);
    expect(history.add('d')).toBe(true);
    expect(history.size).toBe(3);
    // 'a' was the oldest: forgotten; 'b', 'c' and 'd' are still remembered.
    expect(history.add('a')).toBe(true);
    expect(history.add('c')).toBe(false);
    expect(history.add('d')).toBe(false);
  });

  it('stays bounded over many messages', () => {
    const history = new DigestHistory(1000);
    for (let i = 0; i < 10_000; i++) history.add(`digest-${i}`);
    expect(history.size).toBe(1000);
    expect(history.add('digest-9999')).toBe(false);
    expect(history.add('digest-0')).toBe(true);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new DigestHistory(0)).toThrow(/positive integer/);
  });
});

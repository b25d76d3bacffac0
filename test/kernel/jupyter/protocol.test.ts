import { describe, expect, it } from 'vitest';
import type {
  IopubContents,
  IopubType,
  ReplyContents,
  ReplyType,
} from '../../../kernel/jupyter/protocol.ts';

/**
 * The kernel's replies and iopub messages are typed per msg_type: the handler's
 * `reply(req, type, content)` and `publish(parent, type, content)` take
 * `ReplyContents[type]` and `IopubContents[type]`. The `@ts-expect-error` lines are
 * checked by `npm run typecheck` (part of `npm test`): each must fail to compile.
 */

const reply = <T extends ReplyType>(type: T, content: ReplyContents[T]) => ({ type, content });
const publish = <T extends IopubType>(type: T, content: IopubContents[T]) => ({ type, content });

describe('protocol: contents by msg_type', () => {
  it('accepts the content messaging.rst gives each reply', () => {
    const replies = [
      reply('complete_reply', {
        status: 'ok',
        matches: ['vcpus'],
        cursor_start: 0,
        cursor_end: 2,
        metadata: {},
      }),
      reply('is_complete_reply', { status: 'incomplete', indent: '  ' }),
      reply('execute_reply', { status: 'aborted', execution_count: 3 }),
      reply('shutdown_reply', { status: 'ok', restart: false }),
    ];
    expect(replies.map((r) => r.type)).toEqual([
      'complete_reply',
      'is_complete_reply',
      'execute_reply',
      'shutdown_reply',
    ]);
  });

  it('rejects, at compile time, a reply with another reply’s content', () => {
    // @ts-expect-error: a complete_reply has matches and a cursor range, not `found`.
    const wrong = reply('complete_reply', { status: 'ok', found: true, data: {}, metadata: {} });
    // @ts-expect-error: an incomplete cell's is_complete_reply needs its indent.
    const noIndent = reply('is_complete_reply', { status: 'incomplete' });
    // @ts-expect-error: an ok execute_reply has payload and user_expressions.
    const bare = reply('execute_reply', { status: 'ok', execution_count: 1 });
    // @ts-expect-error: no such reply.
    const unknown = reply('execute_request', { status: 'ok' });
    // @ts-expect-error: a stream is stdout or stderr.
    const stream = publish('stream', { name: 'stdin', text: 'x' });
    expect([wrong, noIndent, bare, unknown, stream].map((m) => m.type)).toEqual([
      'complete_reply',
      'is_complete_reply',
      'execute_reply',
      'execute_request',
      'stream',
    ]);
  });
});

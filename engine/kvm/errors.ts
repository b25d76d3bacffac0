import type { Errno } from './types.ts';

/**
 * An ioctl failed the way KVM would fail it. `errno` is the name KVM returns
 * (negated in the kernel); the message says which check failed and how to fix it.
 */
export class KvmError extends Error {
  readonly errno: Errno;
  constructor(errno: Errno, message: string) {
    super(`${errno}: ${message}`);
    this.name = 'KvmError';
    this.errno = errno;
  }
}

/**
 * The model's own state broke an invariant KVM would WARN or BUG on. Always a bug in
 * the model, never bad input; the message carries the state in hex.
 */
export class SimInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimInvariantError';
  }
}

export const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * Chevrotain's error recovery (recoverable.ts), kept as it is but in time and stack
 * linear in the number of errors: a text of thousands of bad lines overflowed the stack
 * and took minutes. Two of its methods are overridden, each to give what the original
 * gives: the parser's errors and CST are the same.
 */
import { CstParser, EOF, tokenMatcher } from 'chevrotain';
import type { TokenType } from 'chevrotain';

/** A repetition being re-entered after a re-sync: the production and its arguments. */
interface Reentry {
  production: (...args: unknown[]) => unknown;
  args: readonly unknown[];
  /** The arguments of a re-entry asked for from inside, to run once the stack unwinds. */
  next: readonly unknown[] | undefined;
}

/** Methods of Chevrotain's parser that its public types leave out. */
const tryInRepetitionRecovery: unknown = Reflect.get(
  CstParser.prototype,
  'tryInRepetitionRecovery',
);
const flattenFollowSet: unknown = Reflect.get(CstParser.prototype, 'flattenFollowSet');

function sameArgs(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function isTokenTypes(xs: unknown): xs is TokenType[] {
  return (
    Array.isArray(xs) &&
    xs.every((x: unknown) => typeof x === 'object' && x !== null && 'tokenTypeIdx' in x)
  );
}

export abstract class RecoveringParser extends CstParser {
  /** The repetitions being recovered, innermost last (see tryInRepetitionRecovery). */
  private readonly reentries: Reentry[] = [];

  /**
   * After a re-sync inside a repetition (the program's statements, a block's items),
   * Chevrotain re-enters the repetition by calling it from inside the recovery
   * (tryInRepetitionRecovery), so each error of one repetition deepened the stack and a
   * few thousand bad lines overflowed it. That call is the last thing the recovery,
   * and the repetition that asked for it, do (recognizer_engine.ts manyInternalLogic,
   * atLeastOneInternalLogic, repetitionSepSecondInternal): so here a re-entry of the
   * repetition already being recovered, the same production with the same arguments
   * (its action closure is made anew by each run of its rule), is only noted, and the
   * recovery below runs it in a loop once the stack has unwound.
   */
  tryInRepetitionRecovery(
    production: (...args: unknown[]) => unknown,
    args: readonly unknown[],
    lookahead: () => boolean,
    expected: TokenType,
  ): void {
    if (typeof tryInRepetitionRecovery !== 'function')
      throw new Error('parser: Chevrotain has no tryInRepetitionRecovery');
    const recover = (into: (...next: unknown[]) => void): void => {
      Reflect.apply(tryInRepetitionRecovery, this, [into, args, lookahead, expected]);
    };
    const top = this.reentries[this.reentries.length - 1];
    if (top && top.production === production && sameArgs(top.args, args)) {
      recover((...next) => {
        top.next = next;
      });
      return;
    }
    const entry: Reentry = { production, args, next: undefined };
    this.reentries.push(entry);
    try {
      recover((...next) => {
        entry.next = next;
      });
      while (entry.next !== undefined) {
        const next = entry.next;
        entry.next = undefined;
        production.apply(this, [...next]);
      }
    } finally {
      this.reentries.pop();
    }
  }

  /**
   * The first token ahead that may follow a rule on the stack, to re-sync to. As
   * Chevrotain's, but at the top of the stack, where only the end of the text may
   * follow, the answer is the end without a scan to it from every error (which made
   * recovery quadratic in the errors of a text).
   */
  findReSyncTokenType(): TokenType {
    const follows: unknown =
      typeof flattenFollowSet === 'function' ? Reflect.apply(flattenFollowSet, this, []) : [];
    if (!isTokenTypes(follows) || follows.length === 0)
      throw new Error('parser: no follow set to re-sync to');
    if (follows.length === 1 && follows[0] === EOF) return EOF;
    // Chevrotain's scan: EOF is always in the follow set and (virtually) in the input.
    for (let k = 1; ; k++) {
      const next = this.LA(k);
      const found = follows.find((f) => tokenMatcher(next, f));
      if (found !== undefined) return found;
    }
  }
}

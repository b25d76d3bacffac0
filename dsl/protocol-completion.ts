/**
 * Completion inside `protocol NAME { ... }`. The words of a protocol (`shared`, `load`,
 * `cmpxchg`, ...) are not keywords (parser.ts gates on their text so they stay free as
 * names elsewhere), so Chevrotain's content assist cannot offer them: this module reads
 * the tokens instead. It offers a declaration's words in the protocol's body, a step's
 * words in a thread, and the names each position takes: shared variables where memory is
 * loaded or stored, registers and constants in a thread's expressions (they read no
 * memory), locks after `lock`, and in an invariant the variables, `THREAD.REG` and
 * `done(THREAD)`. The words come from the compiler's tables (compile/protocols.ts).
 */
import type { IToken } from 'chevrotain';
import {
  PROTOCOL_DECLARATION_WORDS,
  PROTOCOL_RMW_WORDS,
  PROTOCOL_STATEMENT_WORDS,
} from './compile/protocols.ts';

/** The names a protocol has declared before the cursor. */
interface Declared {
  constants: string[];
  shared: string[];
  ghosts: string[];
  locks: string[];
  /** Each thread's registers, by thread name. */
  threads: Map<string, string[]>;
}

/** Where in a protocol the cursor is. */
interface ProtocolPosition {
  declared: Declared;
  /** The thread whose body the cursor is in; undefined in the protocol's body. */
  thread: string | undefined;
  /** Tokens of the current line, since the last newline or brace. */
  item: IToken[];
  /** The token before the current line's first one (`}` before `else`). */
  before: IToken | undefined;
}

/**
 * The words that may stand at the cursor when it is inside a protocol's braces, or
 * undefined when it is not (the caller's completion applies). `tokens`: the text's
 * tokens before the word being typed, comments dropped.
 */
export function completeInProtocol(tokens: readonly IToken[]): string[] | undefined {
  const at = protocolPosition(tokens);
  if (!at) return undefined;
  return at.thread === undefined ? inBody(at) : inThread(at, at.thread);
}

/** The protocol the cursor is in, its declarations so far and the cursor's line. */
function protocolPosition(tokens: readonly IToken[]): ProtocolPosition | undefined {
  let depth = 0;
  let start = -1;
  tokens.forEach((t, i) => {
    const type = t.tokenType.name;
    if (type === 'Protocol' && depth === 0) start = i;
    else if (type === 'LCurly') depth++;
    else if (type === 'RCurly') {
      depth = Math.max(0, depth - 1);
      if (depth === 0) start = -1;
    }
  });
  if (start < 0 || depth === 0) return undefined;

  const declared: Declared = {
    constants: [],
    shared: [],
    ghosts: [],
    locks: [],
    threads: new Map(),
  };
  // Depth relative to the protocol: 1 is its body, 2 a thread's, deeper a block in it.
  let level = 0;
  let line: IToken[] = [];
  let before: IToken | undefined;
  let thread: string | undefined;
  for (const t of tokens.slice(start + 1)) {
    const type = t.tokenType.name;
    if (type === 'Newline' || type === 'LCurly' || type === 'RCurly') {
      if (type === 'LCurly') {
        level++;
        if (level === 2) thread = threadOf(line, declared);
      } else if (type === 'RCurly') {
        level--;
        if (level < 2) thread = undefined;
      }
      if (level === 1 && type === 'Newline') declare(line, declared);
      line = [];
      before = t;
    } else {
      line.push(t);
    }
  }
  return { declared, thread, item: line, before };
}

/** Records what a line of the protocol's body declares. */
function declare(line: readonly IToken[], d: Declared): void {
  const [word, name] = line.map((t) => t.image);
  if (name === undefined) return;
  if (word === 'const') d.constants.push(name);
  else if (word === 'shared') d.shared.push(name);
  else if (word === 'ghost') d.ghosts.push(name);
  else if (word === 'lock') d.locks.push(name);
}

/** `thread NAME(REG, REG = E) {`: records the thread and its registers; returns its name. */
function threadOf(line: readonly IToken[], d: Declared): string | undefined {
  if (line[0]?.image !== 'thread' || line[1] === undefined) return undefined;
  const registers: string[] = [];
  let parens = 0;
  line.forEach((t, i) => {
    const type = t.tokenType.name;
    if (type === 'LParen') parens++;
    else if (type === 'RParen') parens--;
    // A register follows `(` or a `,` at the list's own level.
    const prev = line[i - 1]?.tokenType.name;
    if (parens === 1 && type === 'Identifier' && (prev === 'LParen' || prev === 'Comma'))
      registers.push(t.image);
  });
  d.threads.set(line[1].image, registers);
  return line[1].image;
}

/** In the protocol's body: a declaration's words, or what its parts take. */
function inBody({ item, declared }: ProtocolPosition): string[] {
  const words = item.map((t) => t.image);
  const [first] = words;
  if (first === undefined) return [...PROTOCOL_DECLARATION_WORDS];
  if (first === 'invariant') return inInvariant(words, declared);
  if (first === 'const' || first === 'shared' || first === 'ghost') {
    // The name is new; `bits [A, B]` and the initial value read constants.
    if (words.length === 1) return [];
    if (first === 'shared' && words.length === 2) return ['bits'];
    return declared.constants;
  }
  return [];
}

/** `invariant NAME always|at end EXPR`: what reads memory, threads and registers. */
function inInvariant(words: readonly string[], d: Declared): string[] {
  if (words.length === 1) return [];
  if (words.length === 2) return ['always', 'at'];
  if (words[2] === 'at' && words.length === 3) return ['end'];
  const last = words[words.length - 1];
  const owner = words[words.length - 2];
  if (last === '.' && owner !== undefined) return d.threads.get(owner) ?? [];
  if (last === '(' && owner === 'done') return [...d.threads.keys()];
  return [
    ...d.shared,
    ...d.ghosts,
    ...d.constants,
    ...d.threads.keys(),
    'not',
    'done',
    'and',
    'or',
  ];
}

/** In a thread: a step's words, or the names its operands take. */
function inThread({ item, declared, before }: ProtocolPosition, thread: string): string[] {
  const registers = declared.threads.get(thread) ?? [];
  const values = [...registers, ...declared.constants];
  const words = item.map((t) => t.image);
  const [first] = words;
  if (first === undefined) {
    // `} else`: the line after an if's block may continue it.
    const orElse = before?.tokenType.name === 'RCurly' ? ['else'] : [];
    return [...PROTOCOL_STATEMENT_WORDS, ...registers, ...orElse];
  }
  const afterEqual = words.includes('=');
  switch (first) {
    case 'lock':
    case 'unlock':
      return words.length === 1 ? declared.locks : [];
    case 'load':
      return afterEqual ? declared.shared : words.length === 1 ? registers : [];
    case 'store':
      return afterEqual ? values : words.length === 1 ? declared.shared : [];
    case 'ghost':
      return afterEqual ? values : words.length === 1 ? declared.ghosts : [];
    case 'if':
    case 'assert':
    case 'assume':
      return [...values, 'not', 'and', 'or'];
    case 'loop':
      if (words[words.length - 1] === 'at') return ['most'];
      if (words.includes('while')) return [...values, 'not', 'and', 'or'];
      return words.length === 1 ? ['at', 'while'] : ['while'];
    case 'else':
      return ['if'];
    default:
      if (first === 'cmpxchg' || PROTOCOL_RMW_WORDS.includes(first))
        return inReadModifyWrite(words, registers, values, declared);
      // `REG = E`: a register's new value.
      return afterEqual ? values : [];
  }
}

/** `cmpxchg [OK =] VAR, EXPECTED, NEW [old R]`, `xchg|fetch_* [OLD =] VAR, E`. */
function inReadModifyWrite(
  words: readonly string[],
  registers: readonly string[],
  values: readonly string[],
  d: Declared,
): string[] {
  const last = words[words.length - 1];
  if (words.length === 1) return [...registers, ...d.shared];
  if (last === '=') return d.shared;
  if (last === 'old') return [...registers];
  if (words.includes(',')) return [...values, ...(last === ',' ? [] : ['old'])];
  return [];
}

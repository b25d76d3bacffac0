/**
 * The glob patterns of history search (IPython's `%history -g`, SQLite's GLOB): `*`
 * matches any run of characters, `?` exactly one, every other character itself; the
 * whole text must match. Matching is linear in the text: no regular expression, so
 * nothing can backtrack (a translated regex took seconds on `*a*a*a*a*a*a*b` against a
 * 61-character cell and never returned with 25 stars).
 *
 * How: the pattern is split at its stars into segments. The first segment must match at
 * the start and the last at the end; each one between is then found at its leftmost
 * place after the one before, which is always as good as any later place (what is left
 * of the text only grows). A segment is found with the Shift-And automaton (Baeza-Yates
 * and Gonnet, 1992), one bit per pattern character, so `?` costs nothing extra. Every
 * character of the text is read by at most one search: O(text × ⌈segment/32⌉) in all.
 * Characters are code points, so `?` matches one emoji as it matches one letter.
 */

/** `?` in a segment: matches any code point. */
const ANY = -1;

/** A pattern's text between two stars: code points, ANY for `?`. */
type Segment = readonly number[];

function codePoints(text: string): number[] {
  const out: number[] = [];
  for (const c of text) out.push(c.codePointAt(0)!);
  return out;
}

function segmentOf(text: string): Segment {
  return codePoints(text).map((c) => (c === 0x3f ? ANY : c));
}

/** Whether `segment` matches `text` at `at` (which may be past the end). */
function matchesAt(segment: Segment, text: readonly number[], at: number): boolean {
  if (at < 0 || at + segment.length > text.length) return false;
  for (let i = 0; i < segment.length; i++) {
    const s = segment[i]!;
    if (s !== ANY && s !== text[at + i]) return false;
  }
  return true;
}

/** Finds a segment in a text with the Shift-And automaton, over as many 32-bit words as it needs. */
class SegmentFinder {
  readonly length: number;
  private readonly words: number;
  /** Per code point of the segment: the bits of the places it (or a `?`) may take. */
  private readonly masks = new Map<number, Uint32Array>();
  /** The bits of the `?` places: the mask of a code point the segment does not name. */
  private readonly anyMask: Uint32Array;
  private readonly state: Uint32Array;

  constructor(segment: Segment) {
    this.length = segment.length;
    this.words = Math.ceil(segment.length / 32);
    this.anyMask = new Uint32Array(this.words);
    this.state = new Uint32Array(this.words);
    segment.forEach((c, i) => {
      if (c === ANY) this.anyMask[i >>> 5]! |= 1 << (i & 31);
    });
    segment.forEach((c, i) => {
      if (c === ANY) return;
      let mask = this.masks.get(c);
      if (!mask) this.masks.set(c, (mask = Uint32Array.from(this.anyMask)));
      mask[i >>> 5]! |= 1 << (i & 31);
    });
  }

  /** The leftmost place of the segment within text[from, end), or -1. */
  find(text: readonly number[], from: number, end: number): number {
    const { state, words, length } = this;
    state.fill(0);
    const lastWord = (length - 1) >>> 5;
    const lastBit = 1 << ((length - 1) & 31);
    for (let i = from; i < end; i++) {
      const mask = this.masks.get(text[i]!) ?? this.anyMask;
      // state = ((state << 1) | 1) & mask, over `words` words, carrying between them.
      for (let w = words - 1; w >= 0; w--) {
        const carry = w === 0 ? 1 : state[w - 1]! >>> 31;
        state[w] = ((state[w]! << 1) | carry) & mask[w]!;
      }
      if (state[lastWord]! & lastBit) return i - length + 1;
    }
    return -1;
  }
}

/** A predicate for `pattern`: true for texts the whole of which it matches. */
export function globMatcher(pattern: string): (text: string) => boolean {
  const segments = pattern.split('*').map(segmentOf);
  const first = segments[0]!;
  if (segments.length === 1) {
    return (text) => {
      const t = codePoints(text);
      return t.length === first.length && matchesAt(first, t, 0);
    };
  }
  const last = segments[segments.length - 1]!;
  const middle = segments
    .slice(1, -1)
    .filter((s) => s.length > 0)
    .map((s) => new SegmentFinder(s));
  const shortest = segments.reduce((n, s) => n + s.length, 0);
  return (text) => {
    // Fewer UTF-16 units than the pattern needs code points: no match, nothing to convert.
    if (text.length < shortest) return false;
    const t = codePoints(text);
    if (t.length < shortest) return false;
    const end = t.length - last.length;
    if (!matchesAt(first, t, 0) || !matchesAt(last, t, end)) return false;
    let at = first.length;
    for (const segment of middle) {
      const found = segment.find(t, at, end);
      if (found < 0) return false;
      at = found + segment.length;
    }
    return true;
  };
}

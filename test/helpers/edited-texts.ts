import fc from 'fast-check';

/** How an edit picks what it inserts, and how much it may delete. */
export interface EditShape {
  /** What one edit inserts (an empty string makes the edit a pure deletion). */
  inserts: fc.Arbitrary<string>;
  /** Characters one edit deletes at most. */
  maxDelete: number;
  /** Edits per text at most (at least one). */
  maxEdits: number;
}

/**
 * One of `texts` after 1..maxEdits edits, each deleting up to `maxDelete` characters at
 * a random place and inserting a piece there: what a user mid-edit or a careless paste
 * hands the language. Shrinks toward fewer, smaller edits.
 */
export function editedTexts(texts: readonly string[], shape: EditShape): fc.Arbitrary<string> {
  const edit = fc.record({
    at: fc.nat(),
    remove: fc.nat({ max: shape.maxDelete }),
    insert: shape.inserts,
  });
  return fc
    .tuple(fc.constantFrom(...texts), fc.array(edit, { minLength: 1, maxLength: shape.maxEdits }))
    .map(([text, edits]) =>
      edits.reduce((t, { at, remove, insert }) => {
        const i = at % (t.length + 1);
        return t.slice(0, i) + insert + t.slice(i + remove);
      }, text),
    );
}

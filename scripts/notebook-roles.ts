/**
 * Cell roles for teaching: a lab source marks cells as the student's task, the answer
 * the student writes, a prediction made before a run, or an autograded test; the roles
 * become nbgrader cell metadata (and tags), and `assign` cuts a student version (answers
 * replaced by stubs, hidden tests removed) from the key version (everything).
 *
 * In notebooks/src/NAME.md:
 *   ```mmu role=solution          a code cell with a role (and `points=N` for graded ones)
 *   <!-- cell: solution points=2 -->   starts a Markdown cell with a role
 *   <!-- cell -->                      starts a plain Markdown cell again
 * Inside a cell, as nbgrader writes them (comments of the cell's language):
 *   # BEGIN SOLUTION / # END SOLUTION          the answer; the student sees the stub
 *   # STUB text                                 (inside a solution) what the student gets
 *   # BEGIN HIDDEN TESTS / # END HIDDEN TESTS   removed from the student version
 *   <!-- BEGIN SOLUTION --> / <!-- END SOLUTION -->   the same in Markdown
 * nbgrader's metadata: https://nbgrader.readthedocs.io/en/stable/contributor_guide/metadata.html
 */

/** What a cell is for in an assignment. */
export type CellRole = 'exercise' | 'solution' | 'predict' | 'test';

export const CELL_ROLES: readonly CellRole[] = ['exercise', 'solution', 'predict', 'test'];

/** A role as the source gives it. */
export interface RoleAttributes {
  role: CellRole;
  /** Points of a graded cell (tests, written answers). */
  points?: number;
}

/** nbgrader's cell metadata, schema version 3. */
export interface NbgraderMetadata {
  grade: boolean;
  solution: boolean;
  locked: boolean;
  grade_id: string;
  points?: number;
  schema_version: 3;
}

/** The metadata a cell with a role carries: nbgrader's, and the role as a tag. */
export interface RoleMetadata {
  nbgrader: NbgraderMetadata;
  tags: string[];
}

/**
 * `role=test points=2` (after a fence's language, or in a `<!-- cell: ... -->` marker,
 * where the first word is the role) as attributes; throws a message naming what is wrong.
 */
export function parseRoleAttributes(text: string, where: string): RoleAttributes {
  const words = text.trim().split(/\s+/).filter(Boolean);
  let role: CellRole | undefined;
  let points: number | undefined;
  for (const word of words) {
    const [key, value] = word.includes('=') ? word.split('=', 2) : ['role', word];
    if (key === 'role') {
      if (!CELL_ROLES.includes(value as CellRole))
        throw new Error(`${where}: unknown cell role '${value}' (use ${CELL_ROLES.join(', ')})`);
      role = value as CellRole;
    } else if (key === 'points') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0)
        throw new Error(`${where}: points must be a number ≥ 0, got '${value}'`);
      points = n;
    } else throw new Error(`${where}: unknown cell attribute '${key}' (use role=..., points=N)`);
  }
  if (role === undefined) throw new Error(`${where}: a cell attribute without role=...`);
  if (points !== undefined && role !== 'test' && role !== 'solution')
    throw new Error(`${where}: only test and solution cells are graded; remove points=`);
  return points === undefined ? { role } : { role, points };
}

/**
 * nbgrader's metadata for a cell of `role`: tests are locked and autograded; a written
 * (Markdown) answer is graded by hand when it has points; code answers and predictions
 * are the student's to edit; an exercise is read-only.
 */
export function roleMetadata(
  attrs: RoleAttributes,
  cellType: 'markdown' | 'code',
  gradeId: string,
): RoleMetadata {
  const graded =
    attrs.role === 'test' ||
    (attrs.role === 'solution' && cellType === 'markdown' && !!attrs.points);
  const nbgrader: NbgraderMetadata = {
    grade: graded,
    solution: attrs.role === 'solution' || attrs.role === 'predict',
    locked: attrs.role === 'test' || attrs.role === 'exercise',
    grade_id: gradeId,
    ...(graded ? { points: attrs.points ?? 1 } : {}),
    schema_version: 3,
  };
  return { nbgrader, tags: [attrs.role] };
}

/** The comment that starts a line of a cell: `#` for mmulab, `//` for TypeScript. */
export type CommentMark = '#' | '//';

const YOUR_ANSWER = 'YOUR ANSWER HERE';

/**
 * The student's version of a cell's text: each solution region becomes its `STUB` lines
 * (uncommented) after a "YOUR ANSWER HERE" comment; a solution or prediction without a
 * region is replaced whole; hidden tests are removed. Markers left unclosed throw.
 */
export function studentText(
  text: string,
  cellType: 'markdown' | 'code',
  role: CellRole | undefined,
  comment: CommentMark,
  where: string,
): string {
  const answerable = role === 'solution' || role === 'predict';
  if (cellType === 'markdown') {
    const begin = /^\s*<!--\s*BEGIN SOLUTION\s*-->\s*$/;
    const end = /^\s*<!--\s*END SOLUTION\s*-->\s*$/;
    const cut = cutRegions(text, begin, end, () => [YOUR_ANSWER], where);
    return cut.found || !answerable ? cut.text : YOUR_ANSWER;
  }
  const c = comment === '#' ? '#' : '\\/\\/';
  const marker = (what: string): RegExp => new RegExp(`^\\s*${c}\\s*${what}\\s*$`);
  const stub = new RegExp(`^(\\s*)${c}\\s?STUB ?(.*)$`);
  const hidden = cutRegions(
    text,
    marker('BEGIN HIDDEN TESTS'),
    marker('END HIDDEN TESTS'),
    () => [],
    where,
  );
  const answered = cutRegions(
    hidden.text,
    marker('BEGIN SOLUTION'),
    marker('END SOLUTION'),
    (region) => [
      `${comment} ${YOUR_ANSWER}`,
      ...region.flatMap((l) => {
        const m = stub.exec(l);
        return m ? [`${m[1]}${m[2]}`] : [];
      }),
    ],
    where,
  );
  if (answered.found || !answerable) return answered.text;
  return `${comment} ${YOUR_ANSWER}`;
}

/** `text` with every region between a `begin` and an `end` line replaced by `replace(region)`. */
function cutRegions(
  text: string,
  begin: RegExp,
  end: RegExp,
  replace: (region: string[]) => string[],
  where: string,
): { text: string; found: boolean } {
  const out: string[] = [];
  let region: string[] | undefined;
  let found = false;
  for (const line of text.split('\n')) {
    if (region === undefined) {
      if (begin.test(line)) {
        region = [];
        found = true;
      } else if (end.test(line)) throw new Error(`${where}: '${line.trim()}' without its BEGIN`);
      else out.push(line);
    } else if (end.test(line)) {
      out.push(...replace(region));
      region = undefined;
    } else if (begin.test(line))
      throw new Error(`${where}: '${line.trim()}' inside another region`);
    else region.push(line);
  }
  if (region !== undefined) throw new Error(`${where}: a BEGIN marker is never ENDed`);
  return { text: out.join('\n'), found };
}

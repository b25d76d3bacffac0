/**
 * The lab notebooks (notebooks/*.ipynb) are generated from readable sources,
 * notebooks/src/NAME.md: Markdown whose fenced ```mmu (or ```ts) blocks become code
 * cells and everything between them Markdown cells. The .ipynb files are committed
 * without outputs and are what Jupyter, the tests and `npm run notebooks` execute.
 *
 *   tsx scripts/notebooks.ts build          regenerate notebooks/*.ipynb from the sources
 *   tsx scripts/notebooks.ts check          exit 1 if a committed notebook differs from its source
 *   tsx scripts/notebooks.ts mmu NAME       print NAME's mmulab cells as one .mmu text
 *                                           (kernel commands commented out), for `mmulab run`
 *   tsx scripts/notebooks.ts run [NAME...]  (`npm run notebooks`) execute every notebook with
 *                                           nbconvert and export HTML to out/notebooks/
 *   tsx scripts/notebooks.ts assign NAME [--out DIR] [--variant N]
 *                                           write NAME's key and student versions (cell
 *                                           roles: scripts/notebook-roles.ts) to
 *                                           DIR/key/ and DIR/student/ (out/assign/NAME);
 *                                           with --variant, the student's runs variant N
 *                                           of the lab's `vary` bounds (`%variant N`)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseRoleAttributes, roleMetadata, studentText } from './notebook-roles.ts';
import type { CommentMark, RoleAttributes, RoleMetadata } from './notebook-roles.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const NOTEBOOKS_DIR = join(ROOT, 'notebooks');
export const SOURCES_DIR = join(NOTEBOOKS_DIR, 'src');
/** Where `run` writes executed notebooks, their HTML and the kernelspecs (git-ignored). */
export const OUT_DIR = join(ROOT, 'out/notebooks');
/** The prefix under which `run` installs the mmulab and tslab kernelspecs (git-ignored). */
export const KERNELSPEC_PREFIX = join(ROOT, 'out/jupyter');
export const NBCONVERT = '/usr/bin/jupyter-nbconvert';

/** Which kernel runs a notebook: our own for the language, tslab for TypeScript. */
export type NotebookKernel = 'mmulab' | 'tslab';

export interface SourceCell {
  cell_type: 'markdown' | 'code';
  source: string;
  /** Its role in an assignment, when the source gives one. */
  role?: RoleAttributes;
}

export interface NotebookSource {
  name: string;
  kernel: NotebookKernel;
  cells: SourceCell[];
}

/** nbformat 4.5 (nbformat/v4/nbformat.v4.5.schema.json), without outputs. */
export interface Notebook {
  cells: NotebookCell[];
  metadata: {
    kernelspec: { name: string; display_name: string; language: string };
    language_info: Record<string, string>;
  };
  nbformat: 4;
  nbformat_minor: 5;
}

/** A cell's metadata: none, or its role's (nbgrader's and a tag). */
export type CellMetadata = Record<string, never> | RoleMetadata;

export type NotebookCell =
  | { cell_type: 'markdown'; id: string; metadata: CellMetadata; source: string[] }
  | {
      cell_type: 'code';
      id: string;
      execution_count: null;
      metadata: CellMetadata;
      outputs: [];
      source: string[];
    };

const KERNELSPECS: Readonly<Record<NotebookKernel, Notebook['metadata']>> = {
  mmulab: {
    kernelspec: { name: 'mmulab', display_name: 'mmulab', language: 'mmulab' },
    language_info: { name: 'mmulab', file_extension: '.mmu', mimetype: 'text/x-mmulab' },
  },
  tslab: {
    kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' },
    language_info: {
      name: 'typescript',
      file_extension: '.ts',
      mimetype: 'text/typescript',
      codemirror_mode: 'typescript',
    },
  },
};

/** The fence languages that make code cells, per kernel. */
const CODE_FENCES: Readonly<Record<NotebookKernel, readonly string[]>> = {
  mmulab: ['mmu', 'mmulab'],
  tslab: ['ts', 'typescript'],
};

const KERNEL_COMMENT = /^<!--\s*kernel:\s*(\S+)\s*-->\s*\n/;
/** `<!-- cell: solution points=2 -->` starts a Markdown cell with a role; `<!-- cell -->` one without. */
const CELL_MARKER = /^<!--\s*cell(?::\s*(.*?))?\s*-->\s*$/;
/** What starts a line comment in each kernel's language. */
const COMMENT: Readonly<Record<NotebookKernel, CommentMark>> = { mmulab: '#', tslab: '//' };

/**
 * Split a source into cells. The first line may name the kernel
 * (`<!-- kernel: tslab -->`, default mmulab). A fenced block in the kernel's language
 * at the start of a line is one code cell; the Markdown between fences (blank lines
 * trimmed) is one Markdown cell. Other fences (```sh, ```text) stay in the Markdown.
 * A code fence may give the cell a role (```mmu role=test points=2); a
 * `<!-- cell: ROLE -->` line starts a Markdown cell with one (notebook-roles.ts).
 */
export function parseSource(name: string, text: string): NotebookSource {
  let kernel: NotebookKernel = 'mmulab';
  const header = KERNEL_COMMENT.exec(text);
  if (header) {
    if (header[1] !== 'mmulab' && header[1] !== 'tslab')
      throw new Error(`${name}: unknown kernel: ${header[1]} (use mmulab or tslab)`);
    kernel = header[1];
    text = text.slice(header[0].length);
  }
  const cells: SourceCell[] = [];
  const lines = text.split('\n');
  let markdown: string[] = [];
  let markdownRole: RoleAttributes | undefined;
  const flushMarkdown = (): void => {
    const body = markdown.join('\n').trim();
    if (body)
      cells.push({
        cell_type: 'markdown',
        source: body,
        ...(markdownRole ? { role: markdownRole } : {}),
      });
    else if (markdownRole) throw new Error(`${name}: an empty Markdown cell with a role`);
    markdown = [];
    markdownRole = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const where = `${name}: line ${i + 1}`;
    const open = /^```(\w+)(?:\s+(.*?))?\s*$/.exec(lines[i]);
    const marker = CELL_MARKER.exec(lines[i]);
    if (open && CODE_FENCES[kernel].includes(open[1])) {
      const close = lines.findIndex((l, k) => k > i && /^```\s*$/.test(l));
      if (close < 0) throw new Error(`${where}: code fence is never closed`);
      flushMarkdown();
      const role = open[2] ? parseRoleAttributes(open[2], where) : undefined;
      cells.push({
        cell_type: 'code',
        source: lines.slice(i + 1, close).join('\n'),
        ...(role ? { role } : {}),
      });
      i = close;
    } else if (marker) {
      flushMarkdown();
      markdownRole = marker[1] ? parseRoleAttributes(marker[1], where) : undefined;
    } else {
      markdown.push(lines[i]);
    }
  }
  flushMarkdown();
  return { name, kernel, cells };
}

/** Jupyter stores source as lines that keep their newline, the last one without. */
function sourceLines(text: string): string[] {
  const lines = text.split('\n');
  return lines.map((l, i) => (i < lines.length - 1 ? `${l}\n` : l)).filter((l) => l !== '');
}

/**
 * The notebook of a source; cell ids are stable (`NAME-NN`), so rebuilding changes
 * nothing. The `student` version replaces answers by their stubs and drops hidden tests.
 */
export function toNotebook(src: NotebookSource, version: 'key' | 'student' = 'key'): Notebook {
  return {
    cells: src.cells.map((c, i) => {
      const id = `${src.name}-${String(i).padStart(2, '0')}`;
      const text =
        version === 'student'
          ? studentText(
              c.source,
              c.cell_type,
              c.role?.role,
              COMMENT[src.kernel],
              `${src.name} ${id}`,
            )
          : c.source;
      const source = sourceLines(text);
      const metadata: CellMetadata = c.role ? roleMetadata(c.role, c.cell_type, id) : {};
      return c.cell_type === 'markdown'
        ? { cell_type: 'markdown', id, metadata, source }
        : { cell_type: 'code', id, execution_count: null, metadata, outputs: [], source };
    }),
    metadata: KERNELSPECS[src.kernel],
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/** As Jupyter writes notebooks: one-space indent and a final newline. */
export function serializeNotebook(nb: Notebook): string {
  return `${JSON.stringify(nb, null, 1)}\n`;
}

/** The names of the notebook sources, sorted. */
export function notebookNames(): string[] {
  return readdirSync(SOURCES_DIR)
    .filter((f) => f.endsWith('.md'))
    .map((f) => f.slice(0, -3))
    .sort();
}

export function readSource(name: string): NotebookSource {
  return parseSource(name, readFileSync(join(SOURCES_DIR, `${name}.md`), 'utf8'));
}

export function notebookPath(name: string): string {
  return join(NOTEBOOKS_DIR, `${name}.ipynb`);
}

/** The mmulab cells of a notebook as one text for `mmulab run`; `%` kernel commands become comments. */
export function mmuText(src: NotebookSource): string {
  if (src.kernel !== 'mmulab') throw new Error(`${src.name} is a ${src.kernel} notebook`);
  return src.cells
    .filter((c) => c.cell_type === 'code')
    .map((c) => c.source.replace(/^%/gm, '# %'))
    .join('\n\n')
    .concat('\n');
}

/** Where `assign NAME` writes by default (git-ignored). */
export const ASSIGN_DIR = join(ROOT, 'out/assign');

/**
 * Write `src`'s key version (everything, roles in nbgrader's metadata) to DIR/key/ and
 * its student version to DIR/student/, each as NAME.ipynb; returns the two paths.
 * A source without roles has nothing to hand out: that is an error.
 */
export function writeAssignment(
  src: NotebookSource,
  dir: string,
  variant?: number,
): { key: string; student: string } {
  if (!src.cells.some((c) => c.role))
    throw new Error(
      `${src.name} has no cell roles: mark answers with \`role=solution\` and tests with \`role=test\` (scripts/notebook-roles.ts)`,
    );
  const paths = {
    key: join(dir, 'key', `${src.name}.ipynb`),
    student: join(dir, 'student', `${src.name}.ipynb`),
  };
  if (variant !== undefined && src.kernel !== 'mmulab')
    throw new Error(
      `${src.name} is a ${src.kernel} notebook: pass { variant: N } to mmu() instead`,
    );
  for (const version of ['key', 'student'] as const) {
    mkdirSync(dirname(paths[version]), { recursive: true });
    const nb = toNotebook(src, version);
    if (version === 'student' && variant !== undefined) withVariant(nb, src.name, variant);
    writeFileSync(paths[version], serializeNotebook(nb));
  }
  return paths;
}

/**
 * Give a student's notebook its own values of the lab's `vary` bounds: a locked
 * `%variant N` cell after the title, before any definition runs.
 */
function withVariant(nb: Notebook, name: string, variant: number): void {
  nb.cells.splice(1, 0, {
    cell_type: 'code',
    id: `${name}-variant`,
    execution_count: null,
    metadata: {},
    outputs: [],
    source: [`%variant ${variant}`],
  });
}

/** Regenerate every notebook; returns the names whose file changed. */
export function buildAll(): string[] {
  const changed: string[] = [];
  for (const name of notebookNames()) {
    const text = serializeNotebook(toNotebook(readSource(name)));
    const path = notebookPath(name);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
      writeFileSync(path, text);
      changed.push(name);
    }
  }
  return changed;
}

/** The notebooks whose committed .ipynb differs from what its source gives. */
export function staleNotebooks(): string[] {
  return notebookNames().filter((name) => {
    const path = notebookPath(name);
    return (
      !existsSync(path) ||
      readFileSync(path, 'utf8') !== serializeNotebook(toNotebook(readSource(name)))
    );
  });
}

/**
 * Write the kernelspecs nbconvert needs under PREFIX/share/jupyter/kernels, as a user
 * would: `mmulab kernel install --prefix` writes mmulab's and tslab's (whose NODE_PATH
 * makes 'mmulab/tslab' importable from the notebooks' folder). Returns the environment
 * to run Jupyter in, with JUPYTER_PATH naming that data directory first.
 */
export function prepareKernelspecs(prefix: string = KERNELSPEC_PREFIX): NodeJS.ProcessEnv {
  const dataDir = join(prefix, 'share/jupyter');
  execFileSync(
    process.execPath,
    [join(ROOT, 'bin/mmulab.js'), 'kernel', 'install', '--prefix', prefix],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return {
    ...process.env,
    JUPYTER_PATH: [dataDir, process.env.JUPYTER_PATH].filter(Boolean).join(':'),
    TZ: 'UTC',
    NO_COLOR: '1',
  };
}

/** What executing one notebook gave. */
export interface ExecutionOutcome {
  name: string;
  ok: boolean;
  seconds: number;
  /** The executed notebook (with outputs), when nbconvert wrote one. */
  executedPath: string;
  /** nbconvert's own stderr (kernel start-up, CellExecutionError, ...). */
  stderr: string;
}

/**
 * Execute `name` (notebooks/NAME.ipynb, or `input`) with nbconvert into
 * OUT_DIR/NAME.ipynb (with outputs), running in its folder as Jupyter would. Failing cells
 * leave `error` outputs in it (see outputProblems); a non-zero exit means the kernel
 * did not start, died or timed out. With `allowErrors: false` nbconvert stops at the
 * first failing cell and exits non-zero, as an autograder runs a notebook.
 */
export function executeNotebook(
  name: string,
  env: NodeJS.ProcessEnv,
  {
    outDir = OUT_DIR,
    timeoutS = 120,
    input = notebookPath(name),
    allowErrors = true,
  }: { outDir?: string; timeoutS?: number; input?: string; allowErrors?: boolean } = {},
): ExecutionOutcome {
  mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  const r = spawnSync(
    NBCONVERT,
    [
      '--to',
      'notebook',
      '--execute',
      // Keep going after a failing cell so that every problem is reported at once.
      ...(allowErrors ? ['--allow-errors'] : []),
      `--ExecutePreprocessor.timeout=${timeoutS}`,
      '--output-dir',
      outDir,
      input,
    ],
    { cwd: dirname(input), env, encoding: 'utf8', timeout: (timeoutS + 60) * 1000 },
  );
  return {
    name,
    ok: r.status === 0,
    seconds: (Date.now() - started) / 1000,
    executedPath: join(outDir, `${name}.ipynb`),
    stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`,
  };
}

/** Export an executed notebook to NAME.html beside it (no re-execution). */
export function exportHtml(executedPath: string, env: NodeJS.ProcessEnv): boolean {
  const r = spawnSync(
    NBCONVERT,
    ['--to', 'html', '--output-dir', dirname(executedPath), executedPath],
    {
      env,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) process.stderr.write(r.stderr);
  return r.status === 0;
}

/** One output of an executed notebook that the tests count as a failure. */
export interface OutputProblem {
  cell: string;
  kind: 'error' | 'stderr';
  text: string;
}

/**
 * The error outputs of an executed notebook, and its stderr streams that hold anything
 * but expected warnings (the checker's `warning:` diagnostics with their excerpt and hint).
 */
export function outputProblems(executed: unknown): OutputProblem[] {
  const problems: OutputProblem[] = [];
  const nb = executed as {
    cells: { id?: string; cell_type: string; outputs?: Record<string, unknown>[] }[];
  };
  for (const cell of nb.cells) {
    for (const out of cell.outputs ?? []) {
      const id = cell.id ?? '?';
      if (out.output_type === 'error') {
        problems.push({
          cell: id,
          kind: 'error',
          text: `${String(out.ename)}: ${String(out.evalue)}`,
        });
      } else if (out.output_type === 'stream' && out.name === 'stderr') {
        const text = Array.isArray(out.text) ? out.text.join('') : String(out.text);
        const bad = stderrUnexpected(text);
        if (bad) problems.push({ cell: id, kind: 'stderr', text: bad });
      }
    }
  }
  return problems;
}

/**
 * What in a stderr stream is unexpected, or '' if nothing: a stream that carries the
 * language's warning diagnostics (`line:col: warning: ...` with the offending text,
 * its carets and a hint) and no error is expected; anything else is returned whole.
 */
export function stderrUnexpected(text: string): string {
  if (text.trim() === '') return '';
  if (/\bwarning\b/i.test(text) && !/\berror\b/i.test(text)) return '';
  return text.trim();
}

function main(args: string[]): number {
  const [command = 'run', ...rest] = args;
  switch (command) {
    case 'build': {
      const changed = buildAll();
      console.log(changed.length ? `wrote ${changed.join(', ')}` : 'notebooks are up to date');
      return 0;
    }
    case 'check': {
      const stale = staleNotebooks();
      if (stale.length) {
        console.error(
          `notebooks differ from notebooks/src: ${stale.join(', ')}; run \`tsx scripts/notebooks.ts build\``,
        );
        return 1;
      }
      return 0;
    }
    case 'assign': {
      const [name, ...flags] = rest;
      const options: Record<string, string> = {};
      for (let i = 0; i < flags.length; i += 2) options[flags[i]!] = flags[i + 1] ?? '';
      const bad = Object.entries(options).some(
        ([k, v]) => !(k === '--out' && v !== '') && !(k === '--variant' && /^\d+$/.test(v)),
      );
      if (!name || bad) {
        console.error('usage: tsx scripts/notebooks.ts assign NAME [--out DIR] [--variant N]');
        return 2;
      }
      const dir = options['--out'] ?? join(ASSIGN_DIR, name);
      const variant = options['--variant'] === undefined ? undefined : Number(options['--variant']);
      try {
        const { key, student } = writeAssignment(readSource(name), dir, variant);
        console.log(`key: ${key}\nstudent: ${student}`);
        return 0;
      } catch (e) {
        console.error((e as Error).message);
        return 1;
      }
    }
    case 'mmu': {
      if (rest.length !== 1) {
        console.error('usage: tsx scripts/notebooks.ts mmu NAME');
        return 2;
      }
      process.stdout.write(mmuText(readSource(rest[0])));
      return 0;
    }
    case 'run': {
      if (!existsSync(NBCONVERT)) {
        console.error(
          `${NBCONVERT} not found: install Jupyter (Debian: apt-get install jupyter-nbconvert)`,
        );
        return 2;
      }
      buildAll();
      const env = prepareKernelspecs();
      const names = rest.length ? rest : notebookNames();
      let failed = 0;
      for (const name of names) {
        const r = executeNotebook(name, env);
        let problems: OutputProblem[] = [];
        if (existsSync(r.executedPath)) {
          problems = outputProblems(JSON.parse(readFileSync(r.executedPath, 'utf8')));
          exportHtml(r.executedPath, env);
        }
        const ok = r.ok && problems.length === 0;
        if (!ok) failed++;
        console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} (${r.seconds.toFixed(1)} s)`);
        if (!r.ok) process.stderr.write(r.stderr);
        for (const p of problems) console.log(`     cell ${p.cell}: ${p.kind}: ${p.text}`);
      }
      console.log(`HTML in ${OUT_DIR}`);
      return failed ? 1 : 0;
    }
    default:
      console.error(
        `unknown command: ${command} (build, check, mmu NAME, run [NAME...], assign NAME [--out DIR])`,
      );
      return 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main(process.argv.slice(2));
}

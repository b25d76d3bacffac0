import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  brokenLinks,
  githubSlug,
  markdownAnchors,
  markdownLinks,
} from '../helpers/markdown-links.ts';

/**
 * The documentation a user reads (README, docs/, the examples' READMEs, the notebooks'
 * Markdown) links only to files and sections that exist, and cites nothing outside
 * the repository: every fact a lab relies on is in docs/kvm.md and docs/migration.md,
 * with its upstream source.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const THIS_FILE = relative(ROOT, fileURLToPath(import.meta.url));

// ---- tunables ----
/** Folders never scanned: dependencies, build output, run output, git's own. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'out', '.git', 'coverage']);
/** Text files scanned for citations (package-lock.json is generated and huge). */
const TEXT_FILE =
  /\.(ts|mts|js|mjs|cjs|md|json|ipynb|mmu|ya?ml|cff|sh|sbatch|html|txt)$|Dockerfile$/;
const SKIPPED_FILES = new Set(['package-lock.json']);
/**
 * Background notes that are not part of the project. Users do not have them, so a
 * citation of one is a dead end; the docs say the same in the project's own words.
 */
const PRIVATE_CITATIONS = [
  'reference/kvm.md',
  'reference/migration.md',
  'reference/jupyter.md',
  'reference/races.md',
  'shared/reference',
];
/** User-facing text must not point at the team's shared folder at all. */
const USER_FACING_PRIVATE = [...PRIVATE_CITATIONS, 'shared/'];
/** A citation of a docs section from code or tests: docs/NAME.md#anchor. */
const DOCS_CITATION = /docs\/([\w.-]+\.md)#([\w-]+)/g;

function walk(dir: string, keep: (path: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) walk(path, keep, out);
    } else if (keep(path)) {
      out.push(path);
    }
  }
  return out;
}

const inDir = (dir: string, ext: string): string[] =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith(ext))
    .map((f) => join(ROOT, dir, f));

/** The Markdown users read, each with the folder its links are resolved from. */
function userMarkdown(): { file: string; baseDir: string }[] {
  const plain = [
    join(ROOT, 'README.md'),
    join(ROOT, 'notebooks/README.md'),
    ...inDir('docs', '.md'),
    ...walk(join(ROOT, 'examples'), (p) => p.endsWith('/README.md')),
  ].map((file) => ({ file, baseDir: dirname(file) }));
  // A notebook source becomes notebooks/NAME.ipynb: its links are read from notebooks/.
  const notebooks = inDir('notebooks/src', '.md').map((file) => ({
    file,
    baseDir: join(ROOT, 'notebooks'),
  }));
  return [...plain, ...notebooks];
}

const repoTextFiles = (): string[] =>
  walk(
    ROOT,
    (p) =>
      TEXT_FILE.test(p) && !SKIPPED_FILES.has(relative(ROOT, p)) && relative(ROOT, p) !== THIS_FILE,
  );

describe('documentation links', () => {
  it('covers the README, docs/, the examples, and every notebook source', () => {
    const files = userMarkdown().map(({ file }) => relative(ROOT, file));
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/kvm.md',
        'docs/migration.md',
        'docs/glossary.md',
        'examples/cluster/README.md',
        'notebooks/src/dirty-ring-vs-bitmap.md',
      ]),
    );
  });

  it('every relative link reaches an existing file, and an existing section when it names one', () => {
    const broken = userMarkdown().flatMap(({ file, baseDir }) =>
      brokenLinks(file, { root: ROOT, baseDir }),
    );
    expect(broken.map((b) => `${b.file}:${b.line}: ${b.target}: ${b.problem}`)).toEqual([]);
  });

  it('the labs cite docs/kvm.md and docs/migration.md by section', () => {
    const cited = new Set(
      inDir('notebooks/src', '.md').flatMap((file) =>
        markdownLinks(readFileSync(file, 'utf8')).map((l) => l.target.split('#')[0]),
      ),
    );
    expect(cited).toContain('../docs/kvm.md');
    expect(cited).toContain('../docs/migration.md');
  });

  it('user-facing text cites nothing outside the repository', () => {
    const files = [
      ...userMarkdown().map(({ file }) => file),
      ...inDir('notebooks', '.ipynb'),
      ...walk(join(ROOT, 'examples'), (p) => TEXT_FILE.test(p)),
    ];
    const found = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return USER_FACING_PRIVATE.filter((s) => text.includes(s)).map(
        (s) => `${relative(ROOT, file)}: ${s}`,
      );
    });
    expect(found).toEqual([]);
  });

  it('no file in the repository cites the private background notes', () => {
    const found = repoTextFiles().flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return PRIVATE_CITATIONS.filter((s) => text.includes(s)).map(
        (s) => `${relative(ROOT, file)}: ${s}`,
      );
    });
    expect(found).toEqual([]);
  });

  it('every docs/NAME.md#section cited from code, tests or docs exists', () => {
    const anchorsOf = new Map<string, Set<string>>();
    const anchors = (name: string): Set<string> | undefined => {
      if (!anchorsOf.has(name)) {
        try {
          anchorsOf.set(name, markdownAnchors(readFileSync(join(ROOT, 'docs', name), 'utf8')));
        } catch {
          return undefined;
        }
      }
      return anchorsOf.get(name);
    };
    const missing = repoTextFiles().flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(DOCS_CITATION)]
        .filter(([, name, anchor]) => !anchors(name)?.has(anchor))
        .map(([cited]) => `${relative(ROOT, file)}: ${cited}`),
    );
    expect(missing).toEqual([]);
  });
});

describe('brokenLinks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmulab-links-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'docs'));
  writeFileSync(
    join(dir, 'docs/target.md'),
    '# Title\n\n<a id="numbered"></a>\n\n## 2. A `code` heading\n\n## Twice\n\n## Twice\n',
  );
  const check = (markdown: string): string[] => {
    writeFileSync(join(dir, 'page.md'), markdown);
    return brokenLinks(join(dir, 'page.md'), { root: dir }).map((b) => b.problem);
  };

  it('reports a link to a missing file', () => {
    expect(check('see [the docs](docs/missing.md)\n')).toEqual(['no file docs/missing.md']);
  });

  it('accepts a link to an existing file', () => {
    expect(check('see [the docs](docs/target.md)\n')).toEqual([]);
  });

  it('reports an anchor the target does not define', () => {
    expect(check('[x](docs/target.md#nowhere)\n')).toEqual([
      'docs/target.md has no heading or <a id> "nowhere"',
    ]);
  });

  it('accepts heading slugs, a repeated heading and explicit <a id> anchors', () => {
    const links = [
      '[a](docs/target.md#title)',
      '[b](docs/target.md#2-a-code-heading)',
      '[c](docs/target.md#twice-1)',
      '[d](docs/target.md#numbered)',
    ];
    expect(check(`${links.join('\n')}\n`)).toEqual([]);
  });

  it('resolves a same-file anchor against the file itself', () => {
    expect(check('# Here\n\n[up](#here) [down](#there)\n')).toEqual([
      'page.md has no heading or <a id> "there"',
    ]);
  });

  it('reports a link that leaves the repository', () => {
    expect(check('[out](../../elsewhere.md)\n')).toEqual(['leaves the repository']);
  });

  it('ignores URLs, code blocks and inline code', () => {
    const md = [
      '[web](https://docs.kernel.org/virt/kvm/api.html#kvm-get-dirty-log)',
      '`[not](a-link.md)`',
      '```',
      '[not](a-link-either.md)',
      '```',
    ].join('\n');
    expect(check(`${md}\n`)).toEqual([]);
  });
});

describe('githubSlug', () => {
  it.each([
    ['1. Memslots and the logging flag', '1-memslots-and-the-logging-flag'],
    ['6.1 Soft limit and KVM_EXIT_DIRTY_RING_FULL', '61-soft-limit-and-kvm_exit_dirty_ring_full'],
    ['`vm NAME [extends NAME] { ... }`', 'vm-name-extends-name---'],
    ['See [the API](https://docs.kernel.org/)', 'see-the-api'],
  ])('%s -> %s', (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });
});

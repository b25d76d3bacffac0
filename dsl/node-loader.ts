/**
 * The file loader of the command line: reads `use "..."` and trace files from disk.
 * Kept apart from compile.ts so the language itself stays free of I/O (and usable in
 * a browser or a kernel without a file system).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { FileLoader, LoadedFile } from './compile.ts';

/**
 * A file as diagnostics name it: relative to `cwd` when it lies inside it, else
 * absolute (a message about `use "common.mmu"` names `common.mmu`, not the temporary
 * directory a notebook or a test runs in).
 */
export function shownPath(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/**
 * The loader for files under `cwd`: resolves `path` against the directory of
 * `fromFile` (itself relative to `cwd`, or absolute), or against `cwd` when there is
 * none, and reads it as UTF-8; the file it returns is named as `shownPath` names it.
 * Returns null when the file does not exist; other errors (a directory, no
 * permission) throw and become diagnostics.
 */
export function nodeFileLoaderIn(cwd: string): FileLoader {
  return (path, fromFile): LoadedFile | null => {
    const file = resolve(fromFile === undefined ? cwd : dirname(resolve(cwd, fromFile)), path);
    try {
      return { text: readFileSync(file, 'utf8'), file: shownPath(cwd, file) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  };
}

/** `nodeFileLoaderIn` the current directory (as it is at each call). */
export const nodeFileLoader: FileLoader = (path, fromFile) =>
  nodeFileLoaderIn(process.cwd())(path, fromFile);

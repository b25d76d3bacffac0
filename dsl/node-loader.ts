/**
 * The file loader of the command line: reads `use "..."` and trace files from disk.
 * Kept apart from compile.ts so the language itself stays free of I/O (and usable in
 * a browser or a kernel without a file system).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FileLoader, LoadedFile } from './compile.ts';

/**
 * Resolve `path` against the directory of `fromFile` (the current directory when
 * there is none) and read it as UTF-8. Returns null when the file does not exist;
 * other errors (a directory, no permission) throw and become diagnostics.
 */
export const nodeFileLoader: FileLoader = (path, fromFile): LoadedFile | null => {
  const file = resolve(fromFile === undefined ? process.cwd() : dirname(fromFile), path);
  try {
    return { text: readFileSync(file, 'utf8'), file };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
};

import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { compile, diagnosticRenderer } from '../../dsl/compile.ts';
import { shownDiagnostics } from '../../dsl/diagnostics.ts';
import type { CompileResult, FileLoader } from '../../dsl/compile.ts';
import { nodeFileLoaderIn, shownPath } from '../../dsl/node-loader.ts';
import type { SourceText } from '../output/environment.ts';
import { UsageError } from './args.ts';
import { isNotebookPath, notebookRefusal } from './notebook-file.ts';

/** A compiled `.mmu` file and the text it came from. */
export interface LoadedFile {
  /** Absolute path. */
  path: string;
  /** The path as diagnostics show it: relative to the working directory when inside it. */
  shownPath: string;
  text: string;
  compiled: CompileResult;
  /**
   * Every text the program was compiled from: this file's (by its base name), then each
   * file it reads (`use`, traces), by its path relative to this file's directory.
   */
  sources: SourceText[];
}

/**
 * Read and compile `file` (relative to `cwd`). A file that cannot be read is a usage
 * error (exit 2), not a plan error: the message says what is wrong with the path.
 */
export function loadFile(command: string, file: string, cwd: string, variant?: number): LoadedFile {
  if (isNotebookPath(file)) throw new UsageError(notebookRefusal(command, file));
  const { path, text } = readCliFile(command, file, cwd);
  const shown = shownPath(cwd, path);
  const sources: SourceText[] = [{ name: basename(path), text }];
  // Files are named relative to the working directory, as the main file is, so a
  // message about a `use` names the files as the user sees them.
  const fromCwd = nodeFileLoaderIn(cwd);
  const load: FileLoader = (usePath, fromFile) => {
    const loaded = fromCwd(usePath, fromFile);
    if (loaded)
      sources.push({ name: relative(dirname(path), resolve(cwd, loaded.file)), text: loaded.text });
    return loaded;
  };
  const compiled = compile(text, {
    file: shown,
    load,
    ...(variant === undefined ? {} : { variant }),
  });
  return { path, shownPath: shown, text, compiled, sources };
}

/**
 * The text of `file` (relative to `cwd`) for `command`; a path that cannot be read is a
 * usage error whose message says what is wrong with it.
 */
export function readCliFile(
  command: string,
  file: string,
  cwd: string,
): { path: string; text: string } {
  const path = resolve(cwd, file);
  try {
    if (statSync(path).isDirectory())
      throw new UsageError(`${command}: '${file}' is a directory; give a file.`);
    return { path, text: readFileSync(path, 'utf8') };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `no such file (looked for ${path})`
        : code === 'EACCES'
          ? 'permission denied'
          : (e as Error).message;
    throw new UsageError(`${command}: cannot read '${file}': ${why}. Check the path and retry.`);
  }
}

/**
 * The diagnostics rendered with their source line and caret, blank-line separated: the
 * first errors and warnings of each file, then how many more there are (SHOWN_PER_FILE).
 */
export function formatDiagnostics(loaded: LoadedFile): string {
  const { compiled } = loaded;
  const render = diagnosticRenderer(compiled, loaded.text, loaded.shownPath);
  const { shown, omitted } = shownDiagnostics(compiled.diagnostics);
  return [...shown.map(render), ...omitted].join('\n\n');
}

/** "2 errors, 1 warning". */
export function countDiagnostics(loaded: LoadedFile): string {
  const errors = loaded.compiled.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = loaded.compiled.diagnostics.length - errors;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

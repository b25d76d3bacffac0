/**
 * Files a text names: the `use`d files and the CSV of a trace workload. The language
 * does no I/O itself: the caller passes a `FileLoader` (the command line passes
 * node-loader.ts's), and every failure to read is a diagnostic at the name.
 */
import { parseTraceCsv } from '../../engine/guest/trace.ts';
import type { TraceRow } from '../../engine/plan.ts';
import type { Span } from '../ast.ts';
import { DiagnosticCode as C, diagnostic } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';

/** A file read for a `use` or a trace: its text and its name (a resolved path). */
export interface LoadedFile {
  text: string;
  /** Shown in diagnostics and used to detect cycles, so it must name one file one way. */
  file: string;
}

/**
 * Reads a file named in a text. `path` is as written; `fromFile` is the file that
 * names it (undefined for a text without a file), so relative paths can be resolved
 * against it. Returns null when there is no such file.
 */
export type FileLoader = (path: string, fromFile: string | undefined) => LoadedFile | null;

/** The loader of a compile and the file being compiled. */
export interface FileContext {
  load: FileLoader | undefined;
  /** The file that names the paths (undefined for a text without a file). */
  file: string | undefined;
}

/** Load a file named in the text (a `use` or a trace), or report why not. */
export function loadFile(
  path: string,
  span: Span,
  ctx: FileContext,
  diags: Diagnostic[],
): LoadedFile | undefined {
  if (!ctx.load) {
    diags.push(
      diagnostic(
        'error',
        C.MissingFile,
        span,
        `Cannot read "${path}": files can only be read when compiling a file.`,
        'Run it with `mmulab run FILE.mmu`, or write the definitions here.',
      ),
    );
    return undefined;
  }
  let loaded: LoadedFile | null;
  try {
    loaded = ctx.load(path, ctx.file);
  } catch (e) {
    diags.push(
      diagnostic(
        'error',
        C.MissingFile,
        span,
        `Cannot read "${path}": ${e instanceof Error ? e.message : String(e)}.`,
        'Check that the file exists and can be read.',
      ),
    );
    return undefined;
  }
  if (!loaded) {
    diags.push(
      diagnostic(
        'error',
        C.MissingFile,
        span,
        `File "${path}" not found.`,
        `Paths are relative to the file that names them${ctx.file ? ` (${ctx.file})` : ''}.`,
      ),
    );
    return undefined;
  }
  return loaded;
}

/** The rows of a `trace` workload's CSV file, or undefined with a diagnostic. */
export function traceRows(
  path: string,
  span: Span,
  ctx: FileContext,
  diags: Diagnostic[],
): TraceRow[] | undefined {
  const loaded = loadFile(path, span, ctx, diags);
  if (!loaded) return undefined;
  try {
    return parseTraceCsv(loaded.text);
  } catch (e) {
    diags.push(
      diagnostic(
        'error',
        C.BadTrace,
        span,
        `Trace "${path}" cannot be read: ${e instanceof Error ? e.message : String(e)}.`,
        'A trace is a CSV file with the header time,vcpu,gfn,op.',
      ),
    );
    return undefined;
  }
}

import { relative, resolve } from 'node:path';
import type { CompiledProgram, Scope } from '../../dsl/compile.ts';
import { compile, diagnosticRenderer } from '../../dsl/compile.ts';
import { shownDiagnostics } from '../../dsl/diagnostics.ts';
import { nodeFileLoaderIn } from '../../dsl/node-loader.ts';
import type { SourceText } from '../output/environment.ts';

/**
 * A cell's language text compiled against the session's scope, its diagnostics
 * already rendered: plain data, so it can cross from the compile thread
 * (compile-thread.ts) to the kernel's main thread by structured clone.
 */

export interface CellCompileRequest {
  text: string;
  /** The definitions of earlier cells. */
  scope: Scope;
  /** Directory that relative `use` and trace paths resolve against. */
  cwd: string;
  /** The variant whose values `vary` bounds take (`%variant N`); default 0. */
  variant?: number;
  /** Only its definitions and `use`s (CompileOptions.definitionsOnly): `%variant N`. */
  definitionsOnly?: boolean;
}

export type CompiledCell =
  | {
      status: 'ok';
      /** `scope` plus this cell's definitions. */
      scope: Scope;
      program: CompiledProgram;
      /** The files the cell read (`use`, traces), named relative to `cwd`: provenance. */
      used: SourceText[];
      /** Rendered warnings and "... and N more" lines, for stderr. */
      warnings: string[];
    }
  | {
      status: 'error';
      /** `line L:C: message (and N more errors)`: the first error, in one line. */
      evalue: string;
      /** Every shown error rendered (its first line marked red), then the omitted counts. */
      traceback: string[];
      warnings: string[];
    };

/** Compiles cells for a session: in this thread, or on one that interrupts can stop. */
export interface CellCompiler {
  /** Rejects with CompileStopped when `signal` aborts first. */
  compile(request: CellCompileRequest, signal?: AbortSignal): Promise<CompiledCell>;
  close(): Promise<void>;
}

/** Compilation ended without a result: interrupted, or its thread died (out of memory). */
export class CompileStopped extends Error {
  constructor(
    message: string,
    readonly interrupted: boolean,
  ) {
    super(message);
    this.name = 'CompileStopped';
  }
}

const RED = '\u001b[31m';
const RESET = '\u001b[0m';

/** Compile one cell's language text and render its diagnostics (the first of each file). */
export function compileCell({
  text,
  scope,
  cwd,
  variant,
  definitionsOnly,
}: CellCompileRequest): CompiledCell {
  const used: SourceText[] = [];
  const fromCwd = nodeFileLoaderIn(cwd);
  const compiled = compile(text, {
    scope,
    ...(variant === undefined ? {} : { variant }),
    ...(definitionsOnly ? { definitionsOnly } : {}),
    load: (path, from) => {
      // Used files are named relative to the notebook's directory (nodeFileLoaderIn).
      const loaded = fromCwd(path, from);
      if (loaded) used.push({ name: relative(cwd, resolve(cwd, loaded.file)), text: loaded.text });
      return loaded;
    },
  });
  const render = diagnosticRenderer(compiled, text);
  const { shown, omitted } = shownDiagnostics(compiled.diagnostics);
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = shown.filter((d) => d.severity === 'warning').map(render);
  if (errors === 0) {
    warnings.push(...omitted);
    return { status: 'ok', scope: compiled.scope, program: compiled.program, used, warnings };
  }
  const first = shown.find((d) => d.severity === 'error')!;
  const where = `${first.file ? `${first.file}:` : ''}line ${first.line}:${first.column}`;
  const more = errors > 1 ? ` (and ${errors - 1} more error${errors > 2 ? 's' : ''})` : '';
  const traceback = [
    ...shown
      .filter((d) => d.severity === 'error')
      .flatMap((d) => [
        ...render(d)
          .split('\n')
          .map((l, i) => (i === 0 ? `${RED}${l}${RESET}` : l)),
        '',
      ]),
    ...omitted,
  ];
  return { status: 'error', evalue: `${where}: ${first.message}${more}`, traceback, warnings };
}

/** Compiles in the caller's thread (tests, and hosts without a kernel's heartbeat). */
export class InThreadCompiler implements CellCompiler {
  compile(request: CellCompileRequest, signal?: AbortSignal): Promise<CompiledCell> {
    if (signal?.aborted) return Promise.reject(new CompileStopped('interrupted', true));
    return Promise.resolve(compileCell(request));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * `use "file.mmu"`: the definitions of another file enter this one's scope. Each used
 * file is compiled once per `compile` call, a file that uses itself (directly or not)
 * is a cycle, and a used file's runs and outputs are ignored with a warning.
 */
import type { Program, UseStatement } from '../ast.ts';
import { DiagnosticCode as C, diagnostic } from '../diagnostics.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { loadFile } from './files.ts';
import type { FileContext, LoadedFile } from './files.ts';
import { mergeScopes } from './scope.ts';
import type { Scope } from './scope.ts';
import type { CompiledVariant, VariantPick } from './variant.ts';

/** What one `compile` call shares across the files it uses. */
export interface UseContext {
  /** The files being compiled, outermost first: a `use` of one of them is a cycle. */
  stack: string[];
  /** Used files already compiled, by name, with the scope they export. */
  done: Map<string, Scope>;
  /** The texts of the used files, by name, for rendering their diagnostics. */
  sources: Map<string, string>;
}

/** What compiling a used file gives: its scope, its diagnostics, the `vary` values it picked. */
export interface UsedFile {
  scope: Scope;
  diagnostics: Diagnostic[];
  program?: { variant?: CompiledVariant };
}

/**
 * Compiles a used file: compile.ts's compileFile, passed in so that the imports go one
 * way. Returns the file's scope (its definitions and those it uses) and diagnostics.
 */
export type CompileUsed = (loaded: LoadedFile, ctx: UseContext) => UsedFile;

/**
 * `scope` with the definitions of every file `ast` uses, the diagnostics of those
 * files and what their `vary` bounds picked (a file used twice picks once). Problems with a `use` itself (missing file, cycle) go to `diags`; in a used
 * file, statements other than definitions and uses are reported as ignored.
 */
export function compileUses(
  ast: Program,
  scope: Scope,
  self: string,
  files: FileContext,
  ctx: UseContext,
  diags: Diagnostic[],
  compileUsed: CompileUsed,
  /** Lines with a syntax error: a `use` there has a path recovery made up, or an unclosed string's. */
  syntaxLines: ReadonlySet<number>,
): { scope: Scope; used: Diagnostic[]; picks: VariantPick[] } {
  const used: Diagnostic[] = [];
  const picks: VariantPick[] = [];
  let out = scope;
  for (const s of ast.statements) {
    if (s.kind !== 'use' || syntaxLines.has(s.span.line)) continue;
    const sub = useFile(s, files, { ...ctx, stack: [...ctx.stack, self] }, diags, compileUsed);
    if (!sub) continue;
    used.push(...sub.diagnostics);
    picks.push(...(sub.program?.variant?.picks ?? []));
    out = mergeScopes(out, sub.scope);
  }
  if (ctx.stack.length > 0) warnIgnoredInUsedFile(ast, diags);
  return { scope: out, used, picks };
}

/**
 * Compile the file a `use` names and return its scope and diagnostics, or undefined
 * with a diagnostic at the `use`.
 */
function useFile(
  use: UseStatement,
  files: FileContext,
  ctx: UseContext,
  diags: Diagnostic[],
  compileUsed: CompileUsed,
): UsedFile | undefined {
  const loaded = loadFile(use.path, use.span, files, diags);
  if (!loaded) return undefined;
  const at = ctx.stack.indexOf(loaded.file);
  if (at >= 0) {
    const cycle = [...ctx.stack.slice(at), loaded.file].join(' -> ');
    diags.push(
      diagnostic(
        'error',
        C.UseCycle,
        use.span,
        `use "${use.path}" makes a cycle: ${cycle}.`,
        'Move the shared definitions into a file that none of them uses.',
      ),
    );
    return undefined;
  }
  const done = ctx.done.get(loaded.file);
  if (done) return { scope: done, diagnostics: [] };
  ctx.sources.set(loaded.file, loaded.text);
  const sub = compileUsed(loaded, ctx);
  ctx.done.set(loaded.file, sub.scope);
  return sub;
}

/** A used file shares its definitions only: its runs and outputs would run twice. */
function warnIgnoredInUsedFile(ast: Program, diags: Diagnostic[]): void {
  for (const s of ast.statements) {
    if (s.kind === 'definition' || s.kind === 'use') continue;
    diags.push(
      diagnostic(
        'warning',
        C.IgnoredInUsedFile,
        s.span,
        `This ${s.kind === 'experiment' ? s.mode : s.kind} is ignored: a used file shares only its definitions.`,
        'Move it into the file that uses this one.',
      ),
    );
  }
}

// Declarations of `mmulab/tslab` for tslab notebooks: dist/types/**/*.d.ts.
// tslab type-checks cells with its own TypeScript (5.0, moduleResolution node10) and
// reports errors in every .ts file a cell depends on, so it cannot be pointed at our
// sources (`.ts` import specifiers, import attributes): it reads these through
// package.json "typesVersions". Their `./x.ts` specifiers become `./x.js`, which
// node10 resolution maps back to `./x.d.ts`.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SPECIFIER = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g;

/** Emit the declarations of kernel/tslab.ts and what it uses under `root`/dist/types. */
export async function buildTslabTypes(root) {
  let ts;
  try {
    ts = (await import('typescript')).default;
  } catch {
    // `npm ci --omit=dev`: no compiler; the module still works, without types in tslab.
    process.stderr.write('typescript is not installed: dist/types (mmulab/tslab types) skipped\n');
    return [];
  }
  const final = join(root, 'dist', 'types');
  // Emitted beside and renamed into place: a notebook (or a second build) never sees
  // a half-written tree.
  const outDir = `${final}.${process.pid}.tmp`;
  rmSync(outDir, { recursive: true, force: true });
  const program = ts.createProgram([join(root, 'kernel', 'tslab.ts')], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    verbatimModuleSyntax: true,
    types: ['node'],
    declaration: true,
    emitDeclarationOnly: true,
    rootDir: root,
    outDir,
  });
  const written = [];
  const result = program.emit(
    undefined,
    (file, text) => {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text.replace(SPECIFIER, '$1$2.js$3'));
      written.push(file);
    },
    undefined,
    true,
  );
  // Declaration sources (dsl/cst.generated.d.ts) are not emitted: copy them beside
  // the declarations that import them.
  for (const sf of program.getSourceFiles()) {
    const file = sf.fileName;
    if (!file.startsWith(`${root}/`) || file.includes('/node_modules/') || !file.endsWith('.d.ts'))
      continue;
    const target = join(outDir, file.slice(root.length + 1));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, sf.text.replace(SPECIFIER, '$1$2.js$3'));
    written.push(target);
  }
  // emitSkipped is set for the JSON module (package.json) even when every
  // declaration was written, so check the one file tslab reads instead.
  const entry = join(outDir, 'kernel', 'tslab.d.ts');
  if (!written.includes(entry)) {
    const why = ts.formatDiagnostics(result.diagnostics, ts.createCompilerHost({}));
    rmSync(outDir, { recursive: true, force: true });
    throw new Error(`tslab types: ${entry} was not written. ${why}`);
  }
  rmSync(final, { recursive: true, force: true });
  renameSync(outDir, final);
  return written.map((f) => join(final, f.slice(outDir.length)));
}

import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * The mmulab kernelspec: what `mmulab kernel install` writes and where. The files are
 * written directly, as Deno's `deno jupyter --install` does, so installing needs
 * neither Python nor `jupyter` on PATH, and the argv names node and the kernel script
 * by absolute path: frontends launched from VS Code, JupyterHub or a desktop menu do
 * not share the shell's PATH (yunabe/tslab#101, #34).
 *
 * It sits beside the front ends rather than in one of them: the command line installs
 * the kernel (`mmulab kernel install`) and the kernel announces the same language
 * names in kernel_info, and neither front end imports the other.
 */

/** The kernel's name: the directory under `kernels/`, and what notebooks record. */
export const KERNEL_NAME = 'mmulab';

/** The kernel's language name (`language` in kernel.json, `language_info.name`). */
export const LANGUAGE = 'mmulab';

/**
 * CodeMirror language for `language_info.codemirror_mode`. No editor knows mmulab, and
 * JupyterLab 4 highlights a cell only by a language it has built in (a custom one needs
 * a lab extension; jupyterlab#3010), so this names the closest built-in one. Python:
 * `#` line comments, double-quoted strings, and the same number syntax (`_` groups
 * digits, `0x` starts hex), so comments, strings and the numbers of `64MiB` or `0x1_000`
 * colour as in mmulab; `with` and `as` are keywords in both. Bash and TOML were
 * considered: Bash leaves numbers uncoloured, TOML flags `/s` and `%`.
 */
export const CODEMIRROR_MODE = 'python';

/**
 * Pygments lexer for `language_info.pygments_lexer` (nbconvert's HTML export). Python
 * for the reasons above, and because its lexer emits no Error token on any mmulab
 * construct (units such as `µs`, `/s`, `%`, ranges `0..1GiB`), checked against
 * Debian's python3-pygments 2.14; Nginx flags `}`, TOML `/`, `%` and `µ`.
 */
export const PYGMENTS_LEXER = 'python';

/**
 * The mmulab package directory: the nearest ancestor of this module with mmulab's
 * package.json. Searched rather than fixed because this module runs both from
 * kernel/ (sources) and from a bundle in dist/ or dist/chunks/.
 */
export function packageRoot(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'mmulab'
    )
      return dir;
    if (dirname(dir) === dir) throw new Error(`no mmulab package.json above ${from}`);
  }
}

/** The script the kernelspec's argv runs: bin/mmulab-kernel.js, absolute. */
export function kernelScriptPath(): string {
  return join(packageRoot(), 'bin', 'mmulab-kernel.js');
}

/** The logos copied next to kernel.json (JupyterLab's launcher shows logo-64x64.png). */
const LOGOS = ['logo-32x32.png', 'logo-64x64.png', 'logo-svg.svg'] as const;

/** jupyter_client kernelspec.py `_kernel_name_pat`; names are stored lower-case. */
const KERNEL_NAME_PATTERN = /^[a-z0-9._-]+$/i;

/** kernel.json (jupyter_client docs/kernels.rst, "Kernel specs"). */
export interface KernelSpecJson {
  /** `{connection_file}` is replaced by the frontend with the connection file's path. */
  argv: string[];
  display_name: string;
  language: string;
  /** `message`: interrupts arrive as interrupt_request on the control channel. */
  interrupt_mode: 'signal' | 'message';
  /** Set in the kernel's environment by the frontend that starts it. */
  env?: Record<string, string>;
  metadata: { mmulab: { version: string } };
}

/**
 * The TypeScript kernel's name, as tslab's own installer names it, so notebooks that
 * record `tslab` (ours do) find this one.
 */
export const TSLAB_KERNEL_NAME = 'tslab';

/** Where to install, as `jupyter kernelspec install` spells it. */
export type SpecLocation =
  | { kind: 'user' }
  | { kind: 'sys-prefix' }
  | { kind: 'prefix'; dir: string }
  /** --user when not root, else the system directory (jupyter's default). */
  | { kind: 'default' };

/** What the location depends on; tests pass their own. */
export interface SpecEnv {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
  /** null on platforms without uids (Windows). */
  uid: number | null;
  /** sys.prefix of the Python whose environment --sys-prefix means. */
  sysPrefix: () => string;
}

export function processSpecEnv(): SpecEnv {
  return {
    env: process.env,
    platform: process.platform,
    home: homedir(),
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    sysPrefix: pythonSysPrefix,
  };
}

/** Python used for --sys-prefix: Debian's, which runs Jupyter here. */
export const SYS_PREFIX_PYTHON = '/usr/bin/python3';

/** sys.prefix of SYS_PREFIX_PYTHON; throws an Error that says what to do instead. */
export function pythonSysPrefix(): string {
  try {
    return execFileSync(SYS_PREFIX_PYTHON, ['-c', 'import sys; print(sys.prefix)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (e) {
    throw new Error(
      `cannot ask ${SYS_PREFIX_PYTHON} for sys.prefix (${(e as Error).message.split('\n')[0]}); use --user or --prefix DIR instead.`,
      { cause: e },
    );
  }
}

/**
 * The Jupyter data directory (the one holding `kernels/`) for `location`, following
 * jupyter_core paths.py: `jupyter_data_dir()` for --user, `{sys.prefix}/share/jupyter`
 * for --sys-prefix, `{DIR}/share/jupyter` for --prefix, and the first of
 * SYSTEM_JUPYTER_PATH for a root install.
 */
export function jupyterDataDir(location: SpecLocation, se: SpecEnv = processSpecEnv()): string {
  switch (location.kind) {
    case 'user':
      return userDataDir(se);
    case 'sys-prefix':
      return join(se.sysPrefix(), 'share', 'jupyter');
    case 'prefix':
      return join(resolve(location.dir), 'share', 'jupyter');
    case 'default':
      if (se.uid !== 0) return userDataDir(se);
      return se.platform === 'win32'
        ? join(se.env.PROGRAMDATA ?? 'C:\\ProgramData', 'jupyter')
        : '/usr/local/share/jupyter';
  }
}

/** jupyter_core `jupyter_data_dir()`. */
function userDataDir({ env, platform, home }: SpecEnv): string {
  if (env.JUPYTER_DATA_DIR) return resolve(env.JUPYTER_DATA_DIR);
  if (platform === 'darwin') return join(home, 'Library', 'Jupyter');
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'jupyter');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'jupyter');
}

/** True if `name` is a valid kernel name (letters, digits, `-`, `.`, `_`). */
export function isValidKernelName(name: string): boolean {
  return KERNEL_NAME_PATTERN.test(name);
}

/** The kernel.json content for this checkout, run by this node binary. */
export function kernelSpecJson(displayName: string, version: string): KernelSpecJson {
  return {
    argv: [process.execPath, kernelScriptPath(), '--connection-file', '{connection_file}'],
    display_name: displayName,
    language: LANGUAGE,
    interrupt_mode: 'message',
    metadata: { mmulab: { version } },
  };
}

/**
 * kernel.json of the TypeScript kernel: tslab started through bin/mmulab-tslab.js, by
 * absolute paths (tslab's installer writes a bare `tslab`, which fails unless it is on
 * the frontend's PATH), with NODE_PATH naming `modulesDir`, which holds a `mmulab` link
 * to this package, so `import ... from 'mmulab/tslab'` works in a notebook anywhere.
 */
export function tslabKernelSpecJson(modulesDir: string, version: string): KernelSpecJson {
  return {
    argv: [
      process.execPath,
      join(packageRoot(), 'bin', 'mmulab-tslab.js'),
      '--config-path',
      '{connection_file}',
    ],
    display_name: 'TypeScript (tslab, mmulab)',
    language: 'typescript',
    interrupt_mode: 'signal',
    env: { NODE_PATH: modulesDir },
    metadata: { mmulab: { version } },
  };
}

/**
 * Write `<data dir>/kernels/tslab/`: kernel.json and node_modules/mmulab, a link to this
 * package (a directory junction on Windows, which needs no privilege). Replaces an
 * earlier install of that name. Returns the kernel directory.
 */
export function installTslabKernelSpec(
  location: SpecLocation,
  version: string,
  se: SpecEnv = processSpecEnv(),
): string {
  const dir = kernelDir(location, TSLAB_KERNEL_NAME, se);
  rmSync(dir, { recursive: true, force: true });
  const modules = join(dir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  symlinkSync(packageRoot(), join(modules, 'mmulab'), 'junction');
  const spec = tslabKernelSpecJson(modules, version);
  writeFileSync(join(dir, 'kernel.json'), `${JSON.stringify(spec, null, 2)}\n`);
  return dir;
}

/**
 * Remove `<data dir>/kernels/tslab/` if mmulab installed it (its kernel.json says so);
 * a tslab kernelspec of tslab's own installer stays. True if removed.
 */
export function uninstallTslabKernelSpec(
  location: SpecLocation,
  se: SpecEnv = processSpecEnv(),
): boolean {
  const dir = kernelDir(location, TSLAB_KERNEL_NAME, se);
  let spec: Partial<KernelSpecJson>;
  try {
    spec = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as Partial<KernelSpecJson>;
  } catch {
    return false;
  }
  if (!spec.metadata?.mmulab) return false;
  rmSync(dir, { recursive: true, force: true });
  return true;
}

export interface InstallOptions {
  location: SpecLocation;
  /** Kernel name; stored lower-case, as jupyter_client does. */
  name: string;
  displayName: string;
  version: string;
}

/**
 * Write `<data dir>/kernels/<name>/` (kernel.json and the logos), replacing an
 * earlier install of the same name. Returns the kernel directory.
 */
export function installKernelSpec(opts: InstallOptions, se: SpecEnv = processSpecEnv()): string {
  const dir = kernelDir(opts.location, opts.name, se);
  // Replace, not merge: a file left by another version must not linger.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const spec = kernelSpecJson(opts.displayName, opts.version);
  writeFileSync(join(dir, 'kernel.json'), `${JSON.stringify(spec, null, 2)}\n`);
  const assets = join(packageRoot(), 'kernel', 'assets');
  for (const logo of LOGOS) copyFileSync(join(assets, logo), join(dir, logo));
  return dir;
}

/** Remove `<data dir>/kernels/<name>/`. Returns the directory removed, or null if absent. */
export function uninstallKernelSpec(
  location: SpecLocation,
  name: string,
  se: SpecEnv = processSpecEnv(),
): { dir: string; removed: boolean } {
  const dir = kernelDir(location, name, se);
  if (!existsSync(join(dir, 'kernel.json'))) return { dir, removed: false };
  rmSync(dir, { recursive: true, force: true });
  return { dir, removed: true };
}

function kernelDir(location: SpecLocation, name: string, se: SpecEnv): string {
  if (!isValidKernelName(name))
    throw new Error(`invalid kernel name: ${name} (use letters, digits, '-', '.', '_')`);
  return join(jupyterDataDir(location, se), 'kernels', name.toLowerCase());
}

import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import {
  jupyterDataDir,
  kernelScriptPath,
  packageRoot,
  PYGMENTS_LEXER,
} from '../../kernel/kernelspec.ts';
import type { KernelSpecJson, SpecEnv } from '../../kernel/kernelspec.ts';
import { runMmulab } from '../helpers/cli.ts';
import { hasPythonModule, pythonTestsMustRun, SYSTEM_PYTHON } from '../helpers/jupyter-python.ts';

const LOGOS = ['logo-32x32.png', 'logo-64x64.png', 'logo-svg.svg'];

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mmulab-kernelspec-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function readSpec(dir: string): KernelSpecJson {
  return JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as KernelSpecJson;
}

describe('mmulab kernel install', () => {
  it('writes kernel.json and the logos under PREFIX/share/jupyter/kernels/mmulab and prints the path', async () => {
    const r = await runMmulab(tmp, 'kernel', 'install', '--prefix', 'venv');
    const dir = join(tmp, 'venv', 'share', 'jupyter', 'kernels', 'mmulab');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(dir);
    for (const logo of LOGOS) expect(existsSync(join(dir, logo)), logo).toBe(true);
    expect(readFileSync(join(dir, 'logo-64x64.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('runs this node and the kernel script by absolute path with the connection file', async () => {
    await runMmulab(tmp, 'kernel', 'install', '--prefix', tmp);
    const spec = readSpec(join(tmp, 'share', 'jupyter', 'kernels', 'mmulab'));
    expect(spec).toEqual({
      argv: [process.execPath, kernelScriptPath(), '--connection-file', '{connection_file}'],
      display_name: 'mmulab',
      language: 'mmulab',
      interrupt_mode: 'message',
      metadata: { mmulab: { version: pkg.version } },
    });
    expect(kernelScriptPath()).toMatch(/^\/.*\/bin\/mmulab-kernel\.js$/);
  });

  it('installs under --name (lower-cased, as jupyter_client does) with --display-name', async () => {
    const r = await runMmulab(
      tmp,
      'kernel',
      'install',
      '--prefix',
      tmp,
      '--name',
      'MMULab-Dev',
      '--display-name',
      'mmulab (dev)',
    );
    expect(r.code).toBe(0);
    const spec = readSpec(join(tmp, 'share', 'jupyter', 'kernels', 'mmulab-dev'));
    expect(spec.display_name).toBe('mmulab (dev)');
  });

  it('installs into $JUPYTER_DATA_DIR with --user', async () => {
    const data = join(tmp, 'data');
    const r = await runWithEnv({ JUPYTER_DATA_DIR: data }, 'kernel', 'install', '--user');
    expect(r.code).toBe(0);
    expect(existsSync(join(data, 'kernels', 'mmulab', 'kernel.json'))).toBe(true);
  });

  it('replaces an earlier install instead of failing', async () => {
    await runMmulab(tmp, 'kernel', 'install', '--prefix', tmp, '--display-name', 'old');
    const r = await runMmulab(tmp, 'kernel', 'install', '--prefix', tmp);
    expect(r.code).toBe(0);
    expect(readSpec(join(tmp, 'share', 'jupyter', 'kernels', 'mmulab')).display_name).toBe(
      'mmulab',
    );
  });
});

describe('mmulab kernel install: the TypeScript kernel (tslab)', () => {
  const tslabDir = (): string => join(tmp, 'share', 'jupyter', 'kernels', 'tslab');

  it('starts tslab by absolute path with NODE_PATH naming a link to this package', async () => {
    const r = await runMmulab(tmp, 'kernel', 'install', '--prefix', tmp);
    expect(r.stdout).toContain(`Installed kernelspec tslab in ${tslabDir()}`);
    const spec = readSpec(tslabDir());
    expect(spec.argv).toEqual([
      process.execPath,
      join(packageRoot(), 'bin', 'mmulab-tslab.js'),
      '--config-path',
      '{connection_file}',
    ]);
    expect(spec.env).toEqual({ NODE_PATH: join(tslabDir(), 'node_modules') });
    expect(realpathSync(join(tslabDir(), 'node_modules', 'mmulab'))).toBe(
      realpathSync(packageRoot()),
    );
  });

  it('says which JUPYTER_PATH finds a --prefix install', async () => {
    const r = await runMmulab(tmp, 'kernel', 'install', '--prefix', 'venv');
    expect(r.stdout).toContain(`export JUPYTER_PATH=${join(tmp, 'venv', 'share', 'jupyter')}\n`);
  });

  it('leaves tslab out with --no-tslab', async () => {
    const r = await runMmulab(tmp, 'kernel', 'install', '--prefix', tmp, '--no-tslab');
    expect(r.code).toBe(0);
    expect(existsSync(tslabDir())).toBe(false);
  });

  it('uninstall removes its own tslab kernelspec but not one tslab installed', async () => {
    await runMmulab(tmp, 'kernel', 'install', '--prefix', tmp);
    await runMmulab(tmp, 'kernel', 'uninstall', '--prefix', tmp);
    expect(existsSync(tslabDir())).toBe(false);
    mkdirSync(tslabDir(), { recursive: true });
    // What tslab's own installer (python/install.py) writes.
    const theirs = {
      argv: ['tslab', 'kernel', '--config-path', '{connection_file}'],
      display_name: 'TypeScript',
      language: 'typescript',
    };
    writeFileSync(join(tslabDir(), 'kernel.json'), JSON.stringify(theirs));
    await runMmulab(tmp, 'kernel', 'install', '--prefix', tmp, '--no-tslab');
    await runMmulab(tmp, 'kernel', 'uninstall', '--prefix', tmp);
    expect(readSpec(tslabDir())).toEqual(theirs);
  });
});

describe('mmulab kernel uninstall', () => {
  it('removes the kernel directory it installed', async () => {
    await runMmulab(tmp, 'kernel', 'install', '--prefix', tmp);
    const r = await runMmulab(tmp, 'kernel', 'uninstall', '--prefix', tmp);
    expect(r.code).toBe(0);
    expect(existsSync(join(tmp, 'share', 'jupyter', 'kernels', 'mmulab'))).toBe(false);
    expect(existsSync(join(tmp, 'share', 'jupyter', 'kernels'))).toBe(true);
  });

  it('exits 1 and says so when there is nothing to remove', async () => {
    const r = await runMmulab(tmp, 'kernel', 'uninstall', '--prefix', tmp);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no kernelspec mmulab in');
  });
});

describe('mmulab kernel: usage errors', () => {
  it.each([
    [['kernel'], 'missing the action'],
    [['kernel', 'instal'], "Did you mean 'install'?"],
    [['kernel', 'install', '--user', '--prefix', 'x'], '--user and --prefix exclude each other'],
    [['kernel', 'install', '--sys-prefix', '--user'], 'exclude each other'],
    [['kernel', 'install', '--prefix'], "option '--prefix' needs a value"],
    [['kernel', 'install', '--name', 'a b'], "invalid kernel name 'a b'"],
    [['kernel', 'install', '--usr'], "Did you mean '--user'?"],
    [['kernel', 'install', 'somewhere'], "unexpected argument 'somewhere'"],
    [['kernel', 'uninstall', '--display-name', 'x'], '--display-name is for install'],
  ])('mmulab %j exits 2 and names the problem', async (argv, message) => {
    const r = await runMmulab(tmp, ...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('prints help with --help, for the command and for each action', async () => {
    for (const argv of [
      ['kernel', '--help'],
      ['kernel', 'install', '--help'],
      ['help', 'kernel'],
    ]) {
      const r = await runMmulab(tmp, ...argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('usage: mmulab kernel install [--user | --sys-prefix | --prefix');
    }
  });

  it('lists the kernel command in mmulab --help', async () => {
    expect((await runMmulab(tmp, '--help')).stdout).toContain('kernel install');
  });
});

describe('jupyterDataDir', () => {
  const base: SpecEnv = {
    env: {},
    platform: 'linux',
    home: '/home/ada',
    uid: 1000,
    sysPrefix: () => '/opt/conda',
  };

  it('follows jupyter_core for --user: $JUPYTER_DATA_DIR, then $XDG_DATA_HOME, then ~/.local/share', () => {
    const user = { kind: 'user' } as const;
    expect(jupyterDataDir(user, base)).toBe('/home/ada/.local/share/jupyter');
    expect(jupyterDataDir(user, { ...base, env: { XDG_DATA_HOME: '/xdg' } })).toBe('/xdg/jupyter');
    expect(
      jupyterDataDir(user, { ...base, env: { XDG_DATA_HOME: '/xdg', JUPYTER_DATA_DIR: '/j' } }),
    ).toBe('/j');
    expect(jupyterDataDir(user, { ...base, platform: 'darwin' })).toBe('/home/ada/Library/Jupyter');
  });

  it('puts --sys-prefix and --prefix under share/jupyter', () => {
    expect(jupyterDataDir({ kind: 'sys-prefix' }, base)).toBe('/opt/conda/share/jupyter');
    expect(jupyterDataDir({ kind: 'prefix', dir: '/venv' }, base)).toBe('/venv/share/jupyter');
  });

  it('defaults to the user directory, or /usr/local/share/jupyter for root', () => {
    expect(jupyterDataDir({ kind: 'default' }, base)).toBe('/home/ada/.local/share/jupyter');
    expect(jupyterDataDir({ kind: 'default' }, { ...base, uid: 0 })).toBe(
      '/usr/local/share/jupyter',
    );
  });
});

describe('packageRoot', () => {
  const root = join(import.meta.dirname, '..', '..');

  it('finds the checkout from the sources and from a bundle in dist/ or dist/chunks/', () => {
    for (const from of ['kernel/jupyter', 'dist', 'dist/chunks'])
      expect(packageRoot(join(root, from))).toBe(root);
    expect(existsSync(kernelScriptPath())).toBe(true);
  });

  it('throws when no mmulab package.json is above the directory', () => {
    expect(() => packageRoot(tmp)).toThrow(/no mmulab package.json above/);
  });
});

describe('the kernelspec seen by Jupyter', () => {
  const withJupyter = hasPythonModule('jupyter_client') || pythonTestsMustRun();

  it.skipIf(!withJupyter)(
    'is found by jupyter_client with JUPYTER_PATH=PREFIX/share/jupyter',
    async () => {
      await runMmulab(tmp, 'kernel', 'install', '--prefix', tmp);
      const out = execFileSync(
        SYSTEM_PYTHON,
        [
          '-c',
          'from jupyter_client.kernelspec import KernelSpecManager as M; s = M().get_kernel_spec("mmulab"); print(s.language, s.interrupt_mode, s.resource_dir)',
        ],
        { env: { ...process.env, JUPYTER_PATH: join(tmp, 'share', 'jupyter') }, encoding: 'utf8' },
      );
      expect(out.trim()).toBe(
        `mmulab message ${join(tmp, 'share', 'jupyter', 'kernels', 'mmulab')}`,
      );
    },
  );
});

describe('syntax highlighting', () => {
  const withPygments = hasPythonModule('pygments') || pythonTestsMustRun();

  it.skipIf(!withPygments)('names a Pygments lexer that Debian’s pygments has', () => {
    const out = execFileSync(
      SYSTEM_PYTHON,
      [
        '-c',
        `import pygments.lexers as l; print(l.get_lexer_by_name(${JSON.stringify(PYGMENTS_LEXER)}).name)`,
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('Python');
  });
});

async function runWithEnv(env: Record<string, string>, ...args: string[]) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await runMmulab(tmp, ...args);
  } finally {
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

import pkg from '../../package.json' with { type: 'json' };
import {
  TSLAB_KERNEL_NAME,
  installKernelSpec,
  installTslabKernelSpec,
  jupyterDataDir,
  uninstallKernelSpec,
  uninstallTslabKernelSpec,
} from '../kernelspec.ts';
import type { KernelArgs } from './commands.ts';
import { ExitCode } from './io.ts';
import type { CliIo } from './io.ts';

/**
 * `mmulab kernel install|uninstall`: write or remove the kernelspec and print its
 * directory. A directory that cannot be written (a system location without root,
 * no /usr/bin/python3 for --sys-prefix) is exit code 1 with the reason and the fix.
 */
export function kernelCommand(args: KernelArgs, io: CliIo): ExitCode {
  const command = `mmulab kernel ${args.action}`;
  try {
    if (args.action === 'install') {
      const dir = installKernelSpec({
        location: args.location,
        name: args.name,
        displayName: args.displayName,
        version: pkg.version,
      });
      io.stdout.write(`Installed kernelspec ${args.name} in ${dir}\n`);
      if (args.tslab) {
        const tslab = installTslabKernelSpec(args.location, pkg.version);
        io.stdout.write(`Installed kernelspec ${TSLAB_KERNEL_NAME} in ${tslab}\n`);
      }
      if (args.location.kind === 'prefix')
        // Jupyter searches a prefix only when told (jupyter --paths lists where it looks).
        io.stdout.write(
          `Jupyter looks there only when told; before starting it, run:\n  export JUPYTER_PATH=${jupyterDataDir(args.location)}\n`,
        );
      return ExitCode.Ok;
    }
    if (args.tslab && uninstallTslabKernelSpec(args.location))
      io.stdout.write(`Removed kernelspec ${TSLAB_KERNEL_NAME}\n`);
    const { dir, removed } = uninstallKernelSpec(args.location, args.name);
    if (!removed) {
      io.stderr.write(
        `${command}: no kernelspec ${args.name} in ${dir}; nothing removed. 'jupyter kernelspec list' shows where it is.\n`,
      );
      return ExitCode.PlanError;
    }
    io.stdout.write(`Removed kernelspec ${args.name} from ${dir}\n`);
    return ExitCode.Ok;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const fix =
      err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS'
        ? ' Use --user, or --prefix DIR with a directory you can write.'
        : '';
    io.stderr.write(`${command}: ${err.message}.${fix}\n`);
    return ExitCode.PlanError;
  }
}

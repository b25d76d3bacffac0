#!/usr/bin/env node
// The `mmulab` command. mmulab runs from its TypeScript sources: tsx's loader is
// registered for this process, then kernel/cli/main.ts is imported. A relative
// specifier resolves against this file, not the working directory, so the command
// works from any directory and when installed as a dependency.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../kernel/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

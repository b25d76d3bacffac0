import { parseArgs as parseArgv } from 'node:util';
import { closest } from '../../dsl/diagnostics.ts';

/**
 * Command-line arguments, read by Node's util.parseArgs (its tokens), with messages
 * that name the bad argument and the fix: the did-you-mean of an unknown option, an
 * option given twice, a value missing or given to a flag. util.parseArgs' own errors
 * (strict mode) name neither, so it runs non-strict and the checks are made here on
 * its tokens. Every failure is a `UsageError` (exit code 2).
 */

/** The command was called wrongly: unknown command or option, missing value or file. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface OptionSpec {
  /** Long name without dashes: `html` for `--html`. */
  name: string;
  /** One-letter alias without the dash: `h` for `-h`. */
  short?: string;
  /** Placeholder of the value (`FILE`, `DIR`, `N`); absent for a flag without value. */
  value?: string;
}

export interface ParsedArgs {
  /** Options given, by long name: the value, or true for a flag. */
  options: Map<string, string | true>;
  positionals: string[];
}

/**
 * Parse `argv` against `specs`. Accepts `--name value`, `--name=value`, `-h`, `-j4`,
 * `-j 4`, and `--` to end the options. `command` prefixes the messages (`mmulab run`).
 */
export function parseArgs(
  command: string,
  argv: readonly string[],
  specs: readonly OptionSpec[],
): ParsedArgs {
  const { tokens } = parseArgv({
    args: [...argv],
    options: Object.fromEntries(
      specs.map((s) => [
        s.name,
        {
          type: s.value === undefined ? ('boolean' as const) : ('string' as const),
          ...(s.short === undefined ? {} : { short: s.short }),
        },
      ]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  const help = `Run '${command} --help' for the options.`;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const spec = specs.find((s) => s.name === token.name);
    if (!spec) {
      const guess = closest(
        token.name,
        specs.map((s) => s.name),
      );
      const mean = guess ? ` Did you mean '--${guess}'?` : '';
      throw new UsageError(`${command}: unknown option '${token.rawName}'.${mean} ${help}`);
    }
    if (options.has(spec.name))
      throw new UsageError(`${command}: option '--${spec.name}' is given twice; keep one.`);
    if (spec.value === undefined) {
      if (token.inlineValue)
        throw new UsageError(`${command}: option '--${spec.name}' takes no value; remove '=...'.`);
      options.set(spec.name, true);
      continue;
    }
    // util.parseArgs takes the next argument as the value even when it is an option
    // (`--html --csv`): that is a missing value, as is `--html=`.
    const value = token.value;
    if (value === undefined || value === '' || (!token.inlineValue && value.startsWith('--')))
      throw new UsageError(
        `${command}: option '--${spec.name}' needs a value: --${spec.name} ${spec.value}.`,
      );
    options.set(spec.name, value);
  }
  return { options, positionals };
}

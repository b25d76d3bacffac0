import { closest } from '../../dsl/diagnostics.ts';

/**
 * Command-line arguments: a small parser with messages that name the bad argument
 * and the fix. Every failure is a `UsageError` (exit code 2).
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
 * Parse `argv` against `specs`. Accepts `--name value`, `--name=value`, `-h`, and `--`
 * to end the options. `command` prefixes the messages (`mmulab run`).
 */
export function parseArgs(
  command: string,
  argv: readonly string[],
  specs: readonly OptionSpec[],
): ParsedArgs {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  const help = `Run '${command} --help' for the options.`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const eq = arg.indexOf('=');
    const name = long ? arg.slice(2, eq >= 0 ? eq : undefined) : arg.slice(1);
    const spec = specs.find((s) => (long ? s.name === name : s.short === name));
    if (!spec) {
      const guess = closest(
        name,
        specs.map((s) => s.name),
      );
      const mean = guess ? ` Did you mean '--${guess}'?` : '';
      throw new UsageError(`${command}: unknown option '${arg}'.${mean} ${help}`);
    }
    if (options.has(spec.name))
      throw new UsageError(`${command}: option '--${spec.name}' is given twice; keep one.`);
    if (spec.value === undefined) {
      if (long && eq >= 0)
        throw new UsageError(`${command}: option '--${spec.name}' takes no value; remove '=...'.`);
      options.set(spec.name, true);
      continue;
    }
    let value: string | undefined;
    if (long && eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    if (value === undefined || value === '')
      throw new UsageError(
        `${command}: option '--${spec.name}' needs a value: --${spec.name} ${spec.value}.`,
      );
    options.set(spec.name, value);
  }
  return { options, positionals };
}

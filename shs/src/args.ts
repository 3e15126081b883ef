// The flags of the `shs` command line: node:util parseArgs, its errors turned into usage errors that name the
// flag in a few words, and negative numbers taken as values (`--seed -3` is a bad seed, not a missing one).
// The `pipeline` CLI uses it too (cli/src/args.ts): it lives here because the service is bundled on its own.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A usage error: `shs` prints its message on one line, then where the help is, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** "--name -5": the option takes a value, and a negative number is one (parseArgs would call it ambiguous). */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const long = /^--([\w-]+)$/.exec(arg)?.[1];
    const short = /^-(\w)$/.exec(arg)?.[1];
    const name = long ?? (short ? Object.keys(options).find((k) => options[k]!.short === short) : undefined);
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** parseArgs' message in a few words, naming the flag. */
function describe(err: Error & { code?: string }): string {
  const flag = /Option '(?:-\w, )?(--[\w-]+)/.exec(err.message)?.[1] ?? /'(-{1,2}[\w-]+)'/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag ?? err.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(err.message)) return `${flag}: takes no value`;
      return `${flag}: needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const arg = /Unexpected argument '([^']*)'/.exec(err.message)?.[1];
      return `unexpected argument "${arg ?? ''}"`;
    }
    default:
      return err.message;
  }
}

/** Parses the flags (and positionals, when allowed); what parseArgs refuses becomes a UsageError naming the flag. */
export function parseFlags<T extends Options, P extends boolean = false>(argv: string[], options: T, allowPositionals?: P) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: (allowPositionals ?? false) as P, strict: true });
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError(describe(err as Error & { code?: string }));
    throw err;
  }
}

/** What `shs` writes for a usage error: one line naming the flag (or argument) and the problem, then where the help is. */
export function usageMessage(message: string): string {
  return `shs: ${message}\nRun "shs --help" for its usage.\n`;
}

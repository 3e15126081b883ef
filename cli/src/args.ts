// Flags of every command: node:util parseArgs, with its errors turned into usage errors that name the flag in
// a few words, negative numbers taken as values (`--timeout -5` is a bad timeout, not a missing one), and the
// actions' input errors renamed to the flags (or environment variables) they come from.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './context.js';

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

/** Parses a command's flags; what parseArgs refuses becomes a UsageError naming the flag. */
export function parseFlags<T extends Options, P extends boolean = false>(argv: string[], options: T, allowPositionals?: P) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: (allowPositionals ?? false) as P, strict: true });
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError(describe(err as Error & { code?: string }));
    throw err;
  }
}

/**
 * Runs an action's parse function; its InputError ("<input>: ...", or "<a>, <b>: ...") becomes a UsageError
 * naming the flags or environment variables instead (inputs not in the map keep their names).
 */
export function asFlags<T>(names: Record<string, string>, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if ((err as Error).name !== 'InputError') throw err;
    const message = (err as Error).message;
    const m = /^([\w-]+(?:, [\w-]+)*): ([\s\S]*)$/.exec(message);
    if (!m) throw new UsageError(message);
    const renamed = m[1]!.split(', ').map((name) => names[name] ?? name);
    throw new UsageError(`${renamed.join(', ')}: ${m[2]}`);
  }
}

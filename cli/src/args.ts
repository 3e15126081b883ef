// Flags of every command: parseFlags is the service's (shs/src/args.ts: parseArgs' errors as usage errors that
// name the flag, negative numbers taken as values); here, the actions' input errors renamed to the flags (or
// environment variables) they come from.
import { UsageError } from './context.js';

export { parseFlags } from '../../shs/src/args.js';

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

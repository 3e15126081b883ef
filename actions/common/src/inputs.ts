// The one idiom every action's input parsing (and the `pipeline` CLI, which feeds its flags through the same
// parse functions) uses: getters of raw values, optional inputs as undefined when empty, required ones refused
// by name, lists one item per line (or comma-separated), booleans, integers in a range, files that must be
// readable, and deprecated input names read as aliases with a warning. Every error is an InputError whose
// message starts with the input's name.
import { accessSync, constants, statSync } from 'node:fs';

/** An invalid input; the message starts with the input's name. */
export class InputError extends Error {
  override name = 'InputError';
}

/** Reads an input's raw value ('' when not given): core.getInput in the actions, a map in the CLI and tests. */
export type InputGetter = (name: string) => string;

/** The trimmed value, or undefined when empty. */
export function optionalInput(get: InputGetter, name: string): string | undefined {
  return get(name).trim() || undefined;
}

/** The trimmed value; empty is refused, naming the input and what it is (e.g. "the image spec JSON"). */
export function requiredInput(get: InputGetter, name: string, what: string): string {
  const value = optionalInput(get, name);
  if (value === undefined) throw new InputError(`${name}: required (${what})`);
  return value;
}

/**
 * A list: one item per line, and with `commas` comma-separated too; items trimmed, blank ones and # comment
 * lines dropped. Values that may hold commas (key=value lines) are read without `commas`.
 */
export function listInput(value: string, options: { commas?: boolean } = {}): string[] {
  return value
    .split(options.commas ? /[\n,]/ : '\n')
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'));
}

/** "true" or "false" (any case, trimmed); empty gives the fallback; anything else is refused. */
export function booleanInput(name: string, value: string, fallback = false): boolean {
  const v = value.trim().toLowerCase();
  if (v === '') return fallback;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new InputError(`${name}: expected true or false, got "${value}"`);
}

/** An integer from min to max; empty gives the fallback. */
export function integerInput(name: string, value: string, fallback: number, min: number, max: number): number {
  if (!value.trim()) return fallback;
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError(`${name}: expected an integer from ${min} to ${max}, got "${value.trim()}"`);
  return n;
}

/** Runs fn; what it throws becomes an InputError that starts with the input's name (once). */
export function checkInput<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InputError) throw err;
    const message = (err as Error).message;
    throw new InputError(message.startsWith(`${name}:`) ? message : `${name}: ${message}`);
  }
}

/** A path that must be a readable file; refused naming the input and why (ENOENT, EACCES, a directory). */
export function readableFile(name: string, path: string): string {
  try {
    accessSync(path, constants.R_OK);
    if (!statSync(path).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
  } catch (err) {
    throw new InputError(`${name}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return path;
}

/**
 * Deprecated input names as aliases: the getter reads `name`, else its old name (new name -> old name), with a
 * warning that names both, so existing workflows keep working.
 */
export function withAliases(get: InputGetter, aliases: Record<string, string>, warn: (message: string) => void): InputGetter {
  const warned = new Set<string>();
  return (name) => {
    const value = get(name);
    const old = aliases[name];
    if (old === undefined) return value;
    const legacy = get(old);
    if (legacy.trim() === '') return value;
    if (!warned.has(old)) {
      warned.add(old);
      warn(
        value.trim() === ''
          ? `input "${old}" is deprecated: use "${name}" (it still works for now)`
          : `input "${old}" is deprecated and ignored: "${name}" is given too`,
      );
    }
    return value.trim() === '' ? legacy : value;
  };
}

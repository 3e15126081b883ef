// What every action's input parsing shares: the error that names the input, and boolean inputs.

/** An invalid input; the message starts with the input's name. */
export class InputError extends Error {
  override name = 'InputError';
}

/** "true" or "false" (any case, trimmed); empty gives the fallback; anything else is refused. */
export function booleanInput(name: string, value: string, fallback = false): boolean {
  const v = value.trim().toLowerCase();
  if (v === '') return fallback;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new InputError(`${name}: expected true or false, got "${value}"`);
}

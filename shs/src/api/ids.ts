// Path ids. A well-formed id is a string of decimal digits; an id that is well formed but cannot exist (0, or
// past the column's range) is simply not found, without asking the database.
import { badRequest } from './errors.js';

export const INT4_MAX = 2_147_483_647n;
export const INT8_MAX = 9_223_372_036_854_775_807n;

export type ParsedId = { kind: 'id'; value: string } | { kind: 'impossible' };

export function parseId(raw: string | undefined, max: bigint, what: string): ParsedId {
  if (raw === undefined || !/^[0-9]{1,40}$/.test(raw))
    throw badRequest(`${what} id must be a positive decimal integer, got ${JSON.stringify(raw ?? '')}`);
  const value = BigInt(raw);
  if (value < 1n || value > max) return { kind: 'impossible' };
  return { kind: 'id', value: value.toString() };
}

// Validation of request bodies. Errors name the field and say what was expected.
import { badRequest } from './errors.js';

export interface NewSession {
  start_time: string;
  customer_id: number;
  movie_id: number;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-](\d{2}):?(\d{2}))$/;
/** The widest offset in use (Kiribati, UTC+14); PostgreSQL refuses some beyond it, and a 500 is no answer. */
const MAX_OFFSET_HOURS = 14;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** An ISO 8601 timestamp with a zone (Z or an offset), microseconds at most: what PostgreSQL stores exactly. */
export function checkTimestamp(value: unknown, field: string): string {
  if (typeof value !== 'string') throw badRequest(`${field} must be a string like "2021-12-09T16:12:52.059188Z"`);
  const m = TIMESTAMP.exec(value);
  if (!m) throw badRequest(`${field} must be an ISO 8601 timestamp with a zone, like "2021-12-09T16:12:52.059188Z", got ${JSON.stringify(value.slice(0, 64))}`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59)
    throw badRequest(`${field} is not a valid date and time: ${JSON.stringify(value)}`);
  if (m[9] !== undefined && (Number(m[9]) > MAX_OFFSET_HOURS || Number(m[10]) > 59))
    throw badRequest(`${field} has an invalid zone offset ${JSON.stringify(m[8])}: expected Z or ±hh:mm with hh 00-${MAX_OFFSET_HOURS} and mm 00-59`);
  return value;
}

function checkRef(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2_147_483_647)
    throw badRequest(`${field} must be an integer from 1 to 2147483647, got ${JSON.stringify(value) ?? 'nothing'}`);
  return value;
}

export function parseNewSession(body: unknown): NewSession {
  if (!isObject(body)) throw badRequest('body must be a JSON object {"start_time", "customer_id", "movie_id"}');
  const allowed = new Set(['start_time', 'customer_id', 'movie_id']);
  const extra = Object.keys(body).filter((k) => !allowed.has(k));
  if (extra.length > 0) throw badRequest(`unknown field ${JSON.stringify(extra[0])} (allowed: start_time, customer_id, movie_id)`);
  return {
    start_time: checkTimestamp(body.start_time, 'start_time'),
    customer_id: checkRef(body.customer_id, 'customer_id'),
    movie_id: checkRef(body.movie_id, 'movie_id'),
  };
}

export function parseOperation(body: unknown): number {
  if (!isObject(body) || !('operation' in body)) throw badRequest('body must be a JSON object {"operation": <integer>}');
  const op = body.operation;
  if (typeof op !== 'number' || !Number.isSafeInteger(op)) throw badRequest(`operation must be an integer, got ${JSON.stringify(op)}`);
  return op;
}

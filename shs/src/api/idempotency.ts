// Idempotency-Key for POST /api/session (IETF draft-ietf-httpapi-idempotency-key-header): the first request with a
// key creates the session and stores its answer, in the same transaction; a repeat with the same key and body is
// answered the stored answer (never a second row); the same key with another body is 422; a repeat while the
// first is still in flight (its transaction holds the key's advisory lock) is 409. Keys expire after a day.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DatabaseAccess } from '../db/database.js';
import { ApiError } from './errors.js';

/** How long a key is remembered. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;
/** Printable ASCII, 1 to 255 characters (a UUID is the usual choice). */
const KEY = /^[\x21-\x7e]{1,255}$/;
/** The namespace of the keys' transaction-level advisory locks (the other int is hashtext(key)). */
const LOCK_NAMESPACE = 0x4944_4b; // "IDK"

export interface StoredAnswer {
  status: number;
  body: string;
  location: string | null;
  /** True when this is a repeat answered from the store. */
  replayed: boolean;
}

export function parseIdempotencyKey(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || !KEY.test(key)) throw new ApiError(400, 'bad_request', 'Idempotency-Key must be 1 to 255 printable ASCII characters');
  return key;
}

/** The request's fingerprint: its method, path and JSON body as parsed (key order kept). */
export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n${JSON.stringify(body ?? null)}`).digest('hex');
}

/**
 * Runs `create` (inside the transaction, on its client) once per key: a repeat gets the stored answer.
 * Only a success (2xx) is stored; a failure rolls everything back, so the key can be used again.
 */
export async function once(
  db: DatabaseAccess,
  key: string,
  print: string,
  create: (client: pg.PoolClient) => Promise<{ status: number; body: string; location: string | null }>,
): Promise<StoredAnswer> {
  return db.transaction(async (client) => {
    const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok', [LOCK_NAMESPACE, key]);
    if (!locked.rows[0]?.ok) throw new ApiError(409, 'conflict', 'a request with this Idempotency-Key is still being processed; try again shortly');
    await client.query(`DELETE FROM idempotency_keys WHERE key = $1 AND created_at < now() - make_interval(hours => $2)`, [key, IDEMPOTENCY_KEY_TTL_HOURS]);
    const found = await client.query<{ fingerprint: string; status: number; body: string; location: string | null }>(
      'SELECT fingerprint, status, body, location FROM idempotency_keys WHERE key = $1',
      [key],
    );
    const row = found.rows[0];
    if (row) {
      if (row.fingerprint !== print) throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for a different request');
      return { status: row.status, body: row.body, location: row.location, replayed: true };
    }
    const answer = await create(client);
    await client.query('INSERT INTO idempotency_keys (key, fingerprint, status, body, location) VALUES ($1, $2, $3, $4, $5)', [
      key,
      print,
      answer.status,
      answer.body,
      answer.location,
    ]);
    return { ...answer, replayed: false };
  });
}

/** Deletes expired keys; returns how many. */
export async function expireKeys(db: DatabaseAccess): Promise<number> {
  const r = await db.query({ text: 'DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)', values: [IDEMPOTENCY_KEY_TTL_HOURS] });
  return r.rowCount ?? 0;
}

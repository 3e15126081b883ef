// Versioned, idempotent migrations, applied in one transaction under an advisory lock so that several
// instances (or a deploy and an instance) starting together cannot apply the same step twice.
import type pg from 'pg';
import { MIGRATIONS, SCHEMA_LOCK_ID, type Migration } from './schema.js';

/**
 * How long one statement of a migration may wait for a table lock. A migration's DDL needs its tables
 * exclusively; waiting behind a long query would also queue every later query on the table behind it, so it
 * gives up instead and changes nothing. The advisory lock (another migrate) is waited for without this bound.
 */
export const MIGRATION_LOCK_TIMEOUT_MS = 5000;

/** A migration could not get a table lock within MIGRATION_LOCK_TIMEOUT_MS; the transaction was rolled back. */
export class MigrationLockError extends Error {
  override name = 'MigrationLockError';
}

export interface MigrateResult {
  applied: Migration[];
  version: number;
}

export async function currentVersion(client: pg.ClientBase): Promise<number> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('shs_schema_migrations')::text AS t`);
  if (exists.rows[0]?.t == null) return 0;
  const r = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM shs_schema_migrations');
  return r.rows[0]?.v ?? 0;
}

/** Applies pending migrations. The caller owns the transaction (BEGIN/COMMIT). */
export async function migrateInTransaction(client: pg.ClientBase): Promise<MigrateResult> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_ID]);
  // Bounded from here on, and put back as it was for the rest of the caller's transaction (prepare_db's load).
  const previous = (await client.query<{ setting: string }>(`SELECT current_setting('lock_timeout') AS setting`)).rows[0]!.setting;
  await client.query(`SET LOCAL lock_timeout = '${MIGRATION_LOCK_TIMEOUT_MS}ms'`);
  let step = 'creating shs_schema_migrations';
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS shs_schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`);
    step = 'reading the schema version';
    const from = await currentVersion(client);
    const pending = MIGRATIONS.filter((m) => m.version > from);
    for (const m of pending) {
      step = `applying migration ${m.version} (${m.name})`;
      for (const statement of m.statements) await client.query(statement);
      await client.query('INSERT INTO shs_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    await client.query(`SELECT set_config('lock_timeout', $1, true)`, [previous]);
    return { applied: pending, version: Math.max(from, ...pending.map((m) => m.version)) };
  } catch (err) {
    if ((err as { code?: string }).code === '55P03')
      throw new MigrationLockError(
        `migrate: could not get a lock within ${MIGRATION_LOCK_TIMEOUT_MS / 1000} s while ${step}: another session holds a ` +
          'table it needs (a long query or an open transaction; see pg_stat_activity and pg_locks). nothing was changed; ' +
          'run it again once that session is done',
      );
    throw err;
  }
}

export async function migrate(client: pg.ClientBase): Promise<MigrateResult> {
  await client.query('BEGIN');
  try {
    const result = await migrateInTransaction(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

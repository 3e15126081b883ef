// Versioned, idempotent migrations, applied in one transaction under an advisory lock so that several
// instances (or a deploy and an instance) starting together cannot apply the same step twice.
import type pg from 'pg';
import { MIGRATIONS, SCHEMA_LOCK_ID, type Migration } from './schema.js';

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
  await client.query(`CREATE TABLE IF NOT EXISTS shs_schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
  const from = await currentVersion(client);
  const pending = MIGRATIONS.filter((m) => m.version > from);
  for (const m of pending) {
    for (const statement of m.statements) await client.query(statement);
    await client.query('INSERT INTO shs_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
  }
  return { applied: pending, version: Math.max(from, ...pending.map((m) => m.version)) };
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

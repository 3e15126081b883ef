// The `shs` command line against a real PostgreSQL: config handling, migrate and prepare_db.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../shs/src/db/schema.js';
import { createDatabase, type TestDatabase } from './support/database.js';
import { runCli } from './support/shs.js';

const SCALE = '0.002'; // 1,000 customers, 58 movies, 10,000 sessions

describe('shs CLI', () => {
  const dbs: TestDatabase[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'shs-cli-'));
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });
  const newDb = async () => {
    const db = await createDatabase('cli');
    dbs.push(db);
    return db;
  };

  it('prints its version and help', async () => {
    const v = await runCli(['version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^shs \d+\.\d+\.\d+ \(\w+\)\n$/);
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['run_server', 'migrate', 'prepare_db', 'init', 'print_default_config', 'print_current_config', 'version'])
      expect(h.stdout).toContain(c);
    const bad = await runCli(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command "frobnicate"');
  });

  it('prints the default config as YAML naming every environment variable', async () => {
    const r = await runCli(['print_default_config']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('port: 8080');
    expect(r.stdout).toContain('SHS_DATABASE_POOL_SIZE');
    expect(r.stdout).toContain('enabled: false');
  });

  it('merges file, environment and password file, and hides the password', async () => {
    const file = join(tmp, 'config.yaml');
    writeFileSync(file, 'server:\n  port: 9999\ndatabase:\n  hosts: ["db1:5432", "db2"]\n  password: from-file-secret\n');
    const pw = join(tmp, 'pw');
    writeFileSync(pw, 'mounted-secret\n');
    const r = await runCli(['print_current_config', '--config', file], { SHS_DATABASE_POOL_SIZE: '7' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('port: 9999');
    expect(r.stdout).toContain('pool_size: 7');
    expect(r.stdout).toMatch(/hosts: \[ ?db1:5432, db2:5432 ?\]/); // the port defaults to 5432
    expect(r.stdout).not.toContain('from-file-secret');
    expect(r.stdout).toContain('password: "***"');
    // A password file instead (one source of the password at most: both at once is refused).
    writeFileSync(file, 'server:\n  port: 9999\n');
    const fromFile = await runCli(['print_current_config', '--config', file], { SHS_DATABASE_PASSWORD_FILE: pw });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).not.toContain('mounted-secret');
    expect(fromFile.stdout).toContain('password: "***"');
    const both = await runCli(['print_current_config', '--config', file], { SHS_DATABASE_PASSWORD_FILE: pw, SHS_DATABASE_PASSWORD: 'x' });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('database.password (SHS_DATABASE_PASSWORD) and database.password_file (SHS_DATABASE_PASSWORD_FILE) are both set');
    // SHS_CONFIG is the flag's fallback
    const viaEnv = await runCli(['print_current_config'], { SHS_CONFIG: file });
    expect(viaEnv.stdout).toContain('port: 9999');
  });

  it('names the bad key, variable or file in config errors', async () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, 'database:\n  pool_sise: 3\n');
    const unknownKey = await runCli(['print_current_config', '--config', file]);
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr).toContain('unknown key "database.pool_sise"');
    writeFileSync(file, 'server:\n  port: "eighty"\n');
    const badType = await runCli(['print_current_config', '--config', file]);
    expect(badType.stderr).toContain('server.port: expected an integer');
    const badEnv = await runCli(['print_current_config'], { SHS_SERVER_PROT: '1' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('unknown variable SHS_SERVER_PROT');
    const range = await runCli(['print_current_config'], { SHS_DATABASE_POOL_SIZE: '0' });
    expect(range.stderr).toContain('SHS_DATABASE_POOL_SIZE (database.pool_size): 0 is out of range');
    const missing = await runCli(['print_current_config', '--config', join(tmp, 'absent.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read config file');
  });

  it('migrates idempotently and creates the keys and list indexes', async () => {
    const db = await newDb();
    const first = await runCli(['migrate'], db.env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('applied 1: tables');
    expect(first.stdout).toContain('applied 2: keys and indexes');
    const second = await runCli(['migrate'], db.env);
    expect(second.stdout).toBe('schema is up to date (version 2)\n');
    const c = await db.client();
    try {
      const idx = await c.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`);
      expect(idx.rows.map((r) => r.indexname)).toEqual(
        expect.arrayContaining(['customers_pkey', 'movies_pkey', 'sessions_pkey', 'customers_list_idx', 'movies_list_idx', 'sessions_movie_list_idx']),
      );
      const fks = await c.query(`SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY 1`);
      expect(fks.rows.map((r) => r.conname)).toEqual(['sessions_customer_fkey', 'sessions_movie_fkey']);
    } finally {
      await c.end();
    }
  });

  it('gives up on a migration after the lock timeout when another session holds its table, changing nothing', async () => {
    const db = await newDb();
    const setup = await db.client();
    const holder = await db.client();
    try {
      // A database at version 1: migration 2 (keys and indexes) is pending and needs sessions exclusively.
      await setup.query('CREATE TABLE shs_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const statement of MIGRATIONS[0]!.statements) await setup.query(statement);
      await setup.query(`INSERT INTO shs_schema_migrations (version, name) VALUES (1, 'tables')`);
      // A reader in a long transaction (a slow list, an open psql session) holds sessions.
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE sessions IN ACCESS SHARE MODE');
      const running = runCli(['migrate'], db.env);
      // Without a lock timeout migrate would wait for ever: the holder lets go after a bound, so the test ends either way.
      const bound = new Promise((r) => setTimeout(r, 20_000));
      await Promise.race([running, bound]);
      await holder.query('COMMIT');
      const r = await running;
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('shs: migrate: could not get a lock within 5 s while applying migration 2 (keys and indexes)');
      expect(r.stderr).toContain('nothing was changed');
      const version = await setup.query<{ v: number }>('SELECT max(version) AS v FROM shs_schema_migrations');
      expect(version.rows[0]!.v).toBe(1);
      const keys = await setup.query(`SELECT conname FROM pg_constraint WHERE conrelid = 'sessions'::regclass`);
      expect(keys.rows).toEqual([]);
      // Once the table is free, the same command goes through.
      const again = await runCli(['migrate'], db.env);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('applied 2: keys and indexes');
    } finally {
      await holder.end();
      await setup.end();
    }
  });

  it('prepares a deterministic dataset, refuses to wipe it without --force, and is idempotent', async () => {
    const a = await newDb();
    const b = await newDb();
    const pa = await runCli(['prepare_db', '--scale', SCALE], a.env);
    expect(pa.code).toBe(0);
    expect(pa.stdout).toContain('prepared 1000 customers, 58 movies, 10000 sessions (seed 1, scale 0.002)');
    expect(pa.stderr).toMatch(/sessions \(10000\): [\d.]+ s/); // progress per step
    expect((await runCli(['prepare_db', '--scale', SCALE], b.env)).code).toBe(0);

    const fingerprint = async (db: TestDatabase) => {
      const c = await db.client();
      try {
        const r = await c.query<{ t: string; h: string }>(`
          SELECT 'customers' AS t, md5(string_agg(c::text, ',' ORDER BY id)) AS h FROM customers c
          UNION ALL SELECT 'movies', md5(string_agg(m::text, ',' ORDER BY id)) FROM movies m
          UNION ALL SELECT 'sessions', md5(string_agg(s::text, ',' ORDER BY id)) FROM sessions s`);
        return Object.fromEntries(r.rows.map((x) => [x.t, x.h]));
      } finally {
        await c.end();
      }
    };
    const fa = await fingerprint(a);
    expect(fa).toEqual(await fingerprint(b));

    // Same seed, same rows, on any machine: pinned values of seed 1.
    const c = await a.client();
    try {
      const customer = await c.query(`SELECT id, name, surname, birthday::text, email FROM customers WHERE id = 1`);
      expect(customer.rows[0]).toEqual({ id: 1, name: 'Mia', surname: 'Vasiliev', birthday: '1941-07-15', email: 'mia.vasiliev.1@example.com' });
      const movie = await c.query(`SELECT id, name, year, duration::int FROM movies WHERE id = 1`);
      expect(movie.rows[0]).toEqual({ id: 1, name: 'Crimson Train', year: 1944, duration: 129 });
      const session = await c.query(`SELECT start_time::text FROM sessions WHERE id = 1`);
      expect(session.rows[0].start_time).toBe('2016-10-28 14:36:10.62258');
    } finally {
      await c.end();
    }

    const again = await runCli(['prepare_db', '--scale', SCALE], a.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already prepared');

    const other = await runCli(['prepare_db', '--scale', SCALE, '--seed', '2'], a.env);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('already holds a dataset with seed 1 and scale 0.002; pass --force');
    expect(await fingerprint(a)).toEqual(fa); // nothing was touched

    const forced = await runCli(['prepare_db', '--scale', SCALE, '--seed', '2', '--force'], a.env);
    expect(forced.code).toBe(0);
    expect((await fingerprint(a)).customers).not.toBe(fa.customers);
  });

  it('rejects bad prepare_db arguments with clear errors', async () => {
    const r = await runCli(['prepare_db', '--scale', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--scale must be a number');
    const r2 = await runCli(['migrate', '--force']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('--force applies to prepare_db only');
  });

  it('refuses to overwrite rows it did not make', async () => {
    const db = await newDb();
    expect((await runCli(['migrate'], db.env)).code).toBe(0);
    const c = await db.client();
    try {
      await c.query(`INSERT INTO movies VALUES (1, 'Hand made', 2000, 90)`);
    } finally {
      await c.end();
    }
    const r = await runCli(['prepare_db', '--scale', SCALE], db.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rows that prepare_db did not make');
  });
});

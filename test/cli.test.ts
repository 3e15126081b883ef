// The `shs` command line against a real PostgreSQL: config handling, migrate and prepare_db.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../shs/src/db/schema.js';
import { createDatabase, type TestDatabase } from './support/database.js';
import { shsEnv } from '../stack/src/shs-cli.js';
import { eventually, runCli, SHS_BIN } from './support/shs.js';

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

  it('answers a usage error with one line naming the flag and the problem, then where the help is: exit 2, before any connection', async () => {
    const cases: [string[], string][] = [
      [['prepare_db', '--scale', 'lots'], '--scale must be a number, got "lots"'],
      [['prepare_db', '--scale'], '--scale: needs a value'],
      [['prepare_db', '--scale', '20'], '--scale must be in (0, 10], got 20'],
      [['prepare_db', '--seed', '-3'], '--seed must be an integer in 0-1000000, got -3'],
      [['migrate', '--frob'], 'unknown option --frob'],
      [['migrate', '--force=yes'], '--force: takes no value'],
      [['migrate', '--force'], '--force applies to prepare_db only'],
      [['migrate', 'now'], 'unexpected argument "now"'],
      [['frobnicate'], 'unknown command "frobnicate"'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { SHS_DATABASE_HOSTS: '127.0.0.1:1' });
      expect([r.code, r.stderr, r.stdout], args.join(' ')).toEqual([2, `shs: ${message}\nRun "shs --help" for its usage.\n`, '']);
    }
    // a failure is not a usage error: exit 1, its message, no pointer to the help
    const failed = await runCli(['migrate'], { SHS_DATABASE_HOSTS: '127.0.0.1:1' });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^shs: .*ECONNREFUSED/m);
    expect(failed.stderr).not.toContain('--help');
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
    expect(second.stdout).toBe('schema is up to date (version 3)\n');
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

  describe('prepare_db --force', () => {
    /** A dataset of seed 1 plus sessions made as the API makes them (the identity gives ids after the generated). */
    const preparedWithUserSessions = async (n: number) => {
      const db = await newDb();
      const p = await runCli(['prepare_db', '--scale', SCALE], db.env);
      expect(p.code, p.stderr).toBe(0);
      await query(db, `INSERT INTO sessions (start_time, customer_id, movie_id) SELECT now(), 1, 1 FROM generate_series(1, ${n})`);
      return db;
    };
    const query = async (db: TestDatabase, text: string) => {
      const c = await db.client();
      try {
        return (await c.query(text)).rows as Record<string, unknown>[];
      } finally {
        await c.end();
      }
    };
    const state = async (db: TestDatabase) => (await query(db, 'SELECT d.seed, (SELECT count(*)::int FROM sessions) AS sessions FROM shs_dataset d'))[0];

    /** `shs <args>` on a terminal (util-linux script gives it a pty); answers `answer` once it asks. */
    const onTerminal = (args: string[], env: Record<string, string>, answer: string) =>
      new Promise<{ code: number | null; output: string; asked: boolean }>((resolve, reject) => {
        const command = [process.execPath, SHS_BIN, ...args].map((a) => `'${a}'`).join(' ');
        const child = spawn('script', ['-qec', command, '/dev/null'], { env: shsEnv(env) });
        let output = '';
        let asked = false;
        child.stdout.on('data', (d) => {
          output += d;
          if (!asked && output.includes('Type "yes" to go on:')) {
            asked = true;
            child.stdin.write(`${answer}\n`);
          }
        });
        child.stderr.on('data', (d) => (output += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, output, asked }));
      });

    it('says what it deletes; without a terminal --force alone goes on, as before', async () => {
      const db = await preparedWithUserSessions(3);
      const r = await runCli(['prepare_db', '--scale', SCALE, '--seed', '2', '--force'], db.env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('prepare_db --force replaces the dataset with seed 1 and scale 0.002 (1000 customers, 58 movies, 10000 sessions)');
      expect(r.stderr).toContain('and deletes 3 sessions that prepare_db did not make (created since it was loaded)');
      expect(r.stdout).toContain('prepared 1000 customers, 58 movies, 10000 sessions (seed 2, scale 0.002)');
      expect(r.stdout).toContain('deleted 3 sessions that prepare_db did not make');
      expect(await state(db)).toEqual({ seed: 2, sessions: 10000 });
      // Rows of its own only: nothing to warn about beyond the dataset itself.
      const clean = await runCli(['prepare_db', '--scale', SCALE, '--force'], db.env);
      expect(clean.code, clean.stderr).toBe(0);
      expect(clean.stderr).toContain('and deletes no row that prepare_db did not make');
      expect(clean.stdout).not.toContain('deleted');
      // --yes confirms --force, and means nothing without it.
      const yesAlone = await runCli(['prepare_db', '--scale', SCALE, '--yes'], db.env);
      expect(yesAlone.code).toBe(2);
      expect(yesAlone.stderr).toContain('--yes confirms --force');
    });

    it('asks on a terminal, and changes nothing unless the answer is yes', async () => {
      const db = await preparedWithUserSessions(2);
      const no = await onTerminal(['prepare_db', '--scale', SCALE, '--seed', '2', '--force'], db.env, 'no');
      expect(no.asked, no.output).toBe(true);
      expect(no.output).toContain('deletes 2 sessions that prepare_db did not make');
      expect(no.code, no.output).toBe(1);
      expect(no.output).toContain('not confirmed: nothing was changed');
      expect(await state(db)).toEqual({ seed: 1, sessions: 10002 });
      const yes = await onTerminal(['prepare_db', '--scale', SCALE, '--seed', '2', '--force'], db.env, 'yes');
      expect(yes.code, yes.output).toBe(0);
      expect(yes.output).toContain('deleted 2 sessions that prepare_db did not make');
      expect(await state(db)).toEqual({ seed: 2, sessions: 10000 });
      // --yes: no question
      const skipped = await onTerminal(['prepare_db', '--scale', SCALE, '--force', '--yes'], db.env, 'no');
      expect(skipped.asked).toBe(false);
      expect(skipped.code, skipped.output).toBe(0);
      expect(await state(db)).toEqual({ seed: 1, sessions: 10000 });
    });

    it('loads beside the old tables: readers keep them until one short swap at the end', async () => {
      const db = await preparedWithUserSessions(1);
      const reader = await db.client();
      const watcher = await db.client();
      try {
        // A reader in the middle of a long transaction on sessions.
        await reader.query('BEGIN');
        await reader.query('SELECT count(*) FROM sessions');
        const running = runCli(['prepare_db', '--scale', SCALE, '--seed', '3', '--force', '--yes'], db.env);
        // prepare_db ends up waiting for the reader: what it waits in is the swap, after the whole load.
        let waiting = '';
        await eventually(async () => {
          const r = await watcher.query<{ query: string }>(
            `SELECT a.query FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
             WHERE a.application_name = 'shs-admin' AND a.datname = current_database() AND NOT l.granted`,
          );
          waiting = r.rows[0]?.query ?? '';
          return waiting !== '';
        }, 30_000);
        expect(waiting).toMatch(/^LOCK TABLE sessions, customers, movies IN ACCESS EXCLUSIVE MODE/);
        // Meanwhile the reader still sees the old data, its own session included.
        expect((await reader.query<{ n: string }>('SELECT count(*) AS n FROM sessions')).rows[0]!.n).toBe('10001');
        await reader.query('COMMIT');
        const r = await running;
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/sessions \(10000\): [\d.]+ s\n(.*\n)* {2}swap: [\d.]+ s/); // the load, then the swap
        expect(r.stdout).toContain('deleted 1 session that prepare_db did not make');
        expect(await state(db)).toEqual({ seed: 3, sessions: 10000 });
        // The swapped-in tables carry every key and index under its usual name, and the identity continues.
        const idx = await watcher.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`);
        expect(idx.rows.map((x) => x.indexname)).toEqual([
          'customers_list_idx', 'customers_pkey', 'idempotency_keys_created_idx', 'idempotency_keys_pkey', 'movies_list_idx', 'movies_pkey', 'sessions_movie_list_idx', 'sessions_pkey', 'shs_dataset_pkey', 'shs_schema_migrations_pkey',
        ]);
        const fks = await watcher.query(`SELECT conname, confrelid::regclass::text AS ref FROM pg_constraint WHERE contype = 'f' ORDER BY 1`);
        expect(fks.rows).toEqual([{ conname: 'sessions_customer_fkey', ref: 'customers' }, { conname: 'sessions_movie_fkey', ref: 'movies' }]);
        const seq = await watcher.query<{ s: string }>(`SELECT pg_get_serial_sequence('sessions', 'id') AS s`);
        expect(seq.rows[0]!.s).toBe('public.sessions_id_seq');
        const next = await watcher.query<{ id: string }>(`INSERT INTO sessions (start_time, customer_id, movie_id) VALUES (now(), 1, 1) RETURNING id`);
        expect(next.rows[0]!.id).toBe('10001');
        expect((await watcher.query(`SELECT relname FROM pg_class WHERE relname LIKE '%\\_load%'`)).rows).toEqual([]);
      } finally {
        await reader.end();
        await watcher.end();
      }
    });
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

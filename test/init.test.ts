// `shs init`, the one-shot container of every app VM: wait for the database, migrate, prepare the dataset
// unless one is there. Idempotent, and safe when several nodes run it at the same moment.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../stack/src/ports.js';
import { shsEnv } from '../stack/src/shs-cli.js';
import { SCHEMA_LOCK_ID } from '../shs/src/db/schema.js';
import { createDatabase, type TestDatabase } from './support/database.js';
import { SHS_BIN, eventually, runCli, startService, type CliResult } from './support/shs.js';

const dbs: TestDatabase[] = [];
afterAll(async () => {
  for (const db of dbs) await db.drop();
});
async function newDb(): Promise<TestDatabase> {
  const db = await createDatabase('init');
  dbs.push(db);
  return db;
}

async function query<T extends pg.QueryResultRow>(db: TestDatabase, text: string): Promise<T[]> {
  const c = await db.client();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

/** What a re-run must leave alone: the dataset record, row counts and the tables' files (TRUNCATE renews them). */
async function state(db: TestDatabase): Promise<unknown> {
  return query(
    db,
    `SELECT (SELECT json_agg(d) FROM shs_dataset d) AS dataset,
            (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM sessions)::int AS sessions,
            pg_relation_filenode('customers') AS customers_file, pg_relation_filenode('sessions') AS sessions_file`,
  );
}

describe('shs init', () => {
  it('on an empty database: creates the schema and the dataset', async () => {
    const db = await newDb();
    const r = await runCli(['init', '--scale', '0.002'], db.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('applied 1: tables');
    expect(r.stdout).toContain('applied 2: keys and indexes');
    expect(r.stdout).toContain('prepared 1000 customers, 58 movies, 10000 sessions (seed 1, scale 0.002)');
    expect(r.stderr).toMatch(/^shs init: attempt 1: connected to the database/m);
    const rows = await query<{ seed: number; scale: number }>(db, 'SELECT seed, scale FROM shs_dataset');
    expect(rows).toEqual([{ seed: 1, scale: 0.002 }]);
    expect(await query(db, 'SELECT count(*)::int AS n FROM movies')).toEqual([{ n: 58 }]);
  });

  it('a second run changes nothing, whatever seed and scale it is given', async () => {
    const db = await newDb();
    expect((await runCli(['init', '--scale', '0.002'], db.env)).code).toBe(0);
    const before = await state(db);
    for (const args of [['--scale', '0.002'], ['--scale', '0.001', '--seed', '7']]) {
      const again = await runCli(['init', ...args], db.env);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toBe(
        'schema is up to date (version 3)\n' +
          'a dataset is already present: 1000 customers, 58 movies, 10000 sessions (seed 1, scale 0.002); data left as it is\n',
      );
    }
    expect(await state(db)).toEqual(before);
  });

  it('two nodes at the same moment: both succeed, one dataset is loaded', async () => {
    const db = await newDb();
    // Hold the schema lock so both inits are connected and queued on it, then let them race.
    const holder = await db.client();
    let results: CliResult[];
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK_ID]);
      // Different seeds: plain prepare_db would refuse the second ("pass --force"); init keeps the first.
      const runs = [runCli(['init', '--scale', '0.02', '--seed', '1'], db.env), runCli(['init', '--scale', '0.02', '--seed', '2'], db.env)];
      await eventually(async () => {
        const waiting = await holder.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [SCHEMA_LOCK_ID],
        );
        return waiting.rows[0]!.n === 2;
      }, 20_000);
      await holder.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK_ID]);
      results = await Promise.all(runs);
    } finally {
      await holder.end();
    }
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const outputs = results.map((r) => r.stdout);
    expect(outputs.filter((o) => o.includes('prepared 10000 customers, 580 movies, 100000 sessions'))).toHaveLength(1);
    expect(outputs.filter((o) => o.includes('a dataset is already present: 10000 customers'))).toHaveLength(1);
    const dataset = await query<{ n: number }>(db, 'SELECT count(*)::int AS n FROM shs_dataset');
    expect(dataset).toEqual([{ n: 1 }]);
    expect(await query(db, 'SELECT count(*)::int AS n FROM customers')).toEqual([{ n: 10000 }]);
    expect(await query(db, 'SELECT max(version) AS v, count(*)::int AS n FROM shs_schema_migrations')).toEqual([{ v: 3, n: 3 }]);
  });

  it('leaves rows that prepare_db did not make as they are, and says so', async () => {
    const db = await newDb();
    expect((await runCli(['migrate'], db.env)).code).toBe(0);
    await query(db, `INSERT INTO movies VALUES (1, 'Hand made', 2000, 90)`);
    const r = await runCli(['init', '--scale', '0.002'], db.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('the database already holds rows that prepare_db did not make; left as they are');
    expect(await query(db, 'SELECT id, name FROM movies')).toEqual([{ id: 1, name: 'Hand made' }]);
  });

  it('waits for a database that is not up yet, with a line per attempt, and goes on once it is', async () => {
    const db = await newDb();
    const port = await freePort();
    const child = spawnInit(['init', '--scale', '0.002', '--wait', '60'], { ...db.env, SHS_DATABASE_HOSTS: `127.0.0.1:${port}` });
    // "The database comes up" after two refused attempts: a proxy on that port to the real server.
    await eventually(async () => (child.stderr().match(/^shs init: attempt \d+, [\d.]+ s of 60 s: .*ECONNREFUSED.*; next attempt in [\d.]+ s$/gm) ?? []).length >= 2, 20_000);
    const proxy = createServer((client) => {
      const upstream = connect(db.port, db.host);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
    try {
      const code = await child.exited;
      expect(code, child.stderr()).toBe(0);
      expect(child.stderr()).toMatch(/^shs init: attempt \d+: connected to the database/m);
      expect(child.stdout()).toContain('prepared 1000 customers');
    } finally {
      proxy.close();
    }
  });

  it('an instance is not ready (/ping 500 "schema not ready") until init has committed the schema with the data', async () => {
    const db = await newDb();
    const svc = await startService(db.env);
    try {
      const before = await fetch(`${svc.url}/ping`);
      expect(before.status).toBe(500);
      expect(await before.text()).toBe('schema not ready\n');
      // A schema without the data is not there for anyone to see: init commits both at once.
      const r = await runCli(['init', '--scale', '0.002'], db.env);
      expect(r.code, r.stderr).toBe(0);
      await eventually(async () => (await fetch(`${svc.url}/ping`)).status === 200);
      expect((await fetch(`${svc.url}/api/movie/1`)).status).toBe(200);
    } finally {
      await svc.stop();
    }
    // An older schema than this build's is not ready either.
    const c = await db.client();
    await c.query('DELETE FROM shs_schema_migrations WHERE version = (SELECT max(version) FROM shs_schema_migrations)');
    await c.end();
    const old = await startService(db.env);
    try {
      const r = await fetch(`${old.url}/ping`);
      expect(r.status).toBe(500);
      expect(await r.text()).toBe('schema not ready\n');
    } finally {
      await old.stop();
    }
  });

  it('gives up after --wait with exit 1 and a clear message', async () => {
    const port = await freePort();
    const r = await runCli(['init', '--wait', '2'], { SHS_DATABASE_HOSTS: `127.0.0.1:${port}`, SHS_DATABASE_PASSWORD: 'x' });
    expect(r.code).toBe(1);
    const attempts = r.stderr.match(/^shs init: attempt \d+, [\d.]+ s of 2 s: .*ECONNREFUSED/gm) ?? [];
    // With backoff (1 s, then what is left of the 2 s), a few attempts, not a hot loop.
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.length).toBeLessThanOrEqual(4);
    expect(r.stderr).toContain('giving up');
    expect(r.stderr).toMatch(/shs: init: the database could not be reached within 2 s \(\d+ attempts\); last error: 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
  });

  it('rejects bad arguments before waiting', async () => {
    const cases: [string[], string][] = [
      [['init', '--wait', 'soon'], '--wait must be a number of seconds'],
      [['init', '--wait=-1'], '--wait must be a number of seconds'],
      [['init', '--scale', '20'], '--scale must be in (0, 10]'],
      [['init', '--seed=-3'], '--seed must be an integer in 0-'],
      [['init', '--force'], '--force applies to prepare_db only'],
      [['migrate', '--wait', '5'], '--wait applies to init only'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { SHS_DATABASE_HOSTS: '127.0.0.1:1' });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
    const help = await runCli(['--help']);
    expect(help.stdout).toContain('init');
    expect(help.stdout).toContain('--wait <seconds>');
  });
});

/** `shs init` running in the background, its output readable while it runs. */
function spawnInit(args: string[], env: Record<string, string>) {
  // The same binary and environment as runCli, kept running.
  const child = spawn(process.execPath, [SHS_BIN, ...args], { env: shsEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { stdout: () => stdout, stderr: () => stderr, exited };
}


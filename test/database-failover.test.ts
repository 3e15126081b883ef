// The Database's pool and failover against real PostgreSQL servers: a full pool is not a dead host, failover
// goes only to a host that accepts writes, and the service moves back to the first host once it does again.
//
// "Does not accept writes": a real standby (pg_is_in_recovery() true) needs replication set up, so the
// not-writable host here is a second server with default_transaction_read_only = on. The check treats both
// alike (libpq's target_session_attrs=read-write test: not in recovery, and transaction_read_only off), so
// pg_is_in_recovery() itself is the one branch not exercised here.
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../shs/src/config.js';
import { Database, DatabaseBusyError } from '../shs/src/db/database.js';
import { buildServer } from '../shs/src/http/server.js';
import { freePort } from '../stack/src/ports.js';
import { PostgresServer } from '../stack/src/postgres.js';
import { createDatabase, type TestDatabase } from './support/database.js';
import { eventually, runCli } from './support/shs.js';

let db: TestDatabase;
let readOnly: PostgresServer;
let readOnlyDir: string;
const open: Database[] = [];

beforeAll(async () => {
  db = await createDatabase('failover');
  const prepared = await runCli(['prepare_db', '--scale', '0.001'], db.env);
  expect(prepared.code, prepared.stderr).toBe(0);
  // A second server with the same database and user, whose sessions are read-only.
  readOnlyDir = mkdtempSync(join(tmpdir(), 'shs-readonly-pg-'));
  chmodSync(readOnlyDir, 0o755);
  readOnly = await PostgresServer.start({ dir: readOnlyDir, fast: true });
  await readOnly.ensureDatabase(db.name, db.user, db.password);
  const admin = await readOnly.admin();
  try {
    await admin.query('ALTER SYSTEM SET default_transaction_read_only = on');
    await admin.query('SELECT pg_reload_conf()');
  } finally {
    await admin.end();
  }
});

afterAll(async () => {
  for (const d of open.splice(0)) await d.close();
  await readOnly?.stop('immediate');
  if (readOnlyDir) rmSync(readOnlyDir, { recursive: true, force: true });
  await db?.drop();
});

/** A TCP port forwarding to `target` (changeable); `listen` and `close` make the "host" come and go. */
async function forwarder(target: { port: number }) {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let connections = 0;
  return {
    port,
    get connections() {
      return connections;
    },
    /** Points it at another server, as a host that restarted would be: its open connections are closed. */
    retarget(newPort: number) {
      target.port = newPort;
      for (const s of sockets) s.destroy();
    },
    async listen() {
      server = createServer((client) => {
        connections += 1;
        const upstream = connect(target.port, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    },
    async close() {
      if (!server) return;
      const closed = new Promise((r) => server!.close(r));
      for (const s of sockets) s.destroy();
      await closed;
      server = null;
    },
  };
}

function database(hosts: string[], overrides: Partial<Config['database']> = {}, failbackIntervalMs = 100) {
  const events: string[] = [];
  const cfg: Config['database'] = { ...defaultConfig().database, hosts, name: db.name, user: db.user, password: db.password, ...overrides };
  const d = new Database(
    cfg,
    {
      onFailover: (from, to) => events.push(`failover ${from} -> ${to}`),
      onFailback: (from, to) => events.push(`failback ${from} -> ${to}`),
      onNoFailoverTarget: (from) => events.push(`no target from ${from}`),
    },
    undefined,
    { failbackIntervalMs },
  );
  open.push(d);
  return { d, events, cfg };
}

describe('a full pool', () => {
  it('is not a dead host: no failover, and the waiting request gets a 503 at once, while the pool is still held', async () => {
    // The second host is as good as the first: a failover to it would succeed (and did, before).
    const second = await forwarder({ port: db.port });
    await second.listen();
    const { d, events, cfg } = database([`127.0.0.1:${db.port}`, `127.0.0.1:${second.port}`], { pool_size: 1, connect_timeout_ms: 1000 });
    const observer = await db.client();
    try {
      let held = true;
      const hold = d.query({ text: 'SELECT pg_sleep(6)' }).finally(() => (held = false));
      // the pool's one connection is running the long statement
      await eventually(async () => (await observer.query("SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(6)' AND state = 'active'")).rowCount === 1, 10_000, 20);
      expect(d.stats()).toMatchObject({ total: 1, idle: 0 });

      // The service's own answer: 503 database_busy, before the long query has finished.
      const config: Config = { ...defaultConfig(), database: cfg, log: { level: 'error', requests: false } };
      const server = buildServer({ config, db: d, instance: 'test', version: 'test' });
      const r = await server.app.inject({ method: 'GET', url: '/api/movie/1' });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ error: 'database_busy' });
      expect(held).toBe(true);
      // And the Database's: a DatabaseBusyError, no failover, the host still counted up.
      await expect(d.query({ text: 'SELECT 1' })).rejects.toBeInstanceOf(DatabaseBusyError);
      expect(held).toBe(true);
      expect(d.stats().failovers).toBe(0);
      expect(d.activeHost).toBe(`127.0.0.1:${db.port}`);
      expect(d.stats().up).toBe(true);
      expect(events).toEqual([]);
      expect(second.connections).toBe(0);
      await hold;
      expect((await d.query<{ one: number }>({ text: 'SELECT 1 AS one' })).rows[0]!.one).toBe(1);
      await server.app.close();
    } finally {
      await observer.end();
      await second.close();
    }
  });
});

describe('failover', () => {
  it('skips a host that does not accept writes, and moves to the next that does', async () => {
    const dead = await freePort();
    const { d, events } = database([`127.0.0.1:${dead}`, `127.0.0.1:${readOnly.info.port}`, `127.0.0.1:${db.port}`]);
    // The statement never reached a server (refused), so it is retried on the host failed over to.
    const r = await d.query<{ ro: string }>({ text: "SELECT current_setting('transaction_read_only') AS ro" });
    expect(r.rows[0]!.ro).toBe('off');
    expect(d.activeHost).toBe(`127.0.0.1:${db.port}`);
    expect(d.stats().failovers).toBe(1);
    expect(events).toEqual([`failover 127.0.0.1:${dead} -> 127.0.0.1:${db.port}`]);
    await d.query({ text: 'CREATE TEMP TABLE written (x int)' });
  });

  it('stays put when no other host accepts writes, and /ping says why', async () => {
    const dead = await freePort();
    const { d, events } = database([`127.0.0.1:${dead}`, `127.0.0.1:${readOnly.info.port}`]);
    await expect(d.query({ text: 'SELECT 1' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(d.activeHost).toBe(`127.0.0.1:${dead}`);
    expect(d.stats().failovers).toBe(0);
    expect(events).toEqual([`no target from 127.0.0.1:${dead}`]);
  });

  it('a read-only first host is left at once for a writable one', async () => {
    const { d, events } = database([`127.0.0.1:${readOnly.info.port}`, `127.0.0.1:${db.port}`]);
    const r = await d.query<{ ro: string }>({ text: "SELECT current_setting('transaction_read_only') AS ro" });
    expect(r.rows[0]!.ro).toBe('off');
    expect(d.activeHost).toBe(`127.0.0.1:${db.port}`);
    expect(events).toEqual([`failover 127.0.0.1:${readOnly.info.port} -> 127.0.0.1:${db.port}`]);
  });

  it('fails back to the first host once it accepts writes again, not while it is only reachable', async () => {
    const first = await forwarder({ port: readOnly.info.port }); // down for now; read-only once it listens
    const { d, events } = database([`127.0.0.1:${first.port}`, `127.0.0.1:${db.port}`]);
    try {
      await d.query({ text: 'SELECT 1' });
      expect(d.activeHost).toBe(`127.0.0.1:${db.port}`);
      // The first host comes back, but read-only (a former primary that returned as a standby): stay.
      await first.listen();
      await eventually(async () => first.connections >= 3, 10_000, 20); // three fail-back checks reached it
      expect(d.activeHost).toBe(`127.0.0.1:${db.port}`);
      // Now it accepts writes: back to it.
      first.retarget(db.port);
      await eventually(async () => d.activeHost === `127.0.0.1:${first.port}`, 10_000, 20);
      expect(events).toEqual([`failover 127.0.0.1:${first.port} -> 127.0.0.1:${db.port}`, `failback 127.0.0.1:${db.port} -> 127.0.0.1:${first.port}`]);
      expect(d.stats().failovers).toBe(2);
      await d.query({ text: 'CREATE TEMP TABLE written (x int)' });
    } finally {
      await d.close();
      await first.close();
    }
  });
});

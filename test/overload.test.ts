// Overload: heavy list requests must not take an instance (or the stack) down with them.
// One instance: HEAD of a list runs no query, a list waits for a slow client (backpressure), a client that goes
// away gets its query cancelled and its connection freed, and beyond server.heavy_concurrency heavy requests
// the instance answers 503 + Retry-After at once while /ping and the light routes keep working.
// On the real local stack (proxy, two SHS instances, PostgreSQL): one client keeps 50 `GET /api/session` in
// flight and sends 200 `HEAD /api/session` a second while the task's 120 RPS mix runs; the mix must keep its
// objective, every instance's /ping must stay 200, and no peer may be marked down.
import { readFileSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type TestDatabase } from './support/database.js';
import { describeOverload, runOverload } from './support/overload.js';
import { eventually, runCli, startService, type RunningService } from './support/shs.js';
import { startStack, type TestStack } from './support/stack.js';
import { stackPaths, stackPorts } from '../stack/src/local.js';

/** A value of the instance's Prometheus text (the sum of the series whose name and labels start with `series`). */
async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(series)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** The list queries as pg_stat_activity shows them, for the service's own backends. */
const SESSIONS_LIST = `(application_name = 'shs' OR application_name LIKE 'shs:%') AND query LIKE '%ORDER BY m.year DESC, m.name, s.customer_id%'`;
const MOVIES_LIST = `(application_name = 'shs' OR application_name LIKE 'shs:%') AND query LIKE '%FROM movies m ORDER BY m.year DESC, m.name, m.id DESC%'`;

describe('one instance', () => {
  let db: TestDatabase;
  let svc: RunningService;
  let watcher: pg.Client;

  beforeAll(async () => {
    db = await createDatabase('overload');
    // 100,000 sessions: a 24 MiB list, more than every socket buffer between PostgreSQL and the client holds
    const prepared = await runCli(['prepare_db', '--scale', '0.02'], db.env);
    expect(prepared.code, prepared.stderr).toBe(0);
    svc = await startService({ ...db.env, SHS_LOG_REQUESTS: 'false' });
    watcher = await db.client();
    await eventually(async () => (await fetch(`${svc.url}/ping`)).status === 200);
  });
  afterAll(async () => {
    await watcher?.end();
    await svc?.stop();
    await db?.drop();
  });

  const listBackends = async (which = SESSIONS_LIST) =>
    (await watcher.query<{ pid: number; state: string; wait_event: string | null }>(`SELECT pid, state, wait_event FROM pg_stat_activity WHERE ${which} AND pid <> pg_backend_pid()`)).rows;
  const runningLists = async () => (await listBackends()).filter((b) => b.state === 'active');
  /** Pool connections lent out (to a query, or lost). */
  const busyConnections = async () => (await metric(svc.url, 'shs_db_pool_connections')) - (await metric(svc.url, 'shs_db_pool_idle_connections'));

  /** A raw HTTP/1.1 request whose answer is read only as the test says. */
  function rawGet(path: string): { socket: Socket; received: () => number; firstBytes: Promise<void> } {
    const socket = connect(Number(new URL(svc.url).port), '127.0.0.1');
    let received = 0;
    const firstBytes = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.on('data', (d: Buffer) => (received += d.length));
    socket.on('error', () => undefined);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
    return { socket, received: () => received, firstBytes };
  }

  it('HEAD of a list answers its headers without running the query', async () => {
    const queries = () => metric(svc.url, 'shs_db_query_duration_seconds_count');
    const before = await queries();
    const answers: { status: number; type: string | null; length: string | null }[] = [];
    for (const path of ['/api/session', '/api/customer', '/api/movie']) {
      for (let i = 0; i < 10; i++) {
        const r = await fetch(`${svc.url}${path}`, { method: 'HEAD' });
        answers.push({ status: r.status, type: r.headers.get('content-type'), length: r.headers.get('content-length') });
      }
    }
    const after = await queries();
    console.log(`HEAD x30: ${after - before} database queries; statuses ${[...new Set(answers.map((a) => a.status))].join(',')}`);
    expect(after - before).toBe(0);
    for (const a of answers) expect(a).toEqual({ status: 200, type: 'application/json; charset=utf-8', length: null });
    // the GET of the same list does run it (the counter counts)
    expect((await fetch(`${svc.url}/api/movie`)).status).toBe(200);
    expect(await queries()).toBe(after + 1);
  });

  it('a client that stops reading holds the query back (backpressure), and when it goes away the query ends and its connection is freed', async () => {
    const client = rawGet('/api/session');
    await client.firstBytes;
    client.socket.pause();
    // The query must stay blocked sending rows (ClientWrite) while the instance has nothing left to do (its CPU
    // time stands still), rather than finish into the instance's memory. Without backpressure it is only ever
    // blocked while the instance is busy rendering what it read, and then it finishes.
    const cpu: number[] = [];
    let finished = false;
    await eventually(async () => {
      const running = await runningLists();
      if (running.length === 0) finished = true;
      cpu.push(running.some((b) => b.wait_event === 'ClientWrite') ? await metric(svc.url, 'shs_process_cpu_seconds_total') : NaN);
      const last = cpu.slice(-5);
      return finished || (last.length === 5 && last.every((c) => !Number.isNaN(c)) && last[4]! - last[0]! < 0.05);
    }, 30_000, 100);
    console.log(`backpressure: the client read ${client.received()} bytes; query ${finished ? 'finished' : 'blocked in ClientWrite'}`);
    expect(finished, 'the whole list was read from PostgreSQL while the client read nothing').toBe(false);
    client.socket.destroy();
    await eventually(async () => (await runningLists()).length === 0 && (await busyConnections()) === 0, 10_000, 50);
    expect(await metric(svc.url, 'shs_http_heavy_requests_in_flight')).toBe(0);
    const r = await fetch(`${svc.url}/api/session`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as unknown[]).length).toBe(100_000);
  });

  it('a client that goes away before the first row gets its query cancelled at once, not at the statement timeout', async () => {
    const locker = await db.client();
    const gaveUp = () => metric(svc.url, 'shs_http_requests_total{method="GET",route="/api/session",status="499"');
    const gaveUpBefore = await gaveUp();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE');
      const client = rawGet('/api/session');
      await eventually(async () => (await listBackends()).some((b) => b.state === 'active' && b.wait_event === 'relation'), 10_000, 50);
      client.socket.destroy();
      // the statement timeout is 30 s: within 5 s only a cancel can have ended it
      let waited = 0;
      await eventually(
        async () => {
          waited += 1;
          return (await runningLists()).length === 0 && (await busyConnections()) === 0;
        },
        5000,
        50,
      );
      console.log(`cancel: the query ended after ${waited} polls of 50 ms`);
      expect(await metric(svc.url, 'shs_http_heavy_requests_in_flight')).toBe(0);
      // counted once, as the client's giving up, and not logged as an error of ours
      expect(await gaveUp()).toBe(gaveUpBefore + 1);
      expect(svc.logLines().filter((l) => l.level === 'error')).toEqual([]);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    expect((await fetch(`${svc.url}/api/session`)).status).toBe(200);
  });

  it('beyond server.heavy_concurrency (default pool_size / 2 = 8) heavy requests get 503 + Retry-After at once; /ping and the light routes keep answering', async () => {
    const locker = await db.client();
    let lists: Promise<Response>[] = [];
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE movies IN ACCESS EXCLUSIVE MODE');
      lists = Array.from({ length: 20 }, () => fetch(`${svc.url}/api/movie`));
      // (the movies table locked: every movie list waits) the ones over the limit answer while the others wait
      await eventually(async () => (await listBackends(MOVIES_LIST)).filter((b) => b.wait_event === 'relation').length >= 8, 10_000, 50);
      const settled = await Promise.all(lists.map((p) => Promise.race([p.then((r) => r), new Promise<null>((r) => setTimeout(() => r(null), 500))])));
      const refused = settled.filter((r): r is Response => r !== null);
      console.log(`limit: ${refused.length} of 20 answered while the lock was held (${refused.map((r) => r.status).join(',')})`);
      expect(refused).toHaveLength(12);
      for (const r of refused) {
        expect(r.status).toBe(503);
        expect(r.headers.get('retry-after')).toBe('1');
        expect(await r.json()).toMatchObject({ error: 'overloaded' });
      }
      expect(await metric(svc.url, 'shs_http_heavy_requests_in_flight')).toBe(8);
      // light routes and readiness still have connections; the other heavy routes are refused too
      expect((await fetch(`${svc.url}/api/customer/1`)).status).toBe(200);
      expect((await fetch(`${svc.url}/operation`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"operation":1}' })).status).toBe(200);
      expect((await fetch(`${svc.url}/ping`)).status).toBe(200);
      expect((await fetch(`${svc.url}/db_dummy`)).status).toBe(503);
      expect((await fetch(`${svc.url}/api/session`, { method: 'HEAD' })).status).toBe(503);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    const done = await Promise.all(lists);
    expect(done.filter((r) => r.status === 200)).toHaveLength(8);
    await Promise.all(done.filter((r) => !r.bodyUsed).map((r) => r.arrayBuffer()));
    await eventually(async () => (await metric(svc.url, 'shs_http_heavy_requests_in_flight')) === 0, 5000, 50);
  });
});

describe('overload through the proxy', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack({ instances: 2, faults: false });
  });
  afterAll(async () => stack?.stop());

  /** A client of the stack's database, as the service's user. */
  async function stackDbClient(): Promise<pg.Client> {
    const password = readFileSync(stackPaths(stack.stateDir).dbPassword, 'utf8').trim();
    const client = new pg.Client({ host: '127.0.0.1', port: stackPorts(stack.stateDir)!.postgres, database: 'shs', user: 'shs', password });
    await client.connect();
    return client;
  }

  async function allUp(): Promise<void> {
    await eventually(async () => {
      const text = await stack.proxyMetrics();
      return stack.instancePorts.every((p) => new RegExp(`shs_proxy_upstream_up\\{peer="127\\.0\\.0\\.1:${p}"\\} 1`).test(text));
    }, 20_000, 100);
  }

  it("an instance's 503 on a heavy route (its limit reached) goes back to the client once, not to the other peer", async () => {
    await allUp();
    const instances = stack.instancePorts.map((p) => `http://127.0.0.1:${p}`);
    const attempts503 = async () => {
      let sum = 0;
      for (const m of (await stack.proxyMetrics()).matchAll(/^shs_proxy_upstream_responses_total\{[^}]*status="503"[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
      return sum;
    };
    const locker = await stackDbClient();
    const held: Promise<Response | Error>[] = [];
    try {
      // every heavy slot of both instances taken by movie lists waiting for a lock
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE movies IN ACCESS EXCLUSIVE MODE');
      for (const url of instances) for (let i = 0; i < 8; i++) held.push(fetch(`${url}/api/movie`).catch((err: Error) => err));
      await eventually(async () => (await Promise.all(instances.map((u) => metric(u, 'shs_http_heavy_requests_in_flight')))).every((n) => n === 8), 10_000, 50);
      for (const path of ['/api/movie', '/db_dummy']) {
        const before = await attempts503();
        const r = await fetch(`${stack.http}${path}`);
        expect(r.status, path).toBe(503);
        expect(r.headers.get('retry-after'), path).toBe('1');
        expect(await r.json(), path).toMatchObject({ error: 'overloaded' });
        // the proxy counts attempts in its log phase, after the answer went out: wait for it, then for any second one
        await eventually(async () => (await attempts503()) > before, 5000, 20);
        await new Promise((r) => setTimeout(r, 300));
        expect(await attempts503(), `${path}: upstream attempts answered 503`).toBe(before + 1);
      }
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    for (const r of await Promise.all(held)) {
      if (r instanceof Error) throw r;
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
  });

  it('50 concurrent GET /api/session + 200 RPS HEAD beside the 120 RPS mix: the mix keeps p90 < 400 ms and errors <= 1%, /ping stays 200, no peer marked down, the lists refused fast', async () => {
    await allUp();
    const r = await runOverload({
      proxy: stack.http,
      instances: stack.instancePorts.map((p) => `http://127.0.0.1:${p}`),
      proxyMetrics: () => stack.proxyMetrics(),
      seconds: 15,
    });
    const info = describeOverload(r);
    console.log(`overload: ${info}`);
    // the mix is unharmed
    expect(r.mix.overall.requests, info).toBeGreaterThan(120 * 14);
    expect(r.mix.overall.p90, info).toBeLessThan(400);
    expect(r.mix.overall.failRate, info).toBeLessThanOrEqual(0.01);
    // readiness never failed, and the proxy never took a peer out
    expect(r.pings.length, info).toBeGreaterThan(100);
    expect(r.pings.filter((p) => p.status !== 200), info).toHaveLength(0);
    expect(r.downTransitions, info).toBe(0);
    // the heavy requests: some served, the rest refused with Retry-After, none left hanging or cut
    const refused = r.lists.filter((x) => x.status === 429 || x.status === 503);
    expect(r.lists.filter((x) => x.status === 200).length, info).toBeGreaterThan(0);
    expect(refused.length, info).toBeGreaterThan(0);
    expect(r.lists.filter((x) => x.status !== 200 && x.status !== 429 && x.status !== 503), info).toHaveLength(0);
    expect(refused.filter((x) => x.retryAfter === null), info).toHaveLength(0);
    expect(r.heads.overall.statuses['429'] ?? 0, info).toBeGreaterThan(0);
    expect(r.heads.overall.timeouts + r.heads.overall.errors, info).toBe(0);
  }, 120_000);
});

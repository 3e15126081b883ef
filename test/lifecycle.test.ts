// Health, database failover, graceful shutdown and the fault switch, with real processes.
import { Agent, request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../stack/src/ports.js';
import { createDatabase, type TestDatabase } from './support/database.js';
import { eventually, runCli, startService } from './support/shs.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createDatabase('life');
  const prepared = await runCli(['prepare_db', '--scale', '0.001'], db.env);
  expect(prepared.code, prepared.stderr).toBe(0);
});
afterAll(async () => db?.drop());

/** A TCP port that accepts connections and then says nothing: a hung database. */
async function blackHole(): Promise<{ port: number; server: Server }> {
  const port = await freePort();
  const server = createServer(() => undefined);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { port, server };
}

/** A request over `agent` (keep-alive), with the answer's status, Connection header and body. */
function over(agent: Agent, url: string, method = 'GET', body?: string): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('health', () => {
  it('/livez answers 200 while the database is unreachable (liveness), /ping 500 (readiness)', async () => {
    const port = await freePort();
    const svc = await startService({ ...db.env, SHS_DATABASE_HOSTS: `127.0.0.1:${port}`, SHS_FAULTS_ENABLED: 'true' });
    try {
      const live = await fetch(`${svc.url}/livez`);
      expect([live.status, await live.text()]).toEqual([200, 'alive']);
      expect((await fetch(`${svc.url}/ping`)).status).toBe(500);
      // a sick process is not alive: what restarts processes restarts it
      await fetch(`${svc.url}/_fault`, { method: 'POST', body: JSON.stringify({ mode: 'sick' }), headers: { 'content-type': 'application/json' } });
      expect((await fetch(`${svc.url}/livez`)).status).toBe(500);
    } finally {
      await svc.stop('SIGKILL');
    }
  });

  it('/ping answers 500 while the database is unreachable and 200 once it is, without a restart', async () => {
    const port = await freePort();
    const svc = await startService({ ...db.env, SHS_DATABASE_HOSTS: `127.0.0.1:${port}` });
    try {
      const r = await fetch(`${svc.url}/ping`);
      expect(r.status).toBe(500);
      expect(await r.text()).toContain('database unreachable');
      const api = await fetch(`${svc.url}/api/movie/1`);
      expect(api.status).toBe(503);
      expect(await api.json()).toMatchObject({ error: 'database_unavailable' });
      // "The database comes up": a proxy on that port to the real server.
      const proxy = createServer((client) => {
        const upstream = connect(db.port, db.host);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>((res) => proxy.listen(port, '127.0.0.1', res));
      try {
        await eventually(async () => (await fetch(`${svc.url}/ping`)).status === 200);
        expect((await fetch(`${svc.url}/api/movie/1`)).status).toBe(200);
      } finally {
        proxy.close();
      }
    } finally {
      await svc.stop('SIGKILL');
    }
  });

  it('fails over to the next database host when the first cannot be reached', async () => {
    const dead = await freePort();
    const svc = await startService({ ...db.env, SHS_DATABASE_HOSTS: `127.0.0.1:${dead},${db.host}:${db.port}` });
    try {
      expect((await fetch(`${svc.url}/api/movie/1`)).status).toBe(200);
      expect((await fetch(`${svc.url}/ping`)).status).toBe(200);
      const metrics = await (await fetch(`${svc.url}/metrics`)).text();
      expect(metrics).toContain('# TYPE shs_db_failovers_total counter');
      expect(metrics).toMatch(/^shs_db_failovers_total\{[^}]*\} 1$/m);
      expect(svc.output()).toContain('"msg":"database failover"');
    } finally {
      await svc.stop('SIGKILL');
    }
  });

  it('shs_db_up follows the last attempt to reach the database, /ping\'s included; queries are timed by outcome', async () => {
    const port = await freePort();
    const svc = await startService({ ...db.env, SHS_DATABASE_HOSTS: `127.0.0.1:${port}` });
    const metrics = async () => (await fetch(`${svc.url}/metrics`)).text();
    const value = (text: string, series: RegExp) => Number(series.exec(text)?.[1] ?? Number.NaN);
    const up = async () => value(await metrics(), /^shs_db_up\{[^}]*\} (\S+)$/m);
    const count = (text: string, outcome: string) => value(text, new RegExp(`^shs_db_query_duration_seconds_count\\{[^}]*outcome="${outcome}"[^}]*\\} (\\S+)$`, 'm'));
    // "The database", reachable while a forwarder to the real server listens on that port.
    const sockets = new Set<Socket>();
    let forwarder: Server | null = null;
    const reachable = async () => {
      forwarder = createServer((client) => {
        const upstream = connect(db.port, db.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>((res) => forwarder!.listen(port, '127.0.0.1', res));
    };
    const unreachable = async () => {
      const closed = new Promise((res) => forwarder!.close(res));
      for (const s of sockets) s.destroy();
      await closed;
      forwarder = null;
    };
    try {
      let text = await metrics();
      expect(value(text, /^shs_db_up\{[^}]*\} (\S+)$/m)).toBe(0); // no answer yet
      expect([count(text, 'ok'), count(text, 'error')]).toEqual([0, 0]); // both series exist from the start
      expect((await fetch(`${svc.url}/api/movie/1`)).status).toBe(503);
      text = await metrics();
      expect([count(text, 'ok'), count(text, 'error')]).toEqual([0, 1]);
      expect(value(text, /^shs_db_up\{[^}]*\} (\S+)$/m)).toBe(0);

      await reachable();
      await eventually(async () => (await fetch(`${svc.url}/ping`)).status === 200);
      expect(await up()).toBe(1);
      expect((await fetch(`${svc.url}/api/movie/1`)).status).toBe(200);
      text = await metrics();
      expect([count(text, 'ok'), count(text, 'error')]).toEqual([1, 1]); // /ping's check is not a timed query
      expect(text).toMatch(/^shs_db_query_duration_seconds_bucket\{le="12",[^}]*outcome="ok"[^}]*\} 1$/m);

      // the database goes away: /ping's own check is the attempt that notices
      await unreachable();
      await eventually(async () => (await fetch(`${svc.url}/ping`)).status === 500);
      expect(await up()).toBe(0);
      // and comes back: /ping's next success turns it up again, with no query in between
      await reachable();
      await eventually(async () => (await fetch(`${svc.url}/ping`)).status === 200);
      expect(await up()).toBe(1);
    } finally {
      if (forwarder) await unreachable();
      await svc.stop('SIGKILL');
    }
  });

  it('a hung database makes /ping fail within the connect timeout instead of hanging', async () => {
    const hole = await blackHole();
    const svc = await startService({ ...db.env, SHS_DATABASE_HOSTS: `127.0.0.1:${hole.port}`, SHS_DATABASE_CONNECT_TIMEOUT_MS: '300' });
    try {
      const r = await fetch(`${svc.url}/ping`, { signal: AbortSignal.timeout(10_000) });
      expect(r.status).toBe(500);
    } finally {
      await svc.stop('SIGKILL');
      hole.server.close();
    }
  });
});

describe('shutdown', () => {
  it('SIGTERM: /ping fails at once while everything else is served for the delay, keep-alive connections closing after their next answer; then it drains and exits 0', async () => {
    const svc = await startService({ ...db.env, SHS_SERVER_SHUTDOWN_DELAY_MS: '3000' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await over(agent, `${svc.url}/api/movie/1`);
      expect([before.status, before.connection]).toEqual([200, 'keep-alive']);
      svc.process.kill('SIGTERM');
      await eventually(async () => svc.output().includes('leaving rotation'));
      // out of rotation: the proxies' checks fail, liveness does not
      const ping = await fetch(`${svc.url}/ping`);
      expect([ping.status, await ping.text()]).toEqual([500, 'draining\n']);
      expect((await fetch(`${svc.url}/livez`)).status).toBe(200);
      // the open keep-alive connection gets its next answer, told to close
      const next = await over(agent, `${svc.url}/api/movie/2`);
      expect([next.status, next.connection]).toEqual([200, 'close']);
      // new connections are still accepted, writes included
      const created = await fetch(`${svc.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ start_time: '2024-01-01T00:00:00Z', customer_id: 1, movie_id: 1 }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: number };
      expect((await fetch(`${svc.url}/api/session/${id}`, { method: 'DELETE' })).status).toBe(204);
      expect(svc.output()).not.toContain('"msg":"draining"');
      expect(await svc.exited).toBe(0);
      const out = svc.output();
      expect(out.indexOf('"msg":"draining"')).toBeGreaterThan(out.indexOf('leaving rotation'));
      expect(out).toContain('drained: exiting');
    } finally {
      agent.destroy();
      await svc.stop('SIGKILL');
    }
  });

  it('SIGTERM drains an in-flight request, then exits 0', async () => {
    const svc = await startService({ ...db.env, SHS_LONG_DUMMY_DELAY_MS: '1500' });
    const inFlight = fetch(`${svc.url}/long_dummy`);
    await new Promise((r) => setTimeout(r, 300));
    svc.process.kill('SIGTERM');
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(await svc.exited).toBe(0);
    expect(svc.output()).toContain('"msg":"draining"');
    await expect(fetch(`${svc.url}/ping`)).rejects.toThrow();
  });

  it('a second SIGTERM forces exit 1', async () => {
    const svc = await startService({ ...db.env, SHS_LONG_DUMMY_DELAY_MS: '5000' });
    const inFlight = fetch(`${svc.url}/long_dummy`).catch(() => null);
    await new Promise((r) => setTimeout(r, 300));
    svc.process.kill('SIGTERM');
    await eventually(async () => svc.output().includes('"msg":"draining"'));
    svc.process.kill('SIGTERM');
    expect(await svc.exited).toBe(1);
    expect(svc.output()).toContain('second signal: forcing exit');
    await inFlight;
  });

  it('the drain deadline forces exit 1', async () => {
    const svc = await startService({ ...db.env, SHS_LONG_DUMMY_DELAY_MS: '5000', SHS_SERVER_SHUTDOWN_TIMEOUT_MS: '300' });
    const inFlight = fetch(`${svc.url}/long_dummy`).catch(() => null);
    await new Promise((r) => setTimeout(r, 300));
    svc.process.kill('SIGTERM');
    expect(await svc.exited).toBe(1);
    expect(svc.output()).toContain('drain deadline passed');
    await inFlight;
  });
});

describe('fault switch', () => {
  it('turns the instance sick, slow and healthy again, and crashes it', async () => {
    const svc = await startService({ ...db.env, SHS_FAULTS_ENABLED: 'true', SHS_FAULTS_SLOW_DELAY_MS: '700' });
    const fault = (mode: string) =>
      fetch(`${svc.url}/_fault`, { method: 'POST', body: JSON.stringify({ mode }), headers: { 'content-type': 'application/json' } });
    try {
      expect((await fault('nonsense')).status).toBe(400);
      expect((await fault('sick')).status).toBe(200);
      expect((await fetch(`${svc.url}/ping`)).status).toBe(500);
      const api = await fetch(`${svc.url}/api/movie/1`);
      expect(api.status).toBe(500);
      expect(await api.json()).toMatchObject({ error: 'sick' });
      expect((await fetch(`${svc.url}/metrics`)).status).toBe(200);
      expect(await (await fetch(`${svc.url}/_fault`)).json()).toEqual({ mode: 'sick' });

      expect((await fault('slow')).status).toBe(200);
      const t0 = performance.now();
      expect((await fetch(`${svc.url}/ping`)).status).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(650); // the injected delay, a lower bound only

      expect((await fault('healthy')).status).toBe(200);
      expect((await fetch(`${svc.url}/api/movie/1`)).status).toBe(200);

      expect((await fault('crash')).status).toBe(202);
      await svc.exited;
      expect(svc.process.signalCode).toBe('SIGKILL');
    } finally {
      await svc.stop('SIGKILL');
    }
  });
});

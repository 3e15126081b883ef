// The Database's own telemetry, without a server: what a query to an unreachable host reports.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config.js';
import { Database, DatabaseUnavailableError, PasswordUnavailableError, type PasswordSource, type QueryOutcome } from './database.js';

/** A loopback port nothing listens on: connections to it are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

const open: Database[] = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
});

async function unreachable(password?: PasswordSource) {
  const cfg = { ...defaultConfig().database, hosts: [`127.0.0.1:${await closedPort()}`], connect_timeout_ms: 2000 };
  const db = new Database(cfg, {}, password);
  open.push(db);
  const seen: { outcome: QueryOutcome; seconds: number }[] = [];
  db.stats().queries.subscribe((outcome, seconds) => seen.push({ outcome, seconds }));
  return { db, seen };
}

describe('Database telemetry', () => {
  it('reports each query, transaction and row stream once, as an error when the host refuses', async () => {
    const { db, seen } = await unreachable();
    await expect(db.query({ text: 'SELECT 1' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // right after a refusal the next ones fail at once, without trying (see the next test)
    await expect(db.transaction(async (c) => c.query('SELECT 1'))).rejects.toThrow();
    await expect(db.eachRow({ text: 'SELECT 1' }, () => undefined, { work_mem: '4MB' })).rejects.toThrow();
    await expect(db.eachRow({ text: 'SELECT 1' }, () => undefined)).rejects.toThrow();
    expect(seen.map((s) => s.outcome)).toEqual(['error', 'error', 'error', 'error']);
    for (const s of seen) expect(s.seconds).toBeGreaterThanOrEqual(0);
  });

  it('is down until an attempt succeeds, and a refused connection or /ping check keeps it down', async () => {
    const { db } = await unreachable();
    expect(db.stats().up).toBe(false);
    await expect(db.checkHealth()).rejects.toThrow();
    expect(db.stats().up).toBe(false);
    await expect(db.query({ text: 'SELECT 1' })).rejects.toThrow();
    expect(db.stats().up).toBe(false);
  });

  it('after a failed connection, requests fail at once for a moment and one tries again, instead of each connecting', async () => {
    // a "server" that accepts and hangs up: every attempt to connect is counted, and fails
    let attempts = 0;
    const server = createServer((socket) => {
      attempts += 1;
      socket.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const db = new Database({ ...defaultConfig().database, hosts: [`127.0.0.1:${(server.address() as { port: number }).port}`] });
      open.push(db);
      await expect(db.query({ text: 'SELECT 1' })).rejects.toThrow(/Connection terminated/);
      expect(attempts).toBe(1);
      const burst = await Promise.allSettled(Array.from({ length: 20 }, () => db.query({ text: 'SELECT 1' })));
      expect(burst.every((r) => r.status === 'rejected' && r.reason instanceof DatabaseUnavailableError)).toBe(true);
      expect(attempts).toBe(1);
      expect(db.stats().up).toBe(false);
      // after the pause, one request tries again (and fails: the pause doubles)
      await new Promise((r) => setTimeout(r, 150));
      await expect(db.query({ text: 'SELECT 1' })).rejects.toThrow(/Connection terminated/);
      expect(attempts).toBe(2);
      await expect(db.query({ text: 'SELECT 1' })).rejects.toBeInstanceOf(DatabaseUnavailableError);
      expect(attempts).toBe(2);
    } finally {
      server.close();
    }
  });

  it('while connections time out, one request at a time tries a new one: no storm of abandoned attempts', async () => {
    // a "server" that accepts and never answers (frozen): every attempt is counted, and times out
    const sockets = new Set<import('node:net').Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    let attempts = 0;
    server.on('connection', () => (attempts += 1));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const db = new Database({ ...defaultConfig().database, connect_timeout_ms: 200, hosts: [`127.0.0.1:${(server.address() as { port: number }).port}`] });
      open.push(db);
      await expect(db.query({ text: 'SELECT 1' })).rejects.toThrow(/timeout/);
      expect(attempts).toBe(1);
      // a burst: one of them tries (and times out), the others fail at once without trying
      const burst = await Promise.allSettled(Array.from({ length: 20 }, () => db.query({ text: 'SELECT 1' })));
      const reasons = burst.map((r) => (r.status === 'rejected' ? r.reason : null));
      expect(reasons.filter((r) => r instanceof DatabaseUnavailableError)).toHaveLength(19);
      expect(reasons.filter((r) => /timeout/.test(String(r?.message)) && !(r instanceof DatabaseUnavailableError))).toHaveLength(1);
      expect(attempts).toBe(2);
      // no pause after a timeout (it may be this machine's load): the next request tries at once
      await expect(db.query({ text: 'SELECT 1' })).rejects.toThrow(/timeout/);
      expect(attempts).toBe(3);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it('a password not at hand yet is an error of the query, but no attempt to reach the database', async () => {
    const source: PasswordSource = { get: () => new Promise(() => undefined), ready: false, problem: 'not read yet', rejected: () => false };
    const { db, seen } = await unreachable(source);
    await expect(db.query({ text: 'SELECT 1' })).rejects.toBeInstanceOf(PasswordUnavailableError);
    expect(seen.map((s) => s.outcome)).toEqual(['error']);
    expect(db.stats().up).toBe(false);
  });
});

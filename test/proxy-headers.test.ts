// What the proxy adds to, keeps from and logs about a request, against an origin that records what reaches it:
// the client's address (logged; X-Forwarded-For is the proxy's, never the client's), /long_dummy's caching when
// the origin sets a cookie, the Age and max-age of the answers it serves, and its TLS and HTTP/2 limits. The proxy
// image's entrypoint (proxy/dist/start.cjs) with this machine's nginx + Lua, HTTP and HTTPS (self-signed).
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEntrypoint, type Entrypoint } from './support/proxy-entrypoint.js';
import { eventually } from './support/shs.js';

/** The origin: /ping healthy, /long_dummy as SHS answers it (with a cookie when `cookie` is set), /api/movie/1. */
const origin = {
  server: null as Server | null,
  host: '',
  cookie: false,
  hits: new Map<string, number>(),
  /** The headers of the last request for each path. */
  seen: new Map<string, IncomingHttpHeaders>(),
};

let proxy: Entrypoint | undefined;
let logFile: string;
let http: string;
let httpsPort: number;
let metricsUrl: string;

beforeAll(async () => {
  let n = 0;
  origin.server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/ping') {
      origin.hits.set(path, (origin.hits.get(path) ?? 0) + 1);
      origin.seen.set(path, req.headers);
    }
    if (path === '/ping') return res.writeHead(200, { 'content-type': 'text/plain' }).end('pong');
    if (path === '/long_dummy') {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'public, max-age=30, stale-while-revalidate=30' };
      if (origin.cookie) headers['set-cookie'] = `visitor=${++n}; Path=/; HttpOnly`;
      return res.writeHead(200, headers).end(JSON.stringify({ produced_at: new Date().toISOString(), n: ++n }));
    }
    if (path === '/api/movie/1') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":1}');
    return res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
  });
  await new Promise<void>((r) => origin.server!.listen(0, '127.0.0.1', r));
  origin.host = `127.0.0.1:${(origin.server.address() as { port: number }).port}`;

  proxy = await startEntrypoint('proxy-headers', { PROXY_PEERS: origin.host }, true);
  ({ http, metricsUrl, httpsPort, logFile } = proxy);
  await eventually(async () => {
    if (proxy!.child.exitCode !== null) throw new Error(`the proxy exited ${proxy!.child.exitCode}:\n${readFileSync(logFile, 'utf8')}`);
    return /^shs_proxy_upstream_up\{[^}]*\} 1$/m.test(await (await fetch(metricsUrl)).text());
  }, 20_000);
});

afterAll(async () => {
  await proxy?.stop();
  if (origin.server) await new Promise((r) => origin.server!.close(r));
});

/** The access log's JSON lines (the entrypoint's own lines have a "component"). */
function accessLines(): Record<string, unknown>[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"time"') && !l.includes('"component"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('client address', () => {
  it('sets X-Forwarded-For to the address it sees, whatever the client sent, and logs both', async () => {
    const r = await fetch(`${http}/api/movie/1`, { headers: { 'x-forwarded-for': '6.6.6.6', 'x-request-id': 'xff-probe-1' } });
    expect(r.status).toBe(200);
    // The first (and only) hop the origin sees is the client's real address, not what the client claimed.
    expect(origin.seen.get('/api/movie/1')?.['x-forwarded-for']).toBe('127.0.0.1');
    const plain = await fetch(`${http}/api/movie/1`, { headers: { 'x-request-id': 'xff-probe-2' } });
    expect(plain.status).toBe(200);
    expect(origin.seen.get('/api/movie/1')?.['x-forwarded-for']).toBe('127.0.0.1');
    let line: Record<string, unknown> | undefined;
    await eventually(async () => (line = accessLines().find((l) => l.req_id === 'xff-probe-1')) !== undefined);
    expect(line).toMatchObject({ client: '127.0.0.1', forwarded_for: '6.6.6.6', uri: '/api/movie/1', status: 200 });
    await eventually(async () => accessLines().some((l) => l.req_id === 'xff-probe-2'));
    expect(accessLines().find((l) => l.req_id === 'xff-probe-2')).toMatchObject({ client: '127.0.0.1', forwarded_for: '' });
  });
});

describe('/long_dummy', () => {
  const filled = async () => /^shs_proxy_cache_filled_timestamp_seconds (\S+)$/m.exec(await (await fetch(metricsUrl)).text())?.[1];
  let fillSent = 0;
  let fromOrigin: Response | undefined;

  it('never caches, nor serves from the cache, an answer that sets a cookie', async () => {
    origin.cookie = true;
    const first = await fetch(`${http}/long_dummy`);
    const a = (await first.json()) as { n: number };
    expect(first.headers.get('set-cookie')).toMatch(/^visitor=/);
    const second = await fetch(`${http}/long_dummy`);
    const b = (await second.json()) as { n: number };
    // Each client gets its own answer and its own cookie, straight from the origin
    expect(second.headers.get('x-cache-status')).not.toBe('HIT');
    expect(b.n).not.toBe(a.n);
    expect(second.headers.get('set-cookie')).not.toBe(first.headers.get('set-cookie'));
    expect(origin.hits.get('/long_dummy')).toBe(2);
    // ...marked for no cache further down either, and the cache counts as never filled
    expect(second.headers.get('cache-control')).toBe('no-store');
    expect(await filled()).toBeUndefined();

    // Without the cookie the answer is cached as before, and the cached copy carries no cookie.
    origin.cookie = false;
    fillSent = Date.now();
    const third = await fetch(`${http}/long_dummy`);
    await third.text();
    fromOrigin = third;
    expect(third.headers.get('set-cookie')).toBeNull();
    expect(await filled()).toBeDefined();
    const fourth = await fetch(`${http}/long_dummy`);
    await fourth.text();
    expect(fourth.headers.get('x-cache-status')).toBe('HIT');
    expect(fourth.headers.get('set-cookie')).toBeNull();
    expect(origin.hits.get('/long_dummy')).toBe(3);
  });

  it('gives each answer its age and a max-age that keeps age + max-age within the 60 s bound', async () => {
    const ageOf = (r: Response) => Number(r.headers.get('age') ?? NaN);
    const maxAgeOf = (r: Response) => Number(/^public, max-age=(\d+)$/.exec(r.headers.get('cache-control') ?? '')?.[1] ?? NaN);
    // Some seconds after the fill above, from the cache: its age is the time since the origin filled it, and
    // caches further down may keep it only for what is left of the 60 s (less 1 s for Age's whole seconds).
    await new Promise((r) => setTimeout(r, 2500));
    const cached = await fetch(`${http}/long_dummy`);
    await cached.text();
    const sinceFill = (Date.now() - fillSent) / 1000;
    expect(cached.headers.get('x-cache-status')).toBe('HIT');
    expect(cached.headers.get('age')).toMatch(/^\d+$/);
    expect(ageOf(cached)).toBeGreaterThanOrEqual(2);
    expect(ageOf(cached)).toBeLessThanOrEqual(Math.ceil(sinceFill));
    expect(cached.headers.get('cache-control')).toBe(`public, max-age=${59 - ageOf(cached)}`);
    expect(ageOf(cached) + maxAgeOf(cached)).toBe(59);
    // The answer the origin gave (it filled the cache above): age 0, max-age 59.
    expect(fromOrigin?.headers.get('x-cache-status')).toMatch(/^(MISS|BYPASS|EXPIRED)$/);
    expect(fromOrigin?.headers.get('age')).toBe('0');
    expect(fromOrigin?.headers.get('cache-control')).toBe('public, max-age=59');
  });
});

describe('TLS and HTTP/2', () => {
  it('hands out session tickets that resume a TLS session', async () => {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      // The session the server hands out: for TLS 1.3 a NewSessionTicket after the handshake, for 1.2 the ticket
      // extension (with tickets off, 1.2 would resume only from the server's cache, and carry no ticket).
      const { ticket, tls12Ticket } = await new Promise<{ ticket: Buffer; tls12Ticket: Buffer | undefined }>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: httpsPort, servername: 'localhost', rejectUnauthorized: false, minVersion: version, maxVersion: version });
        socket.once('session', (session: Buffer) => {
          const tls12Ticket = socket.getTLSTicket();
          socket.end();
          resolve({ ticket: session, tls12Ticket });
        });
        socket.on('error', reject);
      });
      if (version === 'TLSv1.2') expect(tls12Ticket, version).toBeInstanceOf(Buffer);
      const reused = await new Promise<boolean>((resolve, reject) => {
        const socket: TLSSocket = tlsConnect(
          { host: '127.0.0.1', port: httpsPort, servername: 'localhost', rejectUnauthorized: false, minVersion: version, maxVersion: version, session: ticket },
          () => {
            resolve(socket.isSessionReused());
            socket.end();
          },
        );
        socket.on('error', reject);
      });
      expect(reused, version).toBe(true);
    }
  });

  it('ends an HTTP/2 connection after nginx\'s default 1000 requests (Rapid Reset guidance)', async () => {
    const session = http2Connect(`https://127.0.0.1:${httpsPort}`, { rejectUnauthorized: false });
    let goaway = false;
    session.on('goaway', () => (goaway = true));
    session.on('error', () => undefined);
    let answered = 0;
    const one = () =>
      new Promise<void>((resolve) => {
        const req = session.request({ ':path': '/no-such-route' }); // answered by the proxy itself
        req.on('response', () => answered++);
        req.on('error', () => resolve());
        req.on('close', () => resolve());
        req.resume();
        req.end();
      });
    try {
      for (let sent = 0; sent < 1200 && !goaway && !session.closed && !session.destroyed; sent += 50) await Promise.all(Array.from({ length: 50 }, one));
    } finally {
      session.destroy();
    }
    expect(goaway).toBe(true);
    expect(answered).toBeLessThanOrEqual(1000);
  });
});

// A minimal in-memory SHS that keeps the contract, or breaks one part of it on request: the smoke checks are
// shown to fail against each violation (and to pass against the real service elsewhere).
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { readFileSync } from 'node:fs';

export type Violation =
  | 'ping'
  | 'root'
  | 'movie'
  | 'customer'
  | 'session'
  | 'errors'
  | 'lists'
  | 'db_dummy'
  | 'operation'
  | 'write-cycle'
  | 'long-dummy-uncached'
  | 'long-dummy-stale'
  | 'not-cached'
  | 'allowlist'
  | 'http-redirect'
  | 'http3';

export interface FakeOptions {
  violation?: Violation;
  tls?: { certFile: string; keyFile: string };
}

export interface FakeShs {
  url: string;
  close(): Promise<void>;
}

const movie = (id: number) => ({ id, name: `Movie ${id}`, year: 1990 + (id % 30), duration: 90 + (id % 60) });
const customer = (id: number) => ({ id, name: 'Ann', surname: `S${id}`, birthday: '1980-01-02', email: `ann${id}@example.com` });

export async function startFake(o: FakeOptions = {}): Promise<FakeShs> {
  const v = o.violation;
  const sessions = new Map<number, { id: number; start_time: string; customer_id: number; movie_id: number }>();
  for (let i = 1; i <= 5000; i++) sessions.set(i, { id: i, start_time: '2020-01-01T00:00:00.000000Z', customer_id: 1 + (i % 500), movie_id: 1 + (i % 29) });
  let nextId = 5001;
  let cached: { at: string; until: number } | null = null;
  const frozenOperation = new Date().toISOString();

  const send = (res: ServerResponse, status: number, body: unknown, type = 'application/json; charset=utf-8', headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const err = (res: ServerResponse, status: number, code: string) => send(res, status, { error: code, message: code });
  const sessionJson = (s: { id: number; start_time: string; customer_id: number; movie_id: number }) => ({
    id: s.id,
    start_time: s.start_time,
    customer: customer(s.customer_id),
    ...(v === 'session' ? {} : { movie: movie(s.movie_id) }),
  });

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const m = req.method ?? 'GET';
    const alt: Record<string, string> = v === 'http3' ? {} : { 'alt-svc': 'h3=":443"; ma=86400' };
    if (v === 'http-redirect' && !o.tls) return send(res, 301, '', 'text/plain', { location: 'https://example.invalid/' });
    const id = (prefix: string) => {
      const rest = path.slice(prefix.length);
      return /^\d+$/.test(rest) ? Number(rest) : rest === '' ? null : NaN;
    };
    if (path === '/ping') return send(res, 200, v === 'ping' ? 'pang' : 'pong', 'text/plain', alt);
    if (path === '/') return send(res, 200, 'hello', v === 'root' ? 'application/json' : 'text/plain');
    if (path === '/metrics' && v === 'allowlist') return send(res, 200, '# metrics', 'text/plain');
    if (path === '/db_dummy') {
      if (v !== 'db_dummy') await new Promise((r) => setTimeout(r, 110));
      return send(res, 200, 'ok', 'text/plain');
    }
    if (path === '/long_dummy') {
      if (v === 'long-dummy-stale') return send(res, 200, { produced_at: new Date(Date.now() - 120_000).toISOString() });
      if (v === 'long-dummy-uncached' || !cached || cached.until < Date.now()) {
        await new Promise((r) => setTimeout(r, 20)); // the origin is slow (over a second in the contract)
        cached = { at: new Date().toISOString(), until: Date.now() + 30_000 };
      }
      return send(res, 200, { produced_at: cached.at });
    }
    if (path === '/operation' && m === 'POST') {
      const op = (JSON.parse(body || '{}') as { operation?: number }).operation;
      return send(res, 200, { operation: v === 'operation' ? null : op, instance: 'fake', time: v === 'not-cached' ? frozenOperation : new Date().toISOString() });
    }
    if (path === '/api/movie' && m === 'DELETE') return err(res, 405, 'method_not_allowed');
    if (path === '/api/movie') return send(res, 200, Array.from({ length: 29 }, (_, i) => movie(i + 1)));
    if (path === '/api/customer') return send(res, 200, v === 'lists' ? { customers: [] } : Array.from({ length: 500 }, (_, i) => customer(i + 1)));
    if (path === '/api/session' && m === 'GET') return send(res, 200, [...sessions.values()].slice(0, 100).map(sessionJson));
    if (path === '/api/session' && m === 'POST') {
      const b = JSON.parse(body || '{}') as { start_time?: string; customer_id?: number; movie_id?: number };
      if (typeof b.start_time !== 'string' || Number.isNaN(Date.parse(b.start_time))) return err(res, 400, 'bad_request');
      const s = { id: nextId++, start_time: new Date(b.start_time).toISOString(), customer_id: b.customer_id ?? 1, movie_id: b.movie_id ?? 1 };
      sessions.set(s.id, s);
      return send(res, 201, sessionJson(s));
    }
    for (const [prefix, lookup] of [
      ['/api/movie/', (n: number) => (n >= 1 && n <= 29 ? { ...movie(n), ...(v === 'movie' ? { year: String(movie(n).year) } : {}) } : null)],
      ['/api/customer/', (n: number) => (n >= 1 && n <= 500 ? { ...customer(n), ...(v === 'customer' ? { birthday: '02.01.1980' } : {}) } : null)],
      ['/api/session/', (n: number) => (sessions.has(n) ? sessionJson(sessions.get(n)!) : null)],
    ] as const) {
      if (!path.startsWith(prefix)) continue;
      const n = id(prefix);
      if (Number.isNaN(n) || n === null) return err(res, 400, 'bad_request');
      if (m === 'DELETE' && prefix === '/api/session/') {
        if (!sessions.has(n)) return err(res, 404, 'not_found');
        if (v !== 'write-cycle') sessions.delete(n);
        res.writeHead(204).end();
        return;
      }
      const found = lookup(n);
      if (!found) return v === 'errors' ? send(res, 200, 'null') : err(res, 404, 'not_found');
      return send(res, 200, found);
    }
    return err(res, 404, 'not_found');
  };

  const server: Server = o.tls
    ? createHttps({ cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) }, (q, s) => void handler(q, s))
    : createHttp((q, s) => void handler(q, s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `${o.tls ? 'https://localhost' : 'http://127.0.0.1'}:${port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

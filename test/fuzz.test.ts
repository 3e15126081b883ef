// Property: whatever a client sends, the service answers without a 5xx, stays healthy, and the row counts
// change only through valid writes (201 on POST /api/session adds one row, 204 on DELETE removes one).
import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase, type TestDatabase } from './support/database.js';
import { runCli, startService, type RunningService } from './support/shs.js';

let db: TestDatabase;
let svc: RunningService;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  db = await createDatabase('fuzz');
  const prepared = await runCli(['prepare_db', '--scale', '0.001'], db.env);
  expect(prepared.code, prepared.stderr).toBe(0);
  svc = await startService({ ...db.env, SHS_LOG_REQUESTS: 'false' });
});
afterAll(async () => {
  agent.destroy();
  await svc?.stop();
  await db?.drop();
});

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

function send(r: Req): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // Bodies are always framed with Content-Length (Node sends none for a GET body by itself).
    const headers = r.body ? { ...r.headers, 'content-length': String(r.body.length) } : r.headers;
    const req = request(
      { host: '127.0.0.1', port: svc.port, method: r.method, path: r.path, headers, agent, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timeout: ${r.method} ${r.path}`)));
    if (r.body) req.end(r.body);
    else req.end();
  });
}

const ids = fc.oneof(
  fc.integer({ min: 1, max: 600 }).map(String), // mostly existing rows at this scale
  fc.integer({ min: -5, max: 5 }).map(String),
  fc.constantFrom('0', '00001', '9223372036854775807', '9223372036854775808', '1e3', '1.0', '0x10', '%00', '%F0%9F%8E%AC', '..', 'null', '%201', '-0'),
  fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
);
const paths = fc.oneof(
  fc.constantFrom('/', '/ping', '/db_dummy', '/operation', '/api/movie', '/api/customer', '/api/session', '/metrics', '/_fault', '/api', '/api/', '//api/movie', '/api/movie/', '/API/MOVIE'),
  ids.map((id) => `/api/movie/${id}`),
  ids.map((id) => `/api/customer/${id}`),
  ids.map((id) => `/api/session/${id}`),
  fc.tuple(fc.constantFrom('/api/movie', '/api/session/1', '/ping'), fc.string({ maxLength: 20 })).map(([p, q]) => `${p}?${encodeURIComponent(q)}=${encodeURIComponent(q)}`),
  fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
);
const validSession = fc.record({
  start_time: fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  customer_id: fc.integer({ min: -1, max: 1200 }),
  movie_id: fc.integer({ min: -1, max: 60 }),
});
const bodies = fc.oneof(
  fc.constant(undefined),
  validSession.map((s) => Buffer.from(JSON.stringify(s))),
  fc.record({ operation: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)) }).map((o) => Buffer.from(JSON.stringify(o))),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
  fc.record({ start_time: fc.string(), customer_id: fc.anything(), movie_id: fc.anything() }, { requiredKeys: [] }).map((o) => Buffer.from(JSON.stringify(o) ?? '')),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.constantFrom('{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}', '{', '"\\ud800"', 'null', '1e999').map((s) => Buffer.from(s)),
);
const contentTypes = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  '*/*',
);
const anyRequest: fc.Arbitrary<Req> = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'),
    path: paths,
    body: bodies,
    contentType: contentTypes,
    requestId: fc.option(fc.string({ maxLength: 200 }).filter((s) => !/[\r\n\0]/.test(s) && /^[\x20-\x7e]*$/.test(s))),
    accept: fc.constantFrom(undefined, '*/*', 'application/json', 'text/html'),
  })
  .map(({ method, path, body, contentType, requestId, accept }) => {
    const headers: Record<string, string> = {};
    if (contentType) headers['content-type'] = contentType;
    if (requestId !== null) headers['x-request-id'] = requestId;
    if (accept) headers.accept = accept;
    // GET /long_dummy takes a second by contract: keep the run short.
    if (path.startsWith('/long_dummy')) path = '/ping';
    return { method, path, headers, body: method === 'HEAD' ? undefined : body };
  });

// Writes that may well be valid, so the accounting of row counts is exercised, not only the refusals.
const writes: fc.Arbitrary<Req> = fc.oneof(
  validSession.map((s) => ({
    method: 'POST',
    path: '/api/session',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(s)),
  })),
  fc.integer({ min: 1, max: 12_000 }).map((id) => ({ method: 'DELETE', path: `/api/session/${id}`, headers: {}, body: undefined })),
);
const requests = fc.oneof({ arbitrary: anyRequest, weight: 4 }, { arbitrary: writes, weight: 1 });

async function counts(): Promise<{ customers: number; movies: number; sessions: number }> {
  const c = await db.client();
  try {
    const r = await c.query(`SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM movies)::int AS movies, (SELECT count(*) FROM sessions)::int AS sessions`);
    return r.rows[0];
  } finally {
    await c.end();
  }
}

it('survives random requests to every route without a 5xx or an unaccounted write', async () => {
  const before = await counts();
  let expectedSessions = before.sessions;
  let created = 0;
  await fc.assert(
    fc.asyncProperty(requests, async (r) => {
      const res = await send(r);
      expect(res.status, `${r.method} ${r.path} -> ${res.status} ${res.body.slice(0, 200)}`).toBeLessThan(500);
      expect(res.status).toBeGreaterThanOrEqual(200);
      if (r.method === 'POST' && res.status === 201 && /^\/api\/session(\?|$)/.test(r.path)) {
        expectedSessions += 1;
        created += 1;
      }
      if (r.method === 'DELETE' && res.status === 204) expectedSessions -= 1;
      if (res.status >= 400 && r.method !== 'HEAD') expect(() => JSON.parse(res.body), res.body).not.toThrow();
    }),
    { numRuns: 600, seed: 20261123, endOnFailure: true },
  );
  const after = await counts();
  expect(after.customers).toBe(before.customers);
  expect(after.movies).toBe(before.movies);
  expect(after.sessions).toBe(expectedSessions);
  expect(created).toBeGreaterThan(0); // the generator did reach valid writes
  expect((await fetch(`${svc.url}/ping`)).status).toBe(200);
  expect(svc.process.exitCode).toBeNull();
});

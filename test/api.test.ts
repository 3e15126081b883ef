// The HTTP API of a real service process against a real, prepared PostgreSQL database.
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies are probed field by field */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type TestDatabase } from './support/database.js';
import { runCli, startService, type RunningService } from './support/shs.js';

let db: TestDatabase;
let svc: RunningService;

beforeAll(async () => {
  db = await createDatabase('api');
  const prepared = await runCli(['prepare_db', '--scale', '0.002'], db.env);
  expect(prepared.code, prepared.stderr).toBe(0);
  svc = await startService({ ...db.env, SHS_LONG_DUMMY_DELAY_MS: '1000' });
});

afterAll(async () => {
  await svc?.stop();
  await db?.drop();
});

const get = (path: string, init?: RequestInit) => fetch(`${svc.url}${path}`, init);
const post = (path: string, body: string, type = 'application/json') =>
  fetch(`${svc.url}${path}`, { method: 'POST', body, headers: { 'content-type': type } });

async function sql<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const c = await db.client();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

describe('plain endpoints', () => {
  it('GET / greets in text', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await r.text()).toContain('SHS');
  });

  it('GET /ping answers pong', async () => {
    const r = await get('/ping');
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('pong');
  });

  it('GET /db_dummy sleeps in the database', async () => {
    const r = await get('/db_dummy');
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('ok');
  });

  it('GET /long_dummy carries the time it was produced and is marked cacheable', async () => {
    const before = Date.now();
    const r = await get('/long_dummy');
    expect(r.status).toBe(200);
    const body = (await r.json()) as { produced_at: string; instance: string };
    expect(Date.parse(body.produced_at)).toBeGreaterThanOrEqual(before);
    expect(body.instance).toBe(`test-${svc.port}`);
    expect(r.headers.get('cache-control')).toBe('public, max-age=30, stale-while-revalidate=30');
  });

  it('POST /operation answers facts about the host, and validates its body', async () => {
    const r = await post('/operation', '{"operation": 42}');
    expect(r.status).toBe(200);
    const body = (await r.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ operation: 42, instance: `test-${svc.port}` });
    expect(typeof body.hostname).toBe('string');
    expect(typeof body.pid).toBe('number');
    for (const bad of ['{"operation": "42"}', '{"operation": 1.5}', '{}', '[]', '{"operation": 1e400}']) {
      const b = await post('/operation', bad);
      expect(b.status, bad).toBe(400);
      expect(((await b.json()) as { error: string }).error).toBe('bad_request');
    }
  });

  it('marks everything but /long_dummy as not cacheable and echoes request ids', async () => {
    const r = await get('/api/movie/1', { headers: { 'x-request-id': 'abc-123' } });
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('x-request-id')).toBe('abc-123');
    const generated = await get('/ping', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('movies and customers', () => {
  it('GET /api/movie lists every movie ordered by year DESC, name, id DESC', async () => {
    const r = await get('/api/movie');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const movies = (await r.json()) as { id: number; name: string; year: number; duration: number }[];
    const expected = await sql<{ id: number }>('SELECT id FROM movies ORDER BY year DESC, name, id DESC');
    expect(movies.map((m) => m.id)).toEqual(expected.map((e) => e.id));
    expect(Object.keys(movies[0]!)).toEqual(['id', 'name', 'year', 'duration']);
  });

  it('GET /api/movie/{id} answers one movie, 404 for unknown and 400 for malformed ids', async () => {
    const r = await get('/api/movie/1');
    expect(await r.json()).toEqual({ id: 1, name: 'Crimson Train', year: 1944, duration: 129 });
    for (const id of ['999999', '0', '99999999999999999999']) expect((await get(`/api/movie/${id}`)).status, id).toBe(404);
    for (const id of ['abc', '-1', '1.5', '1e3', '%20']) {
      const b = await get(`/api/movie/${id}`);
      expect(b.status, id).toBe(400);
      expect(await b.json()).toMatchObject({ error: 'bad_request' });
    }
  });

  it('GET /api/customer lists customers ordered by surname, name, birthday DESC, id DESC', async () => {
    const customers = (await (await get('/api/customer')).json()) as { id: number }[];
    const expected = await sql<{ id: number }>('SELECT id FROM customers ORDER BY surname, name, birthday DESC, id DESC LIMIT 100000');
    expect(customers.map((c) => c.id)).toEqual(expected.map((e) => e.id));
  });

  it('GET /api/customer/{id} answers one customer', async () => {
    const r = await get('/api/customer/1');
    expect(await r.json()).toEqual({ id: 1, name: 'Mia', surname: 'Vasiliev', birthday: '1941-07-15', email: 'mia.vasiliev.1@example.com' });
    expect((await get('/api/customer/1000001')).status).toBe(404);
  });
});

describe('sessions', () => {
  it('GET /api/session lists sessions with customer and movie in the contract order', async () => {
    const sessions = (await (await get('/api/session')).json()) as { id: number; customer: { id: number }; movie: { id: number } }[];
    const expected = await sql<{ id: string }>(`
      SELECT s.id FROM sessions s JOIN movies m ON m.id = s.movie_id
      ORDER BY m.year DESC, m.name, s.customer_id, s.id DESC LIMIT 100000`);
    expect(sessions.map((s) => String(s.id))).toEqual(expected.map((e) => e.id));
    expect(Object.keys(sessions[0]!)).toEqual(['id', 'start_time', 'customer', 'movie']);
  });

  it('GET /api/session/{id} answers a session with its customer and movie', async () => {
    const [row] = await sql<{ customer_id: number; movie_id: number }>('SELECT customer_id, movie_id FROM sessions WHERE id = 1');
    const s = (await (await get('/api/session/1')).json()) as Record<string, any>;
    expect(s.id).toBe(1);
    expect(s.start_time).toBe('2016-10-28T14:36:10.622580Z');
    expect(s.customer.id).toBe(row!.customer_id);
    expect(s.movie.id).toBe(row!.movie_id);
    expect(Object.keys(s.customer)).toEqual(['id', 'name', 'surname', 'birthday', 'email']);
    expect((await get('/api/session/9223372036854775807')).status).toBe(404);
    expect((await get('/api/session/9223372036854775808')).status).toBe(404);
  });

  it('creates, reads and deletes a session, leaving nothing behind', async () => {
    const [{ n: before }] = (await sql<{ n: string }>('SELECT count(*) AS n FROM sessions')) as [{ n: string }];
    const created = await post('/api/session', JSON.stringify({ start_time: '2021-12-09T16:12:52.059188Z', customer_id: 100, movie_id: 50 }));
    expect(created.status).toBe(201);
    const body = (await created.json()) as Record<string, any>;
    expect(created.headers.get('location')).toBe(`/api/session/${body.id}`);
    expect(body).toMatchObject({ start_time: '2021-12-09T16:12:52.059188Z', customer: { id: 100 }, movie: { id: 50 } });
    expect(body.id).toBeGreaterThan(10_000); // the sequence continues after the generated rows

    const offset = await post('/api/session', JSON.stringify({ start_time: '2021-12-09T19:12:52+03:00', customer_id: 1, movie_id: 1 }));
    const offsetBody = (await offset.json()) as Record<string, any>;
    expect(offsetBody.start_time).toBe('2021-12-09T16:12:52.000000Z'); // stored in UTC

    expect(await (await get(`/api/session/${body.id}`)).json()).toEqual(body);
    expect((await fetch(`${svc.url}/api/session/${body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${svc.url}/api/session/${offsetBody.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await get(`/api/session/${body.id}`)).status).toBe(404);
    expect((await fetch(`${svc.url}/api/session/${body.id}`, { method: 'DELETE' })).status).toBe(404);
    const [{ n: after }] = (await sql<{ n: string }>('SELECT count(*) AS n FROM sessions')) as [{ n: string }];
    expect(after).toBe(before);
  });

  it('refuses a session for a missing customer or movie with 422 and writes nothing', async () => {
    const [{ n: before }] = (await sql<{ n: string }>('SELECT count(*) AS n FROM sessions')) as [{ n: string }];
    const noCustomer = await post('/api/session', JSON.stringify({ start_time: '2021-12-09T16:12:52Z', customer_id: 999999, movie_id: 1 }));
    expect(noCustomer.status).toBe(422);
    expect(await noCustomer.json()).toEqual({ error: 'unknown_reference', message: 'customer 999999 does not exist' });
    const noMovie = await post('/api/session', JSON.stringify({ start_time: '2021-12-09T16:12:52Z', customer_id: 1, movie_id: 999999 }));
    expect(noMovie.status).toBe(422);
    expect(((await noMovie.json()) as { message: string }).message).toBe('movie 999999 does not exist');
    const [{ n: after }] = (await sql<{ n: string }>('SELECT count(*) AS n FROM sessions')) as [{ n: string }];
    expect(after).toBe(before);
  });

  it('answers 400 with a JSON error naming the problem for malformed bodies', async () => {
    const cases: [string, string, RegExp][] = [
      ['{"start_time": "yesterday", "customer_id": 1, "movie_id": 1}', 'application/json', /start_time must be an ISO 8601/],
      ['{"start_time": "2021-02-30T00:00:00Z", "customer_id": 1, "movie_id": 1}', 'application/json', /not a valid date/],
      ['{"start_time": "2021-12-09T16:12:52Z", "customer_id": "1", "movie_id": 1}', 'application/json', /customer_id must be an integer/],
      ['{"start_time": "2021-12-09T16:12:52Z", "customer_id": 1}', 'application/json', /movie_id must be an integer/],
      ['{"start_time": "2021-12-09T16:12:52Z", "customer_id": 1, "movie_id": 1, "x": 1}', 'application/json', /unknown field "x"/],
      ['{"start_time": ', 'application/json', /not valid JSON/],
      ['[1,2]', 'application/json', /must be a JSON object/],
      ['{"__proto__": {"x": 1}}', 'application/json', /./],
    ];
    for (const [body, type, message] of cases) {
      const r = await post('/api/session', body, type);
      expect(r.status, body).toBe(400);
      const json = (await r.json()) as { error: string; message: string };
      expect(json.error, body).toBe('bad_request');
      expect(json.message, body).toMatch(message);
    }
    // Zone offsets: only real ones (Z, or ±hh:mm with hh up to 14 and mm up to 59) reach the database.
    const [{ n: sessionsBefore }] = (await sql<{ n: string }>('SELECT count(*) AS n FROM sessions')) as [{ n: string }];
    for (const zone of ['+99:99', '-99:99', '+24:00', '+15:00', '-14:60', '+1460', '+05:75']) {
      const r = await post('/api/session', JSON.stringify({ start_time: `2021-12-09T16:12:52${zone}`, customer_id: 1, movie_id: 1 }));
      expect(r.status, zone).toBe(400);
      expect(r.headers.get('content-type'), zone).toMatch(/^application\/json/);
      const json = (await r.json()) as { error: string; message: string };
      expect(json.error, zone).toBe('bad_request');
      expect(json.message, zone).toMatch(/start_time has an invalid zone offset/);
    }
    for (const [zone, utc] of [['+14:00', '2021-12-09T02:12:52.000000Z'], ['-12:00', '2021-12-10T04:12:52.000000Z'], ['+0545', '2021-12-09T10:27:52.000000Z'], ['-00:00', '2021-12-09T16:12:52.000000Z']]) {
      const r = await post('/api/session', JSON.stringify({ start_time: `2021-12-09T16:12:52${zone}`, customer_id: 1, movie_id: 1 }));
      expect(r.status, zone).toBe(201);
      const created = (await r.json()) as { id: number; start_time: string };
      expect(created.start_time, zone).toBe(utc);
      expect((await get(`/api/session/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    }
    const [{ n: sessionsAfter }] = (await sql<{ n: string }>('SELECT count(*) AS n FROM sessions')) as [{ n: string }];
    expect(sessionsAfter).toBe(sessionsBefore);
    const wrongType = await post('/api/session', 'start_time=now', 'application/x-www-form-urlencoded');
    expect(wrongType.status).toBe(415);
    const huge = await post('/api/session', JSON.stringify({ start_time: 'x'.repeat(20_000) }));
    expect(huge.status).toBe(413);
  });
});

describe('routing', () => {
  it('answers 405 with Allow for a known path and 404 for unknown paths', async () => {
    const r = await fetch(`${svc.url}/api/movie`, { method: 'DELETE' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD');
    expect((await get('/nope')).status).toBe(404);
    expect(await (await get('/api/movie/1/extra')).json()).toMatchObject({ error: 'not_found' });
  });

  it('has no fault switch unless enabled', async () => {
    expect((await post('/_fault', '{"mode":"sick"}')).status).toBe(404);
    expect((await get('/ping')).status).toBe(200);
  });
});

describe('observability', () => {
  it('exports request metrics per route pattern and pool gauges', async () => {
    await get('/api/movie/2');
    await get('/api/movie/3');
    await get('/api/movie/zzz');
    const text = await (await get('/metrics')).text();
    expect(text).toMatch(/shs_http_requests_total\{method="GET",route="\/api\/movie\/\{id\}",status="200",instance_id="[^"]+"\} \d+/);
    expect(text).toMatch(/route="\/api\/movie\/\{id\}",status="400"/);
    expect(text).not.toMatch(/route="\/api\/movie\/2"/);
    expect(text).toMatch(/shs_http_request_duration_seconds_bucket\{le="0.05",instance_id="[^"]+",method="GET",route="\/api\/movie\/\{id\}"/);
    expect(text).toMatch(/shs_db_pool_connections\{instance_id="[^"]+"\} \d+/);
    expect(text).toMatch(/shs_db_pool_waiting_requests/);
  });

  it('logs one JSON line per request, never the password or the environment', async () => {
    const marker = `marker-${Date.now()}`;
    await get('/api/customer/5', { headers: { 'x-request-id': marker } });
    await new Promise((r) => setTimeout(r, 100));
    const lines = svc.logLines().filter((l) => l.req_id === marker);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', method: 'GET', route: '/api/customer/{id}', status: 200, msg: 'request' });
    expect(svc.output()).not.toContain(db.password);
    expect(svc.output()).not.toContain('SHS_DATABASE_PASSWORD');
  });
});

// The sessions' routes, in process over a fake database: the list, one, creation (with and without an
// Idempotency-Key) and deletion.
import { afterEach, describe, expect, it } from 'vitest';
import { JSON_HEADERS, testServer } from '../test-server.js';

let t = testServer();
afterEach(async () => {
  await t.app.close();
  t = testServer();
});

const SESSION_1 = {
  id: 1,
  start_time: '2016-10-28T14:36:10.622580Z',
  customer: { id: 1, name: 'Mia', surname: 'Vasiliev', birthday: '1941-07-15', email: 'mia.vasiliev.1@example.com' },
  movie: { id: 2, name: 'Quiet "Harbour"', year: 1999, duration: 95 },
};
const NEW = { start_time: '2021-12-09T19:12:52+03:00', customer_id: 2, movie_id: 1 };

const create = (body: unknown, key?: string) =>
  t.app.inject({ method: 'POST', url: '/api/session', headers: key === undefined ? JSON_HEADERS : { ...JSON_HEADERS, 'idempotency-key': key }, payload: typeof body === 'string' ? body : JSON.stringify(body) });

describe('GET /api/session', () => {
  it('answers the sessions with their customer and movie', async () => {
    const r = await t.app.inject({ url: '/api/session' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual([SESSION_1]);
  });
});

describe('GET /api/session/:id', () => {
  it('answers one session; 404 up to and past int8; 400 for a malformed id', async () => {
    expect((await t.app.inject({ url: '/api/session/1' })).json()).toEqual(SESSION_1);
    for (const id of ['2', '9223372036854775807', '9223372036854775808']) {
      const r = await t.app.inject({ url: `/api/session/${id}` });
      expect([r.statusCode, r.body]).toEqual([404, `{"error":"not_found","message":"session ${id} does not exist"}`]);
    }
    const bad = await t.app.inject({ url: '/api/session/-1' });
    expect([bad.statusCode, bad.json()]).toEqual([400, { error: 'bad_request', message: 'session id must be a positive decimal integer, got "-1"' }]);
  });
});

describe('POST /api/session', () => {
  it('creates a session: 201, its Location, the session as GET shows it (in UTC)', async () => {
    const r = await create(NEW);
    expect(r.statusCode).toBe(201);
    expect(r.headers.location).toBe('/api/session/2');
    expect(r.json()).toEqual({ id: 2, start_time: '2021-12-09T16:12:52.000000Z', customer: { id: 2, name: 'Ivan', surname: 'Petrov', birthday: '1980-01-02', email: 'ivan.petrov.2@example.com' }, movie: { id: 1, name: 'Crimson Train', year: 1944, duration: 129 } });
    expect((await t.app.inject({ url: '/api/session/2' })).body).toBe(r.body);
  });

  it('refuses a malformed body 400 naming the field, and a missing customer or movie 422, writing nothing', async () => {
    const refused: [unknown, number, string][] = [
      [{ ...NEW, start_time: 'yesterday' }, 400, 'start_time must be an ISO 8601 timestamp with a zone, like "2021-12-09T16:12:52.059188Z", got "yesterday"'],
      [{ ...NEW, start_time: '2021-12-09T16:12:52+15:00' }, 400, 'start_time has an invalid zone offset "+15:00": expected Z or ±hh:mm with hh 00-14 and mm 00-59'],
      [{ ...NEW, customer_id: '1' }, 400, 'customer_id must be an integer from 1 to 2147483647, got "1"'],
      [{ start_time: NEW.start_time, customer_id: 1 }, 400, 'movie_id must be an integer from 1 to 2147483647, got nothing'],
      [{ ...NEW, x: 1 }, 400, 'unknown field "x" (allowed: start_time, customer_id, movie_id)'],
      ['[1,2]', 400, 'body must be a JSON object {"start_time", "customer_id", "movie_id"}'],
      ['null', 400, 'body must be a JSON object {"start_time", "customer_id", "movie_id"}'],
      [{ ...NEW, customer_id: 999 }, 422, 'customer 999 does not exist'],
      [{ ...NEW, movie_id: 999 }, 422, 'movie 999 does not exist'],
    ];
    for (const [body, status, message] of refused) {
      const r = await create(body);
      expect([r.statusCode, r.json()], JSON.stringify(body)).toEqual([status, { error: status === 422 ? 'unknown_reference' : 'bad_request', message }]);
    }
    const empty = await t.app.inject({ method: 'POST', url: '/api/session' });
    expect([empty.statusCode, empty.json().message]).toEqual([400, 'body must be a JSON object {"start_time", "customer_id", "movie_id"}']);
    expect([...t.db.sessions.keys()]).toEqual([1]);
  });
});

describe('DELETE /api/session/:id', () => {
  it('deletes: 204, then 404; 400 for a malformed id', async () => {
    const r = await t.app.inject({ method: 'DELETE', url: '/api/session/1' });
    expect([r.statusCode, r.body]).toEqual([204, '']);
    expect(t.db.sessions.size).toBe(0);
    const again = await t.app.inject({ method: 'DELETE', url: '/api/session/1' });
    expect([again.statusCode, again.body]).toEqual([404, '{"error":"not_found","message":"session 1 does not exist"}']);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/session/0' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/session/one' })).statusCode).toBe(400);
  });
});

describe('Idempotency-Key', () => {
  it('answers a repeat with the stored answer and Idempotent-Replayed: true, never a second row', async () => {
    const first = await create(NEW, 'key-1');
    expect([first.statusCode, first.headers.location, first.headers['idempotent-replayed']]).toEqual([201, '/api/session/2', undefined]);
    const again = await create(NEW, 'key-1');
    expect([again.statusCode, again.headers.location, again.headers['idempotent-replayed'], again.body]).toEqual([201, '/api/session/2', 'true', first.body]);
    expect(t.db.sessions.size).toBe(2);
    // another key is another request
    expect((await create(NEW, 'key-2')).headers.location).toBe('/api/session/3');
  });

  it('answers 422 for the same key with another body, 409 while its first request is in flight, 400 for a malformed key', async () => {
    await create(NEW, 'key-1');
    const reused = await create({ ...NEW, movie_id: 2 }, 'key-1');
    expect([reused.statusCode, reused.json()]).toEqual([422, { error: 'idempotency_key_reused', message: 'this Idempotency-Key was used for a different request' }]);
    t.db.lockedKeys.add('key-3');
    const busy = await create(NEW, 'key-3');
    expect([busy.statusCode, busy.json().error]).toEqual([409, 'conflict']);
    for (const key of ['with space', '', 'x'.repeat(256)]) {
      const bad = await create(NEW, key);
      expect([bad.statusCode, bad.json()], key).toEqual([400, { error: 'bad_request', message: 'Idempotency-Key must be 1 to 255 printable ASCII characters' }]);
    }
    // the key is checked before the body
    expect((await create({ x: 1 }, 'with space')).json().message).toBe('Idempotency-Key must be 1 to 255 printable ASCII characters');
    expect(t.db.sessions.size).toBe(2);
  });

  it('stores nothing for a failure, so the key can be used again', async () => {
    expect((await create({ ...NEW, customer_id: 999 }, 'key-1')).statusCode).toBe(422);
    expect(t.db.keys.size).toBe(0);
    expect((await create(NEW, 'key-1')).statusCode).toBe(201);
  });

  it('fingerprints the body as sent: the same fields in another order are another request', async () => {
    const reordered = '{"movie_id": 1, "customer_id": 2, "start_time": "2021-12-09T19:12:52+03:00"}';
    expect((await create(reordered, 'key-1')).statusCode).toBe(201);
    expect((await create(`  ${reordered}\n`, 'key-1')).headers['idempotent-replayed']).toBe('true');
    expect((await create(NEW, 'key-1')).statusCode).toBe(422);
  });
});

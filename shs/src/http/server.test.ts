// The assembly (server.ts), in process: 404 and 405 answers, request ids, body errors, the mapping of database
// failures, the drain and the metrics' route labels. The routes themselves are tested in routes/*.test.ts.
import type { HTTPMethods } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseBusyError, DatabaseUnavailableError, PasswordUnavailableError, QueryAbortedError, ReadOnlyHostError } from '../db/database.js';
import { pgError } from './fake-database.js';
import { JSON_HEADERS, testServer } from './test-server.js';

let t = testServer();
afterEach(async () => {
  await t.app.close();
  t = testServer();
});

describe('routing', () => {
  it('answers an unknown path 404 not_found, naming the method and the path without its query', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.body).toBe('{"error":"not_found","message":"no route for GET /nope"}');
    const extra = await t.app.inject({ method: 'POST', url: '/api/movie/1/extra' });
    expect([extra.statusCode, extra.body]).toEqual([404, '{"error":"not_found","message":"no route for POST /api/movie/1/extra"}']);
  });

  it('answers another method on a known path 405 with Allow: the methods in the order registered, a GET\'s HEAD last', async () => {
    const cases: [HTTPMethods, string, string][] = [
      ['DELETE', '/api/movie', 'GET, HEAD'],
      ['PUT', '/api/session', 'GET, POST, HEAD'],
      ['POST', '/api/session/1', 'GET, DELETE, HEAD'],
      ['GET', '/operation', 'POST'],
      ['OPTIONS', '/', 'GET, HEAD'],
      ['PATCH', '/metrics', 'GET, HEAD'],
    ];
    for (const [method, url, allow] of cases) {
      const r = await t.app.inject({ method, url });
      expect(r.statusCode, `${method} ${url}`).toBe(405);
      expect(r.headers.allow, `${method} ${url}`).toBe(allow);
      expect(r.json()).toEqual({ error: 'method_not_allowed', message: `${method} is not allowed on ${url.replace(/\/1$/, '/:id')} (allowed: ${allow})` });
    }
  });

  it('marks every answer with X-Request-Id (the client\'s when it is well formed, else a new UUID) and Cache-Control: no-store', async () => {
    const given = await t.app.inject({ url: '/api/movie/1', headers: { 'x-request-id': 'abc-123.x:y_z' } });
    expect(given.headers['x-request-id']).toBe('abc-123.x:y_z');
    expect(given.headers['cache-control']).toBe('no-store');
    for (const bad of ['bad id with spaces', 'x'.repeat(129)]) {
      const r = await t.app.inject({ url: '/nope', headers: { 'x-request-id': bad } });
      expect(r.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(r.headers['cache-control']).toBe('no-store');
    }
  });
});

describe('request bodies', () => {
  it('answers malformed JSON 400, a body that is not JSON 415 and one over the limit 413, as JSON errors', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/session', headers: JSON_HEADERS, payload: '{"start_time": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/not valid JSON/) });
    const form = await t.app.inject({ method: 'POST', url: '/operation', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' });
    expect(form.statusCode).toBe(415);
    expect(form.json()).toMatchObject({ error: 'unsupported_media_type' });
    const huge = await t.app.inject({ method: 'POST', url: '/api/session', headers: JSON_HEADERS, payload: JSON.stringify({ start_time: 'x'.repeat(20_000) }) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ error: 'payload_too_large' });
    const poisoned = await t.app.inject({ method: 'POST', url: '/operation', headers: JSON_HEADERS, payload: '{"__proto__": {"x": 1}}' });
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.json()).toMatchObject({ error: 'bad_request' });
  });
});

describe('database failures', () => {
  it('answers 503 database_unavailable (X-SHS-Retryable: false when the shared database refused), database_busy, or 500 internal without details', async () => {
    const unavailable = '{"error":"database_unavailable","message":"the database cannot be reached; try again"}';
    const cases: [string, Error, number, string, string | undefined][] = [
      ['refused', pgError('connect ECONNREFUSED 10.0.0.5:5432', 'ECONNREFUSED'), 503, unavailable, 'false'],
      ['statement timeout', pgError('canceling statement due to statement timeout', '57014'), 503, unavailable, 'false'],
      ['read-only', pgError('cannot execute INSERT in a read-only transaction', '25006'), 503, unavailable, 'false'],
      ['no writable host', new ReadOnlyHostError('no host accepts writes'), 503, unavailable, 'false'],
      ['outage backoff', new DatabaseUnavailableError('down a moment ago'), 503, unavailable, 'false'],
      ['no password yet', new PasswordUnavailableError('Lockbox not read yet'), 503, unavailable, undefined],
      ['password refused', pgError('password authentication failed', '28P01'), 503, unavailable, undefined],
      ['pool busy', new DatabaseBusyError('every connection busy'), 503, '{"error":"database_busy","message":"every database connection of this instance is busy; try again"}', undefined],
      ['a bug', new Error('secret detail'), 500, '{"error":"internal","message":"internal error"}', undefined],
    ];
    for (const [what, err, status, body, retryable] of cases) {
      t.db.failure = err;
      for (const request of [{ url: '/api/movie/1' }, { url: '/api/session' }, { method: 'DELETE' as const, url: '/api/session/1' }]) {
        const r = await t.app.inject(request);
        expect([r.statusCode, r.body, r.headers['x-shs-retryable']], `${what}: ${request.url}`).toEqual([status, body, retryable]);
      }
    }
  });

  it('answers nothing (499 in the metrics) to a client whose list was cancelled before its first row', async () => {
    t.db.failure = new QueryAbortedError('the query was not started: its caller gave up');
    const r = await t.app.inject({ url: '/api/customer' });
    expect([r.statusCode, r.body]).toEqual([499, '']);
  });
});

describe('draining', () => {
  it('makes /ping answer 500 draining while every other route still answers, each answer with Connection: close', async () => {
    const before = await t.app.inject({ url: '/api/movie/1' });
    expect(before.headers.connection).toBe('keep-alive');
    t.server.startDraining();
    const ping = await t.app.inject({ url: '/ping' });
    expect([ping.statusCode, ping.body, ping.headers.connection]).toEqual([500, 'draining\n', 'close']);
    for (const url of ['/livez', '/api/movie/1', '/api/session', '/']) {
      const r = await t.app.inject({ url });
      expect([r.statusCode, r.headers.connection], url).toEqual([200, 'close']);
    }
    const created = await t.app.inject({ method: 'POST', url: '/api/session', headers: JSON_HEADERS, payload: JSON.stringify({ start_time: '2024-01-01T00:00:00Z', customer_id: 1, movie_id: 1 }) });
    expect(created.statusCode).toBe(201);
  });
});

describe('metrics', () => {
  it('count requests by route pattern (ids left out), unknown paths as unmatched', async () => {
    await t.app.inject({ url: '/api/movie/1' });
    await t.app.inject({ url: '/api/movie/2' });
    await t.app.inject({ url: '/api/movie/zzz' });
    await t.app.inject({ url: '/nope/42' });
    const text = await t.server.metrics.text();
    expect(text).toContain('shs_http_requests_total{method="GET",route="/api/movie/{id}",status="200",instance_id="test-instance"} 2');
    expect(text).toContain('shs_http_requests_total{method="GET",route="/api/movie/{id}",status="400",instance_id="test-instance"} 1');
    expect(text).toContain('shs_http_requests_total{method="GET",route="unmatched",status="404",instance_id="test-instance"} 1');
    expect(text).not.toContain('/api/movie/2');
  });
});

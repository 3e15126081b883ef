// What the three lists share: HEAD without a query, and the limit on heavy requests.
import { afterEach, describe, expect, it } from 'vitest';
import { testServer } from '../test-server.js';

const LISTS = ['/api/movie', '/api/customer', '/api/session'];

let t = testServer();
afterEach(async () => {
  await t.app.close();
  t = testServer();
});

describe('HEAD of a list', () => {
  it("answers the GET's headers without running the query: 200, the JSON type, no Content-Length, no body", async () => {
    for (const url of LISTS) {
      const r = await t.app.inject({ method: 'HEAD', url });
      expect([r.statusCode, r.headers['content-type'], r.headers['content-length'], r.body], url).toEqual([200, 'application/json; charset=utf-8', undefined, '']);
    }
    expect(t.db.ran).toEqual([]);
  });

  it('answers 503 database_unavailable when the database was unreachable at the last attempt', async () => {
    t.db.up = false;
    for (const url of LISTS) {
      const r = await t.app.inject({ method: 'HEAD', url });
      expect(r.statusCode, url).toBe(503);
    }
    expect(t.db.ran).toEqual([]);
  });
});

describe('heavy requests', () => {
  it('beyond server.heavy_concurrency, a list, /db_dummy and HEAD of a list are refused 503 overloaded with Retry-After: 1; light routes still answer', async () => {
    await t.app.close();
    t = testServer((c) => (c.server.heavy_concurrency = 1));
    let release!: () => void;
    t.db.listGate = new Promise((r) => (release = r));
    const held = t.app.inject({ url: '/api/movie' });
    await new Promise((r) => setTimeout(r, 20));
    for (const [method, url] of [['GET', '/api/movie'], ['GET', '/api/customer'], ['GET', '/api/session'], ['GET', '/db_dummy'], ['HEAD', '/api/session']] as const) {
      const r = await t.app.inject({ method, url });
      expect([r.statusCode, r.headers['retry-after']], `${method} ${url}`).toEqual([503, '1']);
      if (method === 'GET') expect(r.json()).toEqual({ error: 'overloaded', message: 'this instance is already serving 1 heavy requests (lists, /db_dummy); try again shortly' });
    }
    expect((await t.app.inject({ url: '/api/movie/1' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/ping' })).statusCode).toBe(200);
    release();
    expect((await held).statusCode).toBe(200);
    // the list is counted out once its answer ended: the next one runs
    expect((await t.app.inject({ url: '/api/customer' })).statusCode).toBe(200);
    expect(await t.server.metrics.text()).toMatch(/^shs_http_heavy_requests_in_flight\{[^}]*\} 0$/m);
  });
});

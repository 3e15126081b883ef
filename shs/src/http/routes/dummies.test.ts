// /long_dummy and /db_dummy, in process.
import { afterEach, describe, expect, it } from 'vitest';
import { testServer } from '../test-server.js';

let t = testServer((c) => (c.long_dummy.delay_ms = 200));
afterEach(async () => {
  await t.app.close();
  t = testServer((c) => (c.long_dummy.delay_ms = 200));
});

describe('GET /long_dummy', () => {
  it('answers after long_dummy.delay_ms, saying when and where it was produced, and may be cached', async () => {
    const started = Date.now();
    const r = await t.app.inject({ url: '/long_dummy' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('public, max-age=30, stale-while-revalidate=30');
    const body = r.json();
    expect(Object.keys(body)).toEqual(['produced_at', 'instance']);
    expect(body.instance).toBe('test-instance');
    expect(Date.parse(body.produced_at)).toBeGreaterThanOrEqual(started);
  });
});

describe('GET /db_dummy', () => {
  it('answers ok once its statement ran in the database', async () => {
    const r = await t.app.inject({ url: '/db_dummy' });
    expect([r.statusCode, r.headers['content-type'], r.body]).toEqual([200, 'text/plain; charset=utf-8', 'ok']);
    expect(t.db.ran).toEqual(['shs_db_dummy']);
  });
});

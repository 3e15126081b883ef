// GET /metrics, in process.
import { afterEach, describe, expect, it } from 'vitest';
import { testServer } from '../test-server.js';

let t = testServer();
afterEach(async () => {
  await t.app.close();
  t = testServer();
});

describe('GET /metrics', () => {
  it('answers the Prometheus text of the instance', async () => {
    await t.app.inject({ url: '/ping' });
    const r = await t.app.inject({ url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.body).toContain('shs_http_requests_total{method="GET",route="/ping",status="200",instance_id="test-instance"} 1');
    expect(r.body).toMatch(/^shs_db_up\{instance_id="test-instance"\} 1$/m);
    expect(r.body).toMatch(/^shs_http_heavy_requests_limit\{instance_id="test-instance"\} 8$/m);
  });
});

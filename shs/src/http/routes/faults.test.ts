// The fault switch, in process.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JSON_HEADERS, testServer } from '../test-server.js';

const enabled = () => testServer((c) => (c.faults.enabled = true));
let t = enabled();
afterEach(async () => {
  vi.restoreAllMocks();
  await t.app.close();
  t = enabled();
});

const setMode = (mode: unknown) => t.app.inject({ method: 'POST', url: '/_fault', headers: JSON_HEADERS, payload: JSON.stringify({ mode }) });

describe('/_fault', () => {
  it('does not exist unless faults.enabled', async () => {
    await t.app.close();
    t = testServer();
    expect((await setMode('sick')).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/_fault' })).statusCode).toBe(404);
  });

  it('sick: every route but /_fault and /metrics answers 500 sick, /livez and unknown paths included; healthy again', async () => {
    const r = await setMode('sick');
    expect([r.statusCode, r.body]).toEqual([200, '{"mode":"sick"}']);
    for (const url of ['/ping', '/livez', '/api/movie/1', '/api/movie/abc', '/nope']) {
      const sick = await t.app.inject({ url });
      expect([sick.statusCode, sick.body], url).toEqual([500, '{"error":"sick","message":"this instance is sick (fault switch)"}']);
    }
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/_fault' })).body).toBe('{"mode":"sick"}');
    expect((await setMode('healthy')).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/movie/1' })).statusCode).toBe(200);
  });

  it('slow: every request waits faults.slow_delay_ms first', async () => {
    expect((await setMode('slow')).statusCode).toBe(200);
    const started = performance.now();
    expect((await t.app.inject({ url: '/ping' })).statusCode).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('crash: answers 202, then kills the process with SIGKILL', async () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const r = await setMode('crash');
    expect([r.statusCode, r.body]).toEqual([202, '{"mode":"crash"}']);
    await vi.waitFor(() => expect(kill).toHaveBeenCalledWith(process.pid, 'SIGKILL'));
    expect((await t.app.inject({ url: '/_fault' })).body).toBe('{"mode":"healthy"}');
  });

  it('refuses an unknown mode with 400, changing nothing', async () => {
    for (const payload of ['{"mode": "nonsense"}', '{"mode": 1}', '{}', '"sick"', 'null']) {
      const r = await t.app.inject({ method: 'POST', url: '/_fault', headers: JSON_HEADERS, payload });
      expect([r.statusCode, r.body], payload).toEqual([400, '{"error":"bad_request","message":"mode must be one of healthy, sick, slow, crash"}']);
    }
    expect((await t.app.inject({ url: '/_fault' })).body).toBe('{"mode":"healthy"}');
  });
});

// POST /operation, in process.
import { afterEach, describe, expect, it } from 'vitest';
import { JSON_HEADERS, testServer } from '../test-server.js';

let t = testServer();
afterEach(async () => {
  await t.app.close();
  t = testServer();
});

const post = (payload: string) => t.app.inject({ method: 'POST', url: '/operation', headers: JSON_HEADERS, payload });

describe('POST /operation', () => {
  it('answers the number with facts about the instance that answered', async () => {
    const r = await post('{"operation": -42}');
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(Object.keys(body)).toEqual(['operation', 'instance', 'hostname', 'pid', 'version', 'uptime_seconds', 'time']);
    expect(body).toMatchObject({ operation: -42, instance: 'test-instance', pid: process.pid, version: '1.2.3+abc', uptime_seconds: 0 });
    expect(Date.parse(body.time)).toBeGreaterThan(Date.now() - 60_000);
    expect(t.db.ran).toEqual([]);
  });

  it('refuses anything but {"operation": <integer>} with 400 naming the problem', async () => {
    const cases: [string, string][] = [
      ['{"operation": "42"}', 'operation must be an integer, got "42"'],
      ['{"operation": 1.5}', 'operation must be an integer, got 1.5'],
      ['{"operation": 1e400}', 'operation must be an integer, got null'],
      ['{"operation": 9007199254740993}', 'operation must be an integer, got 9007199254740992'],
      ['{}', 'body must be a JSON object {"operation": <integer>}'],
      ['[]', 'body must be a JSON object {"operation": <integer>}'],
      ['7', 'body must be a JSON object {"operation": <integer>}'],
    ];
    for (const [payload, message] of cases) {
      const r = await post(payload);
      expect([r.statusCode, r.json()], payload).toEqual([400, { error: 'bad_request', message }]);
    }
    const none = await t.app.inject({ method: 'POST', url: '/operation' });
    expect([none.statusCode, none.json().message]).toEqual([400, 'body must be a JSON object {"operation": <integer>}']);
  });
});

// The greeting and the health checks, in process over a fake database.
import { afterEach, describe, expect, it } from 'vitest';
import { PasswordUnavailableError, ReadOnlyHostError, SchemaNotReadyError } from '../../db/database.js';
import { pgError } from '../fake-database.js';
import { testServer } from '../test-server.js';

let t = testServer();
afterEach(async () => {
  await t.app.close();
  t = testServer();
});

describe('GET /', () => {
  it('greets in text', async () => {
    const r = await t.app.inject({ url: '/' });
    expect([r.statusCode, r.headers['content-type'], r.body]).toEqual([200, 'text/plain; charset=utf-8', 'SHS: the session history storage of Filmopoisk\n']);
  });
});

describe('GET /livez', () => {
  it('answers alive whatever the database does, and while draining', async () => {
    const alive = async () => {
      const r = await t.app.inject({ url: '/livez' });
      return [r.statusCode, r.headers['content-type'], r.body];
    };
    expect(await alive()).toEqual([200, 'text/plain; charset=utf-8', 'alive']);
    t.db.healthError = pgError('connect ECONNREFUSED', 'ECONNREFUSED');
    t.db.failure = t.db.healthError;
    t.db.up = false;
    expect(await alive()).toEqual([200, 'text/plain; charset=utf-8', 'alive']);
    t.server.startDraining();
    expect(await alive()).toEqual([200, 'text/plain; charset=utf-8', 'alive']);
  });
});

describe('GET /ping', () => {
  it('answers pong while the database answers, accepts writes and has its schema', async () => {
    const r = await t.app.inject({ url: '/ping' });
    expect([r.statusCode, r.headers['content-type'], r.body]).toEqual([200, 'text/plain; charset=utf-8', 'pong']);
  });

  it('answers 500 naming why the instance is not ready', async () => {
    const cases: [Error, string][] = [
      [new PasswordUnavailableError('Lockbox not read yet'), 'database password unavailable\n'],
      [new ReadOnlyHostError('a standby'), 'database does not accept writes\n'],
      [new SchemaNotReadyError('no schema yet'), 'schema not ready\n'],
      [pgError('connect ECONNREFUSED', 'ECONNREFUSED'), 'database unreachable\n'],
    ];
    for (const [err, body] of cases) {
      t.db.healthError = err;
      const r = await t.app.inject({ url: '/ping' });
      expect([r.statusCode, r.body]).toEqual([500, body]);
      const head = await t.app.inject({ method: 'HEAD', url: '/ping' });
      expect([head.statusCode, head.body]).toEqual([500, '']);
    }
  });
});

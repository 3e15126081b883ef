// The database password from Lockbox, end to end: the real service bundle, a real PostgreSQL role with a
// password, and a loopback stand-in of the metadata service and the Lockbox payload API. Only the secret's id
// is given to the service; the password must show in none of its output.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabase, type TestDatabase } from './support/database.js';
import { TOKEN_PATH, startFakeCloud, type FakeCloud } from './support/fake-cloud.js';
import { eventually, runCli, startService } from './support/shs.js';

const SECRET = 'e6qtestdbsecret00001';
let db: TestDatabase;
let cloud: FakeCloud;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createDatabase('lockbox');
  const prepared = await runCli(['prepare_db', '--scale', '0.002'], db.env);
  expect(prepared.code, prepared.stderr).toBe(0);
  cloud = await startFakeCloud(SECRET, db.password);
  const { SHS_DATABASE_PASSWORD: _password, ...withoutPassword } = db.env;
  env = {
    ...withoutPassword,
    SHS_DATABASE_PASSWORD_LOCKBOX_SECRET_ID: SECRET,
    SHS_CLOUD_METADATA_URL: cloud.url,
    SHS_CLOUD_LOCKBOX_URL: cloud.url,
  };
});
afterAll(async () => {
  await cloud?.close();
  await db?.drop();
});

/** Fails if any secret shows in text. */
function expectNoSecrets(text: string, ...passwords: string[]): void {
  for (const p of [...passwords, cloud.token]) expect(text.includes(p), `a secret shows in:\n${text}`).toBe(false);
}

async function superuser<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const info = inject('pg');
  const c = new pg.Client({ host: info.host, port: info.port, user: info.superuser, password: info.password, database: 'postgres' });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

describe('database password from Lockbox', () => {
  it('the one-shot commands read it with the documented requests, and never print it', async () => {
    cloud.requests.length = 0;
    const init = await runCli(['init', '--scale', '0.002'], env);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('a dataset is already present: 1000 customers');
    expect(init.stderr).toContain(`database password read from Lockbox secret ${SECRET} (version e6qfakeversion1)`);
    expectNoSecrets(init.stdout + init.stderr, db.password);
    expect(cloud.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${TOKEN_PATH}`, `GET /lockbox/v1/secrets/${SECRET}/payload`]);
    expect(cloud.requests[0]!.headers['metadata-flavor']).toBe('Google');
    expect(cloud.requests[1]!.headers.authorization).toBe(`Bearer ${cloud.token}`);

    const migrated = await runCli(['migrate'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toBe('schema is up to date (version 3)\n');

    const shown = await runCli(['print_current_config'], env);
    expect(shown.stdout).toContain(`password_lockbox_secret_id: ${SECRET}`);
  });

  it('the service listens at once, answers /ping 500 until it has the password, then serves', async () => {
    cloud.mode = 'down'; // the VM's network or the metadata service is not up yet
    const svc = await startService(env);
    try {
      const early = await fetch(`${svc.url}/ping`);
      expect(early.status).toBe(500);
      expect(await early.text()).toBe('database password unavailable\n');
      const api = await fetch(`${svc.url}/api/movie/1`);
      expect(api.status).toBe(503);
      expect(await api.json()).toMatchObject({ error: 'database_unavailable' });
      await eventually(async () => svc.output().includes('database password: retrying Lockbox'));
      // It listened before it tried Lockbox, not after giving up on it.
      const order = svc.logLines().map((l) => l.msg);
      expect(order.indexOf('listening')).toBeLessThan(order.indexOf('database password: retrying Lockbox'));

      cloud.mode = 'up';
      await eventually(async () => (await fetch(`${svc.url}/ping`)).status === 200, 30_000, 200);
      const movie = await fetch(`${svc.url}/api/movie/1`);
      expect(movie.status).toBe(200);
      expect(await movie.json()).toMatchObject({ id: 1, name: 'Crimson Train' });
      const created = await fetch(`${svc.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ start_time: '2021-12-09T16:12:52.059188Z', customer_id: 100, movie_id: 5 }),
      });
      expect(created.status).toBe(201);
      const lines = svc.logLines();
      expect(lines.find((l) => l.msg === 'database password read from Lockbox')).toMatchObject({ secret_id: SECRET, version_id: 'e6qfakeversion1' });
      expect(lines.find((l) => l.msg === 'listening')).toMatchObject({ password_source: 'lockbox' });
      expectNoSecrets(svc.output(), db.password);
    } finally {
      cloud.mode = 'up';
      await svc.stop('SIGKILL');
    }
  });

  it('a rotated password: the refused connection makes the service read the secret again, once', async () => {
    const svc = await startService(env);
    const old = db.password;
    const rotated = randomBytes(12).toString('base64url');
    try {
      await eventually(async () => (await fetch(`${svc.url}/ping`)).status === 200, 30_000, 100);
      const payloadReads = () => cloud.requests.filter((r) => r.path.includes('/payload')).length;
      const before = payloadReads();
      // Rotate: a new secret version, the role's new password, and the existing sessions closed.
      cloud.password = rotated;
      await superuser(`ALTER ROLE ${db.user} PASSWORD '${rotated}'`);
      await superuser(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${db.user}'`);
      await eventually(async () => (await fetch(`${svc.url}/ping`)).status === 200 && (await fetch(`${svc.url}/api/movie/2`)).status === 200, 30_000, 100);
      expect(svc.output()).toContain('the database refused the password: reading Lockbox again');
      expect(svc.logLines().filter((l) => l.msg === 'database password read from Lockbox').map((l) => l.version_id)).toEqual([
        'e6qfakeversion1',
        'e6qfakeversion2',
      ]);
      // Once, not a read per refused connection.
      expect(payloadReads() - before).toBe(1);
      expectNoSecrets(svc.output(), old, rotated);
    } finally {
      await svc.stop('SIGKILL');
      cloud.password = old;
      await superuser(`ALTER ROLE ${db.user} PASSWORD '${old}'`);
    }
  });

  it('fails clearly, without secrets, when the service account may not read the secret', async () => {
    cloud.mode = 'forbidden';
    try {
      const r = await runCli(['migrate'], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Lockbox: cannot read secret ${SECRET}`);
      expect(r.stderr).toContain('HTTP 403: Permission denied');
      expect(r.stderr).toContain(`lacks the lockbox.payloadViewer role on secret ${SECRET}`);
      expectNoSecrets(r.stdout + r.stderr, db.password);
    } finally {
      cloud.mode = 'up';
    }
  });

  it('refuses a configuration with two sources of the password', async () => {
    const r = await runCli(['migrate'], { ...env, SHS_DATABASE_PASSWORD: db.password });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('database.password (SHS_DATABASE_PASSWORD) and database.password_lockbox_secret_id');
    expectNoSecrets(r.stdout + r.stderr, db.password);
  });
});

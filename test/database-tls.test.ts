// TLS to PostgreSQL is verified: the service trusts a server whose certificate chains to database.ssl_ca_file,
// and refuses one it cannot verify (a self-signed certificate and no CA given).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresServer } from '../stack/src/postgres.js';
import { ensureSelfSigned } from '../stack/src/tls.js';
import { eventually, runCli, startService } from './support/shs.js';

let server: PostgresServer;
let dir: string;
let caFile: string;
const password = 'tls-test-password';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shs-pg-tls-'));
  chmodSync(dir, 0o755);
  const cert = await ensureSelfSigned(join(dir, 'tls'), ['localhost', '127.0.0.1']);
  chmodSync(join(dir, 'tls'), 0o755);
  caFile = cert.certFile;
  server = await PostgresServer.start({ dir: join(dir, 'pg'), fast: true, tls: cert });
  await server.ensureDatabase('shs', 'shs', password);
});

afterAll(async () => {
  await server?.stop('immediate');
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string>) => ({
  SHS_DATABASE_HOSTS: `127.0.0.1:${server.info.port}`,
  SHS_DATABASE_NAME: 'shs',
  SHS_DATABASE_USER: 'shs',
  SHS_DATABASE_PASSWORD: password,
  SHS_DATABASE_SSL: 'true',
  ...extra,
});

describe('TLS to the database', () => {
  it('connects when the certificate chains to ssl_ca_file', async () => {
    const migrated = await runCli(['migrate'], env({ SHS_DATABASE_SSL_CA_FILE: caFile }));
    expect(migrated.code, migrated.stderr).toBe(0);
    const svc = await startService(env({ SHS_DATABASE_SSL_CA_FILE: caFile }));
    try {
      await eventually(async () => (await fetch(`${svc.url}/ping`)).status === 200, 10_000);
    } finally {
      await svc.stop();
    }
  });

  it('refuses a server it cannot verify', async () => {
    const migrated = await runCli(['migrate'], env({}));
    expect(migrated.code).toBe(1);
    expect(migrated.stderr).toMatch(/self.signed certificate/i);
    const svc = await startService(env({}));
    try {
      const r = await fetch(`${svc.url}/ping`);
      expect(r.status).toBe(500);
    } finally {
      await svc.stop();
    }
  });

  it('names an unreadable CA file', async () => {
    const r = await runCli(['migrate'], env({ SHS_DATABASE_SSL_CA_FILE: join(dir, 'missing.pem') }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('database.ssl_ca_file: cannot read');
  });
});

// Starts one real PostgreSQL server for the integration tests and stops it afterwards.
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PostgresServer } from '../../stack/src/postgres.js';

export interface PgInfo {
  host: string;
  port: number;
  superuser: string;
  password: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pg: PgInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'shs-test-pg-'));
  chmodSync(dir, 0o755);
  const server = await PostgresServer.start({ dir, fast: true });
  project.provide('pg', {
    host: server.info.host,
    port: server.info.port,
    superuser: server.info.superuser,
    password: server.info.password,
  });
  return async () => {
    await server.stop('immediate');
    rmSync(dir, { recursive: true, force: true });
  };
}

// Databases of their own for each test file, on the run's PostgreSQL server.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestDatabase {
  host: string;
  port: number;
  name: string;
  user: string;
  password: string;
  /** SHS_* variables pointing the service at this database. */
  env: Record<string, string>;
  client(): Promise<pg.Client>;
  drop(): Promise<void>;
}

async function admin(): Promise<pg.Client> {
  const info = inject('pg');
  const client = new pg.Client({ host: info.host, port: info.port, user: info.superuser, password: info.password, database: 'postgres' });
  await client.connect();
  return client;
}

export async function createDatabase(prefix: string): Promise<TestDatabase> {
  const info = inject('pg');
  const suffix = randomBytes(4).toString('hex');
  const name = `${prefix}_${suffix}`;
  const user = `u_${suffix}`;
  const password = randomBytes(12).toString('base64url');
  const a = await admin();
  try {
    await a.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
    await a.query(`CREATE DATABASE ${name} OWNER ${user}`);
  } finally {
    await a.end();
  }
  const db: TestDatabase = {
    host: info.host,
    port: info.port,
    name,
    user,
    password,
    env: {
      SHS_DATABASE_HOSTS: `${info.host}:${info.port}`,
      SHS_DATABASE_NAME: name,
      SHS_DATABASE_USER: user,
      SHS_DATABASE_PASSWORD: password,
    },
    async client() {
      const c = new pg.Client({ host: info.host, port: info.port, user, password, database: name });
      await c.connect();
      return c;
    },
    async drop() {
      const a2 = await admin();
      try {
        await a2.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a2.query(`DROP ROLE IF EXISTS ${user}`);
      } finally {
        await a2.end();
      }
    },
  };
  return db;
}

// The PostgreSQL server of the benches: one data directory (.state/bench-pg) kept across runs, so the full-scale
// dataset is loaded once and reused. A bench stops the server at its end if it was the one that started it.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresServer, findPostgresBinDir } from '../../stack/src/postgres.js';
import type { BenchContext } from './harness.js';
import { PG_DIR } from './paths.js';

export interface BenchDatabase {
  server: PostgresServer;
  host: string;
  port: number;
  name: string;
  user: string;
  password: string;
  /** Server version, e.g. "15.14". */
  version: string;
}

/** A PostgreSQL client tool (psql, pgbench) of the same installation as the server. */
export function pgTool(name: 'psql' | 'pgbench'): string {
  return join(findPostgresBinDir(), name);
}

/** Environment for libpq tools (psql, pgbench) connecting as the bench user. */
export function libpqEnv(db: BenchDatabase, database = db.name): NodeJS.ProcessEnv {
  return { ...process.env, PGHOST: db.host, PGPORT: String(db.port), PGUSER: db.user, PGPASSWORD: db.password, PGDATABASE: database };
}

/** True when a postmaster already runs on dir (its pid file names a live process). */
function alreadyRunning(dir: string): boolean {
  const pidFile = join(dir, 'data', 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts (or joins) the bench server and makes sure database "shs" and its owner "shs" exist. */
export async function startBenchPostgres(ctx: BenchContext): Promise<BenchDatabase> {
  const running = alreadyRunning(PG_DIR);
  ctx.log(running ? `PostgreSQL already running in ${PG_DIR}: joining it (it will be left running)` : `starting PostgreSQL in ${PG_DIR}`);
  const server = await PostgresServer.start({ dir: PG_DIR });
  if (!running) ctx.defer('stop PostgreSQL', () => server.stop());
  const password = randomBytes(12).toString('base64url');
  await server.ensureDatabase('shs', 'shs', password);
  const admin = await server.admin();
  let version: string;
  try {
    version = (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v.split(' ')[0]!;
  } finally {
    await admin.end();
  }
  ctx.note('postgresql', version);
  return { server, ...server.connection(), name: 'shs', user: 'shs', password, version };
}

/** A client connected as the bench user. */
export async function connect(db: BenchDatabase, database = db.name): Promise<pg.Client> {
  const client = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database });
  await client.connect();
  return client;
}

/** CHECKPOINT as superuser, so writes left by one step are not paid for by the next. */
export async function checkpoint(db: BenchDatabase): Promise<void> {
  const admin = await db.server.admin();
  try {
    await admin.query('CHECKPOINT');
  } finally {
    await admin.end();
  }
}

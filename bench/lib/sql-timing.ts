// Timing one statement run directly against PostgreSQL, with no HTTP in between: through psql (C client,
// output to /dev/null, timed by psql's \timing) and through node-postgres (the service's driver).
import pg from 'pg';
import { type BenchDatabase, connect, libpqEnv, pgTool } from './postgres.js';
import { runCommand } from './process.js';
import type { CapturedQuery } from './queries.js';

const asText = { getTypeParser: () => (value: string) => value };

const setStatements = (q: CapturedQuery) =>
  Object.entries(q.settings).map(([k, v]) => `SET ${k} = ${pg.escapeLiteral(v)};`);

/** The psql commands run: the settings, then the statement `times` times under \timing. */
export function psqlScript(q: CapturedQuery, times: number): string {
  return [...setStatements(q), '\\timing on', ...Array.from({ length: times }, () => `${q.text.trim()};`), ''].join('\n');
}

/** Seconds of each run of q, as psql's \timing reports them (one session; rows written to /dev/null). */
export async function timeWithPsql(db: BenchDatabase, q: CapturedQuery, times: number): Promise<number[]> {
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-o', '/dev/null', '-f', '-'];
  const r = await runCommand(pgTool('psql'), args, { env: libpqEnv(db), input: psqlScript(q, times) });
  const ms = [...r.stdout.matchAll(/^Time: ([\d.]+) ms/gm)].map((m) => Number(m[1]));
  if (ms.length !== times) throw new Error(`psql: expected ${times} timings, got ${ms.length}:\n${r.stdout}\n${r.stderr}`);
  return ms.map((x) => x / 1000);
}

export interface DriverRun {
  seconds: number;
  rows: number;
}

/**
 * Each run of q through node-postgres on one connection, as the service runs it: a named prepared statement,
 * rows as arrays of text handed over one by one (counted, not rendered), the settings applied first.
 */
export async function timeWithNodePg(db: BenchDatabase, q: CapturedQuery, times: number): Promise<DriverRun[]> {
  const client = await connect(db);
  try {
    for (const statement of setStatements(q)) await client.query(statement);
    const runs: DriverRun[] = [];
    for (let i = 0; i < times; i++) {
      const t0 = performance.now();
      const rows = await new Promise<number>((resolve, reject) => {
        let count = 0;
        const query = new pg.Query({ name: q.name, text: q.text, rowMode: 'array', types: asText } as pg.QueryConfig);
        query.on('row', () => (count += 1));
        query.on('end', () => resolve(count));
        query.on('error', reject);
        void client.query(query);
      });
      runs.push({ seconds: (performance.now() - t0) / 1000, rows });
    }
    return runs;
  } finally {
    await client.end();
  }
}

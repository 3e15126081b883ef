// pgbench: the peer of the load (pgbench -i) and of the lookups (a custom script against the SHS tables).
// Run latencies come from pgbench's per-transaction log (-l), so they have the same percentiles as wrk's.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchDatabase, libpqEnv, pgTool } from './postgres.js';
import { runCommand } from './process.js';
import { type Latency, summarize } from './stats.js';

export interface PgbenchInit {
  command: string;
  wallSeconds: number;
  /** pgbench's own total ("done in X s"). */
  reportedSeconds: number;
  /** Its per-step timings ("drop tables 0.00 s, create tables ..."). */
  steps: { step: string; seconds: number }[];
}

/** Parses the last line of `pgbench -i`: "done in 10.57 s (drop tables 0.00 s, ..., primary keys 2.73 s)." */
export function parsePgbenchInit(stderr: string): Omit<PgbenchInit, 'command' | 'wallSeconds'> {
  const m = /done in ([\d.]+) s \(([^)]*)\)/.exec(stderr);
  if (!m) throw new Error(`pgbench -i: no "done in" line in its output:\n${stderr}`);
  const steps = m[2]!.split(', ').map((part) => {
    const s = /^(.+) ([\d.]+) s$/.exec(part.trim());
    return { step: s?.[1] ?? part, seconds: Number(s?.[2]) };
  });
  return { reportedSeconds: Number(m[1]), steps };
}

/** `pgbench -i -s <scale> -q <database>`: creates and fills pgbench_accounts (100,000 rows per scale unit). */
export async function pgbenchInit(db: BenchDatabase, database: string, scale: number): Promise<PgbenchInit> {
  const args = ['-i', '-s', String(scale), '-q', database];
  const r = await runCommand(pgTool('pgbench'), args, { env: libpqEnv(db, database), timeoutMs: 15 * 60_000 });
  return { command: `pgbench ${args.join(' ')}`, wallSeconds: r.seconds, ...parsePgbenchInit(r.stderr) };
}

/**
 * SQL made safe for a pgbench script: pgbench takes every ":name" as a variable, even inside a string literal
 * (to_char's 'HH24:MI:SS'). Literals holding a colon are rewritten as escape strings with \x3A for ":", the
 * same constant to PostgreSQL.
 */
export function pgbenchSql(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length; ) {
    if (sql[i] !== "'") {
      out += sql[i++];
      continue;
    }
    let end = i + 1; // the closing quote ('' inside a literal is an escaped quote)
    while (end < sql.length && !(sql[end] === "'" && sql[end + 1] !== "'")) end += sql[end] === "'" ? 2 : 1;
    const body = sql.slice(i + 1, end);
    const escaped = /^[Ee]$/.test(out.slice(-1));
    out += body.includes(':') && !escaped ? `E'${body.replace(/\\/g, '\\\\').replace(/:/g, '\\x3A')}'` : `'${body}'`;
    i = end + 1;
  }
  return out;
}

export interface PgbenchRunOptions {
  /** The custom script (pgbench's language: \set lines, then SQL). */
  script: string;
  clients: number;
  threads: number;
  durationS: number;
  /** Where the script and the transaction logs are written. */
  workDir: string;
  /** A file-name-safe label for the script and its logs. */
  label: string;
}

export interface PgbenchRun {
  command: string;
  script: string;
  tps: number;
  transactions: number;
  failed: number;
  /** Milliseconds, from the per-transaction log. */
  latency: Latency;
}

/** Parses the summary of a pgbench run. */
export function parsePgbenchRun(stdout: string): { tps: number; transactions: number; failed: number } {
  const tps = /^tps = ([\d.]+) \(without initial connection time\)$/m.exec(stdout);
  const tx = /^number of transactions actually processed: (\d+)/m.exec(stdout);
  if (!tps || !tx) throw new Error(`pgbench: no tps in its output:\n${stdout}`);
  const failed = /^number of failed transactions: (\d+)/m.exec(stdout);
  return { tps: Number(tps[1]), transactions: Number(tx[1]), failed: Number(failed?.[1] ?? 0) };
}

/** Latencies (ms) from pgbench -l files: "client_id transaction_no time script_no time_epoch time_us", time in us. */
function loggedLatencies(dir: string, prefix: string): number[] {
  const out: number[] = [];
  for (const file of readdirSync(dir).filter((f) => f.startsWith(`${prefix}.`))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const us = Number(line.split(' ')[2]);
      if (line !== '' && Number.isFinite(us)) out.push(us / 1000);
    }
  }
  return out;
}

/** A timed custom-script run with prepared statements, like the service's (named statements per connection). */
export async function pgbenchRun(db: BenchDatabase, options: PgbenchRunOptions): Promise<PgbenchRun> {
  const scriptFile = join(options.workDir, `${options.label}.sql`);
  const logPrefix = `pgbench-log-${options.label}`;
  writeFileSync(scriptFile, options.script);
  const args = [
    '-n', '-M', 'prepared',
    '-c', String(options.clients),
    '-j', String(options.threads),
    '-T', String(options.durationS),
    '-l', `--log-prefix=${join(options.workDir, logPrefix)}`,
    '-f', scriptFile,
  ];
  const r = await runCommand(pgTool('pgbench'), args, { env: libpqEnv(db), timeoutMs: (options.durationS + 60) * 1000 });
  const command = `pgbench -n -M prepared -c ${options.clients} -j ${options.threads} -T ${options.durationS} -l -f ${options.label}.sql`;
  return { command, script: options.script, ...parsePgbenchRun(r.stdout), latency: summarize(loggedLatencies(options.workDir, logPrefix)) };
}

// The SHS service as users run it: the `shs` CLI (the built bundle) for prepare_db, and one `run_server`
// instance on a free port.
import { join } from 'node:path';
import { freePort } from '../../stack/src/ports.js';
import { shsBin, shsEnv } from '../../stack/src/shs-cli.js';
import type { BenchContext } from './harness.js';
import { waitForOk } from './http.js';
import type { BenchDatabase } from './postgres.js';
import { type CommandResult, runCommand, startBackground } from './process.js';
import { ROOT } from './paths.js';

const SHS_BIN = shsBin(ROOT);

/** The environment for `shs` against a bench database. */
function dbEnv(db: BenchDatabase, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return shsEnv({
    SHS_DATABASE_HOSTS: `${db.host}:${db.port}`,
    SHS_DATABASE_NAME: db.name,
    SHS_DATABASE_USER: db.user,
    SHS_DATABASE_PASSWORD: db.password,
    ...extra,
  });
}

export interface PrepareRun {
  /** Wall time of the whole command (process start to exit). */
  wallSeconds: number;
  /** The total prepare_db itself reported ("prepared ... in X s"), if it loaded. */
  reportedSeconds: number | null;
  /** Per-step timings printed on stderr, in order. */
  steps: { step: string; seconds: number }[];
  stdout: string;
}

/** Parses prepare_db's output: "  <step>: 1.23 s" lines on stderr and "prepared ... in 12.3 s" on stdout. */
export function parsePrepareOutput(stdout: string, stderr: string): Omit<PrepareRun, 'wallSeconds'> {
  const steps = [...stderr.matchAll(/^\s+(.+): ([\d.]+) s$/gm)].map((m) => ({ step: m[1]!, seconds: Number(m[2]) }));
  const total = /prepared .* in ([\d.]+) s/.exec(stdout);
  return { steps, reportedSeconds: total ? Number(total[1]) : null, stdout: stdout.trim() };
}

/** `shs prepare_db --scale <scale> [--force]`. */
export async function prepareDb(db: BenchDatabase, options: { scale: number; force: boolean }): Promise<PrepareRun> {
  const args = [SHS_BIN, 'prepare_db', '--scale', String(options.scale), ...(options.force ? ['--force'] : [])];
  const r: CommandResult = await runCommand(process.execPath, args, { env: dbEnv(db), timeoutMs: 15 * 60_000 });
  return { wallSeconds: r.seconds, ...parsePrepareOutput(r.stdout, r.stderr) };
}

/** Makes sure the full-scale dataset is there: a no-op when prepare_db already made it (no --force). */
export async function ensureFullDataset(ctx: BenchContext, db: BenchDatabase): Promise<void> {
  ctx.log('checking the full-scale dataset (shs prepare_db --scale 1; loads it only if missing)');
  const run = await prepareDb(db, { scale: 1, force: false });
  ctx.log(run.reportedSeconds === null ? `dataset: ${run.stdout}` : `dataset loaded in ${run.wallSeconds.toFixed(1)} s`);
}

export interface Service {
  url: string;
  pid: number;
  logFile: string;
}

/** Starts one `shs run_server` instance (request logging off) and waits until /ping answers 200. */
export async function startService(ctx: BenchContext, db: BenchDatabase, extra: Record<string, string> = {}): Promise<Service> {
  const port = await freePort();
  const env = dbEnv(db, {
    SHS_SERVER_HOST: '127.0.0.1',
    SHS_SERVER_PORT: String(port),
    SHS_SERVER_INSTANCE_ID: `bench-${port}`,
    SHS_LOG_REQUESTS: 'false',
    ...extra,
  });
  const logFile = join(ctx.workDir, `shs-${port}.log`);
  const proc = startBackground(process.execPath, [SHS_BIN, 'run_server'], logFile, env);
  ctx.defer(`stop shs run_server (pid ${proc.child.pid})`, () => proc.stop());
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/ping`, 30_000, () => proc.child.exitCode === null);
  ctx.log(`shs run_server listening on ${url} (pid ${proc.child.pid}, log ${logFile})`);
  return { url, pid: proc.child.pid!, logFile };
}

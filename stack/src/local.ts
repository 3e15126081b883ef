// The local target: a real PostgreSQL and the SHS service on this machine, state under one directory.
// `up` is idempotent (what runs already is left alone), `down` stops everything, `status` reports it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PostgresServer } from './postgres.js';

export interface StackOptions {
  /** Repository root (where bin/shs.mjs lives). */
  root: string;
  /** State directory (PostgreSQL data, config, logs, pids). */
  stateDir: string;
  /** Dataset scale for prepare_db (fraction of the full size). */
  scale: number;
  /** Port of the SHS instance on 127.0.0.1. */
  port: number;
  progress: (message: string) => void;
}

export interface ComponentStatus {
  name: string;
  state: 'running' | 'stopped' | 'unhealthy';
  pid: number | null;
  port: number | null;
  url: string | null;
  detail: string;
}

interface StackState {
  postgres: { port: number };
  instances: { name: string; pid: number; port: number; log: string }[];
}

const DB = { name: 'shs', user: 'shs' };

function readState(stateDir: string): StackState | null {
  const file = join(stateDir, 'stack.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StackState) : null;
}

function writeState(stateDir: string, state: StackState): void {
  writeFileSync(join(stateDir, 'stack.json'), `${JSON.stringify(state, null, 2)}\n`);
}

function alive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ping(url: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const r = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) });
    const text = (await r.text()).trim();
    return { ok: r.status === 200 && text === 'pong', detail: `/ping ${r.status} ${text}` };
  } catch (err) {
    return { ok: false, detail: `/ping failed: ${(err as Error).message}` };
  }
}

function runShs(root: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SHS_')));
    const child = spawn(process.execPath, [join(root, 'bin/shs.mjs'), ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function up(options: StackOptions): Promise<ComponentStatus[]> {
  const { stateDir, root, progress } = options;
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  const previous = readState(stateDir);

  progress('PostgreSQL: starting');
  const pg = await PostgresServer.start({ dir: join(stateDir, 'postgres'), port: previous?.postgres.port });
  progress(`PostgreSQL: running on 127.0.0.1:${pg.info.port}`);

  const passwordFile = join(stateDir, 'shs-db.password');
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  await pg.ensureDatabase(DB.name, DB.user, readFileSync(passwordFile, 'utf8').trim());

  const configFile = join(stateDir, 'shs.yaml');
  writeFileSync(
    configFile,
    [
      'database:',
      `  hosts: ["127.0.0.1:${pg.info.port}"]`,
      `  name: ${DB.name}`,
      `  user: ${DB.user}`,
      `  password_file: ${JSON.stringify(passwordFile)}`,
      'server:',
      '  host: 127.0.0.1',
      `  port: ${options.port}`,
      '  instance_id: shs-1',
      '',
    ].join('\n'),
  );

  progress(`dataset: prepare_db --scale ${options.scale}`);
  const prepared = await runShs(root, ['prepare_db', '--config', configFile, '--scale', String(options.scale)]);
  if (prepared.code !== 0) throw new Error(`prepare_db failed: ${prepared.stderr.trim() || prepared.stdout.trim()}`);
  progress(`dataset: ${prepared.stdout.trim()}`);

  const instances = (previous?.instances ?? []).filter((i) => alive(i.pid) && i.port === options.port);
  if (instances.length === 0) {
    const log = join(stateDir, 'logs', 'shs-1.log');
    const fd = openSync(log, 'a');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SHS_')));
    const child = spawn(process.execPath, [join(root, 'bin/shs.mjs'), 'run_server', '--config', configFile], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env,
    });
    closeSync(fd);
    child.unref();
    instances.push({ name: 'shs-1', pid: child.pid!, port: options.port, log });
    progress(`shs-1: started (pid ${child.pid}), log ${log}`);
  } else {
    progress(`shs-1: already running (pid ${instances[0]!.pid})`);
  }
  writeState(stateDir, { postgres: { port: pg.info.port }, instances });

  const url = `http://127.0.0.1:${options.port}`;
  for (let i = 0; ; i++) {
    const health = await ping(url);
    if (health.ok) break;
    if (!alive(instances[0]!.pid)) throw new Error(`shs-1 exited; see ${instances[0]!.log}`);
    if (i >= 100) throw new Error(`shs-1 is not healthy after 20 s (${health.detail}); see ${instances[0]!.log}`);
    await sleep(200);
  }
  progress(`shs-1: healthy at ${url}`);
  return status(options);
}

export async function status(options: Pick<StackOptions, 'stateDir'>): Promise<ComponentStatus[]> {
  const state = readState(options.stateDir);
  const result: ComponentStatus[] = [];
  const pg = PostgresServer.attach(join(options.stateDir, 'postgres'));
  const pgPid = pg?.pid() ?? null;
  result.push({
    name: 'postgres',
    state: pgPid ? 'running' : 'stopped',
    pid: pgPid,
    port: pg?.info.port ?? null,
    url: pg ? `postgresql://127.0.0.1:${pg.info.port}/${DB.name}` : null,
    detail: pgPid ? `data in ${pg!.info.dataDir}` : pg ? 'not running' : 'not initialised',
  });
  for (const i of state?.instances ?? []) {
    const url = `http://127.0.0.1:${i.port}`;
    const running = alive(i.pid);
    const health = running ? await ping(url) : { ok: false, detail: 'not running' };
    result.push({
      name: i.name,
      state: !running ? 'stopped' : health.ok ? 'running' : 'unhealthy',
      pid: running ? i.pid : null,
      port: i.port,
      url,
      detail: health.detail,
    });
  }
  return result;
}

export async function down(options: Pick<StackOptions, 'stateDir' | 'progress'>): Promise<void> {
  const state = readState(options.stateDir);
  for (const i of state?.instances ?? []) {
    if (!alive(i.pid)) continue;
    process.kill(i.pid, 'SIGTERM');
    for (let n = 0; n < 100 && alive(i.pid); n++) await sleep(100);
    if (alive(i.pid)) process.kill(i.pid, 'SIGKILL');
    options.progress(`${i.name}: stopped`);
  }
  const pg = PostgresServer.attach(join(options.stateDir, 'postgres'));
  if (pg?.pid()) {
    await pg.stop();
    options.progress('PostgreSQL: stopped');
  }
  if (state) writeState(options.stateDir, { ...state, instances: [] });
}

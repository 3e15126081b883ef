// `pipeline up` when it cannot do what it is asked: a dataset of another scale is refused naming --replace-data
// (the running stack is left as it was; a stopped one stays stopped: nothing half-started), --replace-data
// replaces it (without a terminal the flag is the consent; on one, prepare_db asks), and a failure after the
// supervisor started (the proxy's port taken) stops everything that up started.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../stack/src/ports.js';
import { processAlive } from '../stack/src/process-alive.js';
import { readStatus } from '../stack/src/supervisor.js';
import { ROOT } from './support/shs.js';

const tmp = mkdtempSync(join(tmpdir(), 'cli-up-'));
chmodSync(tmp, 0o755); // PostgreSQL runs as another user when the tests run as root
const stateDir = join(tmp, 'state');
let http = 0;
let https = 0;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pipeline(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'pipeline.mjs'), ...args], {
      cwd: tmp,
      env: { ...process.env, PIPELINE_STATE_DIR: stateDir },
      stdio: ['ignore', 'pipe', 'pipe'], // no terminal
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
/** `pipeline` started, to be signalled while it runs: `said(re)` resolves with the match once its stderr matches. */
function pipelineRunning(args: string[]) {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'pipeline.mjs'), ...args], {
    cwd: tmp,
    env: { ...process.env, PIPELINE_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of watchers.splice(0)) {
      const m = stderr.match(w.re);
      if (m) w.resolve(m);
      else watchers.push(w);
    }
  });
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const said = (re: RegExp) =>
    Promise.race([
      new Promise<RegExpMatchArray>((resolve) => {
        const m = stderr.match(re);
        if (m) resolve(m);
        else watchers.push({ re, resolve });
      }),
      done.then((r) => Promise.reject(new Error(`exited (${r.code}) before saying ${re}:\n${r.stderr}`))),
    ]);
  return { child, done, said };
}

/** Until the supervisor's status names a live process for each of `names`. */
async function programsRunning(names: string[]): Promise<Map<string, number>> {
  for (let i = 0; i < 300; i++) {
    const pids = new Map(programPids().filter((p) => names.includes(p.name) && processAlive(p.pid)).map((p) => [p.name, p.pid!]));
    if (pids.size === names.length) return pids;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not all of ${names.join(', ')} started: ${JSON.stringify(programPids())}`);
}

const up = (...extra: string[]) => pipeline(['up', '--no-monitoring', '--port', String(http), '--https-port', String(https), ...extra]);

interface StackJson {
  supervisorPid: number | null;
  ports: { postgres: number; http: number; https: number; proxyMetrics: number; instances: number[] };
}
const stackJson = () => JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8')) as StackJson;
const programPids = () => (readStatus(join(stateDir, 'supervisor.status.json'))?.programs ?? []).map((p) => ({ name: p.name, pid: p.pid }));

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** No process of the stack is left: no postmaster, supervisor or program, nothing on its ports (but `except`). */
async function expectNothingRunning(except: number[] = []): Promise<void> {
  const state = stackJson();
  const postmaster = join(stateDir, 'postgres', 'data', 'postmaster.pid');
  const pgPid = existsSync(postmaster) ? Number(readFileSync(postmaster, 'utf8').split('\n')[0]) : null;
  expect(processAlive(pgPid), `postmaster ${pgPid}`).toBe(false);
  expect(state.supervisorPid, 'stack.json still names a supervisor').toBeNull();
  for (const p of programPids()) if (p.name !== 'postgres') expect(processAlive(p.pid), `${p.name} pid ${p.pid}`).toBe(false);
  const ports = [state.ports.postgres, state.ports.http, state.ports.https, state.ports.proxyMetrics, ...state.ports.instances].filter((p) => !except.includes(p));
  for (const port of ports) expect(await listening(port), `something listens on ${port}`).toBe(false);
}

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ host: '127.0.0.1', port: stackJson().ports.postgres, database: 'shs', user: 'shs', password: readFileSync(join(stateDir, 'shs-db.password'), 'utf8').trim() });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  http = await freePort();
  https = await freePort();
});
afterAll(async () => {
  await pipeline(['down']);
  rmSync(tmp, { recursive: true, force: true });
});

describe('pipeline up', () => {
  it('--yes without --replace-data is a usage error', async () => {
    const r = await pipeline(['up', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('pipeline up: --yes: confirms --replace-data; pass both, or neither');
  });

  it('a dataset of another scale, with the stack running: refused naming --replace-data, the stack left as it was', { timeout: 180_000 }, async () => {
    const first = await up('--scale', '0.001');
    expect(first.code, first.stderr).toBe(0);
    // a session created through the API, which a replacement would delete
    const created = await fetch(`http://127.0.0.1:${http}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start_time: '2024-05-01T10:00:00Z', customer_id: 1, movie_id: 1 }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const before = { supervisor: stackJson().supervisorPid, programs: programPids() };

    const r = await up('--scale', '0.002');
    expect(r.code, r.stderr).toBe(1);
    const error = r.stderr.trimEnd().split('\n').at(-1)!;
    expect(error).toBe(
      'pipeline up: the database already holds a dataset with seed 1 and scale 0.001 (500 customers, 29 movies, 5000 sessions, ' +
        'and 1 session created through the API since it was loaded), not one of scale 0.002; pass --replace-data to replace it ' +
        '(this deletes its 5001 sessions, including the 1 session created through the API), or --scale 0.001 to keep it',
    );
    expect(r.stderr).not.toContain('--force');
    expect(r.stderr).toContain(`the stack that was running before (supervisor pid ${before.supervisor}) is left as it was`);
    expect(stackJson().supervisorPid).toBe(before.supervisor);
    expect(processAlive(before.supervisor)).toBe(true);
    expect(programPids()).toEqual(before.programs);
    expect((await fetch(`http://127.0.0.1:${http}/ping`)).status).toBe(200);
  });

  it('the same with the stack stopped: refused, and PostgreSQL, which up started, stopped again', { timeout: 180_000 }, async () => {
    expect((await pipeline(['down'])).code).toBe(0);
    const r = await up('--scale', '0.002');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/pass --replace-data to replace it \(this deletes its 5001 sessions, including the 1 session created through the API\)/);
    expect(r.stderr).toMatch(/up failed: stopped PostgreSQL \(pid \d+\); nothing of the stack is left running/);
    await expectNothingRunning();
  });

  it('--replace-data without a terminal replaces the dataset (the flag is the consent), deleting the API-made session', { timeout: 180_000 }, async () => {
    const r = await up('--scale', '0.002', '--replace-data');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('dataset: prepare_db --force replaces the dataset with seed 1 and scale 0.001 (500 customers, 29 movies, 5000 sessions) and deletes 1 session');
    expect(r.stderr).toMatch(/dataset: prepared 1000 customers, 58 movies, 10000 sessions \(seed 1, scale 0\.002\) in [\d.]+ s; deleted 1 session that prepare_db did not make/);
    expect(r.stdout).toContain('verdict: PASS');
    expect(await query('SELECT seed, scale FROM shs_dataset')).toEqual([{ seed: 1, scale: 0.002 }]);
    expect(await query('SELECT count(*)::int AS n, max(id)::int AS last FROM sessions')).toEqual([{ n: 10000, last: 10000 }]);
  });

  it('on a terminal, --replace-data asks; "no" changes nothing and leaves nothing running', { timeout: 180_000 }, async (ctx) => {
    if (spawnSync('sh', ['-c', 'command -v script']).status !== 0) return ctx.skip('needs script(1) (util-linux) for a terminal');
    expect((await pipeline(['down'])).code).toBe(0);
    const command = [process.execPath, join(ROOT, 'bin', 'pipeline.mjs'), 'up', '--no-monitoring', '--port', String(http), '--https-port', String(https), '--scale', '0.001', '--replace-data'].join(' ');
    // script(1) gives the command a terminal; "no" is typed into it once the question is there
    const r = await new Promise<Run>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: tmp, env: { ...process.env, PIPELINE_STATE_DIR: stateDir }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let answered = false;
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (!answered && stdout.includes('Type "yes" to go on:')) child.stdin.write('no\n');
        answered ||= stdout.includes('Type "yes" to go on:');
      });
      child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
    });
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toContain('prepare_db --force replaces the dataset with seed 1 and scale 0.002 (1000 customers, 58 movies, 10000 sessions)');
    expect(r.stdout).toContain('shs: not confirmed: nothing was changed');
    expect(r.stdout).toContain('the data was not replaced');
    await expectNothingRunning();
    // still the dataset that was there (read with PostgreSQL started for it by an up that succeeds)
    const again = await up('--scale', '0.002');
    expect(again.code, again.stderr).toBe(0);
    expect(await query('SELECT scale FROM shs_dataset')).toEqual([{ scale: 0.002 }]);
  });

  it("a failure after the supervisor started (the proxy's port taken): everything up started is stopped, the logs kept", { timeout: 180_000 }, async () => {
    expect((await pipeline(['down'])).code).toBe(0);
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(http, '127.0.0.1', resolve));
    try {
      const r = await up('--scale', '0.002');
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/pipeline up: proxy failed 3 times as it started \(last: exited \(code 1\)\); the end of .*proxy\.log:/);
      expect(r.stderr).toContain(`bind() to 127.0.0.1:${http} failed (98: Address already in use)`);
      expect(r.stderr).toMatch(/up failed: stopped the supervisor \(pid \d+\) and what it ran \(shs-1, shs-2, proxy\) and PostgreSQL \(pid \d+\); nothing of the stack is left running/);
      await expectNothingRunning([http]);
      expect(existsSync(join(stateDir, 'logs', 'proxy.log'))).toBe(true);
      expect(existsSync(join(stateDir, 'logs', 'supervisor.log'))).toBe(true);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  // `up` is paused (SIGSTOP) once it has started the supervisor, so what happens next does not race its checks
  it('Ctrl-C while the programs start: everything up started is stopped, exit 130', { timeout: 180_000 }, async () => {
    const run = pipelineRunning(['up', '--no-monitoring', '--port', String(http), '--https-port', String(https), '--scale', '0.002']);
    await run.said(/supervisor: started/);
    run.child.kill('SIGSTOP');
    await programsRunning(['shs-1', 'shs-2', 'proxy']);
    run.child.kill('SIGINT');
    run.child.kill('SIGCONT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('SIGINT: stopping what up started (again to leave at once)');
    expect(r.stderr).toMatch(/up interrupted: stopped the supervisor \(pid \d+\) and what it ran \(shs-1, shs-2, proxy\) and PostgreSQL \(pid \d+\); nothing of the stack is left running/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('pipeline up: interrupted by SIGINT');
    await expectNothingRunning();
  });

  it('the supervisor killed while the programs start: up fails, and stops what the supervisor left running', { timeout: 180_000 }, async () => {
    const run = pipelineRunning(['up', '--no-monitoring', '--port', String(http), '--https-port', String(https), '--scale', '0.002']);
    const [, supervisorPid] = await run.said(/supervisor: started \(pid (\d+)\)/);
    run.child.kill('SIGSTOP');
    const programs = await programsRunning(['shs-1', 'shs-2', 'proxy']);
    process.kill(Number(supervisorPid), 'SIGKILL');
    run.child.kill('SIGCONT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/pipeline up: the supervisor exited; see .*supervisor\.log/);
    expect(r.stderr).toMatch(new RegExp(`supervisor: gone \\(pid ${supervisorPid}\\), stopping what it left running \\(pids [\\d, ]+\\)`));
    for (const [name, pid] of programs) expect(processAlive(pid), `${name} (pid ${pid}) left running`).toBe(false);
    await expectNothingRunning();
  });
});

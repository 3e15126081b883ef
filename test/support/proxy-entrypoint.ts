// The proxy image's entrypoint (proxy/dist/start.cjs) run on this machine for a test: configured by PROXY_*
// variables, its stdout (and so its access log, opened as /dev/stdout as in a container) in a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../stack/src/ports.js';
import { ROOT, eventually } from './shs.js';

export interface Entrypoint {
  child: ChildProcess;
  exited: Promise<number | null>;
  http: string;
  metricsUrl: string;
  /** The HTTPS port, when env asked for HTTPS (PROXY_HTTPS_LISTEN not "off"). */
  httpsPort: number;
  logFile: string;
  /** The run directory the entrypoint was given (PROXY_RUN_DIR). */
  runDir: string;
  /** What it wrote so far (stdout and stderr, the access log included). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the entrypoint on free ports with one worker; resolves once its metrics port answers. */
export async function startEntrypoint(name: string, env: Record<string, string>, https: boolean): Promise<Entrypoint> {
  const e = await spawnEntrypoint(name, env, https);
  await eventually(async () => {
    if (e.child.exitCode !== null) throw new Error(`the proxy exited ${e.child.exitCode}:\n${e.output()}`);
    return (await fetch(e.metricsUrl).catch(() => null))?.status === 200;
  }, 20_000);
  return e;
}

/** Spawns the entrypoint on free ports with one worker, without waiting for it (it may be meant to fail). */
export async function spawnEntrypoint(name: string, env: Record<string, string>, https: boolean): Promise<Entrypoint> {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  // as /run is in the image: nginx's workers (nobody, when the test runs as root) pass through to the run directory
  chmodSync(dir, 0o755);
  const [httpPort, httpsPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const logFile = join(dir, 'out.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [join(ROOT, 'proxy', 'dist', 'start.cjs')], {
    env: {
      PATH: process.env.PATH ?? '',
      PROXY_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      PROXY_HTTPS_LISTEN: https ? `127.0.0.1:${httpsPort}` : 'off',
      PROXY_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
      PROXY_RUN_DIR: join(dir, 'run'),
      PROXY_WORKER_PROCESSES: '1',
      ...env,
    },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
    if (process.env.PIPELINE_TEST_KEEP_STATE === '1') console.warn(`proxy: state kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  return { child, exited, http: `http://127.0.0.1:${httpPort}`, metricsUrl, httpsPort, logFile, runDir: join(dir, 'run'), output: () => readFileSync(logFile, 'utf8'), stop };
}

// A Docker engine and a registry of the test's own, on loopback (flags and config from tools/docker/daemons.ts):
// dockerd with its data in the given directory, and a docker-registry speaking plain HTTP on 127.0.0.1. Both are
// stopped by the returned stop().
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBackground } from '../../bench/lib/process.js';
import { freePort } from '../../stack/src/ports.js';
import { dockerdCommand, registryConfig, unmountUnder } from '../../tools/docker/daemons.js';
import { eventually } from './shs.js';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** Why Docker cannot be run here (null when it can): dockerd needs root, and the Debian packages. */
export function dockerUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'dockerd needs root (the project\'s CI machines run the tests as root)';
  const missing = ['dockerd', 'docker', 'docker-compose', 'docker-registry'].filter((t) => !has(t));
  return missing.length ? `missing ${missing.join(', ')} (./dev test installs docker.io, docker-compose and docker-registry)` : null;
}

export interface Docker {
  /** DOCKER_HOST for docker and docker-compose. */
  env: Record<string, string>;
  /** Runs the docker CLI against this engine; throws with its output unless it exits 0. */
  docker(args: string[], timeoutMs?: number): string;
  /** Runs docker-compose against this engine, in `cwd`. */
  compose(args: string[], cwd: string, timeoutMs?: number): string;
  log(): string;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], env: Record<string, string>, cwd: string | undefined, timeoutMs: number): string {
  const r = spawnSync(cmd, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env }, cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

export async function startDocker(dir: string): Promise<Docker> {
  mkdirSync(dir, { recursive: true });
  const { args, socket } = dockerdCommand(dir);
  const logFile = join(dir, 'dockerd.log');
  const { child, stop } = startBackground('dockerd', args, logFile);
  const env = { DOCKER_HOST: `unix://${socket}` };
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`dockerd exited ${child.exitCode}:\n${log()}`);
    return existsSync(socket) && spawnSync('docker', ['version'], { env: { PATH: process.env.PATH ?? '', ...env } }).status === 0;
  }, 60_000, 200);
  return {
    env,
    docker: (args, timeoutMs = 120_000) => run('docker', args, env, undefined, timeoutMs),
    compose: (args, cwd, timeoutMs = 300_000) => run('docker-compose', args, env, cwd, timeoutMs),
    log,
    async stop() {
      await stop();
      unmountUnder(dir);
    },
  };
}

export interface Registry {
  /** host:port, e.g. 127.0.0.1:5001. */
  host: string;
  stop(): Promise<void>;
}

export async function startRegistry(dir: string): Promise<Registry> {
  const host = `127.0.0.1:${await freePort()}`;
  const config = join(dir, 'registry.yml');
  writeFileSync(config, registryConfig(host, join(dir, 'registry-data'), 'warn'));
  const { stop } = startBackground('docker-registry', ['serve', config], join(dir, 'registry.log'));
  await eventually(async () => (await fetch(`http://${host}/v2/`).catch(() => null))?.status === 200, 20_000, 100);
  return { host, stop };
}

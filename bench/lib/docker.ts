// A dockerd of the bench's own (no bridge, no iptables, a temporary data root and socket), so no state of the
// machine's docker is used or touched; the docker CLI against it; and what `docker push` says per layer.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerdCommand, unmountUnder } from '../../tools/docker/daemons.js';
import type { BenchContext } from './harness.js';
import { type CommandOptions, type CommandResult, runCommand, startBackground } from './process.js';

export interface Docker {
  /** The CLI binary used (the one packaged with dockerd when there is one). */
  client: string;
  clientVersion: string;
  serverVersion: string;
  run(args: readonly string[], options?: CommandOptions): Promise<CommandResult>;
}

function which(tool: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The docker CLI installed beside dockerd (e.g. /usr/sbin/dockerd -> /usr/bin/docker), else the one on PATH. */
function clientFor(dockerd: string): string {
  const real = realpathSync(dockerd);
  const beside = [join(dirname(dirname(real)), 'bin', 'docker'), join(dirname(real), 'docker')].find(existsSync);
  const client = beside ?? which('docker');
  if (!client) throw new Error('the docker CLI is not installed (apt-get install docker.io)');
  return client;
}

async function waitForDaemon(client: string, env: NodeJS.ProcessEnv, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('dockerd exited');
    if (spawnSync(client, ['version'], { env, stdio: 'ignore' }).status === 0) return;
    await sleep(200);
  }
  throw new Error('dockerd did not answer within 60 s');
}

/** Starts dockerd with a data root of its own; it is stopped and its data root removed at the end of the bench. */
export async function startDockerd(ctx: BenchContext): Promise<Docker> {
  const dockerd = which('dockerd');
  if (!dockerd) throw new Error('dockerd is not installed (apt-get install docker.io)');
  const client = clientFor(dockerd);
  const dir = mkdtempSync(join(tmpdir(), 'bench-dockerd-'));
  const { args, socket } = dockerdCommand(dir);
  const logFile = join(ctx.workDir, 'dockerd.log');
  const proc = startBackground(dockerd, args, logFile);
  ctx.defer(`stop dockerd (pid ${proc.child.pid}) and remove ${dir}`, async () => {
    await proc.stop();
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  // DOCKER_BUILDKIT=0: the classic builder, the one dockerd has without the buildx plugin.
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(dir, 'config') };
  await waitForDaemon(client, env, () => proc.child.exitCode === null);
  const version = (what: string) => execFileSync(client, ['version', '--format', `{{.${what}.Version}}`], { env, encoding: 'utf8' }).trim();
  const docker: Docker = {
    client,
    clientVersion: version('Client'),
    serverVersion: version('Server'),
    run: (a, options = {}) => runCommand(client, a, { timeoutMs: 600_000, ...options, env }),
  };
  ctx.log(`dockerd ${docker.serverVersion} (pid ${proc.child.pid}, log ${logFile}), client ${client} ${docker.clientVersion}`);
  return docker;
}

export interface PushOutcome {
  /** Short layer ids (the first 12 hex digits of the diff id) by what docker did with them. */
  pushed: string[];
  existed: string[];
  /** id -> the repository it was mounted from. */
  mounted: Map<string, string>;
}

/** Parses `docker push` output: "<id>: Pushed", "<id>: Layer already exists", "<id>: Mounted from <repo>". */
export function parsePush(output: string): PushOutcome {
  const outcome: PushOutcome = { pushed: [], existed: [], mounted: new Map() };
  for (const m of output.matchAll(/^([0-9a-f]{12}): (Pushed|Layer already exists|Mounted from (\S+))\s*$/gm)) {
    if (m[2] === 'Pushed') outcome.pushed.push(m[1]!);
    else if (m[3]) outcome.mounted.set(m[1]!, m[3]);
    else outcome.existed.push(m[1]!);
  }
  return outcome;
}

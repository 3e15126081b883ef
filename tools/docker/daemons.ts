// The dockerd and docker-registry that the integration tests and the build-image bench start for themselves, on
// loopback with all their state under a directory of their own: one set of dockerd flags, one registry config,
// one cleanup of what dockerd leaves mounted. Starting, waiting and logging stay with each harness.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DockerdCommand {
  args: string[];
  /** The API socket (DOCKER_HOST is unix://<socket>). */
  socket: string;
}

/**
 * dockerd with no bridge and no iptables (every container runs with host networking, as the cloud's compose
 * specs say), its data, exec root, pidfile and API socket under dir, so no state of the machine's docker is used.
 */
export function dockerdCommand(dir: string): DockerdCommand {
  const socket = join(dir, 'docker.sock');
  const args = [
    '--bridge=none', '--iptables=false', '--ip6tables=false',
    `--data-root=${join(dir, 'data')}`, `--exec-root=${join(dir, 'exec')}`, `--pidfile=${join(dir, 'docker.pid')}`,
    `--host=unix://${socket}`,
  ];
  return { args, socket };
}

/** A docker-registry config: plain HTTP on host ("127.0.0.1:port", which docker pulls from without configuration), blobs under storage. */
export function registryConfig(host: string, storage: string, logLevel: 'warn' | 'error'): string {
  return `version: 0.1\nlog: { level: ${logLevel} }\nstorage: { filesystem: { rootdirectory: ${storage} } }\nhttp: { addr: "${host}" }\n`;
}

/**
 * Unmounts what dockerd left mounted under dir (overlay layers, shm, its network namespace file, which stays
 * mounted after it exits), innermost first and lazily, so dir can be removed.
 */
export function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
}

// The local stack's SHS instances from the image instead of the bundle: each instance is `docker run` of the
// image in the foreground (the supervisor runs it like any program; `docker run` passes SIGTERM on to the
// container, so a stop still drains), with host networking on 127.0.0.1, read-only, as the invoking user (so
// it can read the stack's 0600 password file, mounted read-only at the same path, and the stack's config).
// An image given as an OCI layout (oci:<dir>[:<ref>], what build-image writes) is copied into the Docker engine
// first, with skopeo. The engine is the one DOCKER_HOST names, else the default socket.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import type { ProgramSpec } from './supervisor.js';

const run = promisify(execFile);

/** The label every instance container of one stack carries (its state directory, hashed). */
export function stackLabel(stateDir: string): string {
  return `shs-delivery.stack=${createHash('sha256').update(stateDir).digest('hex').slice(0, 12)}`;
}

async function docker(args: string[]): Promise<string> {
  try {
    return (await run('docker', args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; code?: string; message: string };
    if (e.code === 'ENOENT') throw new Error('docker is not installed: running the instances from an image needs a Docker engine (apt-get install docker.io)');
    throw new Error(`docker ${args[0]}: ${(e.stderr ?? e.message).trim()}`);
  }
}

/**
 * A reference the engine can run: oci:<dir>[:<ref>] is copied in (skopeo, tagged by its manifest digest so the
 * same image is not copied twice); anything else is taken as a Docker reference.
 */
export async function imageForDocker(image: string, progress: (m: string) => void): Promise<string> {
  await docker(['version', '--format', '{{.Server.Version}}']).catch((err: Error) => {
    throw new Error(`no Docker engine answers (${err.message})`);
  });
  if (!image.startsWith('oci:')) return image;
  const layout = image.slice('oci:'.length);
  const { stdout } = await run('skopeo', ['inspect', '--raw', image]).catch((err: Error & { stderr?: string }) => {
    throw new Error(`skopeo inspect ${image}: ${(err.stderr ?? err.message).trim()}`);
  });
  const tag = `shs-delivery-local:${createHash('sha256').update(stdout).digest('hex').slice(0, 12)}`;
  if ((await docker(['images', '-q', tag])).trim()) return tag;
  progress(`image: copying ${layout} into the Docker engine as ${tag}`);
  const host = process.env.DOCKER_HOST;
  await run('skopeo', ['copy', '--quiet', ...(host ? ['--dest-daemon-host', host] : []), image, `docker-daemon:${tag}`], { maxBuffer: 16 * 1024 * 1024 }).catch(
    (err: Error & { stderr?: string }) => {
      throw new Error(`skopeo copy ${image} into the Docker engine: ${(err.stderr ?? err.message).trim()}`);
    },
  );
  return tag;
}

/** Removes this stack's instance containers (left over by a killed `docker run`). */
export async function removeInstanceContainers(stateDir: string): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${stackLabel(stateDir)}`])).split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]);
}

export interface ImageInstance {
  name: string;
  port: number;
  configFile: string;
  /** Files the container reads at the same path (the config and what it names). */
  mounts: string[];
  log: string;
}

/** The supervisor's program for one instance container. */
export function imageInstanceSpec(image: string, stateDir: string, i: ImageInstance): ProgramSpec {
  const user = `${process.getuid?.() ?? 65532}:${process.getgid?.() ?? 65532}`;
  const label = stackLabel(stateDir);
  return {
    name: i.name,
    command: 'docker',
    args: [
      'run', '--rm', '--name', `${label.split('=')[1]}-${i.name}`, '--label', label,
      '--network', 'host', '--read-only', '--tmpfs', '/tmp', '--user', user,
      '-e', `SHS_SERVER_PORT=${i.port}`, '-e', `SHS_SERVER_INSTANCE_ID=${i.name}`,
      ...i.mounts.flatMap((m) => ['-v', `${m}:${m}:ro`]),
      image, 'run_server', '--config', i.configFile,
    ],
    env: {},
    log: i.log,
    health: { url: `http://127.0.0.1:${i.port}/livez`, expect: 'alive' },
  };
}

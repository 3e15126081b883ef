// Cold start of a server to its first healthy answer: as a container (`docker run --network host` of an image
// already pulled, timed from the `docker run` spawn) and as the same program started directly on the host (timed
// from the process spawn). Both poll the health URL every 5 ms from the start.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Docker } from './docker.js';
import { startBackground } from './process.js';

const BOUND_MS = 60_000;

/** Resolves with the time (ms since t0) of the first 200 from url; rejects after BOUND_MS or once failed() says why. */
async function firstOk(url: string, t0: number, failed: () => string | null): Promise<number> {
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.status === 200, () => false);
    if (ok) return performance.now() - t0;
    const why = failed();
    if (why) throw new Error(`${url}: ${why}`);
    if (performance.now() - t0 > BOUND_MS) throw new Error(`${url} did not answer 200 within ${BOUND_MS} ms`);
    await sleep(5);
  }
}

export interface StartTarget {
  /** The health URL: the first 200 there ends the measurement. */
  url: string;
  env: Record<string, string>;
}

/** `docker run -d --rm --network host` of image with env; ms from spawn to the first 200; the container removed after. */
export async function containerColdStart(docker: Docker, image: string, name: string, target: StartTarget): Promise<number> {
  const envArgs = Object.entries(target.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const t0 = performance.now();
  let error: string | null = null;
  const run = docker.run(['run', '-d', '--rm', '--network', 'host', '--name', name, ...envArgs, image]).catch((err: Error) => {
    error = `docker run failed: ${err.message}`;
  });
  try {
    return await firstOk(target.url, t0, () => error);
  } catch (err) {
    const logs = await docker.run(['logs', name], { check: false });
    throw new Error(`${(err as Error).message}\n${logs.stdout}${logs.stderr}`);
  } finally {
    await run;
    await docker.run(['rm', '-f', name], { check: false });
  }
}

/** The program started directly (`file args` with exactly `env`); ms from spawn to the first 200 from url. */
export async function hostColdStart(file: string, args: string[], env: NodeJS.ProcessEnv, url: string, logFile: string): Promise<number> {
  const t0 = performance.now();
  const proc = startBackground(file, args, logFile, env);
  try {
    return await firstOk(url, t0, () => (proc.child.exitCode === null ? null : `exited with ${proc.child.exitCode} (log ${logFile})`));
  } finally {
    await proc.stop();
  }
}

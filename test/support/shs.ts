// Runs the real `shs` CLI (the built bundle) as a child process, as users and the image do.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../stack/src/ports.js';
import { runShs, shsBin, shsEnv, type ShsResult } from '../../stack/src/shs-cli.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHS_BIN = shsBin(ROOT);

export type { ShsResult as CliResult } from '../../stack/src/shs-cli.js';

export function runCli(args: string[], env: Record<string, string> = {}): Promise<ShsResult> {
  return runShs(ROOT, args, env);
}

export interface RunningService {
  url: string;
  port: number;
  process: ChildProcess;
  /** Every line the service wrote to stdout and stderr so far. */
  output(): string;
  logLines(): Record<string, unknown>[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `shs run_server` on a free port and resolves once it listens. */
export async function startService(env: Record<string, string>): Promise<RunningService> {
  const port = await freePort();
  const child = spawn(process.execPath, [SHS_BIN, 'run_server'], {
    env: shsEnv({ SHS_SERVER_HOST: '127.0.0.1', SHS_SERVER_PORT: String(port), SHS_SERVER_INSTANCE_ID: `test-${port}`, ...env }),
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start listening:\n${output}`)), 20_000);
    const check = () => {
      if (output.includes('"msg":"listening"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    output: () => output,
    logLines: () =>
      output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls fn until it returns true or the bound passes (a bound on the test, not a speed assertion). */
export async function eventually(fn: () => Promise<boolean>, boundMs = 15_000, stepMs = 50): Promise<void> {
  const end = Date.now() + boundMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`condition not met within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

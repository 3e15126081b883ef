// Child processes for the benches: one-shot commands (timed, output captured) and long-running servers.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  seconds: number;
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Text written to standard input (then closed). */
  input?: string;
  /** Killed (SIGTERM, then SIGKILL) after this long. Default: 5 minutes. */
  timeoutMs?: number;
  /** Throw when the exit code is not 0 (default true). */
  check?: boolean;
}

function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Runs a command to completion and returns its output and wall time. */
export async function runCommand(file: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const started = performance.now();
  const child = spawn(file, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  if (options.input !== undefined) child.stdin!.end(options.input);
  const timeoutMs = options.timeoutMs ?? 300_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stopChild(child, 5_000);
  }, timeoutMs);
  try {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    const result: CommandResult = {
      code: code ?? 128,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      seconds: (performance.now() - started) / 1000,
    };
    const what = `${file} ${args.join(' ')}`;
    if (timedOut) throw new Error(`${what}: no exit after ${timeoutMs / 1000} s (killed)\n${tail(result.stderr)}`);
    if ((options.check ?? true) && result.code !== 0)
      throw new Error(`${what}: exit ${code ?? signal}\n${tail(result.stderr || result.stdout)}`);
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL if the process is still there after graceMs. Resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

export interface Background {
  child: ChildProcess;
  /** Where its stdout and stderr go. */
  logFile: string;
  stop(): Promise<void>;
}

/** Starts a long-running process with its output appended to logFile. */
export function startBackground(file: string, args: readonly string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Background {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.on('error', (err) => log.write(`${file}: ${err.message}\n`));
  child.on('close', () => log.end());
  return { child, logFile, stop: () => stopChild(child) };
}

// The `shs` CLI (bin/shs.mjs, the built bundle) as a child process, as users and the image run it. The
// caller's SHS_* variables are left out (the service refuses unknown ones, and they would leak config).
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export function shsBin(root: string): string {
  return join(root, 'bin', 'shs.mjs');
}

/** This process's environment without any SHS_* variable, plus `extra`. */
export function shsEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SHS_') && v !== undefined) env[k] = v;
  return { ...env, ...extra };
}

export interface ShsResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `shs <args>` to completion. `terminal`: the command gets this process's stdin and stderr (to ask there, as
 * `prepare_db --force` does on a terminal); its stderr is then not captured. `signal`: once aborted, the command
 * is sent SIGTERM and the promise rejects with the signal's reason.
 */
export function runShs(
  root: string,
  args: string[],
  extraEnv: Record<string, string> = {},
  options: { terminal?: boolean; signal?: AbortSignal } = {},
): Promise<ShsResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [shsBin(root), ...args], {
      env: shsEnv(extraEnv),
      stdio: options.terminal ? ['inherit', 'pipe', 'inherit'] : ['ignore', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('error', (err) => reject(options.signal?.aborted ? options.signal.reason : err));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

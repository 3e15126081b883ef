// Runs a committed action bundle (dist/index.cjs) the way a runner does: inputs as INPUT_<NAME> variables,
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, a bare environment. Asynchronous, so fakes served by the test
// process keep answering while the bundle runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ActionRun {
  status: number | null;
  /** stdout (workflow commands such as ::error:: and ::add-mask:: land here). */
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** GITHUB_OUTPUT as @actions/core writes it: name<<delimiter, the value's lines, delimiter. */
export function parseGithubOutput(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([\w-]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const end = lines.indexOf(m[2]!, i + 1);
    outputs[m[1]!] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return outputs;
}

export async function runActionBundle(bundle: string, inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'action-run-'));
  try {
    const output = join(dir, 'output');
    const summary = join(dir, 'summary');
    writeFileSync(output, '');
    writeFileSync(summary, '');
    const inputEnv = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
    const child = spawn(process.execPath, [bundle], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, RUNNER_TEMP: dir, RUNNER_TOOL_CACHE: join(dir, 'tools'), GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, ...inputEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { status, stdout, stderr, outputs: parseGithubOutput(readFileSync(output, 'utf8')), summary: readFileSync(summary, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

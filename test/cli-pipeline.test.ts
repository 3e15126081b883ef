// The `pipeline` CLI as a user meets it: --version, one command's help, usage errors as one line naming the flag
// (exit 2) with a pointer to that command's --help, failures exit 1, and a smoke target it cannot reach named
// for what it is. Also `shs --version`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../stack/src/ports.js';
import { ROOT } from './support/shs.js';

const tmp = mkdtempSync(join(tmpdir(), 'cli-pipeline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(bin: 'pipeline' | 'shs', args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', `${bin}.mjs`), ...args], {
      cwd: tmp,
      env: { PATH: process.env.PATH ?? '', HOME: tmp, PIPELINE_STATE_DIR: join(tmp, 'state'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const pipeline = (args: string[], env: Record<string, string> = {}) => run('pipeline', args, env);

/** A usage error: exit 2, the message on one line, then the pointer to the command's help; nothing else. */
function expectUsageError(r: Run, command: string, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(2);
  expect(lines[0]).toMatch(new RegExp(`^pipeline${command ? ` ${command}` : ''}: `));
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toBe(`Run "pipeline${command ? ` ${command}` : ''} --help" for its usage.`);
  expect(r.stdout).toBe('');
}

describe('pipeline', () => {
  it('--version prints the version and revision; shs --version too', async () => {
    const v = await pipeline(['--version']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^pipeline \d+\.\d+\.\d+ \([\w-]+\)\n$/);
    const s = await run('shs', ['--version']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/^shs \d+\.\d+\.\d+ \([\w-]+\)\n$/);
  });

  it('<command> --help shows only that command\'s help', async () => {
    const smoke = await pipeline(['smoke', '--help']);
    expect(smoke.code).toBe(0);
    expect(smoke.stdout).toMatch(/^Usage: pipeline smoke --target <url>/);
    expect(smoke.stdout).toContain('--thresholds <file>');
    expect(smoke.stdout).not.toContain('build-image');
    expect(smoke.stdout).not.toContain('Commands:');
    const status = await pipeline(['status', '-h']);
    expect(status.stdout).toMatch(/^Usage: pipeline status/);
    expect(status.stdout).not.toContain('--scale');
    const viaHelp = await pipeline(['help', 'deploy']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toMatch(/^Usage: pipeline deploy /);
    expect(viaHelp.stdout).not.toContain('smoke');
    const all = await pipeline(['--help']);
    expect(all.stdout).toContain('Commands:');
  });

  it('usage errors: one line naming the flag and the problem, a pointer to --help, exit 2', async () => {
    const target = ['--target', 'http://127.0.0.1:9'];
    expectUsageError(await pipeline(['smoke', ...target, '--timeout', '-5']), 'smoke', /--timeout: expected an integer from 100 to 120000, got "-5"/);
    expectUsageError(await pipeline(['smoke', ...target, '--timeout', '200000']), 'smoke', /--timeout: expected an integer from 100 to 120000/);
    expectUsageError(await pipeline(['smoke', ...target, '--environment', 'not a name']), 'smoke', /--environment: 1-64 of letters/);
    expectUsageError(await pipeline(['smoke', '--targt', 'x']), 'smoke', /unknown option --targt/);
    expectUsageError(await pipeline(['smoke', '--target']), 'smoke', /--target: needs a value/);
    expectUsageError(await pipeline(['smoke']), 'smoke', /--target: required/);
    expectUsageError(await pipeline(['up', '--port', '-1']), 'up', /--port: .*got "-1"/);
    expectUsageError(await pipeline(['up', '--scale', '-0.5']), 'up', /--scale: .*got "-0\.5"/);
    expectUsageError(await pipeline(['frobnicate']), '', /unknown command "frobnicate"/);
  });

  it('missing files name their flag', async () => {
    const target = ['--target', 'http://127.0.0.1:9'];
    const missing = join(tmp, 'missing');
    for (const flag of ['--thresholds', '--baseline', '--ca-file', '--slo'])
      expectUsageError(await pipeline(['smoke', ...target, flag, missing]), 'smoke', new RegExp(`${flag}: cannot read ${missing}: ENOENT`));
    expectUsageError(await pipeline(['build-image', '--output', `oci:${join(tmp, 'out')}`, '--ca-file', missing]), 'build-image', new RegExp(`--ca-file: cannot read ${missing}: ENOENT`));
    expectUsageError(await pipeline(['up', '--slo', missing]), 'up', new RegExp(`--slo: cannot read ${missing}: ENOENT`));
  });

  it('malformed references and thresholds name their flag', async () => {
    expectUsageError(await pipeline(['build-image', '--push', 'Not A/Reference']), 'build-image', /^pipeline build-image: --push: /);
    expectUsageError(await pipeline(['build-image', '--output', 'tar:/x']), 'build-image', /^pipeline build-image: --output: /);
    expectUsageError(await pipeline(['deploy', '--image', 'shs:latest', '--tool-binary', '/bin/true']), 'deploy', /^pipeline deploy: --image: /);
    const thresholds = join(tmp, 'thresholds.txt');
    writeFileSync(thresholds, 'http_req_duration{status:200}: p(95)<1\n');
    expectUsageError(await pipeline(['smoke', '--target', 'http://127.0.0.1:9', '--thresholds', thresholds]), 'smoke', /--thresholds: thresholds line 1: tag "status" is not supported/);
  });

  it('smoke against a target it cannot reach says why first, and exits 1', async () => {
    const port = await freePort();
    const r = await pipeline(['smoke', '--target', `http://127.0.0.1:${port}`, '--profile', 'none']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`pipeline smoke: cannot reach http://127.0.0.1:${port}: connection refused (nothing listens there)`);
    expect(r.stderr + r.stdout).not.toMatch(/no movies found/);
  });

  it('a failure exits 1: status without a running stack', async () => {
    const r = await pipeline(['status'], { PIPELINE_STATE_DIR: join(tmp, 'no-stack') });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no stack has been started here');
  });
});

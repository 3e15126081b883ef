// The committed deploy bundle run the way a runner runs it (INPUT_* variables, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY):
// the cloud target against the provider-free fixture with a real OpenTofu, a failure that still sets every
// output and writes the summary, and the local target bringing up the real local stack.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { down } from '../../stack/src/local.js';
import { runActionBundle } from '../support/action-runner.js';
import { ROOT } from '../support/shs.js';
import { fixtureCopy, image } from './support.js';
import { opentofuBinary } from '../../tools/opentofu/binary.js';

const BUNDLE = join(ROOT, 'actions', 'deploy', 'dist', 'index.cjs');
const OUTPUTS = ['url', 'https-url', 'ca-file', 'image', 'digest', 'changed', 'plan', 'plan-file', 'group-ids', 'console-url', 'failure-reason', 'lock-info', 'tool-version', 'comment-url'];
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

const runAction = (inputs: Record<string, string>, env: Record<string, string> = {}) => runActionBundle(BUNDLE, inputs, env);

describe('the deploy action bundle', () => {
  it('yandex target: applies the configuration, sets the outputs, masks sensitive outputs, writes the summary', async () => {
    const workspace = fixtureCopy();
    cleanup.push(() => rmSync(workspace, { recursive: true, force: true }));
    const r = await runAction(
      { image: image('d'), 'working-directory': '.', 'tool-binary': opentofuBinary(), variables: 'replicas=3', 'yc-folder-id': 'b1gfolder' },
      { GITHUB_WORKSPACE: workspace },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(Object.keys(r.outputs).sort()).toEqual([...OUTPUTS].sort());
    expect(r.outputs).toMatchObject({ url: 'http://127.0.0.1:8080', digest: `sha256:${'d'.repeat(64)}`, changed: 'true', 'failure-reason': '', 'tool-version': '1.10.6' });
    // yc-folder-id is the deprecated name of folder-id: still read, with a warning.
    expect(r.stdout).toMatch(/::warning::input "yc-folder-id" is deprecated: use "folder-id"/);
    expect(JSON.parse(r.outputs.plan!)).toEqual({ add: 3, change: 0, destroy: 0, replace: 0 });
    expect(r.stdout).toContain('::group::Plan');
    expect(r.stdout).toContain('::add-mask::fixture-secret-3');
    expect(r.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain('fixture-secret-3');
    expect(r.summary).toContain('## deploy (yandex): deployed');
    expect(r.summary).toContain('`terraform_data.app[2]` | + create');
  });

  it('plan-only on a pull request: the plan kept for a later job and posted as one sticky comment, updated on the next run', async () => {
    const workspace = fixtureCopy();
    cleanup.push(() => rmSync(workspace, { recursive: true, force: true }));
    const comments: { id: number; body: string; user: { login: string }; html_url: string }[] = [];
    const requests: string[] = [];
    const github = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d));
      req.on('end', () => {
        requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
        res.setHeader('content-type', 'application/json');
        if (req.method === 'GET' && req.url?.startsWith('/repos/o/r/issues/7/comments')) return res.end(JSON.stringify(comments));
        if (req.method === 'POST' && req.url === '/repos/o/r/issues/7/comments') {
          const c = { id: comments.length + 1, body: (JSON.parse(body) as { body: string }).body, user: { login: 'github-actions[bot]' }, html_url: `https://github.example/o/r/pull/7#c${comments.length + 1}` };
          comments.push(c);
          return res.writeHead(201).end(JSON.stringify(c));
        }
        const patch = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(req.url ?? '');
        if (req.method === 'PATCH' && patch) {
          const c = comments.find((x) => x.id === Number(patch[1]))!;
          c.body = (JSON.parse(body) as { body: string }).body;
          return res.end(JSON.stringify(c));
        }
        res.writeHead(404).end('{"message":"Not Found"}');
      });
    });
    await new Promise<void>((r) => github.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => github.close(() => r())));
    const event = join(workspace, 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { number: 7, head: { repo: { full_name: 'o/r' } } } }));
    const env = { GITHUB_WORKSPACE: workspace, GITHUB_EVENT_PATH: event, GITHUB_REPOSITORY: 'o/r', GITHUB_API_URL: `http://127.0.0.1:${(github.address() as AddressInfo).port}` };
    const inputs = { image: image('d'), 'working-directory': '.', 'tool-binary': opentofuBinary(), 'plan-only': 'true', 'plan-out': 'out/tfplan', lock: 'false', comment: 'true', 'github-token': 'gh-token-x', variables: 'replicas=2' };

    const first = await runAction(inputs, env);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.outputs).toMatchObject({ changed: 'true', 'plan-file': join(workspace, 'out', 'tfplan'), 'comment-url': 'https://github.example/o/r/pull/7#c1' });
    expect(existsSync(join(workspace, 'out', 'tfplan'))).toBe(true);
    expect(first.summary).toContain('## deploy (yandex): planned');
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body.startsWith('<!-- shs-deploy-plan:.:default -->\n## deploy (yandex): planned')).toBe(true);
    expect(comments[0]!.body).toContain('`terraform_data.app[1]` | + create');
    expect(requests.every((r) => r.endsWith('Bearer gh-token-x'))).toBe(true);
    expect(first.stdout).toContain('::add-mask::gh-token-x');

    const second = await runAction({ ...inputs, variables: 'replicas=3' }, env);
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('`terraform_data.app[2]` | + create');
    expect(requests.filter((r) => r.startsWith('PATCH'))).toHaveLength(1);
  });

  it('a failure still sets every output and writes a summary that says why', async () => {
    const r = await runAction({ image: 'cr.yandex/x/shs:latest', 'tool-binary': '/nonexistent' }, { GITHUB_WORKSPACE: tmpdir() });
    expect(r.status).toBe(1);
    expect(Object.keys(r.outputs).sort()).toEqual([...OUTPUTS].sort());
    expect(r.outputs['failure-reason']).toBe('input');
    expect(r.stdout).toMatch(/::error::input: image must be a reference by digest/);
    expect(r.summary).toContain('failed: input');
  });

  it('local target: brings up the real local stack and reports its entry points', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'deploy-local-'));
    chmodSync(stateDir, 0o755); // as root, PostgreSQL runs as an unprivileged user that must reach its directory
    cleanup.push(async () => {
      await down({ stateDir, progress: () => {} });
      rmSync(stateDir, { recursive: true, force: true });
    });
    const r = await runAction(
      { target: 'local', image: image('e'), 'local-http-port': '0', 'local-https-port': '0', 'local-scale': '0.001' },
      { GITHUB_WORKSPACE: ROOT, PIPELINE_STATE_DIR: stateDir, PIPELINE_PG_BINDIR: process.env.PIPELINE_PG_BINDIR ?? '' },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.outputs.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(r.outputs['https-url']).toMatch(/^https:\/\/localhost:\d+$/);
    expect(r.outputs['ca-file']).toBe(join(stateDir, 'proxy', 'tls', 'cert.pem'));
    expect(r.outputs.digest).toBe(`sha256:${'e'.repeat(64)}`);
    const ping = await fetch(`${r.outputs.url}/ping`);
    expect(ping.status).toBe(200);
    expect(r.summary).toContain('## deploy (local): deployed');
  }, 180_000);
});

describe('pipeline deploy', () => {
  const CLI = join(ROOT, 'bin', 'pipeline.mjs');
  const cli = (args: string[], cwd: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'deploy', ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('deploys the fixture, then finds nothing to change; refuses bad flags with usage', async () => {
    const dir = fixtureCopy();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const args = ['--dir', '.', '--tool-binary', opentofuBinary(), '--image', image('f'), '--var', 'replicas=1'];
    const first = await cli(args, dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('plan: 1 to add, 0 to change, 0 to destroy, 0 to replace');
    expect(first.stdout).toMatch(/deploy OK \(applied/);
    expect(first.stderr).toContain('== Plan');
    const second = await cli([...args, '--json'], dir);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ changed: false, applied: false, url: 'http://127.0.0.1:8080' });
    const bad = await cli(['--image', 'shs:latest', '--lock-timeout', 'soon'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^pipeline deploy: --image: must be a reference by digest/);
    expect(bad.stderr).toContain('Run "pipeline deploy --help" for its usage.');
    expect(bad.stderr).not.toContain('Commands:');
    const badTimeout = await cli(['--image', image('f'), '--lock-timeout', 'soon'], dir);
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toMatch(/^pipeline deploy: --lock-timeout: expected a duration/);
  });
});

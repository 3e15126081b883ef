// The build-image and smoke bundles (actions/*/dist/index.cjs) run through successful runs as a runner runs
// them: INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, a bare environment. build-image writes
// an OCI layout and pushes to a docker-registry of the test's own on loopback; smoke runs against the fake SHS.
// The outputs (every one action.yml declares) and the job summaries are checked, not only input validation.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../stack/src/ports.js';
import { runActionBundle } from './support/action-runner.js';
import { startFake, type FakeShs } from './support/fake-shs.js';
import { eventually, ROOT } from './support/shs.js';

const tmp = mkdtempSync(join(tmpdir(), 'actions-bundles-'));
const declared = (action: string) => Object.keys((parseYaml(readFileSync(join(ROOT, 'actions', action, 'action.yml'), 'utf8')) as { outputs: Record<string, unknown> }).outputs).sort();
const bundle = (action: string) => join(ROOT, 'actions', action, 'dist', 'index.cjs');

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the build-image bundle', () => {
  let registry: ChildProcess | undefined;
  let host = '';
  const hasRegistry = spawnSync('sh', ['-c', 'command -v docker-registry']).status === 0;

  beforeAll(async () => {
    if (!hasRegistry) throw new Error('these tests need docker-registry (./dev test installs it: apt-get install docker-registry)');
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    const config = join(tmp, 'registry.yml');
    writeFileSync(config, ['version: 0.1', 'log: { level: error }', `storage: { filesystem: { rootdirectory: ${join(tmp, 'registry-data')} } }`, `http: { addr: "${host}" }`, ''].join('\n'));
    registry = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
    await eventually(async () => (await fetch(`http://${host}/v2/`).catch(() => null))?.status === 200, 20_000, 100);
  }, 60_000);

  afterAll(async () => {
    if (registry && registry.exitCode === null) {
      const exited = new Promise((r) => registry!.once('exit', r));
      registry.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
  });

  it('builds a spec into an OCI layout and pushes it: every output, failure-reason empty, and the summary', async () => {
    const workspace = join(tmp, 'workspace');
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, 'hello.txt'), 'hello from the workspace\n');
    const spec = {
      title: 'tiny',
      mediaTypes: 'oci',
      layers: [{ name: 'files', entries: [{ path: '/hello.txt', source: 'hello.txt', mode: '0644' }, { path: '/etc/motd', content: 'tiny\n', mode: '0644' }] }],
      config: { cmd: ['/hello.txt'] },
    };
    writeFileSync(join(workspace, 'image.json'), JSON.stringify(spec));
    const layout = join(tmp, 'layout');
    const r = await runActionBundle(
      bundle('build-image'),
      {
        spec: join(workspace, 'image.json'),
        output: `oci:${layout}`,
        push: `${host}/bundle/tiny:t1`,
        'plain-http': 'true',
        'source-date-epoch': '1767225600',
        revision: '0123456789abcdef0123456789abcdef01234567',
        source: 'https://example.test/shs-delivery',
      },
      { GITHUB_WORKSPACE: workspace },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(Object.keys(r.outputs).sort()).toEqual(declared('build-image'));
    const digest = r.outputs.digest!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.outputs).toMatchObject({ image: `${host}/bundle/tiny@${digest}`, tags: `${host}/bundle/tiny:t1`, 'failure-reason': '' });
    const metadata = JSON.parse(r.outputs.metadata!) as { digest: string; layers: { name: string }[]; push: { blobsUploaded: number }; labels: Record<string, string> };
    expect(metadata).toMatchObject({ digest, layers: [{ name: 'files' }], push: { blobsUploaded: 2 } });
    expect(metadata.labels['org.opencontainers.image.revision']).toBe('0123456789abcdef0123456789abcdef01234567');
    // The layout on disk and the registry hold that very manifest.
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([digest]);
    const manifest = await fetch(`http://${host}/v2/bundle/tiny/manifests/t1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(manifest.headers.get('docker-content-digest')).toBe(digest);
    // The job summary says what was built and where it went.
    expect(r.summary).toContain('## build-image: tiny');
    expect(r.summary).toContain(`| image | \`${host}/bundle/tiny@${digest}\` |`);
    expect(r.summary).toContain(`| output | \`oci:${layout}\` |`);
    expect(r.summary).toMatch(/\| files \| `sha256:[0-9a-f]{12}…` \| .* \| uploaded \|/);
    expect(r.stdout).toContain('::group::Build tiny');
  });

  it('a push that fails: failure-reason push-failed, what was built still in the outputs and the summary', async () => {
    const workspace = join(tmp, 'workspace');
    const closed = await freePort();
    const r = await runActionBundle(bundle('build-image'), { spec: join(workspace, 'image.json'), push: `127.0.0.1:${closed}/bundle/tiny:t2`, 'plain-http': 'true', 'source-date-epoch': '1767225600' }, { GITHUB_WORKSPACE: workspace });
    expect(r.status).toBe(1);
    expect(Object.keys(r.outputs).sort()).toEqual(declared('build-image'));
    expect(r.outputs['failure-reason']).toBe('push-failed');
    expect(r.outputs.digest).toMatch(/^sha256:/);
    expect(r.outputs.image).toBe('');
    expect(r.summary).toContain('## build-image: failed');
  });
});

describe('the smoke bundle', () => {
  let fake: FakeShs;
  beforeAll(async () => {
    fake = await startFake();
  });
  afterAll(async () => fake?.close());

  it('passes against the fake SHS under a short load: every output, the result file, the summary', async () => {
    const resultFile = join(tmp, 'smoke-result.json');
    const r = await runActionBundle(bundle('smoke'), {
      target: fake.url,
      profile: '10@1s',
      thresholds: 'http_req_failed: rate<0.5\nhttp_req_duration: p(99.9)<5000, min>0\nhttp_reqs: count>=5',
      environment: 'bundle',
      comment: 'false',
      'result-file': resultFile,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(Object.keys(r.outputs).sort()).toEqual(declared('smoke'));
    expect(r.outputs).toMatchObject({ verdict: 'pass', 'failure-reason': '', 'result-file': resultFile, 'comment-url': '' });
    expect(Number(r.outputs['p90-ms'])).toBeGreaterThan(0);
    expect(Number(r.outputs['p99-ms'])).toBeGreaterThanOrEqual(Number(r.outputs['p90-ms']));
    const result = JSON.parse(readFileSync(resultFile, 'utf8')) as { verdict: string; thresholds: { source: string; ok: boolean }[]; load: { overall: { percentiles?: Record<string, number> } } };
    expect(result.verdict).toBe('pass');
    expect(result.thresholds.map((t) => [t.source, t.ok])).toEqual([
      ['http_req_failed: rate<0.5', true],
      ['http_req_duration: p(99.9)<5000', true],
      ['http_req_duration: min>0', true],
      ['http_reqs: count>=5', true],
    ]);
    expect(result.load.overall.percentiles?.['99.9']).toBeGreaterThan(0);
    expect(r.summary.startsWith('## ✅ SHS smoke: PASS on bundle')).toBe(true);
    expect(r.summary).toContain('http_req_duration: p(99.9)<5000');
    expect(r.stdout).toContain('::group::Checks');
  });

  it('a target it cannot reach: failure-reason unreachable, the reason in the error and the summary', async () => {
    const port = await freePort();
    const r = await runActionBundle(bundle('smoke'), { target: `http://127.0.0.1:${port}`, profile: 'none', comment: 'false', 'result-file': join(tmp, 'unreachable.json') });
    expect(r.status).toBe(1);
    expect(Object.keys(r.outputs).sort()).toEqual(declared('smoke'));
    expect(r.outputs).toMatchObject({ verdict: 'fail', 'failure-reason': 'unreachable' });
    expect(r.stdout).toContain(`::error::unreachable: http://127.0.0.1:${port}: connection refused`);
    expect(r.summary).toContain('connection refused');
  });
});

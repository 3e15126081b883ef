// The deploy core with a real OpenTofu (built from the Go module proxy) on a provider-free configuration:
// plan, summary, apply of the saved plan, outputs, sensitive outputs masked, no-change runs, a held state
// lock, rollout watching against a local Compute API stand-in, and the tool install from a local mirror.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DirectoryToolCache } from '../../actions/deploy/src/directory-cache.js';
import { DeployError, deployCloud, emptyReport, type CloudDeployOptions } from '../../actions/deploy/src/deploy.js';
import { DEFAULT_VERSIONS, PINNED_SHA256, installTool, toolRelease } from '../../actions/deploy/src/install.js';
import { eventually } from '../support/shs.js';
import { fixtureCopy, image } from './support.js';
import { opentofuBinary } from '../../tools/opentofu/binary.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
const servers: Server[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function workdir(): string {
  const d = fixtureCopy();
  dirs.push(d);
  return d;
}

function options(dir: string, extra: Partial<CloudDeployOptions> = {}): CloudDeployOptions & { lines: string[]; masked: string[] } {
  const lines: string[] = [];
  const masked: string[] = [];
  return {
    image: image('a'),
    workingDirectory: dir,
    tool: { tool: 'tofu', version: '1.10.6', binary: opentofuBinary(), cache: new DirectoryToolCache(join(dir, 'cache')) },
    backendConfig: [],
    variables: {},
    varFiles: [],
    lockTimeout: '1s',
    planOnly: false,
    env: {},
    rolloutTimeoutMs: 60_000,
    log: (l) => lines.push(l),
    phase: (_name, fn) => fn(),
    mask: (s) => masked.push(s),
    lines,
    masked,
    ...extra,
  };
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('deploy with a real OpenTofu', () => {
  it('plans, applies the saved plan, reads outputs and masks the sensitive ones; a second run changes nothing', async () => {
    const dir = workdir();
    const first = await deployCloud(options(dir), emptyReport('yandex', image('a')));
    expect(first.tool?.version).toBe('1.10.6');
    expect(first.changed).toBe(true);
    expect(first.applied).toBe(true);
    expect(first.plan).toMatchObject({ add: 2, change: 0, destroy: 0, replace: 0 });
    expect(first.plan?.resources.map((r) => r.address)).toEqual(['terraform_data.app[0]', 'terraform_data.app[1]']);
    expect(first.url).toBe('http://127.0.0.1:8080');
    expect(first.digest).toBe(`sha256:${'a'.repeat(64)}`);
    const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')) as { outputs: Record<string, { value: unknown }> };
    expect(state.outputs.image?.value).toBe(image('a'));

    const o = options(dir);
    const second = await deployCloud(o, emptyReport('yandex', image('a')));
    expect(second.changed).toBe(false);
    expect(second.applied).toBe(false);
    expect(second.plan?.resources).toEqual([]);
    expect(o.masked).toContain('fixture-secret-2');
    expect(o.lines.join('\n')).not.toContain('fixture-secret-2');
  });

  it('a new digest updates in place; plan-only stops before apply', async () => {
    const dir = workdir();
    await deployCloud(options(dir), emptyReport('yandex', image('a')));
    const planned = await deployCloud(options(dir, { image: image('b'), planOnly: true }), emptyReport('yandex', image('b')));
    expect(planned.plan).toMatchObject({ add: 0, change: 2, destroy: 0 });
    expect(planned.applied).toBe(false);
    const state = () => (JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')) as { outputs: Record<string, { value: unknown }> }).outputs.image?.value;
    expect(state()).toBe(image('a'));
    const applied = await deployCloud(options(dir, { image: image('b') }), emptyReport('yandex', image('b')));
    expect(applied.applied).toBe(true);
    expect(state()).toBe(image('b'));
  });

  it('plan in one run, apply of exactly that saved plan in another; a stale or foreign plan is refused', async () => {
    const dir = workdir();
    await deployCloud(options(dir), emptyReport('yandex', image('a')));
    const planOut = join(dir, 'artifact', 'tfplan');
    const planned = await deployCloud(options(dir, { image: image('b'), planOnly: true, planOut, lock: false }), emptyReport('yandex', image('b')));
    expect(planned).toMatchObject({ planOnly: true, changed: true, applied: false, planFile: planOut });
    expect(existsSync(planOut)).toBe(true);
    // The apply job names no image (the plan carries it) and reads the same changes back from the plan.
    const applied = await deployCloud(options(dir, { image: '', applyPlan: planOut }), emptyReport('yandex', ''));
    expect(applied).toMatchObject({ applied: true, image: image('b'), digest: `sha256:${'b'.repeat(64)}`, planFile: planOut });
    expect(applied.plan).toMatchObject({ add: 0, change: 2, destroy: 0 });
    // Applied once, the plan is stale: OpenTofu refuses it, and so a plan approved against an older state.
    const again = (await deployCloud(options(dir, { image: '', applyPlan: planOut }), emptyReport('yandex', '')).catch((e: unknown) => e)) as DeployError;
    expect(again.reason).toBe('apply-failed');
    expect(again.message).toMatch(/stale/i);
    // An image input that is not the plan's is refused before anything is applied.
    const other = await deployCloud(options(dir, { image: image('c'), planOnly: true, planOut }), emptyReport('yandex', image('c')));
    expect(other.planFile).toBe(planOut);
    await expect(deployCloud(options(dir, { image: image('d'), applyPlan: planOut }), emptyReport('yandex', image('d')))).rejects.toMatchObject({
      reason: 'input',
      message: expect.stringContaining(`deploys ${image('c')}, not the image input ${image('d')}`),
    });
    await expect(deployCloud(options(dir, { image: '', applyPlan: join(dir, 'nope') }), emptyReport('yandex', ''))).rejects.toMatchObject({ reason: 'input', message: expect.stringContaining('does not exist') });
  });

  it('refuses an image that is not referenced by digest, before running anything', async () => {
    const dir = workdir();
    await expect(deployCloud(options(dir, { image: 'cr.yandex/x/shs:latest' }), emptyReport('yandex', ''))).rejects.toMatchObject({ reason: 'input' });
    expect(existsSync(join(dir, '.terraform'))).toBe(false);
  });

  it('refuses a working directory without configuration, naming it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'deploy-empty-'));
    dirs.push(empty);
    await expect(deployCloud(options(empty), emptyReport('yandex', image('a')))).rejects.toMatchObject({ reason: 'input', message: expect.stringContaining('holds no terraform configuration') });
    await expect(deployCloud(options(join(empty, 'missing')), emptyReport('yandex', image('a')))).rejects.toThrow(/does not exist/);
  });

  it('a plan error is plan-failed with terraform\'s own message', async () => {
    const dir = workdir();
    const err = (await deployCloud(options(dir, { variables: { replicas: 'many' } }), emptyReport('yandex', image('a'))).catch((e: unknown) => e)) as DeployError;
    expect(err).toBeInstanceOf(DeployError);
    expect(err.reason).toBe('plan-failed');
    expect(err.message).toMatch(/replicas|number/i);
  });

  it('a held state lock fails with state-locked and the holder\'s lock info', async () => {
    const dir = workdir();
    await deployCloud(options(dir), emptyReport('yandex', image('a')));
    const holder = spawn(opentofuBinary(), ['apply', '-auto-approve', '-input=false', '-no-color', `-var=image=${image('a')}`, '-var=hold_seconds=60'], { cwd: dir, stdio: 'ignore' });
    children.push(holder);
    await eventually(async () => existsSync(join(dir, '.terraform.tfstate.lock.info')), 30_000, 100);
    const err = (await deployCloud(options(dir, { image: image('c') }), emptyReport('yandex', image('c'))).catch((e: unknown) => e)) as DeployError;
    expect(err).toBeInstanceOf(DeployError);
    expect(err.reason).toBe('state-locked');
    expect(err.lockInfo?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(err.lockInfo?.operation).toBe('OperationTypeApply');
    expect(err.lockInfo?.who).toContain('@');
    expect(err.message).toContain(err.lockInfo!.id);
    holder.kill('SIGKILL');
  });

  it('waits for the rollout of the groups the configuration outputs, polling the Compute API', async () => {
    const dir = workdir();
    let polls = 0;
    const auth: string[] = [];
    const api = await listen((req, res) => {
      auth.push(req.headers.authorization ?? '');
      res.setHeader('content-type', 'application/json');
      const rolled = polls >= 3;
      if (req.url?.startsWith('/instanceGroups/grp-app/instances')) {
        polls++;
        res.end(JSON.stringify({ instances: [{ id: 'i1', name: 'app-1', status: rolled ? 'RUNNING_ACTUAL' : 'RUNNING_OUTDATED' }, { id: 'i2', name: 'app-2', status: 'RUNNING_ACTUAL' }] }));
      } else if (req.url === '/instanceGroups/grp-app') {
        const state = rolled ? { runningActualCount: '2' } : { runningActualCount: '1', runningOutdatedCount: '1' };
        res.end(JSON.stringify({ id: 'grp-app', name: 'shs-app', status: 'ACTIVE', managedInstancesState: { targetSize: '2', ...state } }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    const o = options(dir, { variables: { group_ids: '{app="grp-app"}' }, computeApi: api, token: async () => 'iam-token-x', rolloutIntervalMs: 20, rolloutTimeoutMs: 20_000 });
    const report = await deployCloud(o, emptyReport('yandex', image('a')));
    expect(report.groupIds).toEqual({ app: 'grp-app' });
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(report.rollout[0]).toMatchObject({ id: 'grp-app', done: true, actual: 2, targetSize: 2 });
    expect(new Set(auth)).toEqual(new Set(['Bearer iam-token-x']));

    const noToken = options(dir, { variables: { group_ids: '{app="grp-app"}' }, computeApi: api });
    await expect(deployCloud(noToken, emptyReport('yandex', image('a')))).rejects.toThrow(/credentials/);
  });
});

describe('installing the tool from a mirror', () => {
  const script = '#!/bin/sh\necho "OpenTofu v9.9.9"\n';
  const zip = zipSync({ tofu: new TextEncoder().encode(script), 'LICENSE': new TextEncoder().encode('MPL') });
  const sha = createHash('sha256').update(zip).digest('hex');

  async function mirror(sums: string, hits: string[], failFirst = 0): Promise<string> {
    let failures = 0;
    return listen((req, res) => {
      hits.push(req.url ?? '');
      if (failures < failFirst) {
        failures++;
        res.statusCode = 503;
        return res.end();
      }
      if (req.url === '/v9.9.9/tofu_9.9.9_SHA256SUMS') return res.end(sums);
      if (req.url === '/v9.9.9/tofu_9.9.9_linux_amd64.zip') return res.end(zip);
      res.statusCode = 404;
      res.end();
    });
  }

  it('a version with no pin: downloads, checks SHA256SUMS, says it is not pinned, caches; the second install downloads nothing', async () => {
    const hits: string[] = [];
    const base = await mirror(`${'0'.repeat(64)}  tofu_9.9.9_darwin_arm64.zip\n${sha}  tofu_9.9.9_linux_amd64.zip\n`, hits, 1);
    const cacheDir = mkdtempSync(join(tmpdir(), 'tool-cache-'));
    dirs.push(cacheDir);
    const cache = new DirectoryToolCache(cacheDir);
    const release = toolRelease('tofu', '9.9.9', base, 'linux', 'x64');
    const lines: string[] = [];
    const first = await installTool({ release, cache, retrySleep: async () => {}, log: (l) => lines.push(l) });
    expect(first).toMatchObject({ fromCache: false, sha256: sha });
    expect(lines.join('\n')).toMatch(/warning: tofu 9\.9\.9 linux_amd64 is not pinned .*checked only against .*tofu_9\.9\.9_SHA256SUMS/);
    expect(spawnSync(first.path, [], { encoding: 'utf8' }).stdout.trim()).toBe('OpenTofu v9.9.9');
    expect(hits.filter((h) => h.endsWith('.zip'))).toHaveLength(1);
    const before = hits.length;
    const second = await installTool({ release, cache });
    expect(second).toMatchObject({ fromCache: true, path: first.path });
    expect(hits.length).toBe(before);
  });

  it('refuses an archive whose checksum differs, and caches nothing', async () => {
    const hits: string[] = [];
    const base = await mirror(`${'f'.repeat(64)}  tofu_9.9.9_linux_amd64.zip\n`, hits);
    const cacheDir = mkdtempSync(join(tmpdir(), 'tool-cache-'));
    dirs.push(cacheDir);
    const cache = new DirectoryToolCache(cacheDir);
    await expect(installTool({ release: toolRelease('tofu', '9.9.9', base, 'linux', 'x64'), cache })).rejects.toThrow(/checksum mismatch.*refusing/);
    expect(cache.find('tofu', '9.9.9', 'amd64')).toBeUndefined();
  });

  it('the default version is checked against the SHA-256 pinned in the code: a SHA256SUMS beside a tampered archive does not vouch for it', async () => {
    const version = DEFAULT_VERSIONS.tofu;
    const hits: string[] = [];
    const base = await listen((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === `/v${version}/tofu_${version}_SHA256SUMS`) return res.end(`${sha}  tofu_${version}_linux_amd64.zip\n`);
      if (req.url === `/v${version}/tofu_${version}_linux_amd64.zip`) return res.end(zip);
      res.statusCode = 404;
      res.end();
    });
    const cache = new DirectoryToolCache(mkdtempSync(join(tmpdir(), 'tool-cache-')));
    dirs.push(cache.root);
    const release = toolRelease('tofu', version, base, 'linux', 'x64');
    expect(release.pinnedSha256).toBe(PINNED_SHA256[`tofu_${version}_linux_amd64.zip`]);
    await expect(installTool({ release, cache })).rejects.toThrow(new RegExp(`tofu_${version}_linux_amd64\\.zip is ${sha}, not the SHA-256 pinned in the code \\(${release.pinnedSha256}\\); refusing to install it`));
    expect(cache.find('tofu', version, 'amd64')).toBeUndefined();
    // The pin is the check: the mirror's SHA256SUMS is not even asked for.
    expect(hits).toEqual([`/v${version}/tofu_${version}_linux_amd64.zip`]);
  });

  it('an archive matching its pin installs without SHA256SUMS', async () => {
    const hits: string[] = [];
    const base = await mirror('', hits);
    const cache = new DirectoryToolCache(mkdtempSync(join(tmpdir(), 'tool-cache-')));
    dirs.push(cache.root);
    const lines: string[] = [];
    const installed = await installTool({ release: toolRelease('tofu', '9.9.9', base, 'linux', 'x64', { 'tofu_9.9.9_linux_amd64.zip': sha }), cache, log: (l) => lines.push(l) });
    expect(installed).toMatchObject({ fromCache: false, sha256: sha });
    expect(hits).toEqual(['/v9.9.9/tofu_9.9.9_linux_amd64.zip']);
    expect(lines.join('\n')).toContain(`sha256 ${sha} matches the pin in the code`);
  });

  it('https only: a plain-http mirror off loopback is refused, and so is a redirect to one, before connecting', async () => {
    expect(() => toolRelease('tofu', '9.9.9', 'http://mirror.example/tofu', 'linux', 'x64')).toThrow(/tool-download-url: expected an https URL \(plain http only to 127\.0\.0\.1, localhost or \[::1\]\), got "http:\/\/mirror\.example\/tofu"/);
    expect(() => toolRelease('tofu', '9.9.9', 'ftp://127.0.0.1/tofu', 'linux', 'x64')).toThrow(/expected an https URL/);
    expect(toolRelease('tofu', '9.9.9', 'https://mirror.example/tofu', 'linux', 'x64').archiveUrl).toBe('https://mirror.example/tofu/v9.9.9/tofu_9.9.9_linux_amd64.zip');
    const hits: string[] = [];
    // 127.0.0.2 is loopback, but not one of the hosts plain http is allowed to: the redirect is not followed.
    const base = await listen((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(302, { location: `http://127.0.0.2:9/${req.url}` }).end();
    });
    const cache = new DirectoryToolCache(mkdtempSync(join(tmpdir(), 'tool-cache-')));
    dirs.push(cache.root);
    await expect(installTool({ release: toolRelease('tofu', '9.9.9', base, 'linux', 'x64'), cache, retrySleep: async () => {} })).rejects.toThrow(/redirects to http:\/\/127\.0\.0\.2:9\/.*expected an https URL/);
    expect(hits).toHaveLength(1);
  });

  it('names what is missing: a version the mirror lacks, an archive absent from SHA256SUMS', async () => {
    const base = await mirror(`${sha}  tofu_9.9.9_linux_arm64.zip\n`, []);
    const cache = new DirectoryToolCache(mkdtempSync(join(tmpdir(), 'tool-cache-')));
    dirs.push(cache.root);
    await expect(installTool({ release: toolRelease('tofu', '9.9.8', base, 'linux', 'x64'), cache })).rejects.toThrow(/tofu_9\.9\.8_SHA256SUMS: HTTP 404/);
    await expect(installTool({ release: toolRelease('tofu', '9.9.9', base, 'linux', 'x64'), cache })).rejects.toThrow(/lists no tofu_9\.9\.9_linux_amd64\.zip/);
  });
});

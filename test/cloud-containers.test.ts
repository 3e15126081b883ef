// The cloud's containers, booted here. The images are built by build-image and pushed to a loopback registry;
// terraform/ renders the app and proxy groups' docker-compose specs with those images by digest (applied
// against the schema provider's fake cloud); a Docker engine of the test's own pulls them and runs the specs
// with docker-compose, as Container Optimized Image does on each VM: two app "nodes" and a proxy "node", on a
// local PostgreSQL, with the database password served by a loopback stand-in of the metadata service and of
// Lockbox. The smoke checks pass through the proxy; one app container is killed and the proxy fails over
// without a failed request while Docker restarts it.
//
// Each node runs the spec file exactly as rendered; one override file per node adapts what must differ when
// three "VMs" share one host: the listen ports (they would all be 8080, 80, 443), the database's and the
// proxy's peers' addresses (10.128.1.x on the cloud), and the two cloud endpoints (the metadata service and
// Lockbox, which are stand-ins here). The override is written next to the spec and shown on failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSmoke } from '../actions/smoke/src/smoke.js';
import { DEFAULT_THRESHOLDS, parseThresholds } from '../actions/smoke/src/thresholds.js';
import { down } from '../stack/src/local.js';
import { freePort } from '../stack/src/ports.js';
import { createDatabase, type TestDatabase } from './support/database.js';
import { dockerUnavailable, startDocker, startRegistry, type Docker, type Registry } from './support/docker.js';
import { startFakeCloud, type FakeCloud } from './support/fake-cloud.js';
import { ROOT, eventually } from './support/shs.js';
import { applyAndReadMetadata, cleanScratch, scratchCopy, type GroupMetadata } from './terraform/support.js';

const unavailable = dockerUnavailable();
if (unavailable) console.log(`cloud-containers: skipped because ${unavailable}`);

const tmp = mkdtempSync(join(tmpdir(), 'cloud-containers-'));
const CLI = join(ROOT, 'cli', 'dist', 'pipeline.cjs');
let docker: Docker;
let registry: Registry;
let db: TestDatabase;
let cloud: FakeCloud;
let metadata: Record<string, GroupMetadata>;
const images: Record<'shs' | 'proxy', { image: string; layers: { name: string; digest: string }[] }> = {} as never;
const ports = { app1: 0, app2: 0, http: 0, https: 0, metrics: 0 };
let proxyUrl = '';

interface BuildReport {
  image: string;
  layers: { name: string; digest: string }[];
}

function build(spec: string, repository: string): BuildReport {
  const out = execFileSync(
    process.execPath,
    [CLI, 'build-image', '--spec', join(ROOT, spec), '--push', `${registry.host}/${repository}:test`, '--plain-http', '--json', '--revision', '0123456789abcdef0123456789abcdef01234567', '--source-date-epoch', '1767225600'],
    { encoding: 'utf8', env: { ...process.env, PIPELINE_STATE_DIR: join(tmp, 'state') }, timeout: 600_000, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return JSON.parse(out) as BuildReport;
}

/** A node: the rendered spec file as is, and the override that adapts it to a shared host. */
function writeNode(name: string, spec: string, override: unknown): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'docker-compose.yaml'), spec);
  writeFileSync(join(dir, 'override.yaml'), toYaml(override));
  return dir;
}

const up = (node: string) => docker.compose(['-p', node, '-f', 'docker-compose.yaml', '-f', 'override.yaml', 'up', '-d'], join(tmp, node));
const containerOf = (node: string, service: string) => docker.docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${node}`, '--filter', `label=com.docker.compose.service=${service}`]).trim();
const inspect = (id: string) => JSON.parse(docker.docker(['inspect', id]))[0] as { State: { Pid: number; Running: boolean }; RestartCount: number; Config: { Env: string[]; User: string; Image: string } };

function diagnostics(): string {
  const parts = [`dockerd:\n${docker?.log().slice(-3000) ?? ''}`];
  for (const node of ['app1', 'app2', 'proxy']) {
    try {
      parts.push(`${node}:\n${docker.compose(['-p', node, '-f', 'docker-compose.yaml', '-f', 'override.yaml', 'logs', '--no-color', '--tail', '40'], join(tmp, node))}`);
    } catch (err) {
      parts.push(`${node}: ${(err as Error).message}`);
    }
  }
  return parts.join('\n');
}

beforeAll(async () => {
  if (unavailable) return;
  registry = await startRegistry(tmp);
  docker = await startDocker(join(tmp, 'docker'));
  images.shs = build('shs/image.json', 'shs');
  images.proxy = build('proxy/image.json', 'shs-proxy');

  // The specs, as terraform/ renders them for these images.
  const rendered = applyAndReadMetadata(scratchCopy(), { image: images.shs.image, proxy_image: images.proxy.image, dataset_scale: '0.002' });
  metadata = rendered.metadata;
  const appEnv = (parseYaml(metadata.app!['docker-compose']!) as { services: { shs: { environment: Record<string, string> } } }).services.shs.environment;

  db = await createDatabase('cloud');
  cloud = await startFakeCloud(appEnv.SHS_DATABASE_PASSWORD_LOCKBOX_SECRET_ID!, db.password);
  Object.assign(ports, { app1: await freePort(), app2: await freePort(), http: await freePort(), https: await freePort(), metrics: await freePort() });
  proxyUrl = `http://127.0.0.1:${ports.http}`;

  for (const node of ['app1', 'app2'] as const) {
    const env = {
      SHS_DATABASE_HOSTS: `${db.host}:${db.port}`,
      SHS_DATABASE_NAME: db.name,
      SHS_DATABASE_USER: db.user,
      SHS_CLOUD_METADATA_URL: cloud.url,
      SHS_CLOUD_LOCKBOX_URL: cloud.url,
    };
    writeNode(node, metadata.app!['docker-compose']!, {
      version: '3.7',
      services: {
        init: { environment: env },
        shs: {
          environment: { ...env, SHS_SERVER_PORT: String(ports[node]) },
          healthcheck: { test: ['CMD', '/usr/bin/node', '-e', `require('http').get('http://127.0.0.1:${ports[node]}/livez',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))`] },
        },
      },
    });
  }
  writeNode('proxy', metadata.proxy!['docker-compose']!, {
    version: '3.7',
    services: {
      proxy: {
        environment: {
          PROXY_PEERS: `127.0.0.1:${ports.app1},127.0.0.1:${ports.app2}`,
          PROXY_HTTP_LISTEN: `127.0.0.1:${ports.http}`,
          PROXY_HTTPS_LISTEN: `127.0.0.1:${ports.https}`,
          PROXY_METRICS_LISTEN: `127.0.0.1:${ports.metrics}`,
        },
      },
    },
  });
  try {
    for (const node of ['app1', 'app2', 'proxy']) up(node);
    // The first node's init loads the dataset; every node is ready once the schema (with the data) is there.
    await eventually(async () => (await fetch(`${proxyUrl}/ping`).catch(() => null))?.status === 200, 180_000, 500);
    for (const node of ['app1', 'app2'] as const)
      await eventually(async () => (await fetch(`http://127.0.0.1:${ports[node]}/ping`).catch(() => null))?.status === 200, 60_000, 500);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${diagnostics()}`);
  }
}, 900_000);

afterAll(async () => {
  if (!unavailable) {
    for (const node of ['proxy', 'app1', 'app2']) {
      try {
        docker.compose(['-p', node, '-f', 'docker-compose.yaml', '-f', 'override.yaml', 'down', '--timeout', '5'], join(tmp, node));
      } catch {
        // already gone
      }
    }
    await docker?.stop();
    await registry?.stop();
    await cloud?.close();
    await db?.drop();
  }
  cleanScratch();
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

describe.skipIf(unavailable !== null)('the cloud\'s containers, booted with Docker', () => {
  it('run the images by digest from the rendered specs, non-root, with restart policies and log limits', () => {
    for (const [node, service, image] of [['app1', 'shs', images.shs.image], ['app1', 'init', images.shs.image], ['proxy', 'proxy', images.proxy.image]] as const) {
      const c = inspect(containerOf(node, service));
      expect(c.Config.Image, `${node}/${service}`).toBe(image);
      if (service !== 'init') expect(c.State.Running, `${node}/${service}`).toBe(true);
    }
    expect(inspect(containerOf('app1', 'shs')).Config.User).toBe('65532:65532');
    const app = JSON.parse(docker.docker(['inspect', containerOf('app1', 'shs')]))[0] as { HostConfig: { RestartPolicy: { Name: string }; LogConfig: { Type: string; Config: Record<string, string> }; ReadonlyRootfs: boolean; NetworkMode: string } };
    expect(app.HostConfig).toMatchObject({ RestartPolicy: { Name: 'always' }, LogConfig: { Type: 'local', Config: { 'max-size': '10m', 'max-file': '3' } }, ReadonlyRootfs: true, NetworkMode: 'host' });
    // Both images carry the same runtime layer: a registry (and each VM) stores it once.
    expect(images.proxy.layers[0]!.digest).toBe(images.shs.layers[0]!.digest);
  });

  it('pass the smoke checks through the proxy', async () => {
    const result = await runSmoke({
      environment: 'cloud-containers',
      target: proxyUrl,
      httpsUrl: `https://127.0.0.1:${ports.https}`,
      httpUrl: null,
      insecure: true, // the proxy's self-signed certificate (no Certificate Manager certificate here)
      caFile: null,
      phases: [{ rate: 20, seconds: 5 }],
      thresholds: parseThresholds(DEFAULT_THRESHOLDS),
      timeoutMs: 10_000,
    });
    expect(result.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
    expect(result.verdict, result.failureReason ?? '').toBe('pass');
  }, 120_000);

  it('get the database password only from the metadata service and Lockbox stand-ins: in no spec, environment, log or inspect', () => {
    const password = db.password;
    const where: Record<string, string> = {
      'rendered specs and cloud-init': JSON.stringify(metadata),
      overrides: ['app1', 'app2', 'proxy'].map((n) => readFileSync(join(tmp, n, 'override.yaml'), 'utf8')).join('\n'),
    };
    for (const node of ['app1', 'app2', 'proxy']) {
      for (const service of node === 'proxy' ? ['proxy'] : ['init', 'shs']) {
        const id = containerOf(node, service);
        where[`docker inspect ${node}/${service}`] = docker.docker(['inspect', id]);
        where[`docker logs ${node}/${service}`] = execFileSync('docker', ['logs', id], { env: { ...process.env, ...docker.env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      }
    }
    for (const [what, text] of Object.entries(where)) {
      expect(text.includes(password), `the password shows in ${what}`).toBe(false);
      expect(text.includes(cloud.token), `the IAM token shows in ${what}`).toBe(false);
    }
    // It was read the documented way: the token with Metadata-Flavor, then the payload with that token.
    expect(cloud.requests.some((r) => r.path.endsWith('/service-accounts/default/token') && r.headers['metadata-flavor'] === 'Google')).toBe(true);
    expect(cloud.requests.filter((r) => r.path.includes('/payload')).every((r) => r.headers.authorization === `Bearer ${cloud.token}`)).toBe(true);
  });

  it('lose an app node: no request fails through the proxy, and Docker brings the container back', async () => {
    const id = containerOf('app1', 'shs');
    const before = inspect(id);
    let failures = 0;
    let sent = 0;
    // Reads, which the proxy may retry on the other node (writes are never replayed: issue 15's ground).
    const paths = ['/ping', '/api/movie/1', '/api/customer/2', '/api/session/3'];
    const traffic = (async () => {
      const end = Date.now() + 6000;
      while (Date.now() < end) {
        const path = paths[sent % paths.length]!;
        sent++;
        const res = await fetch(`${proxyUrl}${path}`).catch(() => null);
        if (res?.status !== 200) failures++;
        await res?.arrayBuffer();
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(before.State.Pid, 'SIGKILL'); // the node's server dies (a crash, not a stop: the restart policy applies)
    await traffic;
    expect(sent).toBeGreaterThan(50);
    expect(failures).toBe(0);
    await eventually(async () => inspect(id).RestartCount > before.RestartCount && (await fetch(`http://127.0.0.1:${ports.app1}/ping`).catch(() => null))?.status === 200, 60_000, 500);
    // Back in rotation: the proxy's health check sees it up again.
    await eventually(async () => /shs_proxy_upstream_up\{peer="127\.0\.0\.1:\d+"\} 1[\s\S]*shs_proxy_upstream_up\{peer="127\.0\.0\.1:\d+"\} 1/.test(await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text()), 20_000);
  }, 120_000);
});

describe.skipIf(unavailable !== null)('the deploy action\'s local target, given the image it built', () => {
  const stateDir = join(tmp, 'local-stack');
  afterAll(async () => {
    await down({ stateDir, progress: () => {} });
  }, 60_000);

  it('runs the SHS instances from that image (not from shs/dist) behind the local proxy, and takes them down', async () => {
    // As root, PostgreSQL runs as an unprivileged user that must reach its directory.
    chmodSync(tmp, 0o755);
    mkdirSync(stateDir, { mode: 0o755 });
    const layout = join(tmp, 'shs-layout');
    execFileSync(process.execPath, [CLI, 'build-image', '--spec', join(ROOT, 'shs', 'image.json'), '--output', `oci:${layout}`, '--revision', '0123456789abcdef0123456789abcdef01234567', '--source-date-epoch', '1767225600'], {
      env: { ...process.env, PIPELINE_STATE_DIR: join(tmp, 'state') },
      timeout: 600_000,
      stdio: 'ignore',
    });
    const env = { ...process.env, ...docker.env, PIPELINE_STATE_DIR: stateDir };
    const deployed = spawnSync(process.execPath, [CLI, 'deploy', '--target', 'local', '--image', `oci:${layout}`, '--port', '0', '--https-port', '0', '--scale', '0.002', '--instances', '2', '--json'], { env, encoding: 'utf8', timeout: 600_000 });
    expect(deployed.status, `${deployed.stdout}\n${deployed.stderr}`).toBe(0);
    const report = JSON.parse(deployed.stdout) as { url: string; digest: string };
    // The same digest the registry push gave: the instances run exactly the image that was built.
    expect(report.digest).toBe(images.shs.image.slice(images.shs.image.indexOf('@') + 1));
    const containers = docker.docker(['ps', '--filter', 'label=shs-delivery.stack', '--format', '{{.Names}} {{.Image}}']).trim().split('\n');
    expect(containers).toHaveLength(2);
    expect(containers.every((c) => /-shs-[12] shs-delivery-local:[0-9a-f]{12}$/.test(c))).toBe(true);
    const op = await fetch(`${report.url}/operation`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"operation": 7}' });
    expect(((await op.json()) as { instance: string }).instance).toMatch(/^shs-[12]$/);
    await down({ stateDir, progress: () => {} });
    expect(docker.docker(['ps', '-aq', '--filter', 'label=shs-delivery.stack']).trim()).toBe('');
  }, 600_000);
});

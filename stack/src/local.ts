// The local target: a real PostgreSQL, SHS instances and the real proxy on this machine, kept running by a
// detached supervisor. State lives under one directory. `up` is idempotent (what already runs with the same
// configuration is left alone), `down` stops everything, `status` reports it. A failed `up` leaves either the
// stack that ran before it, untouched, or nothing running (stopUnfinished).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectFeatures, testConfig } from '../../proxy/src/nginx.js';
import { PROXY_DEFAULTS, render } from '../../proxy/src/render.js';
import { giveToWorkers, workerUser } from '../../proxy/src/worker-user.js';
import { describeRefusedDataset } from './dataset.js';
import { imageForDocker, imageInstanceSpec, removeInstanceContainers } from './image-instances.js';
import { freePort } from './ports.js';
import { PostgresServer } from './postgres.js';
import { processAlive } from './process-alive.js';
import { processGroupMembers } from './process-group.js';
import type { Slo } from '../../monitoring/src/slo.js';
import { findNodeExporter, findPostgresExporter, findPrometheus, prometheusConfig, writeRules } from './prometheus.js';
import { DEFAULT_SUPERVISOR, readStatus, type ProgramSpec, type SupervisorConfig } from './supervisor.js';
import { runShs, shsBin, shsEnv } from './shs-cli.js';
import { ensureSelfSigned } from './tls.js';

export interface StackOptions {
  /** Repository root (bin/, proxy/, cli/dist/). */
  root: string;
  /** State directory: PostgreSQL data, configs, logs, status. */
  stateDir: string;
  /** Dataset scale for prepare_db (fraction of the full size). */
  scale: number;
  /** Number of SHS instances behind the proxy. */
  instances: number;
  /** Public ports of the proxy on 127.0.0.1; 0 picks a free one (kept in the state afterwards). */
  httpPort: number;
  httpsPort: number;
  /** Expose the SHS fault switch (resilience tests). */
  faults: boolean;
  /** Run Prometheus (and the node and postgres exporters) when installed (default true). */
  monitoring?: boolean;
  /** The objectives the Prometheus rules are generated from (default: monitoring/slo.yaml). */
  slo?: { slo: Slo; source: string };
  /**
   * Run the SHS instances from this image (a Docker reference, or oci:<dir> as build-image writes it) in a
   * Docker engine, instead of from the bundle (image-instances.ts).
   */
  image?: string;
  /**
   * Replace the dataset that is there (prepare_db --force), whatever its seed and scale, deleting the rows it
   * holds, those created through the API included. 'yes': without asking. 'ask': prepare_db gets this process's
   * stdin and stderr, and asks there when stdin is a terminal (without one the flag alone goes on). Without it, a
   * dataset of another scale is refused.
   */
  replaceData?: 'yes' | 'ask';
  /**
   * `up` only. Once aborted (the CLI's Ctrl-C or SIGTERM), up stops at its next step (the `shs` command it runs
   * is stopped), stops what it started, as after a failure, and rejects with the signal's reason.
   */
  signal?: AbortSignal;
  progress: (message: string) => void;
}

export interface ComponentStatus {
  name: string;
  state: string;
  pid: number | null;
  port: number | null;
  url: string | null;
  detail: string;
}

interface Ports {
  postgres: number;
  http: number;
  https: number;
  proxyMetrics: number;
  instances: number[];
  prometheus: number;
  nodeExporter?: number;
  postgresExporter?: number;
}

interface StackState {
  ports: Ports;
  supervisorPid: number | null;
  configHash: string;
  /** The Docker image the instances run from, when they do. */
  image?: string;
}

const DB = { name: 'shs', user: 'shs' };

export function stackPaths(stateDir: string) {
  return {
    state: join(stateDir, 'stack.json'),
    logs: join(stateDir, 'logs'),
    supervisorConfig: join(stateDir, 'supervisor.config.json'),
    supervisorStatus: join(stateDir, 'supervisor.status.json'),
    postgres: join(stateDir, 'postgres'),
    proxy: join(stateDir, 'proxy'),
    prometheus: join(stateDir, 'prometheus'),
    shsConfig: join(stateDir, 'shs.yaml'),
    dbPassword: join(stateDir, 'shs-db.password'),
  };
}

function readState(stateDir: string): StackState | null {
  const file = stackPaths(stateDir).state;
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StackState) : null;
}

/** Written beside and renamed, so a reader (or an `up` killed mid-write) never sees half a file. */
function writeState(stateDir: string, state: StackState): void {
  const file = stackPaths(stateDir).state;
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}


async function choosePorts(previous: Ports | undefined, options: StackOptions, pgPort: number): Promise<Ports> {
  const keep = async (wanted: number, old: number | undefined) => (wanted > 0 ? wanted : old ?? (await freePort()));
  const instances: number[] = [];
  for (let i = 0; i < options.instances; i++) instances.push(previous?.instances[i] ?? (await freePort()));
  return {
    postgres: pgPort,
    http: await keep(options.httpPort, previous?.http),
    https: await keep(options.httpsPort, previous?.https),
    proxyMetrics: previous?.proxyMetrics ?? (await freePort()),
    instances,
    prometheus: previous?.prometheus ?? (await freePort()),
    nodeExporter: previous?.nodeExporter ?? (await freePort()),
    postgresExporter: previous?.postgresExporter ?? (await freePort()),
  };
}

async function prepareProxy(options: StackOptions, ports: Ports): Promise<{ spec: ProgramSpec; http3: boolean; nginx: string }> {
  const dir = stackPaths(options.stateDir).proxy;
  const features = await detectFeatures();
  if (!features.lua) throw new Error(`${features.binary} has no Lua module (apt-get install libnginx-mod-http-lua lua-resty-core lua-cjson)`);
  const cert = await ensureSelfSigned(join(dir, 'tls'));
  const user = workerUser();
  // A fresh cache each start: an entry left from an earlier run may be older than the staleness bound.
  rmSync(join(dir, 'cache'), { recursive: true, force: true });
  for (const sub of ['tmp', 'cache']) mkdirSync(join(dir, sub), { recursive: true });
  giveToWorkers(user, [join(dir, 'tmp'), join(dir, 'cache')]);
  const template = readFileSync(join(options.root, 'proxy/nginx.conf.template'), 'utf8');
  const config = render(template, {
    platform: features.platform,
    peers: ports.instances.map((p) => `127.0.0.1:${p}`),
    httpListen: `127.0.0.1:${ports.http}`,
    httpsListen: `127.0.0.1:${ports.https}`,
    certFile: cert.certFile,
    keyFile: cert.keyFile,
    http3: features.http3,
    metricsListen: `127.0.0.1:${ports.proxyMetrics}`,
    luaDir: join(options.root, 'proxy/lua'),
    runDir: dir,
    user: user.directive,
    workerProcesses: 2,
    ...PROXY_DEFAULTS,
    errorLog: join(stackPaths(options.stateDir).logs, 'proxy.log'),
    accessLog: join(stackPaths(options.stateDir).logs, 'proxy-access.log'),
  });
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, config);
  await testConfig(features.binary, file, dir);
  return {
    http3: features.http3,
    nginx: `${features.binary} ${features.version}`,
    spec: {
      name: 'proxy',
      command: features.binary,
      args: ['-p', dir, '-c', file, '-e', join(stackPaths(options.stateDir).logs, 'proxy.log'), '-g', 'daemon off;'],
      log: join(stackPaths(options.stateDir).logs, 'proxy.log'),
      health: { url: `http://127.0.0.1:${ports.proxyMetrics}/healthz`, expect: 'ok' },
      stopSignal: 'SIGQUIT',
    },
  };
}

function hash(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(16);
}

async function startSupervisor(options: StackOptions, configFile: string): Promise<number> {
  const paths = stackPaths(options.stateDir);
  const fd = openSync(join(paths.logs, 'supervisor.log'), 'a');
  const child = spawn(process.execPath, [join(options.root, 'cli/dist/pipeline.cjs'), 'supervise', '--config', configFile], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: shsEnv(),
  });
  closeSync(fd);
  child.unref();
  return child.pid!;
}

/**
 * Stops the supervisor, which stops what it runs. One that is gone already (killed, crashed) left its programs
 * running: they are in its process group (it runs detached, as the group's leader), and are stopped here, SIGTERM
 * and then SIGKILL, when the group still holds a program its status file names (a group id from an old state
 * file may since belong to someone else's processes). PostgreSQL is not among them: pg_ctl starts it in a session
 * of its own.
 */
async function stopSupervisor(pid: number | null, statusFile: string, progress: (m: string) => void): Promise<void> {
  if (!pid) return;
  if (processAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 300 && processAlive(pid); i++) await sleep(50);
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    progress('supervisor: stopped (and everything it ran)');
  }
  const named = new Set((readStatus(statusFile)?.programs ?? []).map((p) => p.pid).filter((x): x is number => x !== null));
  const left = processGroupMembers(pid);
  if (!left.some((x) => named.has(x))) return;
  progress(`supervisor: gone (pid ${pid}), stopping what it left running (pids ${left.join(', ')})`);
  const signal = (sig: NodeJS.Signals) => {
    for (const x of left) {
      try {
        process.kill(x, sig);
      } catch {
        // gone meanwhile
      }
    }
  };
  signal('SIGTERM');
  for (let i = 0; i < 100 && left.some((x) => processAlive(x)); i++) await sleep(50);
  signal('SIGKILL');
}

/**
 * Prometheus with monitoring/'s rules, and the node and postgres exporters it scrapes, for whichever of them
 * is installed (./dev up installs Debian's). Adds their programs; returns what the rules hash to.
 */
function monitoringPrograms(options: StackOptions, ports: Ports, pgPort: number, programs: ProgramSpec[]): string {
  const paths = stackPaths(options.stateDir);
  const prometheus = options.monitoring === false ? null : findPrometheus();
  if (!prometheus) {
    options.progress(options.monitoring === false ? 'prometheus: not wanted' : 'prometheus: not installed, skipped (apt-get install prometheus)');
    return '';
  }
  const log = (name: string) => join(paths.logs, `${name}.log`);
  const nodeExporter = findNodeExporter();
  if (nodeExporter && ports.nodeExporter) {
    const listen = `127.0.0.1:${ports.nodeExporter}`;
    programs.push({
      name: 'node-exporter',
      command: nodeExporter,
      // the collectors the rules and the dashboard read; the others would report this whole machine's hardware
      args: [`--web.listen-address=${listen}`, '--collector.disable-defaults', '--collector.filesystem', '--collector.cpu', '--collector.meminfo', '--collector.loadavg', '--collector.diskstats'],
      log: log('node-exporter'),
      health: { url: `http://${listen}/metrics` },
    });
  } else options.progress('node-exporter: not installed, skipped (apt-get install prometheus-node-exporter)');
  const postgresExporter = findPostgresExporter();
  if (postgresExporter && ports.postgresExporter) {
    const listen = `127.0.0.1:${ports.postgresExporter}`;
    programs.push({
      name: 'postgres-exporter',
      command: postgresExporter,
      args: [`--web.listen-address=${listen}`],
      // the password is read from the file, never put in the environment or the supervisor's config
      env: { DATA_SOURCE_URI: `127.0.0.1:${pgPort}/${DB.name}?sslmode=disable`, DATA_SOURCE_USER: DB.user, DATA_SOURCE_PASS_FILE: paths.dbPassword },
      log: log('postgres-exporter'),
      health: { url: `http://${listen}/metrics` },
    });
  } else options.progress('postgres-exporter: not installed, skipped (apt-get install prometheus-postgres-exporter)');
  mkdirSync(paths.prometheus, { recursive: true });
  const rules = writeRules(options.root, join(paths.prometheus, 'rules'), options.slo?.slo, options.slo?.source);
  const file = join(paths.prometheus, 'prometheus.yml');
  writeFileSync(
    file,
    prometheusConfig(
      {
        instances: ports.instances.map((p) => `127.0.0.1:${p}`),
        proxy: `127.0.0.1:${ports.proxyMetrics}`,
        prometheus: `127.0.0.1:${ports.prometheus}`,
        node: nodeExporter ? `127.0.0.1:${ports.nodeExporter}` : null,
        postgres: postgresExporter ? `127.0.0.1:${ports.postgresExporter}` : null,
      },
      rules.files,
    ),
  );
  programs.push({
    name: 'prometheus',
    command: prometheus,
    args: [`--config.file=${file}`, `--storage.tsdb.path=${join(paths.prometheus, 'data')}`, `--web.listen-address=127.0.0.1:${ports.prometheus}`],
    log: log('prometheus'),
    health: { url: `http://127.0.0.1:${ports.prometheus}/-/ready` },
  });
  options.progress(`prometheus: rules from monitoring/prometheus/rules and ${options.slo?.source ?? 'monitoring/slo.yaml'}`);
  return rules.fingerprint;
}

/** What one `up` has done so far: what a failure leaves or stops (stopUnfinished). */
interface UpRun {
  /** The supervisor of the stack running when `up` began, if any. */
  previousSupervisor: number | null;
  /** This run stopped it (to restart the stack with a new configuration). */
  stoppedPrevious: boolean;
  /** PostgreSQL was not running when `up` began. */
  startedPostgres: boolean;
  /** The supervisor this run started, and what it runs. */
  supervisor: number | null;
  programs: string[];
}

/**
 * Starts the stack, or checks the one running. When it fails, it leaves either the stack that ran before, untouched
 * (it failed before restarting anything, e.g. a dataset of another scale refused), or nothing running: it stops the
 * supervisor it started (and with it the instances, the proxy, Prometheus) and PostgreSQL, and says what it stopped.
 * State and logs stay, for diagnosis.
 */
export async function up(options: StackOptions): Promise<ComponentStatus[]> {
  const paths = stackPaths(options.stateDir);
  mkdirSync(paths.logs, { recursive: true });
  const previous = readState(options.stateDir);
  const run: UpRun = {
    previousSupervisor: previous && processAlive(previous.supervisorPid) ? previous.supervisorPid : null,
    stoppedPrevious: false,
    startedPostgres: false,
    supervisor: null,
    programs: [],
  };
  try {
    const components = await bringUp(options, previous, run);
    options.signal?.throwIfAborted(); // during its last step: undone all the same
    return components;
  } catch (err) {
    await stopUnfinished(options, run, Boolean(options.image || previous?.image)).catch((e: Error) =>
      options.progress(`up failed, and stopping what it started failed too: ${e.message}`),
    );
    throw err;
  }
}

async function stopUnfinished(options: StackOptions, run: UpRun, image: boolean): Promise<void> {
  const { progress, stateDir } = options;
  const how = options.signal?.aborted ? 'up interrupted' : 'up failed';
  const pg = PostgresServer.attach(stackPaths(stateDir).postgres);
  if (run.previousSupervisor !== null && !run.stoppedPrevious && run.supervisor === null && processAlive(run.previousSupervisor)) {
    if (run.startedPostgres && pg?.pid()) {
      await pg.stop();
      progress('postgres: stopped (this up started it)');
    }
    progress(`${how}: the stack that was running before (supervisor pid ${run.previousSupervisor}) is left as it was`);
    return;
  }
  const stopped: string[] = [];
  if (run.supervisor !== null) {
    await stopSupervisor(run.supervisor, stackPaths(stateDir).supervisorStatus, progress);
    stopped.push(`the supervisor (pid ${run.supervisor}) and what it ran (${run.programs.join(', ')})`);
  }
  if (image) await removeInstanceContainers(stateDir).catch((err: Error) => progress(`shs: instance containers not removed: ${err.message}`));
  const pgPid = pg?.pid();
  if (pg && pgPid) {
    await pg.stop();
    progress('postgres: stopped');
    stopped.push(`PostgreSQL (pid ${pgPid})`);
  }
  const state = readState(stateDir);
  if (state) writeState(stateDir, { ...state, supervisorPid: null, configHash: '' });
  progress(
    stopped.length
      ? `${how}: stopped ${stopped.join(' and ')}; nothing of the stack is left running (state and logs kept in ${stateDir})`
      : `${how}: nothing of the stack was left running`,
  );
}

/** The last lines of a log, for an error message. */
function logTail(file: string, lines = 5): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `  ${l}`).join('\n');
}

/** Exits (or failed starts) of a program while up waits for it, beyond which up gives up at once. */
const MAX_START_FAILURES = 3;

async function bringUp(options: StackOptions, previous: StackState | null, run: UpRun): Promise<ComponentStatus[]> {
  const { stateDir, root, progress } = options;
  const paths = stackPaths(stateDir);
  const goOn = () => options.signal?.throwIfAborted();

  goOn();
  progress('postgres: starting');
  run.startedPostgres = !PostgresServer.attach(paths.postgres)?.pid();
  const pg = await PostgresServer.start({ dir: paths.postgres, port: previous?.ports.postgres });
  progress(`postgres: running on 127.0.0.1:${pg.info.port}`);
  if (!existsSync(paths.dbPassword)) writeFileSync(paths.dbPassword, randomBytes(18).toString('base64url'), { mode: 0o600 });
  await pg.ensureDatabase(DB.name, DB.user, readFileSync(paths.dbPassword, 'utf8').trim());
  goOn();

  const ports = await choosePorts(previous?.ports, options, pg.info.port);
  writeFileSync(
    paths.shsConfig,
    [
      'database:',
      `  hosts: ["127.0.0.1:${pg.info.port}"]`,
      `  name: ${DB.name}`,
      `  user: ${DB.user}`,
      `  password_file: ${JSON.stringify(paths.dbPassword)}`,
      '  pool_size: 16',
      'server:',
      '  host: 127.0.0.1',
      'faults:',
      `  enabled: ${options.faults}`,
      '',
    ].join('\n'),
  );

  const replacing = options.replaceData !== undefined;
  progress(`dataset: prepare_db --scale ${options.scale}${replacing ? ' --force (replacing the data there)' : ''}`);
  const terminal = options.replaceData === 'ask';
  const prepared = await runShs(
    root,
    ['prepare_db', '--config', paths.shsConfig, '--scale', String(options.scale), ...(replacing ? ['--force'] : []), ...(options.replaceData === 'yes' ? ['--yes'] : [])],
    {},
    { terminal, ...(options.signal ? { signal: options.signal } : {}) },
  );
  goOn();
  // what --force replaces and deletes (its own lines; the load's step timings are left out)
  for (const line of prepared.stderr.split('\n')) if (replacing && line.startsWith('shs: ')) progress(`dataset: ${line.slice('shs: '.length)}`);
  if (prepared.code !== 0) {
    const said = prepared.stderr.trim() || prepared.stdout.trim();
    if (!replacing && /pass --force to replace it/.test(said)) {
      const password = readFileSync(paths.dbPassword, 'utf8').trim();
      throw new Error(await describeRefusedDataset({ port: pg.info.port, name: DB.name, user: DB.user, password }, options.scale).catch(() => said.replace(/--force/, '--replace-data')));
    }
    throw new Error(terminal ? `prepare_db --force exited with code ${prepared.code}: the data was not replaced (it said why above)` : `prepare_db failed: ${said}`);
  }
  progress(`dataset: ${prepared.stdout.trim().replace(/\n/g, '; ')}`);

  progress('proxy: rendering and checking the nginx configuration');
  const proxy = await prepareProxy(options, ports);
  goOn();
  progress(`proxy: ${proxy.nginx}, HTTP/3 ${proxy.http3 ? 'enabled' : 'not available in this nginx build'}`);

  let image: string | undefined;
  if (options.image) {
    image = await imageForDocker(options.image, progress);
    goOn();
    progress(`shs: instances from the image ${image}`);
  }
  const programs: ProgramSpec[] = ports.instances.map((port, i) =>
    image
      ? imageInstanceSpec(image, stateDir, { name: `shs-${i + 1}`, port, configFile: paths.shsConfig, mounts: [paths.shsConfig, paths.dbPassword], log: join(paths.logs, `shs-${i + 1}.log`) })
      : {
          name: `shs-${i + 1}`,
          command: process.execPath,
          args: [shsBin(root), 'run_server', '--config', paths.shsConfig],
          env: { SHS_SERVER_PORT: String(port), SHS_SERVER_INSTANCE_ID: `shs-${i + 1}` },
          log: join(paths.logs, `shs-${i + 1}.log`),
          // liveness: an instance whose database is down stays up (it serves what needs no database)
          health: { url: `http://127.0.0.1:${port}/livez`, expect: 'alive' },
        },
  );
  programs.push(proxy.spec);
  // PostgreSQL runs under pg_ctl (started above); the supervisor starts it again if it dies.
  const pgStart = pg.startCommand();
  programs.push({
    name: 'postgres',
    command: pgStart.command,
    args: pgStart.args,
    env: { LC_ALL: 'C' },
    log: join(paths.logs, 'postgres-watchdog.log'),
    daemon: { pidFile: pg.pidFile },
  });
  const rulesFingerprint = monitoringPrograms(options, ports, pg.info.port, programs);
  const supervisorConfig: SupervisorConfig = { ...DEFAULT_SUPERVISOR, programs, statusFile: paths.supervisorStatus };
  const configText = JSON.stringify(supervisorConfig, null, 2);
  const configHash = hash(configText + readFileSync(join(paths.proxy, 'nginx.conf'), 'utf8') + rulesFingerprint);

  let supervisorPid = previous?.supervisorPid ?? null;
  if (processAlive(supervisorPid) && previous?.configHash === configHash) {
    progress(`supervisor: already running (pid ${supervisorPid}) with this configuration`);
  } else {
    if (processAlive(supervisorPid)) {
      progress('supervisor: configuration changed, restarting the stack');
      run.stoppedPrevious = true;
      await stopSupervisor(supervisorPid, paths.supervisorStatus, progress);
    }
    writeFileSync(paths.supervisorConfig, configText);
    rmSync(paths.supervisorStatus, { force: true });
    if (image || previous?.image) await removeInstanceContainers(stateDir);
    supervisorPid = await startSupervisor(options, paths.supervisorConfig);
    run.supervisor = supervisorPid;
    run.programs = programs.filter((p) => !p.daemon).map((p) => p.name); // PostgreSQL is stopped on its own
    progress(`supervisor: started (pid ${supervisorPid}), logs in ${paths.logs}`);
  }
  writeState(stateDir, { ports, supervisorPid, configHash, ...(image ? { image } : {}) });

  // Bounded wait until every program is healthy and the proxy serves /ping; a program that keeps exiting as it
  // starts (a port taken by another process, a bad configuration) ends it at once.
  const deadline = Date.now() + 60_000;
  let reported = '';
  const restartsBefore = new Map<string, number>();
  for (;;) {
    goOn();
    if (!processAlive(supervisorPid)) throw new Error(`the supervisor exited; see ${join(paths.logs, 'supervisor.log')}`);
    const st = readStatus(paths.supervisorStatus);
    for (const p of st?.programs ?? []) {
      if (!restartsBefore.has(p.name)) restartsBefore.set(p.name, run.supervisor !== null ? 0 : p.restarts);
      const failures = p.restarts - restartsBefore.get(p.name)! + (p.state === 'backoff' ? 1 : 0);
      if (p.healthy !== true && failures >= MAX_START_FAILURES && !/^unhealthy/.test(p.lastRestartReason ?? '')) {
        const log = programs.find((x) => x.name === p.name)?.log ?? join(paths.logs, `${p.name}.log`);
        throw new Error(`${p.name} failed ${failures} times as it started (last: ${p.lastRestartReason ?? p.lastExit ?? 'unknown'}); the end of ${log}:\n${logTail(log)}`);
      }
    }
    const waiting = st ? st.programs.filter((p) => p.healthy !== true).map((p) => p.name) : ['supervisor'];
    let proxied = false;
    if (waiting.length === 0) {
      proxied = await fetch(`http://127.0.0.1:${ports.http}/ping`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.status === 200)
        .catch(() => false);
    }
    if (waiting.length === 0 && proxied) break;
    const line = waiting.length ? `waiting for ${waiting.join(', ')}` : 'waiting for the proxy to route /ping';
    if (line !== reported) progress(line);
    reported = line;
    if (Date.now() > deadline) throw new Error(`${line} after 60 s; see the logs in ${paths.logs}`);
    await sleep(200);
  }
  progress(`ready: http://127.0.0.1:${ports.http} and https://127.0.0.1:${ports.https}`);
  return status({ stateDir });
}

export async function status(options: Pick<StackOptions, 'stateDir'>): Promise<ComponentStatus[]> {
  const paths = stackPaths(options.stateDir);
  const state = readState(options.stateDir);
  const result: ComponentStatus[] = [];
  const pg = PostgresServer.attach(paths.postgres);
  const pgPid = pg?.pid() ?? null;
  result.push({
    name: 'postgres',
    state: pgPid ? 'running' : 'stopped',
    pid: pgPid,
    port: pg?.info.port ?? null,
    url: pg ? `postgresql://127.0.0.1:${pg.info.port}/${DB.name}` : null,
    detail: pgPid ? `data in ${pg!.info.dataDir}` : pg ? 'not running' : 'not initialised',
  });
  const supervisorAlive = processAlive(state?.supervisorPid);
  result.push({
    name: 'supervisor',
    state: supervisorAlive ? 'running' : 'stopped',
    pid: supervisorAlive ? state!.supervisorPid : null,
    port: null,
    url: null,
    detail: supervisorAlive ? 'restarts programs that exit or stay unhealthy' : 'not running',
  });
  const st = supervisorAlive ? readStatus(paths.supervisorStatus) : null;
  const ports = state?.ports;
  const where = (name: string): { port: number | null; url: string | null } => {
    if (!ports) return { port: null, url: null };
    const m = /^shs-(\d+)$/.exec(name);
    if (m) {
      const port = ports.instances[Number(m[1]) - 1] ?? null;
      return { port, url: port ? `http://127.0.0.1:${port}` : null };
    }
    if (name === 'proxy') return { port: ports.http, url: `http://127.0.0.1:${ports.http} https://127.0.0.1:${ports.https} metrics :${ports.proxyMetrics}` };
    if (name === 'prometheus') return { port: ports.prometheus, url: `http://127.0.0.1:${ports.prometheus}` };
    if (name === 'node-exporter' && ports.nodeExporter) return { port: ports.nodeExporter, url: `http://127.0.0.1:${ports.nodeExporter}/metrics` };
    if (name === 'postgres-exporter' && ports.postgresExporter) return { port: ports.postgresExporter, url: `http://127.0.0.1:${ports.postgresExporter}/metrics` };
    return { port: null, url: null };
  };
  for (const p of st?.programs ?? []) {
    if (p.name === 'postgres') {
      // the row above already shows the server: add what the supervisor saw of it
      const row = result[0]!;
      row.detail += `; restarts ${p.restarts}${p.lastRestartReason ? ` (last: ${p.lastRestartReason})` : ''}`;
      continue;
    }
    result.push({
      name: p.name,
      state: p.state,
      pid: p.pid,
      ...where(p.name),
      detail: `${p.healthDetail}; restarts ${p.restarts}${p.lastRestartReason ? ` (last: ${p.lastRestartReason})` : ''}`,
    });
  }
  return result;
}

export async function down(options: Pick<StackOptions, 'stateDir' | 'progress'>): Promise<void> {
  const state = readState(options.stateDir);
  await stopSupervisor(state?.supervisorPid ?? null, stackPaths(options.stateDir).supervisorStatus, options.progress);
  if (state?.image) {
    await removeInstanceContainers(options.stateDir).catch((err: Error) => options.progress(`shs: instance containers not removed: ${err.message}`));
  }
  const pg = PostgresServer.attach(stackPaths(options.stateDir).postgres);
  if (pg?.pid()) {
    await pg.stop();
    options.progress('postgres: stopped');
  }
  if (state) writeState(options.stateDir, { ...state, supervisorPid: null, configHash: '' });
}

/** Ports of a running stack, for tests and benchmarks. */
export function stackPorts(stateDir: string): Ports | null {
  return readState(stateDir)?.ports ?? null;
}

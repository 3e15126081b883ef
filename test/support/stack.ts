// A whole local stack (PostgreSQL, SHS instances, proxy, supervisor) in a temporary state directory.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down, stackPaths, stackPorts, status, up } from '../../stack/src/local.js';
import { readStatus } from '../../stack/src/supervisor.js';
import pg from 'pg';
import { ROOT } from './shs.js';

export interface TestStack {
  stateDir: string;
  http: string;
  https: string;
  metrics: string;
  instancePorts: number[];
  caFile: string;
  pidOf(name: string): number;
  /** The supervisor's pid (a test pauses it to stand for the cloud's far slower auto-healing). */
  supervisorPid(): number;
  restartsOf(name: string): number;
  /** A client of the stack's database, as the service's user. */
  dbClient(): Promise<pg.Client>;
  /** Prometheus's URL, when the stack runs it (startStack({ monitoring: true })). */
  prometheus: string | null;
  /** The proxy's Prometheus text. */
  proxyMetrics(): Promise<string>;
  fault(instance: number, mode: 'sick' | 'slow' | 'healthy' | 'crash'): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(options: { instances?: number; faults?: boolean; monitoring?: boolean } = {}): Promise<TestStack> {
  const stateDir = mkdtempSync(join(tmpdir(), 'shs-stack-'));
  chmodSync(stateDir, 0o755);
  const log: string[] = [];
  await up({
    root: ROOT,
    stateDir,
    scale: 0.001,
    instances: options.instances ?? 2,
    httpPort: 0,
    httpsPort: 0,
    faults: options.faults ?? true,
    monitoring: options.monitoring ?? false,
    progress: (m) => log.push(m),
  }).catch((err: Error) => {
    throw new Error(`pipeline up failed: ${err.message}\n${log.join('\n')}`);
  });
  const ports = stackPorts(stateDir)!;
  const paths = stackPaths(stateDir);
  const program = (name: string) => {
    const p = readStatus(paths.supervisorStatus)?.programs.find((x) => x.name === name);
    if (!p) throw new Error(`no program ${name}`);
    return p;
  };
  return {
    stateDir,
    http: `http://127.0.0.1:${ports.http}`,
    https: `https://localhost:${ports.https}`,
    metrics: `http://127.0.0.1:${ports.proxyMetrics}/metrics`,
    prometheus: options.monitoring ? `http://127.0.0.1:${ports.prometheus}` : null,
    instancePorts: ports.instances,
    caFile: join(paths.proxy, 'tls', 'cert.pem'),
    pidOf: (name) => program(name).pid ?? 0,
    supervisorPid: () => (JSON.parse(readFileSync(paths.state, 'utf8')) as { supervisorPid: number | null }).supervisorPid ?? 0,
    restartsOf: (name) => program(name).restarts,
    async dbClient() {
      const client = new pg.Client({ host: '127.0.0.1', port: ports.postgres, database: 'shs', user: 'shs', password: readFileSync(paths.dbPassword, 'utf8').trim() });
      await client.connect();
      return client;
    },
    proxyMetrics: async () => (await fetch(`http://127.0.0.1:${ports.proxyMetrics}/metrics`)).text(),
    async fault(instance, mode) {
      const r = await fetch(`http://127.0.0.1:${ports.instances[instance]}/_fault`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mode }),
      });
      if (r.status >= 300) throw new Error(`fault ${mode}: ${r.status}`);
    },
    async stop() {
      await down({ stateDir, progress: () => undefined });
      const left = (await status({ stateDir })).filter((c) => c.state === 'running');
      // PIPELINE_TEST_KEEP_STATE=1 keeps the state directory (logs of the proxy, instances, supervisor) to read after a failure
      if (process.env.PIPELINE_TEST_KEEP_STATE === '1') console.warn(`test stack: state kept in ${stateDir}`);
      else rmSync(stateDir, { recursive: true, force: true });
      if (left.length) throw new Error(`still running after down: ${left.map((c) => c.name).join(', ')}`);
    },
  };
}

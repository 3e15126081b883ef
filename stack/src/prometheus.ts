// Prometheus for the local stack (Debian's prometheus, node and postgres exporters, when installed): the same
// scrape job names and rule files as the cloud's monitoring node (terraform/modules/monitoring), so the
// rules, the alerts and the dashboard work unchanged on both.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_SLO } from '../../monitoring/src/default-slo.js';
import { generateRules } from '../../monitoring/src/rules.js';
import type { Slo } from '../../monitoring/src/slo.js';

/** A program on PATH, or the first of its Debian names. */
export function findBinary(names: string[], env: NodeJS.ProcessEnv = process.env): string | null {
  for (const name of names) {
    for (const dir of (env.PATH ?? '').split(delimiter)) {
      const candidate = join(dir, name);
      if (dir && existsSync(candidate)) return candidate;
    }
  }
  return null;
}

export const findPrometheus = (env?: NodeJS.ProcessEnv) => findBinary(['prometheus'], env);
export const findNodeExporter = (env?: NodeJS.ProcessEnv) => findBinary(['prometheus-node-exporter', 'node_exporter'], env);
export const findPostgresExporter = (env?: NodeJS.ProcessEnv) => findBinary(['prometheus-postgres-exporter', 'postgres_exporter'], env);

export interface ScrapeTargets {
  /** SHS instances, host:port of their /metrics. */
  instances: string[];
  /** The proxy's metrics port. */
  proxy: string;
  prometheus: string;
  /** The node exporter; this machine holds the database, so it is scraped as the db tier. */
  node?: string | null;
  postgres?: string | null;
}

export function prometheusConfig(t: ScrapeTargets, ruleFiles: string[]): string {
  const job = (name: string, targets: string[], tier: string) => ({ job_name: name, static_configs: [{ targets, labels: { tier } }] });
  const jobs = [job('shs', t.instances, 'app'), job('proxy', [t.proxy], 'proxy'), job('prometheus', [t.prometheus], 'monitoring')];
  if (t.node) jobs.push(job('node', [t.node], 'db'));
  if (t.postgres) jobs.push(job('postgres', [t.postgres], 'db'));
  return `# Rendered by pipeline up (stack/src/prometheus.ts): the job names and rules of monitoring/.\n${stringify(
    {
      global: { scrape_interval: '5s', evaluation_interval: '5s' },
      rule_files: ruleFiles,
      scrape_configs: jobs,
    },
    { lineWidth: 0 },
  )}`;
}

/**
 * Writes the rule files Prometheus loads into dir: the hand-written ones of monitoring/prometheus/rules, and
 * the objectives' rules generated from slo (the repository's file by default, identical to the committed
 * slo.rules.yml). Returns their paths, and a text that changes when any of them does.
 */
export function writeRules(root: string, dir: string, slo: Slo = DEFAULT_SLO, source = 'monitoring/slo.yaml'): { files: string[]; fingerprint: string } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const shs = readFileSync(join(root, 'monitoring/prometheus/rules/shs.rules.yml'), 'utf8');
  const sloRules = generateRules(slo, source);
  const files = [join(dir, 'shs.rules.yml'), join(dir, 'slo.rules.yml')];
  writeFileSync(files[0]!, shs);
  writeFileSync(files[1]!, sloRules);
  return { files, fingerprint: shs + sloRules };
}

export interface Alert {
  name: string;
  state: 'firing' | 'pending' | 'inactive';
  severity: string;
  summary: string;
  activeAt: string | null;
}

/** The alerts Prometheus reports as pending or firing, firing first. */
export async function activeAlerts(prometheusUrl: string, timeoutMs = 2000): Promise<Alert[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/alerts`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${prometheusUrl}/api/v1/alerts answered ${res.status}`);
  const body = (await res.json()) as { data?: { alerts?: { labels: Record<string, string>; annotations?: Record<string, string>; state: Alert['state']; activeAt?: string }[] } };
  return (body.data?.alerts ?? [])
    .map((a) => ({
      name: a.labels.alertname ?? '?',
      state: a.state,
      severity: a.labels.severity ?? '',
      summary: a.annotations?.summary ?? '',
      activeAt: a.activeAt ?? null,
    }))
    .sort((a, b) => (a.state === b.state ? a.name.localeCompare(b.name) : a.state === 'firing' ? -1 : 1));
}

// Prometheus for the local stack, when the `prometheus` binary is installed: scrapes every SHS instance and
// the proxy's metrics port.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function findPrometheus(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'prometheus');
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

export function prometheusConfig(instances: string[], proxyMetrics: string): string {
  const list = (targets: string[]) => targets.map((t) => `'${t}'`).join(', ');
  return `# Rendered by pipeline up.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: shs
    static_configs:
      - targets: [${list(instances)}]
  - job_name: proxy
    static_configs:
      - targets: [${list([proxyMetrics])}]
`;
}

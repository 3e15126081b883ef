// Load for resilience tests: the smoke action's open-model generator (constant arrival rate, latency from the
// due time), over a mix of idempotent GETs, keeping every sample so a test can look at a time window.
import { HttpClient } from '../../actions/smoke/src/client.js';
import type { Endpoint } from '../../actions/smoke/src/load/mix.js';
import { runLoad, type Sample } from '../../actions/smoke/src/load/runner.js';

export type { Sample };

export interface LoadRun {
  stop(): Promise<Sample[]>;
}

/** Starts `rate` requests per second over `paths` for up to `maxSeconds`; stop() ends it early. */
export function startLoad(base: string, rate: number, paths: readonly string[], maxSeconds = 60): LoadRun {
  const client = new HttpClient({ timeoutMs: 5000, maxSockets: 256 });
  const samples: Sample[] = [];
  const mix: Endpoint[] = paths.map((path) => ({ name: path, weight: 1, make: () => ({ path }) }));
  const controller = { stopped: false };
  const running = runLoad({
    base,
    phases: [{ rate, seconds: maxSeconds }],
    mix,
    ids: { movies: [1], customers: [1], sessions: [1] },
    client,
    onSample: (s) => samples.push(s),
    shouldStop: () => controller.stopped,
  }).finally(() => client.close());
  return {
    async stop() {
      controller.stopped = true;
      await running;
      return samples;
    },
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function summarize(samples: Sample[]): { total: number; failed: number; p50: number; p99: number; max: number; statuses: Record<string, number> } {
  const statuses: Record<string, number> = {};
  for (const s of samples) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  const lat = samples.map((s) => s.latencyMs);
  return {
    total: samples.length,
    failed: samples.filter((s) => s.status < 200 || s.status >= 400).length,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    max: Math.max(0, ...lat),
    statuses,
  };
}

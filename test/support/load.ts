// Open-model load for resilience tests: requests are sent at a constant arrival rate whatever the server does,
// and each latency is measured from the moment the request was due, so a stalled server cannot hide behind a
// stalled generator (no coordinated omission).
import { Agent, request } from 'node:http';

export interface Sample {
  due: number;
  latencyMs: number;
  status: number; // 0: network error or timeout
  error?: string;
  path: string;
}

export interface LoadRun {
  stop(): Promise<Sample[]>;
  samples: Sample[];
}

export function startLoad(base: string, ratePerSecond: number, paths: readonly string[], timeoutMs = 5000): LoadRun {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  let sent = 0;
  let stopped = false;

  const fire = (due: number) => {
    const path = paths[sent % paths.length]!;
    sent += 1;
    const p = new Promise<void>((resolve) => {
      const done = (status: number, error?: string) => {
        samples.push({ due, latencyMs: performance.now() - due, status, path, ...(error ? { error } : {}) });
        resolve();
      };
      const req = request({ host: url.hostname, port: url.port, path, agent, timeout: timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
        res.on('error', (e) => done(0, e.message));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => done(0, e.message));
      req.end();
    });
    inFlight.add(p);
    void p.then(() => inFlight.delete(p));
  };

  const timer = setInterval(() => {
    if (stopped) return;
    const now = performance.now();
    const target = Math.floor(((now - start) / 1000) * ratePerSecond);
    while (sent < target) fire(start + (sent * 1000) / ratePerSecond);
  }, 5);

  return {
    samples,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all([...inFlight]);
      agent.destroy();
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

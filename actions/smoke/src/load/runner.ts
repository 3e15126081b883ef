// The open-model load generator: requests arrive on the profile's schedule whatever the server does, and each
// latency is measured from the moment the request was due, not from when it could be sent, so a slow server
// cannot slow the generator down and hide its own slowness (no coordinated omission).
import type { HttpClient } from '../client.js';
import { scheduleOf, type Endpoint, type SampleIds } from './mix.js';
import { dueAt, dueBy, totalSeconds, type Phase } from './profile.js';
import { EndpointStats, type Summary } from './stats.js';

export interface LoadOptions {
  base: string;
  phases: Phase[];
  mix: Endpoint[];
  ids: SampleIds;
  client: HttpClient;
  /** Percentiles to compute beyond p50 ... p99 (those the thresholds ask for, e.g. 99.9). */
  percentiles?: number[];
  /** Called about once a second. */
  onProgress?: (p: Progress) => void;
  /** Polled on every tick: true ends the run early (resilience tests stop when their scenario is over). */
  shouldStop?: () => boolean;
  /** Called for every answered (or failed) request; `due` is ms on the performance clock. */
  onSample?: (s: Sample) => void;
}

export interface Sample {
  endpoint: string;
  due: number;
  /** From the moment the request was due (what users of a paced service see). */
  latencyMs: number;
  /** From the moment it was actually sent (the server's share; what wrk reports). */
  serviceMs: number;
  /** 0 for a network error or timeout. */
  status: number;
  error?: string;
}

export interface Progress {
  elapsed: number;
  total: number;
  sent: number;
  done: number;
  inFlight: number;
  failed: number;
  rate: number;
}

export interface LoadResult {
  seconds: number;
  phases: Phase[];
  /** Requests the profile asked for, requests sent (skipped slots excluded). */
  scheduled: number;
  sent: number;
  /** Sent per second over the run: how close the generator held the profile. */
  achievedRate: number;
  /** The largest delay between a request's due time and its sending (generator lag), ms. */
  maxSendLagMs: number;
  endpoints: Record<string, Summary>;
  overall: Summary;
  /** Overall latency from the actual send instead of the due time: the difference is the generator's own lag. */
  overallService: Summary;
  /** Sessions the load created and could not delete in the run (deleted afterwards by the caller). */
  leftover: number[];
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const schedule = scheduleOf(o.mix);
  const stats = new Map(o.mix.map((e) => [e.name, new EndpointStats()]));
  const service = new EndpointStats();
  const created: number[] = [];
  const total = totalSeconds(o.phases);
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let scheduled = 0;
  let done = 0;
  let failed = 0;
  let maxLag = 0;
  const start = performance.now();

  const fire = (n: number) => {
    const endpoint = schedule[n % schedule.length]!;
    const spec = endpoint.make(n, o.ids, created);
    if (!spec) return;
    const due = start + dueAt(o.phases, n) * 1000;
    const sentAt = performance.now();
    maxLag = Math.max(maxLag, sentAt - due);
    sent += 1;
    const p = o.client.request(o.base, spec).then(
      (res) => {
        const now = performance.now();
        const latencyMs = now - due;
        stats.get(endpoint.name)!.record(latencyMs, res.status);
        service.record(now - sentAt, res.status);
        o.onSample?.({ endpoint: endpoint.name, due, latencyMs, serviceMs: now - sentAt, status: res.status });
        if (res.status >= 400) failed += 1;
        if (spec.method === 'POST' && spec.path === '/api/session' && res.status === 201) {
          const id = (JSON.parse(res.body) as { id?: number }).id;
          if (typeof id === 'number') created.push(id);
        }
      },
      (err: Error) => {
        failed += 1;
        const now = performance.now();
        const latencyMs = now - due;
        const kind = /timed out/.test(err.message) ? 'timeout' : 'error';
        stats.get(endpoint.name)!.record(latencyMs, 0, kind);
        service.record(now - sentAt, 0, kind);
        o.onSample?.({ endpoint: endpoint.name, due, latencyMs, serviceMs: now - sentAt, status: 0, error: err.message });
      },
    );
    const tracked = p.finally(() => {
      done += 1;
      inFlight.delete(tracked);
    });
    inFlight.add(tracked);
  };

  let lastProgress = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = (performance.now() - start) / 1000;
      const target = o.shouldStop?.() ? scheduled : dueBy(o.phases, Math.min(elapsed, total));
      while (scheduled < target) fire(scheduled++);
      if (o.onProgress && elapsed - lastProgress >= 1) {
        lastProgress = elapsed;
        o.onProgress({ elapsed, total, sent, done, inFlight: inFlight.size, failed, rate: sent / Math.max(elapsed, 0.001) });
      }
      if (elapsed >= total || o.shouldStop?.()) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 2);
  });
  await Promise.all([...inFlight]);
  const seconds = (performance.now() - start) / 1000;

  const overall = new EndpointStats();
  const endpoints: Record<string, Summary> = {};
  for (const [name, s] of stats) {
    endpoints[name] = s.summary(o.percentiles);
    overall.merge(s);
  }
  return {
    seconds,
    phases: o.phases,
    scheduled,
    sent,
    achievedRate: sent / Math.min(totalSeconds(o.phases), seconds),
    maxSendLagMs: maxLag,
    endpoints,
    overall: overall.summary(o.percentiles),
    overallService: service.summary(o.percentiles),
    leftover: created,
  };
}

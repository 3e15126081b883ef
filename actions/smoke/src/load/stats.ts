// Per-endpoint statistics: an HDR histogram of latencies (microseconds, 3 significant digits) and counts.
import * as hdr from 'hdr-histogram-js';

export const TRACKED_PERCENTILES = [50, 75, 90, 95, 99];

export interface Summary {
  requests: number;
  /** Answers with a status of 400 or more, plus network errors and timeouts. */
  failed: number;
  failRate: number;
  timeouts: number;
  errors: number;
  non2xx: number;
  statuses: Record<string, number>;
  /** Milliseconds. */
  p50: number;
  p75: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export class EndpointStats {
  private readonly histogram = hdr.build({ numberOfSignificantValueDigits: 3 });
  private requests = 0;
  private failed = 0;
  private timeouts = 0;
  private errors = 0;
  private non2xx = 0;
  private readonly statuses: Record<string, number> = {};

  record(latencyMs: number, status: number, error?: 'timeout' | 'error'): void {
    this.requests += 1;
    this.histogram.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
    if (error === 'timeout') this.timeouts += 1;
    if (error === 'error') this.errors += 1;
    const key = error ?? String(status);
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    if (!error && (status < 200 || status >= 300)) this.non2xx += 1;
    if (error || status >= 400) this.failed += 1;
  }

  merge(other: EndpointStats): void {
    this.histogram.add(other.histogram);
    this.requests += other.requests;
    this.failed += other.failed;
    this.timeouts += other.timeouts;
    this.errors += other.errors;
    this.non2xx += other.non2xx;
    for (const [k, v] of Object.entries(other.statuses)) this.statuses[k] = (this.statuses[k] ?? 0) + v;
  }

  summary(): Summary {
    const at = (p: number) => (this.requests === 0 ? 0 : this.histogram.getValueAtPercentile(p) / 1000);
    return {
      requests: this.requests,
      failed: this.failed,
      failRate: this.requests === 0 ? 0 : this.failed / this.requests,
      timeouts: this.timeouts,
      errors: this.errors,
      non2xx: this.non2xx,
      statuses: { ...this.statuses },
      p50: at(50),
      p75: at(75),
      p90: at(90),
      p95: at(95),
      p99: at(99),
      max: this.requests === 0 ? 0 : this.histogram.maxValue / 1000,
      mean: this.requests === 0 ? 0 : this.histogram.mean / 1000,
    };
  }
}

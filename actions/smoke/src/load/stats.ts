// Per-endpoint statistics: an HDR histogram of latencies (microseconds, 3 significant digits) and counts.
// Any percentile can be read from it: the summary always has p50 to p99, and the ones asked for (thresholds
// such as p(99.9)) under `percentiles`.
import * as hdr from 'hdr-histogram-js';

/** The percentiles every summary carries as fields (p50 ... p99). */
export const TRACKED_PERCENTILES = [50, 75, 90, 95, 99];

/** A percentile as a key: 99.9 -> "99.9", 90 -> "90" (no floating-point noise). */
export function percentileKey(p: number): string {
  return String(Number(p.toPrecision(12)));
}

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
  /** Milliseconds; absent in results written before it was measured. */
  min?: number;
  max: number;
  mean: number;
  /** Further percentiles asked for (thresholds), by percentileKey: { "99.9": ms }. */
  percentiles?: Record<string, number>;
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

  /** Milliseconds at a percentile from 0 to 100 (0 without requests). */
  valueAt(percentile: number): number {
    return this.requests === 0 ? 0 : this.histogram.getValueAtPercentile(percentile) / 1000;
  }

  /** The summary; `percentiles` adds those (beyond p50 ... p99) under `percentiles`. */
  summary(percentiles: number[] = []): Summary {
    const at = (p: number) => this.valueAt(p);
    const extra = percentiles.filter((p) => !TRACKED_PERCENTILES.includes(p));
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
      min: this.requests === 0 ? 0 : this.histogram.minNonZeroValue / 1000,
      max: this.requests === 0 ? 0 : this.histogram.maxValue / 1000,
      mean: this.requests === 0 ? 0 : this.histogram.mean / 1000,
      ...(extra.length > 0 ? { percentiles: Object.fromEntries(extra.map((p) => [percentileKey(p), at(p)])) } : {}),
    };
  }
}

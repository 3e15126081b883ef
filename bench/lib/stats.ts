// Small statistics over samples.

/** Nearest-rank percentile (p in 0-100) of values already sorted ascending; NaN for none. */
function atRank(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function percentile(values: readonly number[], p: number): number {
  return atRank(Float64Array.from(values).sort(), p);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => (b > a ? b : a));
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** a / b, or NaN when either is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return Number.NaN;
  return a / b;
}

/** Latencies in milliseconds. */
export interface Latency {
  avg: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Percentiles of many samples, sorting once. */
export function summarize(values: readonly number[]): Latency {
  const sorted = Float64Array.from(values).sort();
  return {
    avg: mean(values),
    p50: atRank(sorted, 50),
    p90: atRank(sorted, 90),
    p99: atRank(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
}

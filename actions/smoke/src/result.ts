// The result of a smoke run: what every report renders, and what the next run compares itself with.
import type { CheckResult } from './checks/checks.js';
import type { LoadResult } from './load/runner.js';
import type { Summary } from './load/stats.js';
import type { ThresholdResult } from './thresholds.js';

export const RESULT_VERSION = 1;

export interface SmokeResult {
  version: typeof RESULT_VERSION;
  environment: string;
  target: string;
  startedAt: string;
  finishedAt: string;
  verdict: 'pass' | 'fail';
  /** Why the run failed, named: "unreachable: <url>: connection refused ...", "checks-failed: ping, https", "threshold-failed: ...", "error: ...". */
  failureReason: string | null;
  checks: CheckResult[];
  load: Omit<LoadResult, 'leftover'> | null;
  thresholds: { source: string; actual: number | null; ok: boolean }[];
}

export function verdictOf(checks: CheckResult[], thresholds: ThresholdResult[], error: string | null): Pick<SmokeResult, 'verdict' | 'failureReason'> {
  if (error) return { verdict: 'fail', failureReason: `error: ${error}` };
  const failedChecks = checks.filter((c) => c.verdict === 'fail').map((c) => c.name);
  if (failedChecks.length) return { verdict: 'fail', failureReason: `checks-failed: ${failedChecks.join(', ')}` };
  const failed = thresholds.filter((t) => !t.ok);
  if (failed.length)
    return {
      verdict: 'fail',
      failureReason: `threshold-failed: ${failed.map((t) => `${t.threshold.source} (got ${t.actual === null ? 'no data' : round(t.actual)})`).join('; ')}`,
    };
  return { verdict: 'pass', failureReason: null };
}

export function round(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) < 0.1) return n.toPrecision(2);
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

export interface Delta {
  endpoint: string;
  p90: number | null;
  p99: number | null;
  failRate: number | null;
}

/** Per-endpoint change against a baseline run (positive: slower or more failures). */
export function deltas(current: SmokeResult, baseline: SmokeResult | null): Map<string, Delta> {
  const out = new Map<string, Delta>();
  if (!current.load || !baseline?.load) return out;
  const pairs: [string, Summary, Summary | undefined][] = Object.entries(current.load.endpoints).map(([k, v]) => [k, v, baseline.load!.endpoints[k]]);
  pairs.push(['overall', current.load.overall, baseline.load.overall]);
  for (const [endpoint, now, before] of pairs) {
    out.set(endpoint, {
      endpoint,
      p90: before ? now.p90 - before.p90 : null,
      p99: before ? now.p99 - before.p99 : null,
      failRate: before ? now.failRate - before.failRate : null,
    });
  }
  return out;
}

export function parseBaseline(text: string, source: string): SmokeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`baseline ${source}: not JSON (${(err as Error).message})`);
  }
  const v = value as Partial<SmokeResult>;
  if (v.version !== RESULT_VERSION || !Array.isArray(v.checks)) throw new Error(`baseline ${source}: not a smoke result of version ${RESULT_VERSION}`);
  return v as SmokeResult;
}

// One smoke run: sample ids, run the checks, run the load, judge the thresholds, clean up what was written.
// The core of the action and of `pipeline smoke`; it reports through callbacks and never touches GitHub.
import { CHECKS, runChecks, type CheckResult } from './checks/checks.js';
import { sampleIds } from './checks/ids.js';
import { HttpClient, probe, UnreachableError } from './client.js';
import { DEFAULT_MIX } from './load/mix.js';
import type { Phase } from './load/profile.js';
import { runLoad, type LoadResult, type Progress } from './load/runner.js';
import { RESULT_VERSION, verdictOf, type SmokeResult } from './result.js';
import { evaluate, percentilesOf, type Threshold, type ThresholdResult } from './thresholds.js';

export interface SmokeOptions {
  environment: string;
  /** Base URL of the API. */
  target: string;
  httpsUrl: string | null;
  httpUrl: string | null;
  insecure: boolean;
  caFile: string | null;
  /** null: checks only. */
  phases: Phase[] | null;
  thresholds: Threshold[];
  timeoutMs: number;
  /** Only these checks (by name); all when empty. */
  only?: string[];
  onCheck?: (r: CheckResult) => void;
  onProgress?: (p: Progress) => void;
  onPhase?: (phase: 'ids' | 'checks' | 'load' | 'cleanup') => void;
}

/** Derives the other entry point when the target is one of them. */
export function entryPoints(target: string, httpsUrl: string | null, httpUrl: string | null): { httpsUrl: string | null; httpUrl: string | null } {
  const t = new URL(target);
  return {
    httpsUrl: httpsUrl ?? (t.protocol === 'https:' ? target : null),
    httpUrl: httpUrl ?? (t.protocol === 'http:' ? target : null),
  };
}

/** The load result as reported: the ids of sessions to clean up are the run's business, not the report's. */
function withoutLeftover({ leftover: _, ...report }: LoadResult): Omit<LoadResult, 'leftover'> {
  return report;
}

export async function runSmoke(o: SmokeOptions): Promise<SmokeResult> {
  const startedAt = new Date().toISOString();
  const client = new HttpClient({ timeoutMs: o.timeoutMs, insecure: o.insecure, ...(o.caFile ? { caFile: o.caFile } : {}), maxSockets: 512 });
  let checks: CheckResult[] = [];
  let load: LoadResult | null = null;
  let thresholds: ThresholdResult[] = [];
  let error: string | null = null;
  let unreachable: string | null = null;
  try {
    // A target that does not answer at all is named first (refused, DNS, TLS), not as missing data.
    await probe(client, o.target);
    o.onPhase?.('ids');
    const ids = await sampleIds(client, o.target);
    o.onPhase?.('checks');
    const selected = o.only?.length ? CHECKS.filter((c) => o.only!.includes(c.name)) : CHECKS;
    checks = await runChecks({ base: o.target, ...entryPoints(o.target, o.httpsUrl, o.httpUrl), client, ids }, selected, o.onCheck);
    if (o.phases) {
      o.onPhase?.('load');
      load = await runLoad({ base: o.target, phases: o.phases, mix: DEFAULT_MIX, ids, client, percentiles: percentilesOf(o.thresholds), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
      o.onPhase?.('cleanup');
      for (const id of load.leftover) await client.request(o.target, { method: 'DELETE', path: `/api/session/${id}` }).catch(() => undefined);
      thresholds = evaluate(o.thresholds, load.overall, load.endpoints, load.seconds);
    }
  } catch (err) {
    if (err instanceof UnreachableError) unreachable = err.message;
    else error = (err as Error).message;
  } finally {
    client.close();
  }
  return {
    version: RESULT_VERSION,
    environment: o.environment,
    target: o.target,
    startedAt,
    finishedAt: new Date().toISOString(),
    ...(unreachable ? { verdict: 'fail' as const, failureReason: `unreachable: ${unreachable}` } : verdictOf(checks, thresholds, error)),
    checks,
    load: load ? withoutLeftover(load) : null,
    thresholds: thresholds.map((t) => ({ source: t.threshold.source, actual: t.actual, ok: t.ok })),
  };
}

// Thresholds in k6's grammar, per endpoint or overall, for the metrics the load measures:
//   http_req_duration: p(90)<400, p(99.9)<1000, avg<300   (a trend, milliseconds: avg, min, max, med, p(N) for
//                                                          any N from 0 to 100, decimals included)
//   http_req_duration{endpoint:/db_dummy}: p(90)<400
//   http_req_failed: rate<0.01                             (a rate: the failed share: status >= 400, errors, timeouts)
//   http_reqs: count>=100, rate>50                         (a counter: requests, and requests per second)
// Operators: < <= > >= == === !=. Anything else (another metric, another tag, another aggregation) is refused
// with an error that names it. Percentiles are read from each endpoint's HDR histogram (load/stats.ts).
import { DEFAULT_SLO } from '../../../monitoring/src/default-slo.js';
import { percentileKey, type Summary } from './load/stats.js';
import { thresholdsFromSlo } from './slo-thresholds.js';

export type Metric = 'http_req_duration' | 'http_req_failed' | 'http_reqs';
export type Op = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export interface Threshold {
  /** As written, for reports. */
  source: string;
  metric: Metric;
  endpoint: string | null;
  /** avg, min, max, med, rate, count, or p<N> (p90, p99.9). */
  stat: string;
  op: Op;
  value: number;
}

export interface ThresholdResult {
  threshold: Threshold;
  actual: number | null;
  ok: boolean;
}

/** What each metric takes (k6: trend, rate, counter). */
const AGGREGATIONS: Record<Metric, { takes: string; ok: (stat: string) => boolean }> = {
  http_req_duration: { takes: 'avg, min, max, med or p(N)', ok: (s) => ['avg', 'min', 'max', 'med'].includes(s) || s.startsWith('p') },
  http_req_failed: { takes: 'rate', ok: (s) => s === 'rate' },
  http_reqs: { takes: 'count or rate', ok: (s) => s === 'count' || s === 'rate' },
};
const METRICS = Object.keys(AGGREGATIONS) as Metric[];

const EXPRESSION = /^(p\(\s*([^)]*?)\s*\)|[a-z]+)\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/i;

/** The metric and the endpoint of a threshold's head: `metric` or `metric{endpoint:<name>}`. */
function parseHead(head: string, where: string): { metric: Metric; endpoint: string | null } {
  const m = /^([A-Za-z_][\w]*)(?:\{(.*)\})?$/.exec(head);
  if (!m) throw new Error(`${where}: expected "<metric>[{endpoint:<name>}]: <expression>, ...", got "${head}"`);
  const metric = m[1]!;
  if (!METRICS.includes(metric as Metric)) throw new Error(`${where}: metric "${metric}" is not measured here (${METRICS.join(', ')})`);
  if (m[2] === undefined) return { metric: metric as Metric, endpoint: null };
  const tag = /^\s*([\w-]+)\s*:\s*(.*?)\s*$/.exec(m[2]);
  if (!tag) throw new Error(`${where}: expected {endpoint:<name>}, got "{${m[2]}}"`);
  if (tag[1] !== 'endpoint') throw new Error(`${where}: tag "${tag[1]}" is not supported (only endpoint)`);
  const other = /,\s*([\w-]+):/.exec(tag[2]!);
  if (other) throw new Error(`${where}: tag "${other[1]}" is not supported (only endpoint, one per threshold)`);
  if (!tag[2]) throw new Error(`${where}: {endpoint:} names no endpoint`);
  return { metric: metric as Metric, endpoint: tag[2] };
}

export function parseThresholds(text: string): Threshold[] {
  const out: Threshold[] = [];
  text.split('\n').forEach((raw, i) => {
    const where = `thresholds line ${i + 1}`;
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    // The head ends at the first ": " (an endpoint name may hold a colon, never one followed by a space).
    const colon = line.search(/:\s/);
    if (colon < 0) throw new Error(`${where}: expected "<metric>[{endpoint:<name>}]: <expression>, ...", got "${line}"`);
    const head = line.slice(0, colon).trim();
    const { metric, endpoint } = parseHead(head, where);
    const expressions = line
      .slice(colon + 1)
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    if (expressions.length === 0) throw new Error(`${where}: no expression after "${head}:"`);
    for (const expr of expressions) {
      const e = EXPRESSION.exec(expr);
      if (!e) throw new Error(`${where}: "${expr}" is not <aggregation> <operator> <number> (e.g. p(90)<400, rate<0.01; operators < <= > >= == === !=)`);
      let stat = e[1]!.toLowerCase();
      if (e[2] !== undefined) {
        const n = Number(e[2]);
        if (!/^\d+(?:\.\d+)?$/.test(e[2]) || !(n >= 0 && n <= 100)) throw new Error(`${where}: ${e[1]}: the percentile must be from 0 to 100 (e.g. p(90), p(99.9))`);
        stat = `p${percentileKey(n)}`;
      }
      const rule = AGGREGATIONS[metric];
      if (!rule.ok(stat)) throw new Error(`${where}: ${metric} takes ${rule.takes}, not ${e[1]}`);
      out.push({ source: `${head}: ${expr}`, metric, endpoint, stat, op: e[3] as Op, value: Number(e[4]) });
    }
  });
  return out;
}

/** The percentiles the thresholds ask for (p(N)), in order, each once: the load computes these. */
export function percentilesOf(thresholds: Threshold[]): number[] {
  const out: number[] = [];
  for (const t of thresholds) {
    if (!/^p\d/.test(t.stat)) continue;
    const n = Number(t.stat.slice(1));
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** The thresholds the repository's objectives imply (monitoring/slo.yaml): one file drives these, the recording rules and the alerts. */
export const DEFAULT_THRESHOLDS = thresholdsFromSlo(DEFAULT_SLO);

function statOf(t: Threshold, s: Summary, seconds: number | undefined): number | null {
  if (t.metric === 'http_reqs') {
    if (t.stat === 'count') return s.requests;
    return seconds && seconds > 0 ? s.requests / seconds : null;
  }
  switch (t.stat) {
    case 'avg':
      return s.mean;
    case 'med':
      return s.p50;
    case 'min':
      return s.min ?? null;
    case 'max':
      return s.max;
    case 'rate':
      return s.failRate;
    default: {
      const key = t.stat.slice(1);
      const fixed = (s as unknown as Record<string, number | undefined>)[t.stat];
      return s.percentiles?.[key] ?? fixed ?? null;
    }
  }
}

function compare(a: number, op: Op, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '!=':
      return a !== b;
    default:
      return a === b;
  }
}

/** Judges each threshold; `seconds` (the load's duration) gives http_reqs' rate. No data is not a pass. */
export function evaluate(thresholds: Threshold[], overall: Summary, endpoints: Record<string, Summary>, seconds?: number): ThresholdResult[] {
  return thresholds.map((t) => {
    const s = t.endpoint === null ? overall : endpoints[t.endpoint];
    if (!s || s.requests === 0) return { threshold: t, actual: null, ok: false };
    const actual = statOf(t, s, seconds);
    if (actual === null) return { threshold: t, actual: null, ok: false };
    return { threshold: t, actual, ok: compare(actual, t.op, t.value) };
  });
}

// Thresholds in k6's syntax, per endpoint or overall:
//   http_req_duration: p(90)<400, p(99)<1000        (milliseconds; p(N) for N in 50 75 90 95 99, avg, med, max)
//   http_req_duration{endpoint:/db_dummy}: p(90)<400
//   http_req_failed: rate<0.01                       (failed share: status >= 400, errors, timeouts)
import { DEFAULT_SLO } from '../../../monitoring/src/default-slo.js';
import { TRACKED_PERCENTILES, type Summary } from './load/stats.js';
import { thresholdsFromSlo } from './slo-thresholds.js';

export type Metric = 'http_req_duration' | 'http_req_failed';
export type Op = '<' | '<=' | '>' | '>=' | '==';

export interface Threshold {
  /** As written, for reports. */
  source: string;
  metric: Metric;
  endpoint: string | null;
  stat: string;
  op: Op;
  value: number;
}

export interface ThresholdResult {
  threshold: Threshold;
  actual: number | null;
  ok: boolean;
}

const HEAD = /^(http_req_duration|http_req_failed)(?:\{endpoint:(.+)\})?$/;

export function parseThresholds(text: string): Threshold[] {
  const out: Threshold[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const colon = line.search(/:\s/);
    const head = colon < 0 ? '' : line.slice(0, colon).trim();
    const m = HEAD.exec(head);
    if (!m) throw new Error(`thresholds line ${i + 1}: expected "http_req_duration[{endpoint:...}]: <expr>" or "http_req_failed...", got "${line}"`);
    const metric = m[1] as Metric;
    for (const expr of line.slice(colon + 1).split(',').map((e) => e.trim()).filter(Boolean)) {
      const e = /^(p\((\d+(?:\.\d+)?)\)|avg|med|max|rate)\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?)$/.exec(expr);
      if (!e) throw new Error(`thresholds line ${i + 1}: "${expr}" is not like p(90)<400 or rate<0.01`);
      const stat = e[2] ? `p${e[2]}` : e[1]!;
      if (metric === 'http_req_failed' && stat !== 'rate') throw new Error(`thresholds line ${i + 1}: http_req_failed takes rate, not ${e[1]}`);
      if (metric === 'http_req_duration' && stat === 'rate') throw new Error(`thresholds line ${i + 1}: http_req_duration takes p(N), avg, med or max`);
      if (e[2] && !TRACKED_PERCENTILES.includes(Number(e[2])))
        throw new Error(`thresholds line ${i + 1}: percentile ${e[2]} is not tracked (use ${TRACKED_PERCENTILES.join(', ')})`);
      out.push({ source: `${head}: ${expr}`, metric, endpoint: m[2] ?? null, stat, op: e[3] as Op, value: Number(e[4]) });
    }
  });
  return out;
}

/** The thresholds the repository's objectives imply (monitoring/slo.yaml): one file drives these, the recording rules and the alerts. */
export const DEFAULT_THRESHOLDS = thresholdsFromSlo(DEFAULT_SLO);

function statOf(s: Summary, stat: string): number {
  switch (stat) {
    case 'avg':
      return s.mean;
    case 'med':
      return s.p50;
    case 'max':
      return s.max;
    case 'rate':
      return s.failRate;
    default:
      return s[stat as 'p50' | 'p75' | 'p90' | 'p95' | 'p99'];
  }
}

function compare(a: number, op: Op, b: number): boolean {
  return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : op === '>=' ? a >= b : a === b;
}

export function evaluate(thresholds: Threshold[], overall: Summary, endpoints: Record<string, Summary>): ThresholdResult[] {
  return thresholds.map((t) => {
    const s = t.endpoint === null ? overall : endpoints[t.endpoint];
    if (!s || s.requests === 0) return { threshold: t, actual: null, ok: false }; // no data is not a pass
    const actual = statOf(s, t.stat);
    return { threshold: t, actual, ok: compare(actual, t.op, t.value) };
  });
}

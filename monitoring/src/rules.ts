// The Prometheus rules an SLO file implies: per objective, the error ratio of its SLI over the burn-rate
// windows, the budget left over the SLO window, and multi-window burn-rate alerts in the style of the SRE
// workbook (chapter 5, "Alerting on SLOs", the fifth iteration). Pure: text in, text out.
import { stringify } from 'yaml';
import type { Endpoint, Slo, SloClass } from './slo.js';

/** The burn-rate alert windows: a long window for significance, a short one so the alert resets fast. */
export const BURN_WINDOWS = [
  { severity: 'page', alert: 'SHSErrorBudgetBurnFast', long: '1h', short: '5m', factor: 14.4 },
  { severity: 'page', alert: 'SHSErrorBudgetBurnFast', long: '6h', short: '30m', factor: 6 },
  { severity: 'ticket', alert: 'SHSErrorBudgetBurnSlow', long: '1d', short: '2h', factor: 3 },
  { severity: 'ticket', alert: 'SHSErrorBudgetBurnSlow', long: '3d', short: '6h', factor: 1 },
] as const;

/** Every window an SLI is recorded over (those the alerts read). */
export const SLI_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

/** A burn-rate factor as high as the budget allows: an error ratio cannot pass 1, so a 14.4x burn of a 10% budget could never fire. */
export function effectiveFactor(factor: number, budget: number): number {
  return Math.min(factor, 0.9 / budget);
}

export interface Sli {
  /** The `slo` label: "<class>-availability", "<class>-latency", "overall-availability". */
  slo: string;
  sli: 'availability' | 'latency';
  class: string;
  objective: number;
  description: string;
  /** PromQL of the error ratio over a window. */
  errorRatio(window: string): string;
}

const num = (n: number) => String(Number(n.toPrecision(6)));

function selectors(endpoints: Endpoint[], extra = ''): string[] {
  return endpoints.map((e) => `{route=${JSON.stringify(e.route)},method=${JSON.stringify(e.method)}${extra}}`);
}

/** sum(rate(m{a}[w]) or rate(m{b}[w]) ...): the series of different endpoints are disjoint, so `or` unions them. */
function sumRate(metric: string, sels: string[], window: string): string {
  return `sum(${sels.map((s) => `rate(${metric}${s}[${window}])`).join(' or ')})`;
}

function availability(c: SloClass): Sli {
  return {
    slo: `${c.name}-availability`,
    sli: 'availability',
    class: c.name,
    objective: c.availability!,
    description: `${num(c.availability! * 100)}% of ${c.name} requests (${c.endpoints.map((e) => `${e.method} ${e.route}`).join(', ')}) answered without a 5xx`,
    errorRatio: (w) =>
      `(${sumRate('shs_proxy_requests_total', selectors(c.endpoints, ',status=~"5.."'), w)} or vector(0))\n/\n${sumRate('shs_proxy_requests_total', selectors(c.endpoints), w)}`,
  };
}

function latency(c: SloClass): Sli {
  const l = c.latency!;
  const le = String(l.belowMs / 1000);
  return {
    slo: `${c.name}-latency`,
    sli: 'latency',
    class: c.name,
    objective: l.percentile / 100,
    description: `${num(l.percentile)}% of ${c.name} requests answered within ${l.belowMs} ms (p${num(l.percentile)} < ${l.belowMs} ms)`,
    errorRatio: (w) =>
      `1 - (\n${sumRate('shs_proxy_request_duration_seconds_bucket', selectors(c.endpoints, `,le="${le}"`), w)}\n/\n${sumRate('shs_proxy_request_duration_seconds_count', selectors(c.endpoints), w)}\n)`,
  };
}

function overall(objective: number): Sli {
  return {
    slo: 'overall-availability',
    sli: 'availability',
    class: 'overall',
    objective,
    description: `${num(objective * 100)}% of all requests answered without a 5xx`,
    errorRatio: (w) => `(sum(rate(shs_proxy_requests_total{status=~"5.."}[${w}])) or vector(0))\n/\nsum(rate(shs_proxy_requests_total[${w}]))`,
  };
}

/** Every SLI of the file, in its order: the overall objective first. */
export function slisOf(slo: Slo): Sli[] {
  const out: Sli[] = [];
  if (slo.overallAvailability !== null) out.push(overall(slo.overallAvailability));
  for (const c of slo.classes) {
    if (c.availability !== null) out.push(availability(c));
    if (c.latency !== null) out.push(latency(c));
  }
  return out;
}

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function sliGroup(s: Sli, slo: Slo): { name: string; rules: Rule[] } {
  const labels = { slo: s.slo, sli: s.sli, class: s.class };
  const budget = 1 - s.objective;
  const rules: Rule[] = SLI_WINDOWS.map((w) => ({ record: `slo:sli_error:ratio_rate${w}`, expr: s.errorRatio(w), labels }));
  rules.push(
    { record: 'slo:objective:ratio', expr: `vector(${num(s.objective)})`, labels },
    { record: 'slo:error_budget:ratio', expr: `vector(${num(budget)})`, labels },
    {
      // The average of the 5m ratios over the SLO window (every 5m window weighs the same, as in Sloth).
      record: `slo:sli_error:ratio_rate${slo.window}`,
      expr: `sum_over_time(slo:sli_error:ratio_rate5m{slo="${s.slo}"}[${slo.window}])\n/\ncount_over_time(slo:sli_error:ratio_rate5m{slo="${s.slo}"}[${slo.window}])`,
      labels,
    },
    {
      record: 'slo:period_error_budget_remaining:ratio',
      expr: `1 - slo:sli_error:ratio_rate${slo.window}{slo="${s.slo}"} / ${num(budget)}`,
      labels,
    },
  );
  for (const severity of ['page', 'ticket'] as const) {
    const pairs = BURN_WINDOWS.filter((b) => b.severity === severity);
    const alert = pairs[0]!.alert;
    const expr = pairs
      .map((b) => {
        const t = num(effectiveFactor(b.factor, budget) * budget);
        return `(slo:sli_error:ratio_rate${b.long}{slo="${s.slo}"} > ${t}\nand\nslo:sli_error:ratio_rate${b.short}{slo="${s.slo}"} > ${t})`;
      })
      .join('\nor\n');
    const speed = pairs.map((b) => `${num(effectiveFactor(b.factor, budget))}x over ${b.long} and ${b.short}`).join(', or ');
    rules.push({
      alert,
      expr,
      labels: { severity, slo: s.slo, sli: s.sli, class: s.class },
      annotations: {
        summary: `SHS ${s.slo}: the error budget is burning ${severity === 'page' ? 'fast' : 'steadily'}`,
        description: `Objective: ${s.description}. Its budget (${num(budget * 100)}% over ${slo.window}) is being spent at ${speed}.`,
        runbook: `docs/monitoring.md#${alert.toLowerCase()}`,
      },
    });
  }
  return { name: `shs-slo-${s.slo}`, rules };
}

function freshnessGroup(c: SloClass): { name: string; rules: Rule[] } {
  const s = c.maxStaleSeconds!;
  return {
    name: `shs-slo-${c.name}-freshness`,
    rules: [
      {
        // Answers served from the cache older than the bound, over 5 minutes (0 when every answer was fresh enough).
        record: 'slo:cache_stale_answers:increase5m',
        expr: `sum by (instance) (increase(shs_proxy_cache_served_age_seconds_count[5m]))\n-\nsum by (instance) (increase(shs_proxy_cache_served_age_seconds_bucket{le="${s}"}[5m]))`,
        labels: { slo: `${c.name}-freshness`, class: c.name },
      },
      {
        alert: 'SHSCacheServedStale',
        expr: `slo:cache_stale_answers:increase5m{slo="${c.name}-freshness"} > 0`,
        labels: { severity: 'page', slo: `${c.name}-freshness`, class: c.name },
        annotations: {
          summary: `SHS proxy {{ $labels.instance }} served ${c.name} answers older than ${s} s`,
          description: `The contract allows a cached ${c.endpoints.map((e) => e.route).join(', ')} answer at most ${s} s behind the origin; {{ $value | humanize }} answers in the last 5 minutes were older.`,
          runbook: 'docs/monitoring.md#shscacheservedstale',
        },
      },
    ],
  };
}

/** The rule file (YAML) for an SLO; `source` names the SLO file in the header. */
export function generateRules(slo: Slo, source = 'monitoring/slo.yaml'): string {
  const groups = slisOf(slo).map((s) => sliGroup(s, slo));
  for (const c of slo.classes) if (c.maxStaleSeconds !== null) groups.push(freshnessGroup(c));
  const header = [
    `# GENERATED from ${source} by \`npx pipeline slo rules\`: do not edit; change the SLO file and regenerate.`,
    '# Per objective: its error ratio over the burn-rate windows (slo:sli_error:ratio_rate<window>), its',
    '# objective and budget, the budget left over the SLO window, and multi-window burn-rate alerts',
    '# (SHSErrorBudgetBurnFast pages, SHSErrorBudgetBurnSlow files a ticket). docs/monitoring.md explains them.',
    '',
  ].join('\n');
  return header + stringify({ groups }, { lineWidth: 0, blockQuote: 'literal', aliasDuplicateObjects: false });
}

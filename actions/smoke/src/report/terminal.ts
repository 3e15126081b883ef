// The terminal sink: a live progress line while the load runs, then plain-text tables.
import { textTable } from '../../../common/src/text-table.js';
import type { CheckResult } from '../checks/checks.js';
import type { Progress } from '../load/runner.js';
import { round, type SmokeResult } from '../result.js';

/** The checks as a table: name, result, detail. */
export function checksTable(checks: CheckResult[]): string {
  return textTable(['check', 'result', 'detail'], checks.map((c) => [c.name, c.verdict === 'fail' ? 'FAIL' : c.verdict, c.detail]));
}

export function checkLine(c: CheckResult): string {
  const mark = c.verdict === 'pass' ? 'pass' : c.verdict === 'fail' ? 'FAIL' : 'info';
  return `  ${mark}  ${c.title}: ${c.detail}`;
}

export function progressLine(p: Progress): string {
  const pct = Math.min(100, (p.elapsed / p.total) * 100);
  return `load ${p.elapsed.toFixed(0).padStart(3)}/${p.total}s ${pct.toFixed(0).padStart(3)}%  sent ${p.sent}  (${p.rate.toFixed(1)}/s)  in flight ${p.inFlight}  failed ${p.failed}`;
}

export function renderText(r: SmokeResult): string {
  const out: string[] = [];
  out.push(checksTable(r.checks));
  for (const c of r.checks.filter((x) => x.verdict === 'fail' && x.evidence))
    out.push(`\n${c.name}: ${c.evidence!.request} -> ${c.evidence!.status ?? 'no answer'}\n  ${c.evidence!.excerpt}`);
  if (r.load) {
    const rows = [...Object.entries(r.load.endpoints), ['overall', r.load.overall] as const].map(([name, s]) => [
      name,
      String(s.requests),
      String(s.failed),
      round(s.p50),
      round(s.p90),
      round(s.p99),
      round(s.max),
    ]);
    out.push(`\n${textTable(['endpoint', 'requests', 'failed', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], rows)}`);
    out.push(`sent ${r.load.sent} in ${round(r.load.seconds)} s (${round(r.load.achievedRate)}/s), largest send lag ${round(r.load.maxSendLagMs)} ms`);
  }
  if (r.thresholds.length) out.push(`\n${textTable(['threshold', 'actual', 'result'], r.thresholds.map((t) => [t.source, t.actual === null ? 'no data' : round(t.actual), t.ok ? 'ok' : 'FAIL']))}`);
  out.push(`\nverdict: ${r.verdict.toUpperCase()}${r.failureReason ? ` (${r.failureReason})` : ''}`);
  return `${out.join('\n')}\n`;
}

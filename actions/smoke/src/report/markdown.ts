// Markdown of a smoke result, for the job summary and the PR comment: verdict, checks, latency per endpoint
// with deltas against the baseline, a mermaid chart, thresholds, and the evidence of what failed.
import { escapeCell as cell } from '../../../common/src/markdown.js';
import { deltas, round, type SmokeResult } from '../result.js';

export interface MarkdownOptions {
  baseline: SmokeResult | null;
  /** Hard limit on the output (PR comments: 65,536 characters; job summaries: 1 MiB). */
  maxLength: number;
  /** A hidden first line identifying the report (the sticky comment's marker). */
  marker?: string;
}

const ICON = { pass: '✅', fail: '❌', info: 'ℹ️' } as const;

function signed(n: number | null | undefined, unit = ''): string {
  if (n === null || n === undefined) return '–';
  const s = round(Math.abs(n));
  return `${n > 0 ? '+' : n < 0 ? '−' : '±'}${s}${unit}`;
}

export function renderMarkdown(r: SmokeResult, o: MarkdownOptions): string {
  const head: string[] = [];
  if (o.marker) head.push(o.marker);
  head.push(`## ${r.verdict === 'pass' ? '✅' : '❌'} SHS smoke: ${r.verdict.toUpperCase()} on ${cell(r.environment)}`);
  const passed = r.checks.filter((c) => c.verdict === 'pass').length;
  const failedChecks = r.checks.filter((c) => c.verdict === 'fail').length;
  const thresholdsOk = r.thresholds.filter((t) => t.ok).length;
  head.push('');
  head.push(
    `Target \`${r.target}\` · checks ${passed}/${r.checks.length} passed${failedChecks ? `, **${failedChecks} failed**` : ''}` +
      (r.load ? ` · ${r.load.sent.toLocaleString('en-US')} requests in ${round(r.load.seconds)} s (${round(r.load.achievedRate)}/s)` : '') +
      ` · thresholds ${thresholdsOk}/${r.thresholds.length}` +
      (o.baseline ? ` · compared with the run of ${o.baseline.startedAt}` : ''),
  );
  if (r.failureReason) head.push('', `**Failure:** ${cell(r.failureReason)}`);

  const checks = ['', '### Checks', '', '| | check | detail |', '|---|---|---|'];
  for (const c of r.checks) checks.push(`| ${ICON[c.verdict]} | ${cell(c.title)} | ${cell(c.detail)} |`);

  const load: string[] = [];
  if (r.load) {
    const d = deltas(r, o.baseline);
    const withBase = o.baseline?.load ? ' | Δ p90 | Δ p99 | Δ failed' : '';
    load.push('', '### Latency by endpoint (ms, open model)', '');
    load.push(`| endpoint | requests | failed | p50 | p90 | p99 | max${withBase} |`);
    load.push(`|---|--:|--:|--:|--:|--:|--:${o.baseline?.load ? '|--:|--:|--:' : ''}|`);
    const rows = [...Object.entries(r.load.endpoints), ['overall', r.load.overall] as const];
    for (const [name, s] of rows) {
      const delta = d.get(name);
      const extra = o.baseline?.load ? ` | ${signed(delta?.p90)} | ${signed(delta?.p99)} | ${delta?.failRate == null ? '–' : signed(delta.failRate * 100, ' pp')}` : '';
      const label = name === 'overall' ? '**overall**' : `\`${cell(name)}\``;
      load.push(`| ${label} | ${s.requests} | ${s.failed}${s.failed ? ` (${round(s.failRate * 100)}%)` : ''} | ${round(s.p50)} | ${round(s.p90)} | ${round(s.p99)} | ${round(s.max)}${extra} |`);
    }
    const names = Object.keys(r.load.endpoints);
    load.push('', '```mermaid', 'xychart-beta', '  title "p90 and p99 latency by endpoint (ms)"');
    load.push(`  x-axis [${names.map((n) => `"${n.replace(/"/g, "'")}"`).join(', ')}]`);
    load.push('  y-axis "ms"');
    load.push(`  bar [${names.map((n) => round(r.load!.endpoints[n]!.p99)).join(', ')}]`);
    load.push(`  bar [${names.map((n) => round(r.load!.endpoints[n]!.p90)).join(', ')}]`);
    load.push('```');
    load.push('', `Profile: ${r.load.phases.map((p) => `${p.rate}/s for ${p.seconds} s`).join(', then ')}; largest send lag ${round(r.load.maxSendLagMs)} ms.`);
  }

  const thresholds = ['', '### Thresholds', '', '| | threshold | actual |', '|---|---|--:|'];
  for (const t of r.thresholds) thresholds.push(`| ${t.ok ? '✅' : '❌'} | \`${cell(t.source)}\` | ${t.actual === null ? 'no data' : round(t.actual)} |`);
  if (r.thresholds.length === 0) thresholds.push('| | (no load run) | |');

  const evidence: string[] = [];
  for (const c of r.checks.filter((x) => x.verdict === 'fail' && x.evidence)) {
    evidence.push('', `<details><summary>❌ ${cell(c.title)}: evidence</summary>`, '', '```text');
    evidence.push(`request:  ${c.evidence!.request}`, `status:   ${c.evidence!.status ?? 'no answer'}`, `excerpt:  ${c.evidence!.excerpt}`);
    evidence.push('```', '</details>');
  }

  const footer = ['', `<sub>shs-delivery smoke · ${r.startedAt} → ${r.finishedAt}</sub>`, ''];
  // Drop the least important parts first when over the limit.
  const parts = [head, checks, load, thresholds, evidence, footer];
  let text = parts.map((p) => p.join('\n')).join('\n');
  if (text.length > o.maxLength) {
    const note = ['', '_Evidence left out: the report was over the size limit._'];
    text = [head, checks, load, thresholds, note, footer].map((p) => p.join('\n')).join('\n');
  }
  if (text.length > o.maxLength) {
    const cut = '\n\n_…cut at the size limit._\n';
    text = text.slice(0, o.maxLength - cut.length) + cut;
  }
  return text;
}

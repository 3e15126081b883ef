// The job summary (Markdown) of a deploy, written whether it succeeded or not: what was deployed where, what
// the plan changed, how the rollout went, and on failure the reason with what to do about it.
import { escapeCell as esc } from '../../common/src/markdown.js';
import type { DeployReport } from './deploy.js';
import { consoleUrl } from './rollout.js';
import { planTable, planTotals } from './plan-summary.js';

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const ADVICE: Partial<Record<string, string>> = {
  'state-locked':
    'Another run holds the state lock. Wait for it, or, if that run is dead, unlock with `tofu force-unlock <lock ID>` (docs/runbook.md, "Unlock the state").',
  'rollout-timeout': 'Instances were still on the old template at the deadline. The groups keep rolling out; check them in the console.',
  'instances-unhealthy': 'The new instances did not pass their health checks. Roll back (rollback.yml) and read the instances\' serial console.',
  'apply-failed': 'terraform apply failed part-way: the state records what was done. Fix the cause and run again; the plan picks up from there.',
};

const STALE_PLAN_ADVICE =
  'The saved plan is stale: the state changed after it was made (another apply, or a change by hand), so OpenTofu refused it and changed nothing. Run the whole workflow again to plan against the state as it is now.';

/** A saved plan OpenTofu refused because the state moved on since it was made. */
export function staleSavedPlan(report: DeployReport): boolean {
  return report.failureReason === 'apply-failed' && report.planFile !== undefined && !report.planOnly && /stale/i.test(report.error ?? '');
}

export function renderSummary(report: DeployReport): string {
  const ok = !report.failureReason;
  const done = report.planOnly ? (report.changed ? 'planned' : 'no changes') : report.applied ? 'deployed' : 'up to date';
  const lines: string[] = [`## deploy (${report.target}): ${ok ? done : `failed: ${report.failureReason}`}`, ''];
  if (!ok) {
    lines.push(`**Error:** ${esc(report.error ?? '')}`, '');
    const advice = staleSavedPlan(report) ? STALE_PLAN_ADVICE : ADVICE[report.failureReason ?? ''];
    if (advice) lines.push(`> ${advice}`, '');
    if (report.lockInfo) {
      lines.push('| lock | |', '|---|---|');
      for (const [k, v] of Object.entries(report.lockInfo)) if (v) lines.push(`| ${k} | \`${esc(String(v))}\` |`);
      lines.push('');
    }
  }
  lines.push('| | |', '|---|---|');
  if (report.image) lines.push(`| image | \`${esc(report.image)}\` |`);
  if (report.digest) lines.push(`| digest | \`${report.digest}\` |`);
  if (report.url) lines.push(`| URL | ${report.url} |`);
  if (report.httpsUrl) lines.push(`| HTTPS | ${report.httpsUrl} |`);
  if (report.tool) lines.push(`| tool | ${report.tool.name} ${report.tool.version}${report.tool.fromCache ? ' (tool cache)' : ''} |`);
  if (report.plan) lines.push(`| plan | ${planTotals(report.plan)}${report.applied ? ', applied' : ''} |`);
  if (report.planFile) lines.push(`| saved plan | \`${esc(report.planFile)}\`${report.applied ? ', applied' : ''} |`);
  lines.push(`| time | ${sec(report.durationMs)} |`);
  if (report.plan && report.plan.resources.length > 0) lines.push('', '### Plan', '', planTable(report.plan));
  if (report.rollout.length > 0) {
    lines.push('', '### Rollout', '', '| group | instances | state | |', '|---|---|---|---|');
    for (const g of report.rollout) {
      const states = g.instances.map((i) => `${i.name}: ${i.status}`).join('<br>');
      const link = report.folderId ? `[console](${consoleUrl(report.folderId, g.id)})` : `\`${g.id}\``;
      lines.push(`| ${esc(g.name || g.id)} | ${g.actual}/${g.targetSize} actual | ${esc(states)} | ${link} |`);
    }
  } else if (Object.keys(report.groupIds).length > 0 && report.folderId) {
    lines.push('', ...Object.entries(report.groupIds).map(([name, id]) => `- ${name}: [${id}](${consoleUrl(report.folderId, id)})`));
  }
  return `${lines.join('\n')}\n`;
}

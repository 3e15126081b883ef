// The deploy action: runDeploy in the actions' harness (inputs parsed once; every output, failure-reason among
// them, and the job summary written whatever happens), plus the plan as a sticky pull-request comment when asked.
import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import { MAX_COMMENT_LENGTH, upsertSticky } from '../../common/src/github-comments.js';
import { runAction } from '../../common/src/harness.js';
import { pullRequestOfRun } from '../../common/src/pull-request.js';
import { runnerContext } from '../../common/src/runner-context.js';
import { emptyReport, recordFailure, type DeployFailureReason, type DeployReport } from './deploy.js';
import { getInputs, type Inputs } from './inputs.js';
import type { ToolCache } from './install.js';
import { consoleUrl } from './rollout.js';
import { runDeploy } from './run-deploy.js';
import { renderSummary } from './summary.js';

/** The outputs action.yml declares. */
export const OUTPUTS = ['url', 'https-url', 'ca-file', 'image', 'digest', 'changed', 'plan', 'plan-file', 'comment-url', 'group-ids', 'console-url', 'failure-reason', 'lock-info', 'tool-version'] as const;

const runnerToolCache: ToolCache = {
  find: (tool, version, arch) => tc.find(tool, version, arch) || undefined,
  save: (dir, tool, version, arch) => tc.cacheDir(dir, tool, version, arch),
};

interface Deployed {
  report: DeployReport;
  /** A note for the summary (a comment that was not posted). */
  note: string;
  commentUrl: string;
}

function outputsOf(report: DeployReport, commentUrl: string): Record<string, string> {
  const plan = report.plan;
  return {
    url: report.url,
    'https-url': report.httpsUrl,
    'ca-file': report.caFile,
    image: report.image,
    digest: report.digest,
    changed: report.changed === undefined ? '' : String(report.changed),
    plan: plan ? JSON.stringify({ add: plan.add, change: plan.change, destroy: plan.destroy, replace: plan.replace }) : '',
    'plan-file': report.planFile ?? '',
    'comment-url': commentUrl,
    'group-ids': JSON.stringify(report.groupIds),
    'console-url': report.folderId ? Object.values(report.groupIds).map((id) => consoleUrl(report.folderId, id)).join('\n') : '',
    'lock-info': report.lockInfo ? JSON.stringify(report.lockInfo) : '',
    'tool-version': report.tool?.version ?? '',
  };
}

/** The sticky comment's marker: one comment per root module and environment. */
export function planMarker(inputs: Pick<Inputs, 'workingDirectory' | 'variables'>): string {
  return `<!-- shs-deploy-plan:${inputs.workingDirectory}:${inputs.variables.environment ?? 'default'} -->`;
}

/** Posts the summary as the pull request's sticky comment; returns a note for the job summary and the comment's URL. */
async function commentOnPullRequest(inputs: Inputs, report: DeployReport): Promise<{ note: string; url: string }> {
  const pr = pullRequestOfRun();
  if (!pr) return { note: '', url: '' };
  return core.group('Pull request comment', async () => {
    if (!inputs.githubToken) return { note: '\n> Note: the plan was not posted on the pull request: no github-token.\n', url: '' };
    const marker = planMarker(inputs);
    let body = `${marker}\n${renderSummary(report)}`;
    if (body.length > MAX_COMMENT_LENGTH) body = `${body.slice(0, MAX_COMMENT_LENGTH - 200)}\n\n…cut: the whole plan is in the job summary.\n`;
    const outcome = await upsertSticky({
      token: inputs.githubToken,
      apiUrl: runnerContext().apiUrl,
      repository: pr.repository,
      issue: pr.number,
      marker,
      body,
      author: inputs.commentAuthor,
    });
    if (outcome.action === 'skipped') {
      core.info(`comment skipped: ${outcome.reason}`);
      return { note: `\n> Note: the plan was not posted on the pull request: ${outcome.reason}.\n`, url: '' };
    }
    core.info(`comment ${outcome.action}: ${outcome.url}`);
    return { note: '', url: outcome.url };
  });
}

async function deploy(inputs: Inputs): Promise<Deployed> {
  if (inputs.githubToken) core.setSecret(inputs.githubToken);
  const context = runnerContext();
  const report = await runDeploy(inputs, {
    workspace: context.workspace,
    cache: runnerToolCache,
    log: (l) => core.info(l),
    warn: (l) => core.warning(l),
    phase: (name, fn) => core.group(name, fn),
    mask: (s) => core.setSecret(s),
    getIdToken: (audience) => core.getIDToken(audience),
    ...(process.env.PIPELINE_STATE_DIR ? { stateDir: process.env.PIPELINE_STATE_DIR } : {}),
  });
  let comment = { note: '', url: '' };
  if (inputs.comment) comment = await commentOnPullRequest(inputs, report).catch((err: Error) => ({ note: `\n> Note: the plan comment failed: ${err.message}\n`, url: '' }));
  if (!report.failureReason) {
    if (report.planOnly) core.info(`planned ${report.image}${report.planFile ? `; saved plan ${report.planFile}` : ''}`);
    else core.info(`deployed ${report.image || '(local build)'}${report.url ? ` at ${report.url}` : ''}`);
  }
  return { report, note: comment.note, commentUrl: comment.url };
}

export function run(): Promise<unknown> {
  return runAction<Inputs, Deployed, DeployFailureReason>({
    outputs: OUTPUTS,
    inputs: getInputs,
    run: deploy,
    // runDeploy records its failures on the report (never throws).
    failureOf: ({ report }) => (report.failureReason ? { reason: report.failureReason, message: report.error ?? '' } : undefined),
    outputsOf: (deployed) => outputsOf(deployed?.report ?? emptyReport('yandex', ''), deployed?.commentUrl ?? ''),
    summary: ({ result, failure }) => {
      if (result) return renderSummary(result.report) + result.note;
      // The inputs were refused: the summary of an empty report that failed with that reason.
      const report = emptyReport('yandex', '');
      recordFailure(report, Object.assign(new Error(failure?.message ?? 'unknown error'), { name: 'InputError' }));
      report.failureReason = failure?.reason ?? 'error';
      return renderSummary(report);
    },
    annotation: (failure) => `${failure.reason}: ${failure.message}`,
  });
}

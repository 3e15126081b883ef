// The deploy action: a thin adapter over runDeploy (inputs in; outputs and a job summary out, both written
// whatever happens), plus the plan as a sticky pull-request comment when asked.
import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import { MAX_COMMENT_LENGTH, upsertSticky } from '../../common/src/github-comments.js';
import { pullRequestOfRun } from '../../common/src/pull-request.js';
import { emptyReport, recordFailure, type DeployReport } from './deploy.js';
import { getInputs, type Inputs } from './inputs.js';
import type { ToolCache } from './install.js';
import { consoleUrl } from './rollout.js';
import { runDeploy } from './run-deploy.js';
import { renderSummary } from './summary.js';

const runnerToolCache: ToolCache = {
  find: (tool, version, arch) => tc.find(tool, version, arch) || undefined,
  save: (dir, tool, version, arch) => tc.cacheDir(dir, tool, version, arch),
};

function setOutputs(report: DeployReport): void {
  const plan = report.plan;
  core.setOutput('url', report.url);
  core.setOutput('https-url', report.httpsUrl);
  core.setOutput('ca-file', report.caFile);
  core.setOutput('image', report.image);
  core.setOutput('digest', report.digest);
  core.setOutput('changed', report.changed === undefined ? '' : String(report.changed));
  core.setOutput('plan', plan ? JSON.stringify({ add: plan.add, change: plan.change, destroy: plan.destroy, replace: plan.replace }) : '');
  core.setOutput('plan-file', report.planFile ?? '');
  core.setOutput('group-ids', JSON.stringify(report.groupIds));
  core.setOutput('console-url', report.folderId ? Object.values(report.groupIds).map((id) => consoleUrl(report.folderId, id)).join('\n') : '');
  core.setOutput('failure-reason', report.failureReason ?? '');
  core.setOutput('lock-info', report.lockInfo ? JSON.stringify(report.lockInfo) : '');
  core.setOutput('tool-version', report.tool?.version ?? '');
}

/** The sticky comment's marker: one comment per root module and environment. */
export function planMarker(inputs: Pick<Inputs, 'workingDirectory' | 'variables'>): string {
  return `<!-- shs-deploy-plan:${inputs.workingDirectory}:${inputs.variables.environment ?? 'default'} -->`;
}

/** Posts the summary as the pull request's sticky comment; returns a note for the job summary, or ''. */
async function commentOnPullRequest(inputs: Inputs, report: DeployReport): Promise<string> {
  const pr = pullRequestOfRun();
  if (!pr) return '';
  return core.group('Pull request comment', async () => {
    if (!inputs.githubToken) return '\n> Note: the plan was not posted on the pull request: no github-token.\n';
    const marker = planMarker(inputs);
    let body = `${marker}\n${renderSummary(report)}`;
    if (body.length > MAX_COMMENT_LENGTH) body = `${body.slice(0, MAX_COMMENT_LENGTH - 200)}\n\n…cut: the whole plan is in the job summary.\n`;
    const outcome = await upsertSticky({
      token: inputs.githubToken,
      apiUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com',
      repository: pr.repository,
      issue: pr.number,
      marker,
      body,
      author: inputs.commentAuthor,
    });
    if (outcome.action === 'skipped') {
      core.info(`comment skipped: ${outcome.reason}`);
      return `\n> Note: the plan was not posted on the pull request: ${outcome.reason}.\n`;
    }
    core.info(`comment ${outcome.action}: ${outcome.url}`);
    core.setOutput('comment-url', outcome.url);
    return '';
  });
}

export async function run(): Promise<void> {
  let report = emptyReport('yandex', '');
  let note = '';
  core.setOutput('comment-url', '');
  try {
    const inputs = getInputs();
    if (inputs.githubToken) core.setSecret(inputs.githubToken);
    report = await runDeploy(inputs, {
      workspace: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      cache: runnerToolCache,
      log: (l) => core.info(l),
      warn: (l) => core.warning(l),
      phase: (name, fn) => core.group(name, fn),
      mask: (s) => core.setSecret(s),
      getIdToken: (audience) => core.getIDToken(audience),
      ...(process.env.PIPELINE_STATE_DIR ? { stateDir: process.env.PIPELINE_STATE_DIR } : {}),
    });
    if (inputs.comment) note = await commentOnPullRequest(inputs, report).catch((err: Error) => `\n> Note: the plan comment failed: ${err.message}\n`);
  } catch (err) {
    recordFailure(report, err); // invalid inputs
  } finally {
    if (report.failureReason) core.setFailed(`${report.failureReason}: ${report.error ?? ''}`);
    else if (report.planOnly) core.info(`planned ${report.image}${report.planFile ? `; saved plan ${report.planFile}` : ''}`);
    else core.info(`deployed ${report.image || '(local build)'}${report.url ? ` at ${report.url}` : ''}`);
    setOutputs(report);
    try {
      await core.summary.addRaw(renderSummary(report) + note).write();
    } catch (err) {
      core.warning(`could not write the job summary: ${(err as Error).message}`);
    }
  }
}

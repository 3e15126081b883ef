// The deploy action: a thin adapter over runDeploy (inputs in; outputs and a job summary out, both written
// whatever happens).
import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import { emptyReport, recordFailure, type DeployReport } from './deploy.js';
import { getInputs } from './inputs.js';
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
  core.setOutput('group-ids', JSON.stringify(report.groupIds));
  core.setOutput('console-url', report.folderId ? Object.values(report.groupIds).map((id) => consoleUrl(report.folderId, id)).join('\n') : '');
  core.setOutput('failure-reason', report.failureReason ?? '');
  core.setOutput('lock-info', report.lockInfo ? JSON.stringify(report.lockInfo) : '');
  core.setOutput('tool-version', report.tool?.version ?? '');
}

export async function run(): Promise<void> {
  let report = emptyReport('yandex', '');
  try {
    report = await runDeploy(getInputs(), {
      workspace: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      cache: runnerToolCache,
      log: (l) => core.info(l),
      warn: (l) => core.warning(l),
      phase: (name, fn) => core.group(name, fn),
      mask: (s) => core.setSecret(s),
      getIdToken: (audience) => core.getIDToken(audience),
      ...(process.env.PIPELINE_STATE_DIR ? { stateDir: process.env.PIPELINE_STATE_DIR } : {}),
    });
  } catch (err) {
    recordFailure(report, err); // invalid inputs
  } finally {
    if (report.failureReason) core.setFailed(`${report.failureReason}: ${report.error ?? ''}`);
    else core.info(`deployed ${report.image || '(local build)'}${report.url ? ` at ${report.url}` : ''}`);
    setOutputs(report);
    try {
      await core.summary.addRaw(renderSummary(report)).write();
    } catch (err) {
      core.warning(`could not write the job summary: ${(err as Error).message}`);
    }
  }
}

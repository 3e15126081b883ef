// The build-image action: a thin adapter over buildAndPush (inputs in, outputs and a job summary out).
import * as core from '@actions/core';
import { maskMultiline } from '../../common/src/yc-auth.js';
import { buildAndPush, reportOf, type BuildReport } from './build-and-push.js';
import { getInputs } from './inputs.js';
import { renderSummary } from './summary.js';

function setOutputs(report: BuildReport | undefined): void {
  core.setOutput('digest', report?.digest ?? '');
  core.setOutput('image', report?.image ?? '');
  core.setOutput('tags', (report?.tags ?? []).join('\n'));
  core.setOutput('metadata', report ? JSON.stringify(report) : '{}');
}

export async function run(): Promise<void> {
  const started = Date.now();
  let report: BuildReport | undefined;
  let error: Error | undefined;
  try {
    const inputs = getInputs();
    if (inputs.ycSaJsonCredentials) maskMultiline(inputs.ycSaJsonCredentials, core.setSecret);
    report = await buildAndPush({
      specFile: inputs.spec,
      ...(inputs.output ? { output: inputs.output } : {}),
      push: inputs.push,
      ...(inputs.registryUsername && inputs.registryPassword ? { registryCredentials: { username: inputs.registryUsername, password: inputs.registryPassword } } : {}),
      yc: {
        ...(inputs.ycSaJsonCredentials ? { saJsonCredentials: inputs.ycSaJsonCredentials } : {}),
        ...(inputs.ycIamToken ? { iamToken: inputs.ycIamToken } : {}),
        ...(inputs.ycSaId ? { saId: inputs.ycSaId } : {}),
      },
      ycDeps: { getIdToken: (audience?: string) => core.getIDToken(audience) },
      insecure: inputs.insecure,
      plainHttp: inputs.plainHttp,
      ...(inputs.caFile ? { caFile: inputs.caFile } : {}),
      cwd: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      ...(inputs.revision ? { revision: inputs.revision } : {}),
      ...(inputs.source ? { source: inputs.source } : {}),
      ...(inputs.sourceDateEpoch ? { sourceDateEpoch: inputs.sourceDateEpoch } : {}),
      ...(inputs.cacheDir ? { cacheDir: inputs.cacheDir } : {}),
      mask: (s) => core.setSecret(s),
      log: (m) => core.info(m),
      phase: (name, fn) => core.group(name, fn),
    });
    core.info(`image ${report.image || report.digest}`);
  } catch (err) {
    error = err instanceof Error ? err : new Error(String(err));
    report = reportOf(err);
    core.setFailed(error.message);
  } finally {
    setOutputs(report);
    try {
      await core.summary.addRaw(renderSummary(report, error, Date.now() - started)).write();
    } catch (err) {
      core.warning(`could not write the job summary: ${(err as Error).message}`);
    }
  }
}

// The build-image action: buildAndPush in the actions' harness (inputs parsed once; every output, a typed
// failure-reason among them, and the job summary written whatever happens).
import * as core from '@actions/core';
import { phaseTagger, runAction, taggedReason, type Failure } from '../../common/src/harness.js';
import { maskMultiline } from '../../common/src/yc-auth.js';
import { runnerContext } from '../../common/src/runner-context.js';
import { buildAndPush, reportOf, type BuildReport } from './build-and-push.js';
import { getInputs, type Inputs } from './inputs.js';
import { renderSummary } from './summary.js';

/** The outputs action.yml declares. */
export const OUTPUTS = ['digest', 'image', 'tags', 'metadata', 'failure-reason'] as const;

/** failure-reason: input, auth-failed, build-failed, output-failed, push-failed or error. */
export type BuildFailureReason = 'auth-failed' | 'build-failed' | 'output-failed' | 'push-failed';

/** The failure reason of an error that left a phase (Credentials, Build ..., Write ..., Push ...). */
export function phaseReason(phase: string): BuildFailureReason | undefined {
  if (phase === 'Credentials') return 'auth-failed';
  if (phase.startsWith('Build')) return 'build-failed';
  if (phase.startsWith('Write')) return 'output-failed';
  if (phase.startsWith('Push')) return 'push-failed';
  return undefined;
}

export function run(): Promise<unknown> {
  return runAction<Inputs, BuildReport, BuildFailureReason>({
    outputs: OUTPUTS,
    inputs: getInputs,
    async run(inputs) {
      if (inputs.ycSaJsonCredentials) maskMultiline(inputs.ycSaJsonCredentials, core.setSecret);
      const report = await buildAndPush({
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
        cwd: runnerContext().workspace,
        ...(inputs.revision ? { revision: inputs.revision } : {}),
        ...(inputs.source ? { source: inputs.source } : {}),
        ...(inputs.sourceDateEpoch ? { sourceDateEpoch: inputs.sourceDateEpoch } : {}),
        ...(inputs.cacheDir ? { cacheDir: inputs.cacheDir } : {}),
        mask: (s) => core.setSecret(s),
        log: (m) => core.info(m),
        phase: phaseTagger(phaseReason),
      });
      core.info(`image ${report.image || report.digest}`);
      return report;
    },
    // An error before any phase (the spec, its pins) is the build's.
    reasonOf: (err) => taggedReason<BuildFailureReason>(err) ?? (err instanceof Error ? 'build-failed' : 'error'),
    resultOf: reportOf,
    outputsOf: (report) => ({
      digest: report?.digest ?? '',
      image: report?.image ?? '',
      tags: (report?.tags ?? []).join('\n'),
      metadata: report ? JSON.stringify(report) : '{}',
    }),
    summary: ({ result, failure, elapsedMs }) => renderSummary(result, failure ? failureError(failure) : undefined, elapsedMs),
  });
}

const failureError = (failure: Failure) => new Error(failure.reason === 'input' ? `input: ${failure.message}` : `${failure.reason}: ${failure.message}`);

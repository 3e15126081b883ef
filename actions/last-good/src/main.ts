// The last-good action: finds an environment's last good image (and the good one before it) or records one, as
// GitHub deployments, in the actions' harness. Outputs are always set (empty when there is none, or on failure;
// failure-reason typed); the job summary is written even when the run fails.
import * as core from '@actions/core';
import { ApiError } from '../../common/src/github-api.js';
import { findGoodImages, PermissionError, recordGoodImage, UntrustedRecordsError, type GoodImage, type RefusedRecord } from '../../common/src/github-deployments.js';
import { runAction } from '../../common/src/harness.js';
import { escapeCell as esc, inlineCode as code } from '../../common/src/markdown.js';
import { getInputs, parseContext, recordRef, recordRun, type FindInputs, type Inputs, type RecordInputs, type RunContext } from './inputs.js';

/** The outputs action.yml declares. */
export const OUTPUTS = ['image', 'digest', 'proxy-image', 'sha', 'previous-image', 'previous-digest', 'previous-proxy-image', 'deployment-id', 'failure-reason'] as const;

/** failure-reason: input, permission-denied, no-trusted-record, api-failed or error. */
export type LastGoodFailureReason = 'permission-denied' | 'no-trusted-record' | 'api-failed';

interface Found {
  mode: 'find';
  environment: string;
  latest?: GoodImage;
  previous?: GoodImage;
  refused?: RefusedRecord[];
}

interface Recorded {
  mode: 'record';
  environment: string;
  image: string;
  digest: string;
  proxyImage?: string;
  ref: string;
  sha: string;
  deploymentId: number;
}

type Outcome = Found | Recorded;

const options = (inputs: FindInputs | RecordInputs, context: RunContext) => ({
  token: inputs.githubToken,
  apiUrl: context.apiUrl,
  repository: context.repository,
  environment: inputs.environment,
});

async function find(inputs: FindInputs, context: RunContext): Promise<Found> {
  // Refused records are warnings: someone may have written a record to choose what production runs.
  const { latest, previous, refused } = await findGoodImages({ ...options(inputs, context), trust: inputs.trust, log: (m) => core.warning(m) });
  if (latest) core.info(`last good image in ${inputs.environment}: ${latest.image} (deployment ${latest.deploymentId}, ${latest.createdAt})`);
  else core.info(`no good image is recorded for ${inputs.environment} yet (a first deploy has none)`);
  if (previous) core.info(`the good image before it: ${previous.image} (deployment ${previous.deploymentId}, ${previous.createdAt})`);
  return { mode: 'find', environment: inputs.environment, ...(latest ? { latest } : {}), ...(previous ? { previous } : {}), ...(refused ? { refused } : {}) };
}

async function record(inputs: RecordInputs, context: RunContext): Promise<Recorded> {
  const ref = recordRef(inputs, context);
  const recorded = await recordGoodImage({
    ...options(inputs, context),
    ref,
    imageRepository: inputs.trust.imageRepository,
    ...(inputs.trust.proxyRepository ? { proxyRepository: inputs.trust.proxyRepository } : {}),
    run: recordRun(context),
    image: inputs.image,
    digest: inputs.digest,
    ...(inputs.proxyImage ? { proxyImage: inputs.proxyImage } : {}),
    ...(inputs.environmentUrl ? { environmentUrl: inputs.environmentUrl } : {}),
    ...(context.logUrl ? { logUrl: context.logUrl } : {}),
    ...(inputs.description ? { description: inputs.description } : {}),
  });
  core.info(`recorded ${inputs.image}${inputs.proxyImage ? ` (proxy ${inputs.proxyImage})` : ''} as the last good image of ${inputs.environment} (deployment ${recorded.deploymentId})`);
  return {
    mode: 'record',
    environment: inputs.environment,
    image: inputs.image,
    digest: inputs.digest,
    ...(inputs.proxyImage ? { proxyImage: inputs.proxyImage } : {}),
    ref,
    sha: recorded.sha,
    deploymentId: recorded.deploymentId,
  };
}

/** In record mode image, digest and sha are what was recorded (now the latest good image). */
function outputsOf(outcome: Outcome | undefined): Record<string, string> {
  const latest = outcome?.mode === 'find' ? outcome.latest : outcome;
  const previous = outcome?.mode === 'find' ? outcome.previous : undefined;
  return {
    image: latest?.image ?? '',
    digest: latest?.digest ?? '',
    'proxy-image': latest?.proxyImage ?? '',
    sha: latest?.sha ?? '',
    'previous-image': previous?.image ?? '',
    'previous-digest': previous?.digest ?? '',
    'previous-proxy-image': previous?.proxyImage ?? '',
    'deployment-id': outcome?.mode === 'record' ? String(outcome.deploymentId) : '',
  };
}

function goodRow(label: string, good: GoodImage | undefined): string {
  if (!good) return `| ${label} | (none) | | | |`;
  return `| ${label} | ${code(good.image)} | ${code(good.sha.slice(0, 12))} | ${good.deploymentId} | ${esc(good.createdAt)} |`;
}

export function renderSummary(outcome: Outcome | undefined, error: Error | undefined): string {
  if (!outcome) return `## last-good: failed\n\n**Error:** ${esc(error?.message ?? 'unknown error')}\n`;
  const lines = [`## last-good: ${outcome.mode === 'find' ? 'found' : 'recorded'} for ${code(outcome.environment)}`, ''];
  if (outcome.mode === 'find') {
    if (!outcome.latest) lines.push('No good image is recorded for this environment yet (a first deploy has none).', '');
    lines.push('| | image | commit | deployment | recorded |', '|---|---|---|---|---|', goodRow('latest', outcome.latest), goodRow('previous', outcome.previous));
    if (outcome.refused?.length) {
      lines.push('', `### Refused records (${outcome.refused.length})`, '', 'Not written by this repository\'s deploy or rollback workflow on the default branch, or not of its image repository: skipped.', '');
      lines.push('| deployment | why |', '|---|---|', ...outcome.refused.map((r) => `| ${r.deploymentId} | ${esc(r.reason)} |`));
    }
  } else {
    lines.push('| | |', '|---|---|', `| image | ${code(outcome.image)} |`);
    if (outcome.proxyImage) lines.push(`| proxy image | ${code(outcome.proxyImage)} |`);
    lines.push(`| ref | ${code(outcome.ref)} |`, `| deployment | ${outcome.deploymentId} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function run(): Promise<unknown> {
  return runAction<Inputs, Outcome, LastGoodFailureReason>({
    outputs: OUTPUTS,
    inputs: getInputs,
    run: (inputs) => {
      const context = parseContext(process.env);
      return inputs.mode === 'find'
        ? core.group('Find the last good image', () => find(inputs, context))
        : core.group('Record the good image', () => record(inputs, context));
    },
    reasonOf: (err) => (err instanceof PermissionError ? 'permission-denied' : err instanceof UntrustedRecordsError ? 'no-trusted-record' : err instanceof ApiError ? 'api-failed' : 'error'),
    outputsOf,
    summary: ({ result, failure }) => renderSummary(result, failure ? new Error(failure.message) : undefined),
  });
}

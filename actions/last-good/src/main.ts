// The last-good action: finds an environment's last good image (and the good one before it) or records one, as
// GitHub deployments. Outputs are always set (empty when there is none, or on failure); the job summary is
// written even when the run fails.
import * as core from '@actions/core';
import { findGoodImages, recordGoodImage, type GoodImage, type RefusedRecord } from '../../common/src/github-deployments.js';
import { getInputs, parseContext, recordRef, recordRun, type FindInputs, type RecordInputs, type RunContext } from './inputs.js';

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
function setOutputs(outcome: Outcome | undefined): void {
  const latest = outcome?.mode === 'find' ? outcome.latest : outcome;
  const previous = outcome?.mode === 'find' ? outcome.previous : undefined;
  core.setOutput('image', latest?.image ?? '');
  core.setOutput('digest', latest?.digest ?? '');
  core.setOutput('proxy-image', latest?.proxyImage ?? '');
  core.setOutput('sha', latest?.sha ?? '');
  core.setOutput('previous-image', previous?.image ?? '');
  core.setOutput('previous-digest', previous?.digest ?? '');
  core.setOutput('previous-proxy-image', previous?.proxyImage ?? '');
  core.setOutput('deployment-id', outcome?.mode === 'record' ? String(outcome.deploymentId) : '');
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string) => (s ? `\`${esc(s)}\`` : '');

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

export async function run(): Promise<void> {
  let outcome: Outcome | undefined;
  let error: Error | undefined;
  try {
    const inputs = getInputs();
    const context = parseContext(process.env);
    outcome =
      inputs.mode === 'find'
        ? await core.group('Find the last good image', () => find(inputs, context))
        : await core.group('Record the good image', () => record(inputs, context));
  } catch (err) {
    error = err instanceof Error ? err : new Error(String(err));
    core.setFailed(error.message);
  } finally {
    setOutputs(outcome);
    try {
      await core.summary.addRaw(renderSummary(outcome, error)).write();
    } catch (err) {
      core.warning(`could not write the job summary: ${(err as Error).message}`);
    }
  }
}

// The action's inputs and the run's context, read once and validated in code (GitHub does not enforce
// `required`); errors name the input or the environment variable.
import * as core from '@actions/core';
import { DEFAULT_CREATOR, DEFAULT_WORKFLOWS, digestOf, validateRepository, type TrustPolicy } from '../../common/src/github-deployments.js';
import { checkInput, InputError, listInput, optionalInput, requiredInput, type InputGetter } from '../../common/src/inputs.js';
import { runnerContext } from '../../common/src/runner-context.js';

export { InputError };

interface CommonInputs {
  environment: string;
  githubToken: string;
  /** Which records find trusts; record refuses images of other repositories. */
  trust: Required<Pick<TrustPolicy, 'imageRepository' | 'creator' | 'workflows'>> & Pick<TrustPolicy, 'proxyRepository'>;
}

export interface FindInputs extends CommonInputs {
  mode: 'find';
}

export interface RecordInputs extends CommonInputs {
  mode: 'record';
  image: string;
  digest: string;
  /** The proxy image deployed with the image, pinned by digest. */
  proxyImage?: string;
  /** Default: GITHUB_SHA (see parseContext). */
  ref?: string;
  environmentUrl?: string;
  description?: string;
}

export type Inputs = FindInputs | RecordInputs;

/** What the runner tells every step through its environment. */
export interface RunContext {
  apiUrl: string;
  repository: string;
  sha?: string;
  /** The run's page, for the deployment status's log link. */
  logUrl?: string;
  /** GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_WORKFLOW_REF: written into the record. */
  runId?: string;
  runAttempt?: string;
  workflowRef?: string;
}

const WORKFLOW_FILE = /^\.github\/workflows\/[^/\s]+\.ya?ml$/;

/** Pure: the tests call it with a map of raw values. */
export function parseInputs(get: InputGetter): Inputs {
  const opt = (name: string) => optionalInput(get, name);
  const mode = requiredInput(get, 'mode', 'find or record');
  if (mode !== 'find' && mode !== 'record') throw new InputError(`mode: expected find or record, got "${mode}"`);
  const environment = opt('environment') ?? 'production';
  const githubToken = requiredInput(get, 'github-token', 'the default is github.token');
  const imageRepository = requiredInput(get, 'image-repository', 'the registry/repository of the images, e.g. cr.yandex/<registry-id>/shs');
  const proxyRepository = opt('proxy-repository');
  const workflows = listInput(opt('trusted-workflows') ?? DEFAULT_WORKFLOWS.join('\n'), { commas: true });
  checkInput('image-repository', () => validateRepository(imageRepository, 'image-repository'));
  if (proxyRepository) checkInput('proxy-repository', () => validateRepository(proxyRepository, 'proxy-repository'));
  const badWorkflow = workflows.find((w) => !WORKFLOW_FILE.test(w));
  if (badWorkflow !== undefined || workflows.length === 0) throw new InputError(`trusted-workflows: expected .github/workflows/<file>.yml, one per line, got "${badWorkflow ?? ''}"`);
  const trust = { imageRepository, ...(proxyRepository ? { proxyRepository } : {}), creator: opt('trusted-creator') ?? DEFAULT_CREATOR, workflows };
  if (mode === 'find') return { mode, environment, githubToken, trust };

  const image = opt('image');
  if (!image) throw new InputError('image: required in record mode (registry/repository@sha256:...)');
  const proxyImage = opt('proxy-image');
  const digest = checkInput('image', () => digestOf(image));
  if (proxyImage) checkInput('proxy-image', () => digestOf(proxyImage, 'proxy-image'));
  if (image.slice(0, image.lastIndexOf('@')) !== imageRepository) throw new InputError(`image: ${image} is not an image of ${imageRepository} (image-repository)`);
  if (proxyImage && !proxyRepository) throw new InputError('proxy-image: needs proxy-repository (the registry/repository of the proxy images)');
  if (proxyImage && proxyRepository && proxyImage.slice(0, proxyImage.lastIndexOf('@')) !== proxyRepository)
    throw new InputError(`proxy-image: ${proxyImage} is not an image of ${proxyRepository} (proxy-repository)`);
  const value = <K extends string, V>(key: K, v: V | undefined) => (v === undefined ? {} : ({ [key]: v } as Record<K, V>));
  return {
    mode,
    environment,
    githubToken,
    trust,
    image,
    digest,
    ...value('proxyImage', proxyImage),
    ...value('ref', opt('ref')),
    ...value('environmentUrl', opt('environment-url')),
    ...value('description', opt('description')),
  };
}

/** Pure over the given environment variables. */
export function parseContext(env: Record<string, string | undefined>): RunContext {
  const c = runnerContext(env);
  const repository = c.repository;
  if (!repository || !/^[^/\s]+\/[^/\s]+$/.test(repository)) throw new InputError(`GITHUB_REPOSITORY: expected owner/name, got "${repository ?? ''}"`);
  return {
    apiUrl: c.apiUrl,
    repository,
    ...(c.sha ? { sha: c.sha } : {}),
    ...(c.runId && c.runUrl ? { logUrl: c.runUrl, runId: c.runId } : {}),
    ...(c.runAttempt ? { runAttempt: c.runAttempt } : {}),
    ...(c.workflowRef ? { workflowRef: c.workflowRef } : {}),
  };
}

/** The run that records: find trusts only records that name it. */
export function recordRun(context: RunContext): { id: string; attempt?: string; workflowRef?: string } {
  if (!context.runId || !/^\d+$/.test(context.runId)) throw new InputError(`GITHUB_RUN_ID: required in record mode (find trusts only records that name the run that wrote them), got "${context.runId ?? ''}"`);
  return { id: context.runId, ...(context.runAttempt ? { attempt: context.runAttempt } : {}), ...(context.workflowRef ? { workflowRef: context.workflowRef } : {}) };
}

/** The ref to record: the input, else the run's commit. */
export function recordRef(inputs: RecordInputs, context: RunContext): string {
  const ref = inputs.ref ?? context.sha;
  if (!ref) throw new InputError('ref: required when GITHUB_SHA is not set (the commit the image was built from)');
  return ref;
}

/** Reads the inputs; the token is masked before anything can print it. */
export function getInputs(): Inputs {
  const token = core.getInput('github-token');
  if (token) core.setSecret(token);
  return parseInputs((name) => core.getInput(name));
}

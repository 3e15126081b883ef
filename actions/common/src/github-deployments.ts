// The last good image per environment, kept as GitHub deployments (the repository's Environments page shows
// them): recording one creates a deployment whose payload names the image and the workflow run that records it,
// with a `success` status; finding walks the environment's deployments newest first and trusts only records of
// the project's own image repository, created by the workflows' token (github-actions[bot]) in a run of the
// deploy or rollback workflow on the default branch (checked against the Actions API), skipping the others with
// a reason. Through Octokit (paginated, rate limits waited out); the base URL comes from GITHUB_API_URL.
import { ApiError, apiError, call, githubClient, jsonData, type GitHubClient } from './github-api.js';

export interface DeploymentsOptions {
  token: string;
  apiUrl: string;
  /** "owner/name" */
  repository: string;
  /** Where waits for a rate limit are told. */
  log?: (message: string) => void;
}

/** The token lacks a permission (a 403 or 404 of these endpoints); the message names it. */
export class PermissionError extends Error {
  override name = 'PermissionError';
}

/** There are records, but none find trusts; the message names why each was refused. */
export class UntrustedRecordsError extends Error {
  override name = 'UntrustedRecordsError';
}

const ownerRepo = (repository: string) => {
  const [owner, repo] = repository.split('/') as [string, string];
  return { owner, repo };
};

export interface GoodImage {
  /** registry/repository@sha256:... */
  image: string;
  digest: string;
  /** The proxy image deployed with it (registry/repository@sha256:...), when one was recorded. */
  proxyImage?: string;
  /** The commit the deployment was made for. */
  sha: string;
  deploymentId: number;
  createdAt: string;
}

/** Which records find trusts (and which images record accepts). */
export interface TrustPolicy {
  /** registry/repository every recorded image must be in, e.g. cr.yandex/<registry-id>/shs. */
  imageRepository: string;
  /** The proxy images' registry/repository; a proxy image elsewhere (or any, without this) is left out. */
  proxyRepository?: string;
  /** The login that creates the records: the workflows' GITHUB_TOKEN creates as github-actions[bot]. */
  creator?: string;
  /** The workflow files whose runs write records (default deploy.yml and rollback.yml). */
  workflows?: string[];
}

export const DEFAULT_CREATOR = 'github-actions[bot]';
export const DEFAULT_WORKFLOWS = ['.github/workflows/deploy.yml', '.github/workflows/rollback.yml'];

/** The run that records the image (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_WORKFLOW_REF). */
export interface RecordingRun {
  id: string;
  attempt?: string;
  /** owner/repo/.github/workflows/<file>@refs/heads/<branch> */
  workflowRef?: string;
}

export interface RecordOptions extends DeploymentsOptions {
  environment: string;
  /** Branch, tag or commit SHA. */
  ref: string;
  image: string;
  digest: string;
  /** The proxy image deployed with it, pinned by digest; recorded beside the image. */
  proxyImage?: string;
  /** The image must be in imageRepository; a proxy image in proxyRepository. */
  imageRepository: string;
  proxyRepository?: string;
  /** Written into the payload: find checks the run before it trusts the record. */
  run: RecordingRun;
  environmentUrl?: string;
  logUrl?: string;
  description?: string;
}

/** Our deployments' task; GitHub's own (jobs with `environment:`) have task `deploy` and no image. */
export const DEPLOYMENT_TASK = 'deploy:shs-image';
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const MAX_PAGES = 10;
const MAX_STATUS_DESCRIPTION = 140;

interface Deployment {
  id: number;
  url: string;
  sha: string;
  task?: string;
  environment?: string;
  payload?: unknown;
  created_at: string;
  creator?: { login?: string; type?: string } | null;
}

interface DeploymentStatus {
  state: string;
  log_url?: string;
}

interface WorkflowRun {
  id: number;
  path?: string;
  head_branch?: string | null;
  head_sha?: string;
  status?: string | null;
  created_at?: string;
  updated_at?: string;
}

/** A record find did not trust, and why. */
export interface RefusedRecord {
  deploymentId: number;
  reason: string;
}

/** A 403/404 from these endpoints almost always means the job's token lacks the permission. */
function withPermissionHint(err: unknown, permission: 'read' | 'write'): unknown {
  if (err instanceof ApiError && (err.status === 403 || err.status === 404))
    return new PermissionError(`${err.message}: the token needs \`deployments: ${permission}\` (add it to the job's permissions)`);
  return err;
}

const REPOSITORY_PATH = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** Throws unless value is registry/repository (an explicit registry host, no tag, no digest); errors name `what`. */
export function validateRepository(value: string, what = 'image-repository'): void {
  const slash = value.indexOf('/');
  const host = slash < 0 ? '' : value.slice(0, slash);
  const ok = /^[A-Za-z0-9.-]+(:\d+)?$/.test(host) && (host.includes('.') || host.includes(':') || host === 'localhost') && REPOSITORY_PATH.test(value.slice(slash + 1));
  if (!ok) throw new Error(`${what}: expected registry/repository without a tag or digest (e.g. cr.yandex/<registry-id>/shs), got "${value}"`);
}

/** Undefined when image (pinned by digest) is an image of repository, else "<image> is not an image of <repository>". */
function notIn(image: string, repository: string): string | undefined {
  const at = image.lastIndexOf('@');
  return image.slice(0, at) === repository ? undefined : `${image} is not an image of ${repository}`;
}

/** Throws unless digest is sha256:<64 hex> and image is <name>@<digest>. */
export function validateImage(image: string, digest: string): void {
  if (!DIGEST.test(digest)) throw new Error(`digest: expected sha256:<64 lowercase hex digits>, got "${digest}"`);
  if (!image.endsWith(`@${digest}`) || image.length === digest.length + 1)
    throw new Error(`image: expected registry/repository@${digest.slice(0, 19)}… (pinned by the digest), got "${image}"`);
}

/** The digest of a pinned reference registry/repository@sha256:..., validated; errors name `what`. */
export function digestOf(image: string, what = 'image'): string {
  const at = image.lastIndexOf('@');
  const digest = at < 0 ? '' : image.slice(at + 1);
  if (!DIGEST.test(digest) || at === 0) throw new Error(`${what}: expected registry/repository@sha256:<64 lowercase hex digits>, got "${image}"`);
  return digest;
}

/** Creates a deployment of the image and marks it `success`: from now on it is the environment's last good image. */
export async function recordGoodImage(o: RecordOptions): Promise<{ deploymentId: number; url: string; sha: string }> {
  validateImage(o.image, o.digest);
  validateRepository(o.imageRepository);
  const foreign = notIn(o.image, o.imageRepository);
  if (foreign) throw new Error(`image: ${foreign} (find would not trust the record)`);
  if (o.proxyImage) {
    digestOf(o.proxyImage, 'proxy-image');
    if (!o.proxyRepository) throw new Error('proxy-image: needs proxyRepository (the proxy images\' registry/repository)');
    validateRepository(o.proxyRepository, 'proxy-repository');
    const foreignProxy = notIn(o.proxyImage, o.proxyRepository);
    if (foreignProxy) throw new Error(`proxy-image: ${foreignProxy} (find would leave it out)`);
  }
  if (!o.environment.trim()) throw new Error('environment: must not be empty');
  if (!o.ref.trim()) throw new Error('ref: must not be empty');
  if (!/^\d+$/.test(o.run.id)) throw new Error(`run: the id of the run that records (GITHUB_RUN_ID) is required, got "${o.run.id}"`);
  const description = o.description ?? `image ${o.digest}`;
  const github = githubClient(o);
  try {
    const created = await call(() =>
      github.rest.repos.createDeployment({
        ...ownerRepo(o.repository),
        ref: o.ref,
        environment: o.environment,
        task: DEPLOYMENT_TASK,
        payload: {
          image: o.image,
          digest: o.digest,
          ...(o.proxyImage ? { proxy_image: o.proxyImage } : {}),
          // The run that writes the record: find checks it (its workflow, branch, commit, time) before trusting it.
          run_id: Number(o.run.id),
          ...(o.run.attempt && /^\d+$/.test(o.run.attempt) ? { run_attempt: Number(o.run.attempt) } : {}),
          ...(o.run.workflowRef ? { workflow_ref: o.run.workflowRef } : {}),
        },
        auto_merge: false,
        // No commit status checks: the image was deployed and smoke-checked already.
        required_contexts: [],
        description,
      }),
    );
    const deployment = jsonData<Partial<Deployment> & { message?: string }>(created.data);
    // 202 is GitHub's answer for an auto-merge instead of a deployment; auto_merge is off, so it is unexpected.
    if (typeof deployment.id !== 'number') throw new Error(`POST /repos/${o.repository}/deployments: ${created.status} no deployment created (${deployment.message ?? 'no id'})`);
    const deploymentId = deployment.id;
    await call(() =>
      github.rest.repos.createDeploymentStatus({
        ...ownerRepo(o.repository),
        deployment_id: deploymentId,
        state: 'success',
        description: description.slice(0, MAX_STATUS_DESCRIPTION),
        ...(o.environmentUrl ? { environment_url: o.environmentUrl } : {}),
        ...(o.logUrl ? { log_url: o.logUrl } : {}),
        // Otherwise GitHub marks earlier good deployments of non-production environments `inactive`, which
        // would hide the previous good image.
        auto_inactive: false,
      }),
    );
    return { deploymentId, url: deployment.url ?? '', sha: deployment.sha ?? '' };
  } catch (err) {
    throw withPermissionHint(err, 'write');
  }
}

interface RecordPayload {
  image: string;
  digest: string;
  proxyImage?: string;
  runId?: number;
  workflowRef?: string;
}

/** A deployment's payload as an object (it may be one, or the same as a JSON string), else undefined. */
function payloadObject(payload: unknown): Record<string, unknown> | undefined {
  let value = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Our record in a deployment's payload, or why it is not one (an image pinned by its digest, the run). */
function readPayload(payload: unknown): RecordPayload | { error: string } {
  const value = payloadObject(payload);
  if (!value) return { error: 'its payload holds no image' };
  const { image, digest, proxy_image: proxyImage, run_id: runId, workflow_ref: workflowRef } = value;
  if (typeof image !== 'string' || typeof digest !== 'string') return { error: 'its payload holds no image' };
  try {
    validateImage(image, digest);
  } catch {
    return { error: `its image ${image} is not pinned by its digest (registry/repository@sha256:<64 hex>)` };
  }
  const id = typeof runId === 'number' ? runId : typeof runId === 'string' && /^\d+$/.test(runId) ? Number(runId) : undefined;
  return {
    image,
    digest,
    ...(typeof proxyImage === 'string' ? { proxyImage } : {}),
    ...(id !== undefined && Number.isSafeInteger(id) ? { runId: id } : {}),
    ...(typeof workflowRef === 'string' ? { workflowRef } : {}),
  };
}

async function newestStatus(github: GitHubClient, o: DeploymentsOptions, deploymentId: number): Promise<DeploymentStatus | undefined> {
  // GitHub lists a deployment's statuses newest first.
  const { data } = await call(() => github.rest.repos.listDeploymentStatuses({ ...ownerRepo(o.repository), deployment_id: deploymentId, per_page: 1 }));
  return jsonData<DeploymentStatus[]>(data)[0];
}

// Environment names are case-insensitive on GitHub.
const sameEnvironment = (listed: string | undefined, wanted: string) => listed === undefined || listed.toLowerCase() === wanted.toLowerCase();

/** Our deployments of the environment (task and environment checked again), newest first, page by page. */
async function* deploymentsOf(github: GitHubClient, o: DeploymentsOptions & { environment: string }): AsyncGenerator<Deployment> {
  const pages = github.paginate.iterator(github.rest.repos.listDeployments, { ...ownerRepo(o.repository), environment: o.environment, task: DEPLOYMENT_TASK, per_page: 100 })[Symbol.asyncIterator]();
  let page = 0;
  for (;;) {
    let next: IteratorResult<{ data: unknown }>;
    try {
      next = await pages.next();
    } catch (err) {
      throw apiError(err);
    }
    if (next.done) return;
    for (const deployment of jsonData<Deployment[]>(next.value.data)) {
      // The query filters already; checked again so that nothing else is ever taken for a good image.
      if (deployment.task !== DEPLOYMENT_TASK || !sameEnvironment(deployment.environment, o.environment)) continue;
      yield deployment;
    }
    if (++page >= MAX_PAGES) return;
  }
}

export interface FindOptions extends DeploymentsOptions {
  environment: string;
  trust: TrustPolicy;
  /** Why a record was refused or a proxy image left out (core.warning in the action). */
  log?: (message: string) => void;
}

/** What the Actions API says about the runs records name (one request per run) and the default branch. */
class RunChecker {
  private defaultBranch: Promise<string> | undefined;
  private readonly runs = new Map<number, Promise<WorkflowRun | undefined>>();

  constructor(
    private readonly github: GitHubClient,
    private readonly o: FindOptions,
    private readonly workflows: string[],
  ) {}

  private branch(): Promise<string> {
    this.defaultBranch ??= call(() => this.github.rest.repos.get(ownerRepo(this.o.repository)))
      .then((res) => jsonData<{ default_branch?: string }>(res.data))
      .then((repo) => {
        if (!repo.default_branch) throw new Error(`GET /repos/${this.o.repository}: no default_branch in the answer`);
        return repo.default_branch;
      });
    return this.defaultBranch;
  }

  private run(id: number): Promise<WorkflowRun | undefined> {
    let run = this.runs.get(id);
    if (!run) {
      run = call(() => this.github.rest.actions.getWorkflowRun({ ...ownerRepo(this.o.repository), run_id: id })).then(
        (res) => jsonData<WorkflowRun>(res.data),
        (err: unknown) => {
          if (err instanceof ApiError && err.status === 404) return undefined;
          if (err instanceof ApiError && err.status === 403) throw new PermissionError(`${err.message}: the token needs \`actions: read\` (add it to the job's permissions; find checks the run that wrote each record)`);
          throw err;
        },
      );
      this.runs.set(id, run);
    }
    return run;
  }

  /** The workflow file of a run's path: ".github/workflows/x.yml", or "owner/repo/.github/workflows/x.yml@ref". */
  private workflowOf(path: string): { file: string; ref?: string; foreign: boolean } {
    const at = path.indexOf('@');
    const file = at < 0 ? path : path.slice(0, at);
    const ref = at < 0 ? undefined : path.slice(at + 1);
    const prefix = `${this.o.repository}/`.toLowerCase();
    if (file.toLowerCase().startsWith(prefix)) return { file: file.slice(prefix.length), ...(ref ? { ref } : {}), foreign: false };
    return { file, ...(ref ? { ref } : {}), foreign: !file.startsWith('.github/') };
  }

  /** Undefined when the run is one of ours that could have written this record, else why not. */
  async check(deployment: Deployment, runId: number, workflowRef: string | undefined): Promise<string | undefined> {
    const run = await this.run(runId);
    if (!run) return `its run ${runId} does not exist in ${this.o.repository}`;
    const { file, ref, foreign } = this.workflowOf(run.path ?? '');
    if (foreign || !this.workflows.includes(file)) return `it was written by run ${runId} of ${run.path || 'an unknown workflow'}, not of ${this.workflows.join(' or ')}`;
    const branch = await this.branch();
    if (run.head_branch !== branch || (ref !== undefined && ref !== branch && ref !== `refs/heads/${branch}`))
      return `its run ${runId} ran on branch ${run.head_branch ?? '(none)'}, not on the default branch ${branch}`;
    if (run.head_sha !== deployment.sha) return `it is for commit ${deployment.sha.slice(0, 12)}, but its run ${runId} built ${(run.head_sha ?? '').slice(0, 12)}`;
    const created = Date.parse(deployment.created_at);
    if (run.created_at && created < Date.parse(run.created_at)) return `it was created (${deployment.created_at}) before its run ${runId} started (${run.created_at})`;
    if (run.status === 'completed' && run.updated_at && created > Date.parse(run.updated_at)) return `it was created (${deployment.created_at}) after its run ${runId} ended (${run.updated_at})`;
    if (workflowRef !== undefined && workflowRef.toLowerCase() !== `${this.o.repository}/${file}@refs/heads/${branch}`.toLowerCase())
      return `its payload's workflow_ref ${workflowRef} is not its run's (${this.o.repository}/${file}@refs/heads/${branch})`;
    return undefined;
  }
}

/** The run a record names: the payload's run_id, else (records made before they carried it) its status's log_url. */
function runIdOf(payload: RecordPayload, status: DeploymentStatus | undefined, repository: string): number | undefined {
  if (payload.runId !== undefined) return payload.runId;
  const m = /\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)(?:[/?#]|$)/.exec(status?.log_url ?? '');
  return m && m[1]!.toLowerCase() === repository.toLowerCase() ? Number(m[2]) : undefined;
}

/**
 * The environment's newest good image (a trusted record whose newest status is `success`) and the newest good
 * one with a different digest ("previous"); either is undefined when there is none (a first deploy). Records
 * that are not trusted are skipped (each logged with its reason, and listed in `refused`); when there were
 * records but none is trusted, this throws, naming the reasons.
 */
export async function findGoodImages(o: FindOptions): Promise<{ latest?: GoodImage; previous?: GoodImage; refused?: RefusedRecord[] }> {
  validateRepository(o.trust.imageRepository);
  if (o.trust.proxyRepository) validateRepository(o.trust.proxyRepository, 'proxy-repository');
  const creator = o.trust.creator ?? DEFAULT_CREATOR;
  const github = githubClient(o);
  const runs = new RunChecker(github, o, o.trust.workflows ?? DEFAULT_WORKFLOWS);
  const log = o.log ?? (() => {});
  const refused: RefusedRecord[] = [];
  const refuse = (deployment: Deployment, reason: string) => {
    refused.push({ deploymentId: deployment.id, reason });
    log(`deployment ${deployment.id} (${deployment.created_at}) is not trusted: ${reason}; skipped`);
  };
  let latest: GoodImage | undefined;
  let records = 0;
  const result = (): { latest?: GoodImage; previous?: GoodImage; refused?: RefusedRecord[] } => ({ ...(latest ? { latest } : {}), ...(refused.length ? { refused } : {}) });
  try {
    for await (const deployment of deploymentsOf(github, o)) {
      records++;
      const payload = readPayload(deployment.payload);
      if ('error' in payload) {
        refuse(deployment, payload.error);
        continue;
      }
      const foreign = notIn(payload.image, o.trust.imageRepository);
      if (foreign) {
        refuse(deployment, foreign);
        continue;
      }
      const login = deployment.creator?.login;
      if (login !== creator) {
        refuse(deployment, `it was created by ${login ?? 'an unknown user'}, not by ${creator}`);
        continue;
      }
      if (latest && payload.digest === latest.digest) continue;
      const status = await newestStatus(github, o, deployment.id);
      if (status?.state !== 'success') continue;
      const runId = runIdOf(payload, status, o.repository);
      if (runId === undefined) {
        refuse(deployment, 'it names no run of this repository (payload run_id, or its status log_url)');
        continue;
      }
      const untrusted = await runs.check(deployment, runId, payload.workflowRef);
      if (untrusted) {
        refuse(deployment, untrusted);
        continue;
      }
      // The proxy image is optional: one that is malformed or not of the proxy repository is left out, and the
      // image itself is still good (a rollback then keeps the proxy image it has).
      let proxyImage: string | undefined;
      if (payload.proxyImage) {
        let why: string | undefined;
        try {
          digestOf(payload.proxyImage, 'proxy image');
          why = o.trust.proxyRepository ? notIn(payload.proxyImage, o.trust.proxyRepository) : `proxy image ${payload.proxyImage} is not trusted without a proxy repository`;
        } catch (err) {
          why = (err as Error).message;
        }
        if (why) log(`deployment ${deployment.id}: ${why.startsWith('proxy image') ? why : `proxy image ${why}`}; left out`);
        else proxyImage = payload.proxyImage;
      }
      const good: GoodImage = { image: payload.image, digest: payload.digest, ...(proxyImage ? { proxyImage } : {}), sha: deployment.sha, deploymentId: deployment.id, createdAt: deployment.created_at };
      if (!latest) latest = good;
      else return { ...result(), previous: good };
    }
  } catch (err) {
    throw withPermissionHint(err, 'read');
  }
  if (!latest && refused.length > 0) {
    const reasons = refused.slice(0, 5).map((r) => `deployment ${r.deploymentId}: ${r.reason}`);
    throw new UntrustedRecordsError(
      `no trusted good image is recorded for ${o.environment}: ${refused.length} of its ${records} records were refused (${reasons.join('; ')}${refused.length > 5 ? `; and ${refused.length - 5} more` : ''}). ` +
        `Only records written by ${creator} in a run of ${(o.trust.workflows ?? DEFAULT_WORKFLOWS).join(' or ')} on the default branch, of images of ${o.trust.imageRepository}, are used.`,
    );
  }
  return result();
}

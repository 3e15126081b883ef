// The last good image per environment, kept as GitHub deployments (the repository's Environments page shows
// them): recording one creates a deployment whose payload names the image, with a `success` status; finding
// walks the environment's deployments newest first. Plain fetch; the base URL comes from GITHUB_API_URL.
import { ApiError, githubRequest, nextLink } from './github-api.js';

export interface DeploymentsOptions {
  token: string;
  apiUrl: string;
  /** "owner/name" */
  repository: string;
  fetchImpl?: typeof fetch;
}

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

export interface RecordOptions extends DeploymentsOptions {
  environment: string;
  /** Branch, tag or commit SHA. */
  ref: string;
  image: string;
  digest: string;
  /** The proxy image deployed with it, pinned by digest; recorded beside the image. */
  proxyImage?: string;
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
}

interface DeploymentStatus {
  state: string;
}

/** A 403/404 from these endpoints almost always means the job's token lacks the permission. */
function withPermissionHint(err: unknown, permission: 'read' | 'write'): unknown {
  if (err instanceof ApiError && (err.status === 403 || err.status === 404))
    return new Error(`${err.message}: the token needs \`deployments: ${permission}\` (add it to the job's permissions)`);
  return err;
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
  if (o.proxyImage) digestOf(o.proxyImage, 'proxy-image');
  if (!o.environment.trim()) throw new Error('environment: must not be empty');
  if (!o.ref.trim()) throw new Error('ref: must not be empty');
  const description = o.description ?? `image ${o.digest}`;
  const repo = `${o.apiUrl}/repos/${o.repository}`;
  try {
    const created = await githubRequest(o, 'POST', `${repo}/deployments`, {
      ref: o.ref,
      environment: o.environment,
      task: DEPLOYMENT_TASK,
      payload: { image: o.image, digest: o.digest, ...(o.proxyImage ? { proxy_image: o.proxyImage } : {}) },
      auto_merge: false,
      // No commit status checks: the image was deployed and smoke-checked already.
      required_contexts: [],
      description,
    });
    const deployment = (await created.json()) as Partial<Deployment> & { message?: string };
    // 202 is GitHub's answer for an auto-merge instead of a deployment; auto_merge is off, so it is unexpected.
    if (typeof deployment.id !== 'number') throw new Error(`POST ${new URL(`${repo}/deployments`).pathname}: ${created.status} no deployment created (${deployment.message ?? 'no id'})`);
    await githubRequest(o, 'POST', `${repo}/deployments/${deployment.id}/statuses`, {
      state: 'success',
      description: description.slice(0, MAX_STATUS_DESCRIPTION),
      ...(o.environmentUrl ? { environment_url: o.environmentUrl } : {}),
      ...(o.logUrl ? { log_url: o.logUrl } : {}),
      // Otherwise GitHub marks earlier good deployments of non-production environments `inactive`, which
      // would hide the previous good image.
      auto_inactive: false,
    });
    return { deploymentId: deployment.id, url: deployment.url ?? '', sha: deployment.sha ?? '' };
  } catch (err) {
    throw withPermissionHint(err, 'write');
  }
}

/** The image (and the proxy image, if any) in a deployment's payload (an object, or the same as a JSON string), if it is one of ours. */
export function imageOfPayload(payload: unknown): { image: string; digest: string; proxyImage?: string } | undefined {
  let value = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!value || typeof value !== 'object') return undefined;
  const { image, digest, proxy_image: proxyImage } = value as { image?: unknown; digest?: unknown; proxy_image?: unknown };
  if (typeof image !== 'string' || typeof digest !== 'string') return undefined;
  try {
    validateImage(image, digest);
  } catch {
    return undefined;
  }
  let proxy: string | undefined;
  try {
    if (typeof proxyImage === 'string') proxy = (digestOf(proxyImage), proxyImage);
  } catch {
    proxy = undefined; // a malformed proxy image is left out; the image itself is still good
  }
  return { image, digest, ...(proxy ? { proxyImage: proxy } : {}) };
}

async function newestState(o: DeploymentsOptions, deploymentId: number): Promise<string | undefined> {
  // GitHub lists a deployment's statuses newest first.
  const res = await githubRequest(o, 'GET', `${o.apiUrl}/repos/${o.repository}/deployments/${deploymentId}/statuses?per_page=1`);
  const statuses = (await res.json()) as DeploymentStatus[];
  return statuses[0]?.state;
}

// Environment names are case-insensitive on GitHub.
const sameEnvironment = (listed: string | undefined, wanted: string) => listed === undefined || listed.toLowerCase() === wanted.toLowerCase();

/** Our deployments of the environment with an image in the payload, newest first, page by page. */
async function* candidates(o: DeploymentsOptions & { environment: string }): AsyncGenerator<{ deployment: Deployment; image: string; digest: string; proxyImage?: string }> {
  const query = new URLSearchParams({ environment: o.environment, task: DEPLOYMENT_TASK, per_page: '100' });
  let url: string | null = `${o.apiUrl}/repos/${o.repository}/deployments?${query}`;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const res = await githubRequest(o, 'GET', url);
    for (const deployment of (await res.json()) as Deployment[]) {
      // The query filters already; checked again so that nothing else is ever taken for a good image.
      if (deployment.task !== DEPLOYMENT_TASK || !sameEnvironment(deployment.environment, o.environment)) continue;
      const found = imageOfPayload(deployment.payload);
      if (found) yield { deployment, ...found };
    }
    url = nextLink(res.headers.get('link'));
  }
}

/**
 * The environment's newest good image (our deployment whose newest status is `success`) and the newest good
 * one with a different digest ("previous"); either is undefined when there is none (a first deploy).
 */
export async function findGoodImages(o: DeploymentsOptions & { environment: string }): Promise<{ latest?: GoodImage; previous?: GoodImage }> {
  let latest: GoodImage | undefined;
  try {
    for await (const { deployment, image, digest, proxyImage } of candidates(o)) {
      if (latest && digest === latest.digest) continue;
      if ((await newestState(o, deployment.id)) !== 'success') continue;
      const good: GoodImage = { image, digest, ...(proxyImage ? { proxyImage } : {}), sha: deployment.sha, deploymentId: deployment.id, createdAt: deployment.created_at };
      if (!latest) latest = good;
      else return { latest, previous: good };
    }
  } catch (err) {
    throw withPermissionHint(err, 'read');
  }
  return latest ? { latest } : {};
}

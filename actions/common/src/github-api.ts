// The GitHub REST API through Octokit (@actions/github), for the sticky comments and the deployments: the base
// URL from GITHUB_API_URL (the runner context; the tests' fake API on loopback), the token as a Bearer
// credential, pagination by the Link header, and the retry and throttling plugins, so rate limits (primary and
// secondary) are waited out and server errors retried. Errors come out as ApiError: the method, the path, the
// status and GitHub's own message.
import { getOctokitOptions, GitHub } from '@actions/github/lib/utils';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';

export interface GitHubAuth {
  token: string;
  /** GITHUB_API_URL, e.g. https://api.github.com */
  apiUrl: string;
  /** Where waits for a rate limit are told (core.info in the actions). */
  log?: (message: string) => void;
  /** How often a rate-limited request is tried again (default 3). */
  rateLimitRetries?: number;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const Client = GitHub.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof Client>;

type Request = ((route: unknown, parameters?: unknown) => Promise<unknown>) & { endpoint: { merge(route: unknown, parameters?: unknown): { headers: Record<string, string> } } };

/** Authorization: Bearer <token> (what GitHub documents; Octokit's token strategy sends "token <token>"). */
const bearer = (token: string) => () => ({
  hook: (request: Request, route: unknown, parameters?: unknown) => {
    const endpoint = request.endpoint.merge(route, parameters);
    endpoint.headers.authorization = `Bearer ${token}`;
    return request(endpoint);
  },
});

/** An Octokit client for the API at o.apiUrl. */
export function githubClient(o: GitHubAuth): GitHubClient {
  const log = o.log ?? (() => {});
  const retries = o.rateLimitRetries ?? 3;
  const onLimit = (kind: string) => (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
    const again = retryCount < retries;
    log(`GitHub ${kind} rate limit on ${options.method ?? ''} ${options.url ?? ''}: ${again ? `trying again in ${retryAfter} s` : 'giving up'}`);
    return again;
  };
  const options = getOctokitOptions('unused', {
    baseUrl: o.apiUrl.replace(/\/+$/, ''),
    userAgent: 'shs-delivery',
    throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
  }) as Record<string, unknown>;
  delete options.auth;
  return new Client({ ...options, authStrategy: bearer(o.token) } as ConstructorParameters<typeof Client>[0]);
}

interface OctokitError {
  status?: number;
  message?: string;
  request?: { method?: string; url?: string };
  response?: { data?: unknown };
}

/** An Octokit RequestError as ApiError: "<METHOD> <path>: <status> <GitHub's message>"; anything else as it is. */
export function apiError(err: unknown): unknown {
  const e = err as OctokitError;
  if (typeof e?.status !== 'number' || !e.request?.url) return err;
  let data = e.response?.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data) as unknown;
    } catch {
      /* not JSON */
    }
  }
  const message = (data as { message?: unknown } | undefined)?.message;
  const text = typeof message === 'string' ? message : typeof data === 'string' ? data.slice(0, 300) : (e.message ?? '');
  return new ApiError(e.status, `${(e.request.method ?? 'GET').toUpperCase()} ${new URL(e.request.url).pathname}: ${e.status} ${text}`);
}

/** A response's data as JSON: Octokit gives text when the answer has no JSON content-type. */
export function jsonData<T>(data: unknown): T {
  if (typeof data !== 'string') return data as T;
  try {
    return JSON.parse(data) as T;
  } catch {
    return data as T;
  }
}

/** Runs one API call; its error comes out as ApiError. */
export async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw apiError(err);
  }
}

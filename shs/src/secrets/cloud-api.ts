// Calls to Yandex Cloud APIs from inside a VM, with the VM's own service account: the IAM token from the
// metadata service (GET {metadata}/computeMetadata/v1/instance/service-accounts/default/token with
// Metadata-Flavor: Google), then GETs of JSON with that token, each bounded in time and retried with backoff
// while the endpoint is unreachable or failing (a VM's network may come up after its containers). Used for the
// database password (Lockbox, lockbox.ts) and the proxy's certificate (Certificate Manager). Tokens and secrets
// never appear in an error message: messages are built from fixed text, statuses and names, then scrubbed of
// them as a last guard.

export class CloudApiError extends Error {
  override name = 'CloudApiError';
}

export interface RetryPolicy {
  /** Requests per step (token, payload) before giving up on an unreachable or failing (5xx) endpoint. */
  attempts: number;
  /** Wait before the second attempt; doubled after each, up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Bound on one request, answer body included. */
  timeoutMs: number;
}

/** 6 attempts over about 15 s: a VM's network may come up after the container starts. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, firstDelayMs: 500, maxDelayMs: 8000, timeoutMs: 5000 };

export interface CloudClientOptions {
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry with a message that is safe to print. */
  onRetry?: (message: string) => void;
}

/** Makes the error a step fails with (each API has its own class and prefix). */
export type ErrorFactory = (message: string) => CloudApiError;

export const TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

/** base (with or without a trailing slash) + path. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

/** Replaces every occurrence of the secrets in text (a last guard: messages are built without them). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('***');
  return out;
}

function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message ?? 'request failed'} (${cause})` : (e.message ?? String(err));
}

/** The `message` of a JSON error answer (Yandex Cloud APIs send {"code", "message"}), short; else nothing. */
function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed?.message === 'string' && parsed.message !== '') return `: ${parsed.message.slice(0, 200)}`;
  } catch {
    // not JSON: the body is not repeated (it could be anything)
  }
  return '';
}

export interface Step {
  /** What is being done, for messages: "cannot get ...". */
  what: string;
  url: string;
  headers: Record<string, string>;
  /** A hint for a status that will not get better by retrying. */
  hint: (status: number) => string;
  /** Strings that must never appear in a message. */
  secrets: readonly string[];
}

/** GET of a JSON answer, retried while the endpoint is unreachable, answers 5xx, 429 or 408. */
export async function getCloudJson(options: CloudClientOptions, makeError: ErrorFactory, step: Step): Promise<unknown> {
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const fail = (reason: string) => makeError(scrub(`${step.what} (GET ${step.url}): ${reason}`, step.secrets));
  let delay = policy.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    try {
      const res = await doFetch(step.url, {
        method: 'GET',
        headers: step.headers,
        redirect: 'error',
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      const body = await res.text();
      if (res.ok) {
        try {
          return JSON.parse(body) as unknown;
        } catch {
          throw fail(`HTTP ${res.status} with an answer that is not JSON`);
        }
      }
      reason = `HTTP ${res.status}${serverMessage(body)}`;
      const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
      if (!retryable) throw fail(`${reason}${step.hint(res.status)}`);
    } catch (err) {
      if (err instanceof CloudApiError) throw err;
      reason = networkReason(err, policy.timeoutMs);
    }
    if (attempt >= policy.attempts) throw fail(`${reason} (gave up after ${attempt} attempts)`);
    options.onRetry?.(scrub(`${step.what}: ${reason}; attempt ${attempt} of ${policy.attempts}, retrying in ${delay} ms`, step.secrets));
    await sleep(delay);
    delay = Math.min(delay * 2, policy.maxDelayMs);
  }
}

/** The VM's service account IAM token, from the metadata service; `service` names who needs it in messages. */
export async function fetchInstanceToken(options: CloudClientOptions & { metadataUrl: string }, service: string, makeError: ErrorFactory): Promise<string> {
  const body = await getCloudJson(options, makeError, {
    what: `${service}: cannot get an IAM token of the VM service account from the metadata service`,
    url: joinUrl(options.metadataUrl, TOKEN_PATH),
    headers: { 'Metadata-Flavor': 'Google' },
    hint: (status) => (status === 404 ? ' (is a service account attached to the VM?)' : ''),
    secrets: [],
  });
  const token = (body as { access_token?: unknown } | null)?.access_token;
  if (typeof token !== 'string' || token === '')
    throw makeError(`${service}: the metadata service answered without an access_token (is a service account attached to the VM?)`);
  return token;
}

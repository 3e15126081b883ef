// The database password from Yandex Lockbox, read with the VM's service account (the documented way on a
// Compute VM, "create a VM with a Lockbox secret"):
//   1. GET {metadata}/computeMetadata/v1/instance/service-accounts/default/token (Metadata-Flavor: Google)
//      answers {"access_token": "...", "expires_in": 43199, "token_type": "Bearer"};
//   2. GET {lockbox}/lockbox/v1/secrets/{id}/payload (Authorization: Bearer <token>)
//      answers {"entries": [{"key": "password", "textValue": "..."}], "versionId": "..."}.
// Only the secret's id is configured. The token and the password are never logged and never appear in an error
// message: every message is built from fixed text, statuses and names, then scrubbed of both as a last guard.

export class LockboxError extends Error {
  override name = 'LockboxError';
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

export interface LockboxClientOptions {
  /** e.g. http://169.254.169.254 */
  metadataUrl: string;
  /** e.g. https://payload.lockbox.api.cloud.yandex.net */
  lockboxUrl: string;
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry with a message that is safe to print. */
  onRetry?: (message: string) => void;
}

export interface SecretValue {
  value: string;
  versionId: string;
}

const TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

function join(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

/** Replaces every occurrence of the secrets in text (a last guard: messages are built without them). */
function scrub(text: string, secrets: readonly string[]): string {
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

interface Step {
  /** What is being done, for messages: "cannot get ...". */
  what: string;
  url: string;
  headers: Record<string, string>;
  /** A hint for a status that will not get better by retrying. */
  hint: (status: number) => string;
  /** Strings that must never appear in a message. */
  secrets: readonly string[];
}

async function getJson(options: LockboxClientOptions, step: Step): Promise<unknown> {
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const fail = (reason: string) => new LockboxError(scrub(`${step.what} (GET ${step.url}): ${reason}`, step.secrets));
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
      if (err instanceof LockboxError) throw err;
      reason = networkReason(err, policy.timeoutMs);
    }
    if (attempt >= policy.attempts) throw fail(`${reason} (gave up after ${attempt} attempts)`);
    options.onRetry?.(scrub(`${step.what}: ${reason}; attempt ${attempt} of ${policy.attempts}, retrying in ${delay} ms`, step.secrets));
    await sleep(delay);
    delay = Math.min(delay * 2, policy.maxDelayMs);
  }
}

/** The VM's service account IAM token, from the metadata service. */
export async function fetchToken(options: LockboxClientOptions): Promise<string> {
  const body = await getJson(options, {
    what: 'Lockbox: cannot get an IAM token of the VM service account from the metadata service',
    url: join(options.metadataUrl, TOKEN_PATH),
    headers: { 'Metadata-Flavor': 'Google' },
    hint: (status) => (status === 404 ? ' (is a service account attached to the VM?)' : ''),
    secrets: [],
  });
  const token = (body as { access_token?: unknown } | null)?.access_token;
  if (typeof token !== 'string' || token === '')
    throw new LockboxError('Lockbox: the metadata service answered without an access_token (is a service account attached to the VM?)');
  return token;
}

/** One entry of the secret's current version. */
export async function fetchEntry(options: LockboxClientOptions, token: string, secretId: string, key: string): Promise<SecretValue> {
  const hint = (status: number) =>
    status === 403
      ? ` (the VM's service account lacks the lockbox.payloadViewer role on secret ${secretId}` +
        ', or kms.keys.decrypter on its KMS key)'
      : status === 401
        ? ' (the IAM token was refused)'
        : status === 404
          ? ` (no secret ${secretId}, or it has no current version)`
          : '';
  const body = (await getJson(options, {
    what: `Lockbox: cannot read secret ${secretId}`,
    url: join(options.lockboxUrl, `/lockbox/v1/secrets/${encodeURIComponent(secretId)}/payload`),
    headers: { Authorization: `Bearer ${token}` },
    hint,
    secrets: [token],
  })) as { entries?: unknown; versionId?: unknown } | null;
  const versionId = typeof body?.versionId === 'string' ? body.versionId : '';
  const version = versionId ? ` (version ${versionId})` : '';
  const entries = Array.isArray(body?.entries) ? (body.entries as { key?: unknown; textValue?: unknown; binaryValue?: unknown }[]) : null;
  if (entries === null) throw new LockboxError(`Lockbox: the payload of secret ${secretId}${version} has no entries`);
  const entry = entries.find((e) => e?.key === key);
  if (!entry) {
    const keys = entries.map((e) => (typeof e?.key === 'string' ? JSON.stringify(e.key) : '?')).join(', ');
    throw new LockboxError(`Lockbox: secret ${secretId}${version} has no entry "${key}" (its entries: ${keys || 'none'})`);
  }
  let value: string;
  if (typeof entry.textValue === 'string') value = entry.textValue;
  else if (typeof entry.binaryValue === 'string') value = Buffer.from(entry.binaryValue, 'base64').toString('utf8');
  else throw new LockboxError(`Lockbox: entry "${key}" of secret ${secretId}${version} has neither textValue nor binaryValue`);
  // Like database.password_file: one trailing newline (a value made from a file) is not part of the password.
  value = value.replace(/\r?\n$/, '');
  if (value === '') throw new LockboxError(`Lockbox: entry "${key}" of secret ${secretId}${version} is empty`);
  return { value, versionId };
}

/** Token, then payload: the value of `key` in the secret's current version. */
export async function readLockboxEntry(options: LockboxClientOptions, secretId: string, key: string): Promise<SecretValue> {
  const token = await fetchToken(options);
  return fetchEntry(options, token, secretId, key);
}

export interface CachedPasswordEvents {
  /** A password was obtained (versionId: the secret version, not secret). */
  onObtained?: (versionId: string) => void;
  /** A read failed (the message is safe to log). */
  onFailed?: (err: Error) => void;
  /** The database refused the password: it is being read again. */
  onRefresh?: () => void;
}

/** How often a refused password (SQLSTATE 28P01) may make us read the secret again. */
export const REFRESH_INTERVAL_MS = 60_000;

/**
 * The password, read once and kept; read again when the database refuses it (the secret may have been rotated),
 * at most once per refreshIntervalMs. Concurrent callers share one read; a failed read is not kept, so the next
 * caller tries again.
 */
export class CachedPassword {
  private value: string | null = null;
  private inFlight: Promise<string> | null = null;
  private lastError: Error | null = null;
  private lastRefreshAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly read: () => Promise<SecretValue>,
    private readonly events: CachedPasswordEvents = {},
    private readonly refreshIntervalMs = REFRESH_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True when a password is at hand (get() answers at once). */
  get ready(): boolean {
    return this.value !== null;
  }

  /** Why there is no password at hand; safe to log. */
  get problem(): string {
    if (this.value !== null) return 'none';
    return this.lastError ? this.lastError.message : 'still being read from Lockbox';
  }

  get(): Promise<string> {
    if (this.value !== null) return Promise.resolve(this.value);
    if (this.inFlight === null) {
      this.inFlight = this.read()
        .then(
          (secret) => {
            this.value = secret.value;
            this.lastError = null;
            this.events.onObtained?.(secret.versionId);
            return secret.value;
          },
          (err: unknown) => {
            this.lastError = err instanceof Error ? err : new Error(String(err));
            this.events.onFailed?.(this.lastError);
            throw this.lastError;
          },
        )
        .finally(() => {
          this.inFlight = null;
        });
    }
    return this.inFlight;
  }

  /**
   * The database refused the password (SQLSTATE 28P01). Drops it and starts a new read, unless one is already
   * under way or the last such refresh was less than refreshIntervalMs ago. True when a new read started.
   */
  rejected(): boolean {
    const now = this.now();
    if (this.inFlight !== null || now - this.lastRefreshAt < this.refreshIntervalMs) return false;
    this.lastRefreshAt = now;
    this.value = null;
    this.events.onRefresh?.();
    this.get().catch(() => undefined);
    return true;
  }
}

export interface LockboxSettings {
  secretId: string;
  key: string;
  metadataUrl: string;
  lockboxUrl: string;
}

/** The password of database.password_lockbox_secret_id, cached and refreshed as CachedPassword does. */
export function lockboxPassword(
  settings: LockboxSettings,
  events: CachedPasswordEvents & { onRetry?: (message: string) => void } = {},
  client: Omit<LockboxClientOptions, 'metadataUrl' | 'lockboxUrl' | 'onRetry'> = {},
): CachedPassword {
  const options: LockboxClientOptions = {
    ...client,
    metadataUrl: settings.metadataUrl,
    lockboxUrl: settings.lockboxUrl,
    ...(events.onRetry ? { onRetry: events.onRetry } : {}),
  };
  return new CachedPassword(() => readLockboxEntry(options, settings.secretId, settings.key), events);
}

// The database password from Yandex Lockbox, read with the VM's service account (the documented way on a
// Compute VM, "create a VM with a Lockbox secret"):
//   1. GET {metadata}/computeMetadata/v1/instance/service-accounts/default/token (Metadata-Flavor: Google)
//      answers {"access_token": "...", "expires_in": 43199, "token_type": "Bearer"};
//   2. GET {lockbox}/lockbox/v1/secrets/{id}/payload (Authorization: Bearer <token>)
//      answers {"entries": [{"key": "password", "textValue": "..."}], "versionId": "..."}.
// Only the secret's id is configured. The token and the password are never logged and never appear in an error
// message: every message is built from fixed text, statuses and names, then scrubbed of both as a last guard
// (cloud-api.ts: the token, the retries).
import { CloudApiError, DEFAULT_RETRY, fetchInstanceToken, getCloudJson, joinUrl, type CloudClientOptions, type RetryPolicy } from './cloud-api.js';

export { DEFAULT_RETRY, type RetryPolicy };

export class LockboxError extends CloudApiError {
  override name = 'LockboxError';
}

export interface LockboxClientOptions extends CloudClientOptions {
  /** e.g. http://169.254.169.254 */
  metadataUrl: string;
  /** e.g. https://payload.lockbox.api.cloud.yandex.net */
  lockboxUrl: string;
}

export interface SecretValue {
  value: string;
  versionId: string;
}

const lockboxError = (message: string) => new LockboxError(message);

/** The VM's service account IAM token, from the metadata service. */
export function fetchToken(options: LockboxClientOptions): Promise<string> {
  return fetchInstanceToken(options, 'Lockbox', lockboxError);
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
  const body = (await getCloudJson(options, lockboxError, {
    what: `Lockbox: cannot read secret ${secretId}`,
    url: joinUrl(options.lockboxUrl, `/lockbox/v1/secrets/${encodeURIComponent(secretId)}/payload`),
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

// A Docker Registry HTTP API v2 client for pushing: blob existence (HEAD), monolithic blob upload (POST + PUT),
// manifest PUT, with the registry's digests checked against ours, bounded retries on network errors, 408, 429
// and 5xx (uploads are content-addressed, so repeating one is safe), and errors carrying the registry's message.
// The Authorization header (Basic credentials, or the Bearer token got with them) goes to the registry's own origin
// only: an upload Location on another origin gets the bytes without it, and redirects are never followed.
import { withRetry, type RetryOptions } from '../../../common/src/retry.js';
import { AuthError, basicAuthorization, fetchBearerToken, parseChallenge, type Credentials } from './auth.js';
import { HttpClient, type HttpResponse, type TlsOptions } from './http.js';

export interface RegistryClientOptions {
  /** host[:port] */
  registry: string;
  repository: string;
  credentials?: Credentials;
  tls?: TlsOptions;
  /** Speak plain HTTP (a registry on loopback without TLS). */
  plainHttp?: boolean;
  retry?: RetryOptions;
  /** Per request (default 120 s). */
  timeoutMs?: number;
  /** Registers tokens the client obtains as secrets (core.setSecret in actions). */
  mask?: (secret: string) => void;
  log?: (message: string) => void;
  /** Share connections between clients of one registry. */
  http?: HttpClient;
}

export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
    readonly retryable = false,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const RETRYABLE_STATUS = (s: number) => s === 408 || s === 429 || (s >= 500 && s <= 599);

function retryAfter(res: HttpResponse): number | undefined {
  const v = res.headers['retry-after'];
  if (typeof v !== 'string') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/** The registry's own words: `CODE: message (detail)` from its JSON error body, else the text. */
export function registryMessage(body: Buffer): { code?: string; message: string } {
  const text = body.toString('utf8');
  try {
    const j = JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    if (Array.isArray(j.errors) && j.errors.length > 0) {
      const first = j.errors[0]!;
      const message = j.errors
        .map((e) => `${e.code ?? 'ERROR'}: ${e.message ?? ''}${e.detail !== undefined && e.detail !== null && e.detail !== '' ? ` (${typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)})` : ''}`)
        .join('; ');
      return { ...(first.code ? { code: first.code } : {}), message };
    }
  } catch {
    /* not JSON */
  }
  return { message: text.trim().slice(0, 500) || '(empty body)' };
}

export class RegistryClient {
  readonly base: string;
  private readonly origin: string;
  private authorization: string | undefined;
  private readonly http: HttpClient;
  private readonly ownsHttp: boolean;

  constructor(private readonly options: RegistryClientOptions) {
    this.base = `${options.plainHttp ? 'http' : 'https'}://${options.registry}`;
    this.origin = new URL(this.base).origin;
    this.ownsHttp = !options.http;
    this.http = options.http ?? new HttpClient(options.tls, options.timeoutMs);
  }

  private get repoPath(): string {
    return `/v2/${this.options.repository}`;
  }

  private fail(res: HttpResponse, what: string): RegistryError {
    const { code, message } = registryMessage(res.body);
    const retryable = RETRYABLE_STATUS(res.status);
    return new RegistryError(`registry ${this.options.registry} answered ${res.status} to ${what}: ${message}`, res.status, code, retryable, retryable ? retryAfter(res) : undefined);
  }

  private async authenticate(res: HttpResponse, what: string): Promise<void> {
    const header = res.headers['www-authenticate'];
    const challenge = typeof header === 'string' ? parseChallenge(header) : undefined;
    const creds = this.options.credentials;
    if (!challenge) throw this.fail(res, what);
    if (challenge.scheme === 'basic') {
      if (!creds) throw new AuthError(`registry ${this.options.registry} requires credentials (Basic auth) for ${what}`);
      this.authorization = basicAuthorization(creds);
    } else if (challenge.scheme === 'bearer') {
      const token = await fetchBearerToken(this.http, challenge, `repository:${this.options.repository}:pull,push`, { host: this.options.registry, plainHttp: !!this.options.plainHttp }, creds);
      this.options.mask?.(token);
      this.authorization = `Bearer ${token}`;
    } else {
      throw new AuthError(`registry ${this.options.registry} asks for unsupported auth scheme "${challenge.scheme}"`);
    }
  }

  /**
   * One exchange, authenticating once on 401. Throws RegistryError for statuses not in `ok` (a 3xx included: a
   * redirect is not followed). Authorization only to the registry's own origin.
   */
  private async send(method: string, pathOrUrl: string, ok: number[], init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<HttpResponse> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const target = new URL(url);
    const own = target.origin === this.origin;
    const what = `${method} ${own ? '' : target.origin}${target.pathname}`;
    for (let round = 0; ; round++) {
      const headers = { ...(init.headers ?? {}), ...(own && this.authorization ? { authorization: this.authorization } : {}) };
      const res = await this.http.request({ method, url, headers, ...(init.body ? { body: init.body } : {}) });
      if (ok.includes(res.status)) return res;
      if (res.status === 401 && round === 0 && own) {
        await this.authenticate(res, what);
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        const err = this.fail(res, what);
        throw new AuthError(`${err.message}${this.options.credentials ? ` (user "${this.options.credentials.username}")` : ' (no credentials given)'}`);
      }
      throw this.fail(res, what);
    }
  }

  private retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, {
      ...this.options.retry,
      onRetry: (err, attempt, delay) => {
        this.options.log?.(`${what}: attempt ${attempt} failed (${(err as Error).message}); retrying in ${delay} ms`);
        this.options.retry?.onRetry?.(err, attempt, delay);
      },
    });
  }

  /** GET /v2/: checks that the registry speaks v2 and that the credentials work. */
  async ping(): Promise<void> {
    await this.retry('ping', () => this.send('GET', '/v2/', [200]));
  }

  async hasBlob(digest: string): Promise<boolean> {
    return this.retry(`HEAD blob ${digest}`, async () => {
      const res = await this.send('HEAD', `${this.repoPath}/blobs/${digest}`, [200, 404]);
      return res.status === 200;
    });
  }

  /** Monolithic upload: POST to open an upload session, PUT the bytes with their digest. */
  async uploadBlob(digest: string, data: Buffer): Promise<void> {
    await this.retry(`upload ${digest}`, async () => {
      const start = await this.send('POST', `${this.repoPath}/blobs/uploads/`, [202]);
      const location = start.headers.location;
      if (typeof location !== 'string' || location === '') throw new RegistryError(`registry ${this.options.registry} opened an upload without a Location`, start.status);
      const url = new URL(location, this.base);
      url.searchParams.set('digest', digest);
      const res = await this.send('PUT', url.toString(), [201], { headers: { 'content-type': 'application/octet-stream' }, body: data });
      const got = res.headers['docker-content-digest'];
      if (typeof got === 'string' && got !== digest) throw new RegistryError(`registry ${this.options.registry} stored blob ${digest} as ${got}`, res.status, 'DIGEST_MISMATCH');
    });
  }

  /** PUT a manifest by tag or digest; returns the digest the registry reports, checked against `digest`. */
  async putManifest(reference: string, mediaType: string, body: Buffer, digest: string): Promise<string> {
    return this.retry(`PUT manifest ${reference}`, async () => {
      const res = await this.send('PUT', `${this.repoPath}/manifests/${reference}`, [200, 201], { headers: { 'content-type': mediaType }, body });
      let got = res.headers['docker-content-digest'];
      if (typeof got !== 'string') {
        const head = await this.send('HEAD', `${this.repoPath}/manifests/${reference}`, [200], { headers: { accept: mediaType } });
        got = head.headers['docker-content-digest'];
      }
      if (typeof got === 'string' && got !== digest) throw new RegistryError(`registry ${this.options.registry} stored manifest ${reference} as ${got}, expected ${digest}`, res.status, 'DIGEST_MISMATCH');
      return typeof got === 'string' ? got : digest;
    });
  }

  /** The manifest's digest as the registry reports it (HEAD), or undefined when it has none by that reference. */
  async manifestDigest(reference: string, accept: string): Promise<string | undefined> {
    return this.retry(`HEAD manifest ${reference}`, async () => {
      const res = await this.send('HEAD', `${this.repoPath}/manifests/${reference}`, [200, 404], { headers: { accept } });
      if (res.status === 404) return undefined;
      const got = res.headers['docker-content-digest'];
      return typeof got === 'string' ? got : undefined;
    });
  }

  close(): void {
    if (this.ownsHttp) this.http.close();
  }
}

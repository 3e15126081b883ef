// Yandex Cloud authentication shared by the actions (build-image, deploy) and the `pipeline` CLI.
//   service-account key JSON -> PS256 JWT -> IAM token (IAM API)
//   an IAM token given directly
//   GitHub OIDC ID token -> IAM token (workload identity federation, token exchange)
// Precedence as the official yc-actions: yc-sa-json-credentials, then yc-iam-token, then yc-sa-id.
// Pure: no @actions/* import. Masking and the GitHub ID token come in as functions.
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';

export const IAM_TOKENS_URL = 'https://iam.api.cloud.yandex.net/iam/v1/tokens';
export const FEDERATION_TOKEN_URL = 'https://auth.yandex.cloud/oauth/token';

export interface ServiceAccountKey {
  /** Key id: the JWT's `kid`. */
  id: string;
  /** Service account id: the JWT's `iss`. */
  serviceAccountId: string;
  privateKey: KeyObject;
}

export class YcAuthError extends Error {
  override name = 'YcAuthError';
}

/** Parses the JSON of `yc iam key create --output key.json`; the error names every missing field. */
export function parseServiceAccountKey(json: string, inputName = 'yc-sa-json-credentials'): ServiceAccountKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new YcAuthError(`${inputName}: not valid JSON (${(err as Error).message.replace(/\s+in JSON.*$/, '')})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new YcAuthError(`${inputName}: expected a JSON object (a service-account authorized key)`);
  const obj = parsed as Record<string, unknown>;
  const missing = ['id', 'service_account_id', 'private_key'].filter((k) => typeof obj[k] !== 'string' || obj[k] === '');
  if (missing.length > 0) throw new YcAuthError(`${inputName}: missing field${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}`);
  let privateKey: KeyObject;
  try {
    // `yc` writes a comment line ("PLEASE DO NOT REMOVE THIS LINE! ...") before the PEM block: skip it.
    const pem = (obj.private_key as string).slice(Math.max(0, (obj.private_key as string).indexOf('-----BEGIN')));
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new YcAuthError(`${inputName}: "private_key" is not a PEM private key (${(err as Error).message})`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw new YcAuthError(`${inputName}: "private_key" must be an RSA key, got ${privateKey.asymmetricKeyType}`);
  return { id: obj.id as string, serviceAccountId: obj.service_account_id as string, privateKey };
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** The PS256 JWT the IAM API exchanges for an IAM token (lifetime at most one hour). */
export function createServiceAccountJwt(key: ServiceAccountKey, now: Date = new Date(), lifetimeSeconds = 3600, audience = IAM_TOKENS_URL): string {
  const iat = Math.floor(now.getTime() / 1000);
  const header = { typ: 'JWT', alg: 'PS256', kid: key.id };
  const claims = { aud: audience, iss: key.serviceAccountId, iat, exp: iat + Math.min(lifetimeSeconds, 3600) };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), {
    key: key.privateKey,
    padding: 6, // crypto.constants.RSA_PKCS1_PSS_PADDING
    saltLength: 32, // = hash length, as the IAM API requires
  });
  return `${input}.${b64url(signature)}`;
}

export interface YcCredentialInputs {
  /** yc-sa-json-credentials: the authorized key JSON. */
  saJsonCredentials?: string;
  /** yc-iam-token */
  iamToken?: string;
  /** yc-sa-id: the service account to exchange a GitHub OIDC ID token for. */
  saId?: string;
}

export interface YcAuthDeps {
  /** Registers a secret so that no log shows it (core.setSecret in actions). Called for every secret and token. */
  mask: (secret: string) => void;
  /** Returns a GitHub OIDC ID token (core.getIDToken in actions). */
  getIdToken?: (audience?: string) => Promise<string>;
  fetch?: typeof fetch;
  now?: () => Date;
  iamTokensUrl?: string;
  federationTokenUrl?: string;
  /** Per-request timeout (default 20 s). */
  timeoutMs?: number;
}

export type YcAuthMethod = 'sa-json-credentials' | 'iam-token' | 'oidc-federation';

export interface YcIamToken {
  token: string;
  method: YcAuthMethod;
  expiresAt?: string;
}

async function postForJson(deps: YcAuthDeps, url: string, init: RequestInit, what: string): Promise<Record<string, unknown>> {
  const doFetch = deps.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { ...init, method: 'POST', signal: AbortSignal.timeout(deps.timeoutMs ?? 20_000) });
  } catch (err) {
    throw new YcAuthError(`${what}: request to ${url} failed: ${(err as Error).message}`);
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON: reported below if the status is bad */
  }
  if (!res.ok) {
    const message = body.message ?? body.error_description ?? body.error ?? text.slice(0, 300);
    throw new YcAuthError(`${what}: ${url} answered ${res.status}: ${String(message)}`);
  }
  return body;
}

/** Service-account key -> IAM token. */
export async function iamTokenFromKey(key: ServiceAccountKey, deps: YcAuthDeps): Promise<YcIamToken> {
  const jwt = createServiceAccountJwt(key, deps.now?.());
  deps.mask(jwt);
  const body = await postForJson(
    deps,
    deps.iamTokensUrl ?? IAM_TOKENS_URL,
    { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jwt }) },
    'IAM token from the service-account key',
  );
  if (typeof body.iamToken !== 'string' || body.iamToken === '') throw new YcAuthError('IAM token from the service-account key: the answer has no "iamToken"');
  deps.mask(body.iamToken);
  return { token: body.iamToken, method: 'sa-json-credentials', ...(typeof body.expiresAt === 'string' ? { expiresAt: body.expiresAt } : {}) };
}

/** GitHub OIDC ID token -> IAM token of the service account (workload identity federation). */
export async function iamTokenFromOidc(saId: string, deps: YcAuthDeps): Promise<YcIamToken> {
  if (!deps.getIdToken) throw new YcAuthError('yc-sa-id: OIDC federation needs a GitHub ID token (run in GitHub Actions with `permissions: id-token: write`)');
  const idToken = await deps.getIdToken();
  deps.mask(idToken);
  const form = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    audience: saId,
    subject_token: idToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
  });
  const body = await postForJson(
    deps,
    deps.federationTokenUrl ?? FEDERATION_TOKEN_URL,
    { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() },
    'IAM token by OIDC federation (yc-sa-id)',
  );
  if (typeof body.access_token !== 'string' || body.access_token === '') throw new YcAuthError('IAM token by OIDC federation: the answer has no "access_token"');
  deps.mask(body.access_token);
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : undefined;
  const now = deps.now?.() ?? new Date();
  return { token: body.access_token, method: 'oidc-federation', ...(expiresIn ? { expiresAt: new Date(now.getTime() + expiresIn * 1000).toISOString() } : {}) };
}

/** Masks a multi-line secret whole and line by line (logs show secrets a line at a time). */
export function maskMultiline(secret: string, mask: (s: string) => void): void {
  mask(secret);
  for (const line of secret.split(/\r?\n/)) {
    const t = line.trim();
    // JSON punctuation and PEM armour lines are not secret; key material and values are.
    if (t.length >= 8 && !t.startsWith('-----')) mask(t);
  }
  // The private key as it appears escaped inside the JSON string.
  const m = /"private_key"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(secret);
  if (m?.[1]) for (const part of m[1].split('\\n')) if (part.length >= 8 && !part.startsWith('-----')) mask(part);
}

/** Which method the inputs select, by the yc-actions precedence; undefined when none is given. */
export function selectYcAuthMethod(inputs: YcCredentialInputs): YcAuthMethod | undefined {
  if (inputs.saJsonCredentials?.trim()) return 'sa-json-credentials';
  if (inputs.iamToken?.trim()) return 'iam-token';
  if (inputs.saId?.trim()) return 'oidc-federation';
  return undefined;
}

/** An IAM token from whichever credential the inputs carry (masked, as are the inputs); undefined if none. */
export async function getYcIamToken(inputs: YcCredentialInputs, deps: YcAuthDeps): Promise<YcIamToken | undefined> {
  const method = selectYcAuthMethod(inputs);
  switch (method) {
    case 'sa-json-credentials': {
      const json = inputs.saJsonCredentials!.trim();
      maskMultiline(json, deps.mask);
      const key = parseServiceAccountKey(json);
      maskMultiline(key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), deps.mask);
      return iamTokenFromKey(key, deps);
    }
    case 'iam-token': {
      const token = inputs.iamToken!.trim();
      deps.mask(token);
      return { token, method };
    }
    case 'oidc-federation':
      return iamTokenFromOidc(inputs.saId!.trim(), deps);
    default:
      return undefined;
  }
}

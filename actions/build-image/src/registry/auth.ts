// Registry authentication: the WWW-Authenticate challenge of GET /v2/, then Basic credentials or a Bearer token
// from the challenge's realm (Docker token protocol), as docker login / yc do against cr.yandex.
import type { HttpClient } from './http.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://auth",service="registry",scope="repository:a:pull"` (the first challenge). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]!)) !== null) {
    if (p[0] === '') break;
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme: m[1]!.toLowerCase(), params };
}

export function basicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

export class AuthError extends Error {
  override name = 'AuthError';
}

/** Gets a Bearer token for `scope` from the challenge's realm, with Basic credentials when given. */
export async function fetchBearerToken(http: HttpClient, challenge: Challenge, scope: string, credentials?: Credentials): Promise<string> {
  const realm = challenge.params.realm;
  if (!realm) throw new AuthError('the registry asked for a Bearer token but named no realm');
  const url = new URL(realm);
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  url.searchParams.set('scope', scope);
  const res = await http.request({ method: 'GET', url: url.toString(), headers: credentials ? { authorization: basicAuthorization(credentials) } : {} });
  const text = res.body.toString('utf8');
  if (res.status !== 200) {
    let detail = text.slice(0, 300);
    try {
      const j = JSON.parse(text) as { errors?: { message?: string }[]; message?: string; details?: string };
      detail = j.errors?.map((e) => e.message).join('; ') || j.message || j.details || detail;
    } catch {
      /* plain text */
    }
    throw new AuthError(`token endpoint ${url.origin}${url.pathname} answered ${res.status}${credentials ? ` for user "${credentials.username}"` : ' (no credentials given)'}: ${detail}`);
  }
  const body = JSON.parse(text) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new AuthError(`token endpoint ${url.origin}${url.pathname} answered without a token`);
  return token;
}

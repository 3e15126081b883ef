// Registry authentication: the WWW-Authenticate challenge of GET /v2/, then Basic credentials or a Bearer token
// from the challenge's realm (Docker token protocol), as docker login / yc do against cr.yandex. The realm comes
// from the registry's answer, so it is checked before anything is sent there: https (plain http only when the
// registry itself is plain HTTP), and, when credentials would go along, on the registry's own host (any port)
// or, for cr.yandex, a cr.yandex host (Yandex's own). Anything else is refused, naming the realm.
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

/** The registry a realm was named by: host[:port], and whether it is spoken to over plain HTTP. */
export interface RegistryEndpoint {
  host: string;
  plainHttp: boolean;
}

/**
 * Registries whose token service may live on another host of the same operator, and those hosts. cr.yandex:
 * hosts under cr.yandex (the .yandex top-level domain is Yandex's own). Decided here, not taken from answers.
 */
const TOKEN_REALM_HOSTS: Record<string, (realmHost: string) => boolean> = {
  'cr.yandex': (h) => h === 'cr.yandex' || h.endsWith('.cr.yandex'),
};

const hostnameOf = (host: string) => new URL(`http://${host}`).hostname;

/** Undefined when a token may be asked from `realm` (with credentials, if `withCredentials`), else why not. */
export function checkRealm(realm: URL, registry: RegistryEndpoint, withCredentials: boolean): string | undefined {
  const shown = `${realm.origin}${realm.pathname}`;
  if (realm.protocol !== 'https:' && realm.protocol !== 'http:') return `token realm ${shown} is not http(s)`;
  if (realm.protocol === 'http:' && !registry.plainHttp) return `token realm ${shown} is plain HTTP; the registry is https (only a plain-HTTP registry may name a plain-HTTP realm)`;
  if (!withCredentials) return undefined;
  const registryHost = hostnameOf(registry.host);
  if (realm.hostname === registryHost || TOKEN_REALM_HOSTS[registryHost]?.(realm.hostname)) return undefined;
  return `token realm ${shown} is not on the registry's host ${registryHost}: the credentials are not sent there`;
}

/** Gets a Bearer token for `scope` from the challenge's realm, with Basic credentials when given (see checkRealm). */
export async function fetchBearerToken(http: HttpClient, challenge: Challenge, scope: string, registry: RegistryEndpoint, credentials?: Credentials): Promise<string> {
  const realm = challenge.params.realm;
  if (!realm) throw new AuthError('the registry asked for a Bearer token but named no realm');
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new AuthError(`the registry named a token realm that is not a URL: "${realm.slice(0, 200)}"`);
  }
  const refused = checkRealm(url, registry, credentials !== undefined);
  if (refused) throw new AuthError(`registry ${registry.host}: ${refused}; refused`);
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

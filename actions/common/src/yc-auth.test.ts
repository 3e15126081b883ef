import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createServiceAccountJwt, getYcIamToken, IAM_TOKENS_URL, parseServiceAccountKey, selectYcAuthMethod, YcAuthError } from './yc-auth.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const keyJson = JSON.stringify({
  id: 'ajekeyid123',
  service_account_id: 'ajesaid456',
  created_at: '2024-01-01T00:00:00Z',
  key_algorithm: 'RSA_2048',
  public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  private_key: `PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <ajekeyid123>\n${pem}`,
});

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('yc-auth', () => {
  it('signs a PS256 JWT that verifies with the public key, with the claims IAM wants', () => {
    const key = parseServiceAccountKey(keyJson);
    const now = new Date('2025-06-01T12:00:00Z');
    const jwt = createServiceAccountJwt(key, now);
    const [h, c, s] = jwt.split('.') as [string, string, string];
    expect(decode(h)).toEqual({ typ: 'JWT', alg: 'PS256', kid: 'ajekeyid123' });
    const claims = decode(c);
    expect(claims).toEqual({ aud: IAM_TOKENS_URL, iss: 'ajesaid456', iat: now.getTime() / 1000, exp: now.getTime() / 1000 + 3600 });
    const ok = verify('sha256', Buffer.from(`${h}.${c}`), { key: publicKey, padding: 6, saltLength: 32 }, Buffer.from(s, 'base64url'));
    expect(ok).toBe(true);
    // never more than one hour
    const long = decode(createServiceAccountJwt(key, now, 7200).split('.')[1]!);
    expect((long.exp as number) - (long.iat as number)).toBe(3600);
  });

  it('names the missing key fields', () => {
    expect(() => parseServiceAccountKey('{"id":"x"}')).toThrow('yc-sa-json-credentials: missing fields "service_account_id", "private_key"');
    expect(() => parseServiceAccountKey('{"id":"x","service_account_id":"y"}')).toThrow('missing field "private_key"');
    expect(() => parseServiceAccountKey('not json')).toThrow(/yc-sa-json-credentials: not valid JSON/);
    expect(() => parseServiceAccountKey('{"id":"x","service_account_id":"y","private_key":"nope"}')).toThrow(/"private_key" is not a PEM private key/);
  });

  it('follows the yc-actions precedence', () => {
    expect(selectYcAuthMethod({ saJsonCredentials: keyJson, iamToken: 't', saId: 's' })).toBe('sa-json-credentials');
    expect(selectYcAuthMethod({ iamToken: 't', saId: 's' })).toBe('iam-token');
    expect(selectYcAuthMethod({ saId: 's' })).toBe('oidc-federation');
    expect(selectYcAuthMethod({ iamToken: '  ' })).toBeUndefined();
  });

  it('exchanges the key for an IAM token and masks every secret', async () => {
    const masked: string[] = [];
    let sent: { url: string; body: string } | undefined;
    const fakeFetch = (async (url: string, init: RequestInit) => {
      sent = { url, body: String(init.body) };
      return new Response(JSON.stringify({ iamToken: 't1.iam-token-value', expiresAt: '2025-06-01T13:00:00Z' }), { status: 200 });
    }) as unknown as typeof fetch;
    const token = await getYcIamToken({ saJsonCredentials: keyJson }, { mask: (s) => masked.push(s), fetch: fakeFetch });
    expect(token).toEqual({ token: 't1.iam-token-value', method: 'sa-json-credentials', expiresAt: '2025-06-01T13:00:00Z' });
    expect(sent!.url).toBe(IAM_TOKENS_URL);
    const jwt = (JSON.parse(sent!.body) as { jwt: string }).jwt;
    expect(masked).toContain(jwt);
    expect(masked).toContain('t1.iam-token-value');
    expect(masked).toContain(keyJson);
    // the PEM body lines, as a log would show them
    expect(masked).toContain(pem.split('\n')[1]);
  });

  it('reports the IAM API message on failure', async () => {
    const fakeFetch = (async () => new Response(JSON.stringify({ code: 16, message: 'The token is invalid' }), { status: 401 })) as unknown as typeof fetch;
    await expect(getYcIamToken({ saJsonCredentials: keyJson }, { mask: () => {}, fetch: fakeFetch })).rejects.toThrow(/answered 401: The token is invalid/);
  });

  it('passes an IAM token through, masked', async () => {
    const masked: string[] = [];
    expect(await getYcIamToken({ iamToken: ' t1.direct ' }, { mask: (s) => masked.push(s) })).toEqual({ token: 't1.direct', method: 'iam-token' });
    expect(masked).toEqual(['t1.direct']);
    expect(await getYcIamToken({}, { mask: () => {} })).toBeUndefined();
  });

  it('exchanges a GitHub ID token by federation', async () => {
    const masked: string[] = [];
    let form: URLSearchParams | undefined;
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      form = new URLSearchParams(String(init.body));
      return new Response(JSON.stringify({ access_token: 't1.federated', expires_in: 3600 }), { status: 200 });
    }) as unknown as typeof fetch;
    const token = await getYcIamToken({ saId: 'ajesaid456' }, { mask: (s) => masked.push(s), fetch: fakeFetch, getIdToken: async () => 'gh-id-token' });
    expect(token?.token).toBe('t1.federated');
    expect(form?.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(form?.get('audience')).toBe('ajesaid456');
    expect(form?.get('subject_token')).toBe('gh-id-token');
    expect(form?.get('subject_token_type')).toBe('urn:ietf:params:oauth:token-type:id_token');
    expect(masked).toEqual(['gh-id-token', 't1.federated']);
    await expect(getYcIamToken({ saId: 'x' }, { mask: () => {} })).rejects.toBeInstanceOf(YcAuthError);
  });
});

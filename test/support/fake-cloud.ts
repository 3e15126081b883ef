// A loopback stand-in for the Yandex Cloud endpoints our VMs call with their service account: the metadata
// service (the account's IAM token), the Lockbox payload API (SHS's database password) and Certificate
// Manager's getContent (the proxy's certificate). As strict as the real ones about the request: the metadata
// service wants `Metadata-Flavor: Google`, the others the token it issued.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export const TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

export interface FakeCloudRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface FakeCloud {
  /** Base URL for both cloud.metadata_url and cloud.lockbox_url. */
  url: string;
  /** The IAM token it issues (must never show in the service's output). */
  token: string;
  secretId: string;
  /** The value of the secret's `password` entry; set it to rotate. */
  password: string;
  /** Certificate Manager's certificates by id (a missing id answers 404, as an unknown or unissued one). */
  certificates: Record<string, { certificateChain: string[]; privateKey: string }>;
  /** 'up': answers; 'down': 503 on both endpoints (network or service not ready); 'forbidden': Lockbox 403. */
  mode: 'up' | 'down' | 'forbidden';
  requests: FakeCloudRequest[];
  close(): Promise<void>;
}

export async function startFakeCloud(secretId: string, password: string): Promise<FakeCloud> {
  const token = `t1.${randomBytes(24).toString('base64url')}`;
  let version = 0;
  let lastPassword = '';
  const cloud: FakeCloud = {
    url: '',
    token,
    secretId,
    password,
    mode: 'up',
    certificates: {},
    requests: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  const send = (res: import('node:http').ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    cloud.requests.push({ method: req.method ?? '', path, headers: req.headers });
    if (cloud.mode === 'down') return send(res, 503, { code: 14, message: 'unavailable' });
    if (req.method !== 'GET') return send(res, 405, { message: 'method not allowed' });
    if (path === TOKEN_PATH) {
      if (req.headers['metadata-flavor'] !== 'Google') return send(res, 403, { message: 'missing Metadata-Flavor' });
      return send(res, 200, { access_token: token, expires_in: 43199, token_type: 'Bearer' });
    }
    if (path === `/lockbox/v1/secrets/${secretId}/payload`) {
      if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { code: 16, message: 'unauthenticated' });
      if (cloud.mode === 'forbidden') return send(res, 403, { code: 7, message: 'Permission denied' });
      if (cloud.password !== lastPassword) {
        lastPassword = cloud.password;
        version += 1;
      }
      return send(res, 200, { entries: [{ key: 'password', textValue: cloud.password }], versionId: `e6qfakeversion${version}` });
    }
    const cert = /^\/certificate-manager\/v1\/certificates\/([^/:?]+):getContent(\?.*)?$/.exec(path);
    if (cert) {
      if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { code: 16, message: 'unauthenticated' });
      if (cloud.mode === 'forbidden') return send(res, 403, { code: 7, message: 'Permission denied' });
      const content = cloud.certificates[decodeURIComponent(cert[1]!)];
      if (!content) return send(res, 404, { code: 5, message: 'certificate not found' });
      return send(res, 200, { certificateId: cert[1], ...content });
    }
    return send(res, 404, { code: 5, message: 'not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cloud.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return cloud;
}

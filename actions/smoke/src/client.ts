// A small HTTP(S) client for checks and load: keep-alive agents, a timeout, TLS verification that can be
// relaxed for self-signed certificates, and the negotiated protocol. No redirects are followed.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface ClientOptions {
  timeoutMs: number;
  /** Accept any certificate (self-signed test stacks). */
  insecure?: boolean;
  /** Extra CA certificate to trust (PEM file). */
  caFile?: string;
  maxSockets?: number;
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
  /** TLS protocol (TLSv1.3) for HTTPS, '' for plain HTTP. */
  tls: string;
}

export interface RequestSpec {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export class HttpClient {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  constructor(private readonly options: ClientOptions) {
    const sockets = options.maxSockets ?? 64;
    this.http = new HttpAgent({ keepAlive: true, maxSockets: sockets });
    this.https = new HttpsAgent({
      keepAlive: true,
      maxSockets: sockets,
      rejectUnauthorized: !options.insecure,
      ...(options.caFile ? { ca: readFileSync(options.caFile) } : {}),
    });
  }

  request(base: string, spec: RequestSpec): Promise<Response> {
    const url = new URL(spec.path, base);
    const secure = url.protocol === 'https:';
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...spec.headers };
      if (spec.body !== undefined) headers['content-length'] = String(Buffer.byteLength(spec.body));
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        { method: spec.method ?? 'GET', headers, agent: secure ? this.https : this.http, timeout: this.options.timeoutMs },
        (res) => {
          const tls = secure ? ((res.socket as TLSSocket).getProtocol?.() ?? '') : '';
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started, tls }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timed out after ${this.options.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(spec.body);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

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

const TLS_VERIFICATION = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

/** A request's network error in words: refused, DNS, TLS verification, reset, timeout (else its message). */
export function describeNetworkError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { hostname?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = e instanceof Error ? e.message : String(err);
  if (code === 'ECONNREFUSED') return 'connection refused (nothing listens there)';
  if (code === 'ENOTFOUND') return `DNS lookup of ${e.hostname ?? 'the host'} failed (ENOTFOUND: no such host)`;
  if (code === 'EAI_AGAIN') return `DNS lookup of ${e.hostname ?? 'the host'} failed (EAI_AGAIN: no answer from the resolver)`;
  if (TLS_VERIFICATION.test(code)) return `TLS certificate verification failed (${message}): give its CA (ca-file) or accept it (insecure)`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `the connection was closed by the other end (${code})`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `no route to the host (${code})`;
  if (code.startsWith('ERR_SSL') || code.startsWith('EPROTO')) return `TLS handshake failed (${message})`;
  return message;
}

/** Thrown when the target does not answer at all: a network error, not a wrong answer. */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
}

/** Throws UnreachableError naming why (refused, DNS, TLS...) unless GET /ping at base gets any answer. */
export async function probe(client: HttpClient, base: string): Promise<void> {
  try {
    await client.request(base, { path: '/ping' });
  } catch (err) {
    throw new UnreachableError(`${base}: ${describeNetworkError(err)}`);
  }
}

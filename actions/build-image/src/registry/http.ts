// A small HTTP(S) client for the registry: node:http/https with keep-alive, a CA file or no verification, a
// timeout per request, and errors that say whether a retry may help.
import http from 'node:http';
import https from 'node:https';

export interface TlsOptions {
  /** PEM CA certificates to trust (in addition to none: they replace the defaults, as curl --cacert). */
  ca?: string | Buffer;
  /** Do not verify the server certificate. */
  insecure?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

/** A failure with no HTTP answer (connection refused, reset, timeout): safe to retry for idempotent uploads. */
export class NetworkError extends Error {
  override name = 'NetworkError';
  readonly retryable = true;
}

export class HttpClient {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent: https.Agent;

  constructor(
    tls: TlsOptions = {},
    private readonly timeoutMs = 120_000,
  ) {
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8, ...(tls.ca ? { ca: tls.ca } : {}), rejectUnauthorized: !tls.insecure });
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const isHttps = url.protocol === 'https:';
    const lib = isHttps ? https : http;
    return new Promise((resolve, reject) => {
      const r = lib.request(
        url,
        {
          method: req.method,
          agent: isHttps ? this.httpsAgent : this.httpAgent,
          headers: { ...(req.headers ?? {}), ...(req.body ? { 'content-length': String(req.body.length) } : req.method === 'PUT' || req.method === 'POST' ? { 'content-length': '0' } : {}) },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', (err) => reject(new NetworkError(`${req.method} ${url.origin}${url.pathname}: ${err.message}`)));
        },
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      r.on('error', (err: NodeJS.ErrnoException) => {
        const msg = `${req.method} ${url.origin}${url.pathname}: ${err.code ? `${err.code} ` : ''}${err.message}`;
        // TLS verification failures will not heal by retrying.
        if (err.code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME/.test(err.code)) reject(new Error(`${msg} (use a CA file for a private CA)`));
        else reject(new NetworkError(msg));
      });
      if (req.body) r.end(req.body);
      else r.end();
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

// What the proxy image is told at run time, through PROXY_* variables (terraform/modules/proxy sets them in
// the compose spec): the app nodes, where to listen, whether to serve HTTP/3, and the Certificate Manager
// certificate to serve. Everything else is the same as on the local stack (PROXY_DEFAULTS). Pure: errors name
// the variable, and an unknown PROXY_* variable is refused (a typo would otherwise be silently ignored).

export interface ProxyRuntime {
  /** App instances as host:port. */
  peers: string[];
  httpListen: string;
  /** null: no HTTPS (PROXY_HTTPS_LISTEN=off). */
  httpsListen: string | null;
  metricsListen: string;
  http3: boolean;
  /** A Certificate Manager certificate to download with the VM's service account; '' for a self-signed one. */
  certificateId: string;
  metadataUrl: string;
  certificateManagerUrl: string;
  /** How often the certificate is downloaded again (a managed certificate renews). */
  certificateRefreshMs: number;
  workerProcesses: number | 'auto';
  /** Where the rendered configuration, TLS files, temp files and the cache go. */
  runDir: string;
}

export class RuntimeEnvError extends Error {
  override name = 'RuntimeEnvError';
}

export const RUNTIME_DEFAULTS = {
  PROXY_HTTP_LISTEN: '0.0.0.0:8080',
  PROXY_HTTPS_LISTEN: '0.0.0.0:8443',
  PROXY_METRICS_LISTEN: '0.0.0.0:9145',
  PROXY_HTTP3: 'false',
  PROXY_CERTIFICATE_ID: '',
  PROXY_METADATA_URL: 'http://169.254.169.254',
  PROXY_CERTIFICATE_MANAGER_URL: 'https://data.certificate-manager.api.cloud.yandex.net',
  PROXY_CERTIFICATE_REFRESH_SECONDS: '21600',
  PROXY_WORKER_PROCESSES: 'auto',
  PROXY_RUN_DIR: '/run/proxy',
} as const;

const KNOWN = new Set(['PROXY_PEERS', ...Object.keys(RUNTIME_DEFAULTS)]);

function listen(name: string, value: string): string {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new RuntimeEnvError(`${name}: expected [address:]port, e.g. 0.0.0.0:8080, got "${value}"`);
  return value;
}

function bool(name: string, value: string): boolean {
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  throw new RuntimeEnvError(`${name}: expected true or false, got "${value}"`);
}

function url(name: string, value: string): string {
  if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(value)) throw new RuntimeEnvError(`${name}: expected an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

export function parseRuntimeEnv(env: NodeJS.ProcessEnv): ProxyRuntime {
  for (const key of Object.keys(env)) {
    if (key.startsWith('PROXY_') && !KNOWN.has(key))
      throw new RuntimeEnvError(`${key}: unknown variable (known: ${[...KNOWN].join(', ')})`);
  }
  const get = (name: keyof typeof RUNTIME_DEFAULTS) => (env[name] ?? '').trim() || RUNTIME_DEFAULTS[name];
  const peersText = (env.PROXY_PEERS ?? '').trim();
  if (!peersText) throw new RuntimeEnvError('PROXY_PEERS: required: the app instances as host:port, comma-separated');
  const peers = peersText.split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of peers)
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/.test(p)) throw new RuntimeEnvError(`PROXY_PEERS: "${p}" is not host:port`);
  const https = get('PROXY_HTTPS_LISTEN');
  const refresh = Number(get('PROXY_CERTIFICATE_REFRESH_SECONDS'));
  if (!Number.isInteger(refresh) || refresh < 1 || refresh > 86_400 * 7)
    throw new RuntimeEnvError(`PROXY_CERTIFICATE_REFRESH_SECONDS: expected whole seconds from 1 to 604800, got "${get('PROXY_CERTIFICATE_REFRESH_SECONDS')}"`);
  const workers = get('PROXY_WORKER_PROCESSES');
  if (workers !== 'auto' && !/^[1-9]\d{0,2}$/.test(workers)) throw new RuntimeEnvError(`PROXY_WORKER_PROCESSES: expected auto or a number of processes, got "${workers}"`);
  const certificateId = get('PROXY_CERTIFICATE_ID');
  if (certificateId && !/^[A-Za-z0-9_-]{1,50}$/.test(certificateId)) throw new RuntimeEnvError(`PROXY_CERTIFICATE_ID: not a certificate id: "${certificateId}"`);
  const runDir = get('PROXY_RUN_DIR');
  if (!runDir.startsWith('/')) throw new RuntimeEnvError(`PROXY_RUN_DIR: expected an absolute path, got "${runDir}"`);
  const out: ProxyRuntime = {
    peers,
    httpListen: listen('PROXY_HTTP_LISTEN', get('PROXY_HTTP_LISTEN')),
    httpsListen: /^off$/i.test(https) ? null : listen('PROXY_HTTPS_LISTEN', https),
    metricsListen: listen('PROXY_METRICS_LISTEN', get('PROXY_METRICS_LISTEN')),
    http3: bool('PROXY_HTTP3', get('PROXY_HTTP3')),
    certificateId,
    metadataUrl: url('PROXY_METADATA_URL', get('PROXY_METADATA_URL')),
    certificateManagerUrl: url('PROXY_CERTIFICATE_MANAGER_URL', get('PROXY_CERTIFICATE_MANAGER_URL')),
    certificateRefreshMs: refresh * 1000,
    workerProcesses: workers === 'auto' ? 'auto' : Number(workers),
    runDir,
  };
  if (out.http3 && !out.httpsListen) throw new RuntimeEnvError('PROXY_HTTP3: HTTP/3 needs HTTPS (PROXY_HTTPS_LISTEN is off)');
  if (out.certificateId && !out.httpsListen) throw new RuntimeEnvError('PROXY_CERTIFICATE_ID: a certificate needs HTTPS (PROXY_HTTPS_LISTEN is off)');
  return out;
}

import { describe, expect, it } from 'vitest';
import { RUNTIME_DEFAULTS, parseRuntimeEnv } from './runtime-env.js';

const env = (extra: Record<string, string> = {}) => ({ PROXY_PEERS: '10.128.1.10:8080,10.128.1.11:8080', ...extra });

describe('the proxy image\'s PROXY_* variables', () => {
  it('defaults: non-root ports, a self-signed certificate, the cloud\'s endpoints, /run/proxy', () => {
    expect(parseRuntimeEnv(env())).toEqual({
      peers: ['10.128.1.10:8080', '10.128.1.11:8080'],
      httpListen: '0.0.0.0:8080',
      httpsListen: '0.0.0.0:8443',
      metricsListen: '0.0.0.0:9145',
      http3: false,
      certificateId: '',
      metadataUrl: 'http://169.254.169.254',
      certificateManagerUrl: 'https://data.certificate-manager.api.cloud.yandex.net',
      certificateRefreshMs: 21_600_000,
      workerProcesses: 'auto',
      runDir: '/run/proxy',
    });
  });

  it('takes what terraform/modules/proxy sets', () => {
    const rt = parseRuntimeEnv(
      env({ PROXY_HTTP_LISTEN: '0.0.0.0:80', PROXY_HTTPS_LISTEN: '0.0.0.0:443', PROXY_HTTP3: 'true', PROXY_CERTIFICATE_ID: 'fpq1abcdef', PROXY_WORKER_PROCESSES: '2' }),
    );
    expect(rt).toMatchObject({ httpListen: '0.0.0.0:80', httpsListen: '0.0.0.0:443', http3: true, certificateId: 'fpq1abcdef', workerProcesses: 2 });
    expect(parseRuntimeEnv(env({ PROXY_HTTPS_LISTEN: 'off' })).httpsListen).toBeNull();
  });

  it('refuses what cannot work, naming the variable', () => {
    expect(() => parseRuntimeEnv({})).toThrow(/^PROXY_PEERS: required/);
    expect(() => parseRuntimeEnv(env({ PROXY_PEERS: '10.0.0.1' }))).toThrow(/^PROXY_PEERS: "10.0.0.1" is not host:port/);
    expect(() => parseRuntimeEnv(env({ PROXY_HTTP_LISTEN: '0.0.0.0:99999' }))).toThrow(/^PROXY_HTTP_LISTEN:/);
    expect(() => parseRuntimeEnv(env({ PROXY_HTTP3: 'maybe' }))).toThrow(/^PROXY_HTTP3: expected true or false/);
    expect(() => parseRuntimeEnv(env({ PROXY_HTTP3: 'true', PROXY_HTTPS_LISTEN: 'off' }))).toThrow(/^PROXY_HTTP3: HTTP\/3 needs HTTPS/);
    expect(() => parseRuntimeEnv(env({ PROXY_CERTIFICATE_ID: 'x', PROXY_HTTPS_LISTEN: 'off' }))).toThrow(/^PROXY_CERTIFICATE_ID: a certificate needs HTTPS/);
    expect(() => parseRuntimeEnv(env({ PROXY_CERTIFICATE_ID: '../etc' }))).toThrow(/^PROXY_CERTIFICATE_ID: not a certificate id/);
    expect(() => parseRuntimeEnv(env({ PROXY_METADATA_URL: 'ftp://x' }))).toThrow(/^PROXY_METADATA_URL:/);
    expect(() => parseRuntimeEnv(env({ PROXY_CERTIFICATE_REFRESH_SECONDS: '0' }))).toThrow(/^PROXY_CERTIFICATE_REFRESH_SECONDS:/);
    expect(() => parseRuntimeEnv(env({ PROXY_WORKER_PROCESSES: 'many' }))).toThrow(/^PROXY_WORKER_PROCESSES:/);
    expect(() => parseRuntimeEnv(env({ PROXY_RUN_DIR: 'run' }))).toThrow(/^PROXY_RUN_DIR:/);
    expect(() => parseRuntimeEnv(env({ PROXY_UPSTREAMS: 'x' }))).toThrow(/^PROXY_UPSTREAMS: unknown variable/);
  });

  it('knows every variable terraform/modules/proxy sets', () => {
    for (const name of ['PROXY_PEERS', 'PROXY_HTTP_LISTEN', 'PROXY_HTTPS_LISTEN', 'PROXY_METRICS_LISTEN', 'PROXY_HTTP3', 'PROXY_CERTIFICATE_ID'])
      expect(name === 'PROXY_PEERS' || name in RUNTIME_DEFAULTS, name).toBe(true);
  });
});

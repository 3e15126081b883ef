// The proxy image's entrypoint (proxy/image.json runs `node /opt/proxy/dist/start.cjs`): reads the PROXY_*
// variables, gets the certificate (Certificate Manager with the VM's account, else self-signed), renders
// nginx.conf from the same template and the same render() as the local stack, checks it with `nginx -t`, then
// runs nginx in the foreground as its parent: signals are passed on (SIGTERM and SIGQUIT as nginx's graceful
// shutdown, SIGINT as its fast one, SIGHUP as a reload), the certificate is downloaded again on a timer and
// nginx reloaded when it changed, and the process exits with nginx's status. One JSON line per event on stdout.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { certificateFiles, downloadCertificate, selfSignedContent, writeCertificate, type CertificateContent } from './certificate.js';
import { detectFeatures, findNginx, type NginxFeatures } from './nginx.js';
import { PROXY_DEFAULTS, render } from './render.js';
import { RuntimeEnvError, parseRuntimeEnv, type ProxyRuntime } from './runtime-env.js';
import { giveToWorkers, workerUser, type WorkerUser } from './worker-user.js';

/** While a managed certificate cannot be had (not issued yet, a network hiccup), how soon to try again (at most). */
const RETRY_CERTIFICATE_MS = 60_000;

function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, component: 'proxy-start', msg, ...fields })}\n`);
}

/** The directory holding nginx.conf.template and lua/: the bundle runs as <home>/dist/start.cjs, in the image and in the repository. */
export function proxyHome(bundleDir: string): string {
  const home = resolve(bundleDir, '..');
  if (!existsSync(join(home, 'nginx.conf.template'))) throw new Error(`no nginx.conf.template in ${home} (the bundle must run from <proxy>/dist)`);
  return home;
}

/** nginx.conf for this run: the local stack's tuning, the image's paths, the runtime's listeners and peers. */
export function renderRuntimeConfig(
  template: string,
  rt: ProxyRuntime,
  home: string,
  features: NginxFeatures,
  tls: { certFile: string; keyFile: string } | null,
  user: WorkerUser = workerUser(),
  accessLog = accessLogTarget(rt.runDir),
): string {
  return render(template, {
    platform: features.platform,
    peers: rt.peers,
    httpListen: rt.httpListen,
    httpsListen: rt.httpsListen,
    ...(tls ? tls : {}),
    http3: rt.http3,
    metricsListen: rt.metricsListen,
    luaDir: join(home, 'lua'),
    runDir: rt.runDir,
    user: user.directive,
    workerProcesses: rt.workerProcesses,
    ...PROXY_DEFAULTS,
    errorLog: 'stderr',
    accessLog,
  });
}

/**
 * Where the access log goes: this process's stdout, which nginx opens as /dev/stdout. A container's stdout is a
 * pipe or a file, which opens; a socket (a parent that made a socketpair) does not, and then the log goes to a
 * file in the run directory instead of failing the start.
 */
export function accessLogTarget(runDir: string): string {
  try {
    closeSync(openSync('/dev/stdout', 'a'));
    return '/dev/stdout';
  } catch {
    return join(runDir, 'access.log');
  }
}

async function currentCertificate(rt: ProxyRuntime): Promise<{ content: CertificateContent; managed: boolean }> {
  if (!rt.certificateId) return { content: selfSignedContent([hostname(), 'localhost', '127.0.0.1']), managed: false };
  try {
    const content = await downloadCertificate(
      { metadataUrl: rt.metadataUrl, certificateManagerUrl: rt.certificateManagerUrl, onRetry: (m) => log('warn', m) },
      rt.certificateId,
    );
    return { content, managed: true };
  } catch (err) {
    // Until the managed certificate can be had, serve a self-signed one rather than no HTTPS at all.
    log('warn', 'serving a self-signed certificate until the managed one can be downloaded', { error: (err as Error).message });
    return { content: selfSignedContent([hostname(), 'localhost', '127.0.0.1']), managed: false };
  }
}

function testConfigInherited(binary: string, file: string, prefix: string): void {
  const r = spawnSync(binary, ['-t', '-q', '-p', prefix, '-c', file, '-e', 'stderr'], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nginx -t failed:\n${r.stderr ?? r.error?.message ?? ''}`);
}

function forwardSignals(child: ChildProcess): void {
  const map: Record<string, NodeJS.Signals> = { SIGTERM: 'SIGQUIT', SIGQUIT: 'SIGQUIT', SIGINT: 'SIGTERM', SIGHUP: 'SIGHUP' };
  for (const [received, sent] of Object.entries(map)) {
    process.on(received as NodeJS.Signals, () => {
      log('info', `${received}: passing ${sent} to nginx`);
      child.kill(sent);
    });
  }
}

export async function start(env: NodeJS.ProcessEnv, bundleDir: string): Promise<number> {
  const rt = parseRuntimeEnv(env);
  const home = proxyHome(bundleDir);
  const binary = findNginx(env);
  const features = await detectFeatures(binary);
  if (!features.lua) throw new Error(`${binary} has no Lua module`);
  if (rt.http3 && !features.http3)
    throw new Error(`PROXY_HTTP3: ${binary} (nginx ${features.version}) was built without HTTP/3 (--with-http_v3_module); this image cannot serve it (proxy/README.md, "HTTP/3")`);
  // The run directory must let nginx's workers through to their tmp and cache directories (given to them below);
  // the TLS key's directory stays the master's alone.
  mkdirSync(rt.runDir, { recursive: true, mode: 0o755 });
  chmodSync(rt.runDir, 0o755);
  for (const sub of ['tmp', 'cache', 'tls']) mkdirSync(join(rt.runDir, sub), { recursive: true, mode: 0o700 });
  const user = workerUser();
  giveToWorkers(user, [join(rt.runDir, 'tmp'), join(rt.runDir, 'cache')]);

  const tlsDir = join(rt.runDir, 'tls');
  let tls: { certFile: string; keyFile: string } | null = null;
  let managed = false;
  let served = '';
  if (rt.httpsListen) {
    const cert = await currentCertificate(rt);
    managed = cert.managed;
    served = writeCertificate(tlsDir, cert.content);
    tls = certificateFiles(tlsDir);
    log('info', 'certificate', { source: cert.content.source });
  }
  const file = join(rt.runDir, 'nginx.conf');
  const accessLog = accessLogTarget(rt.runDir);
  if (accessLog !== '/dev/stdout') log('warn', `stdout cannot be opened by nginx (a socket?): the access log goes to ${accessLog}`);
  writeFileSync(file, renderRuntimeConfig(readFileSync(join(home, 'nginx.conf.template'), 'utf8'), rt, home, features, tls, user, accessLog));
  // With stdout inherited: the test opens the access log as the server will.
  testConfigInherited(binary, file, rt.runDir);
  log('info', 'starting nginx', { nginx: `${binary} ${features.version}`, peers: rt.peers, http: rt.httpListen, https: rt.httpsListen, metrics: rt.metricsListen, http3: rt.http3 });

  const child = spawn(binary, ['-p', rt.runDir, '-c', file, '-e', 'stderr', '-g', 'daemon off;'], { stdio: 'inherit' });
  forwardSignals(child);

  let timer: NodeJS.Timeout | undefined;
  if (rt.certificateId) {
    // A managed certificate is downloaded again every refresh period; a self-signed stand-in sooner.
    const delay = () => (managed ? rt.certificateRefreshMs : Math.min(RETRY_CERTIFICATE_MS, rt.certificateRefreshMs));
    const refresh = async () => {
      const cert = await currentCertificate(rt);
      if (cert.managed) {
        managed = true;
        const fp = writeCertificate(tlsDir, cert.content);
        if (fp !== served) {
          served = fp;
          log('info', 'certificate changed: reloading nginx', { source: cert.content.source });
          child.kill('SIGHUP');
        }
      }
      timer = setTimeout(() => void refresh(), delay());
    };
    timer = setTimeout(() => void refresh(), delay());
  }

  return new Promise((resolveExit) => {
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      log(code === 0 ? 'info' : 'error', 'nginx exited', { code, signal });
      resolveExit(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15));
    });
  });
}

// Run as the bundle's entry point (not when imported by the tests).
if (process.argv[1] && /start\.c?js$/.test(process.argv[1])) {
  start(process.env, dirname(process.argv[1])).then(
    (code) => process.exit(code),
    (err: unknown) => {
      log('error', (err as Error).message);
      process.exit(err instanceof RuntimeEnvError ? 2 : 1);
    },
  );
}

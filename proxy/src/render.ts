// Renders proxy/nginx.conf.template for one place it runs: Debian's nginx with libnginx-mod-http-lua (the
// local stack) or OpenResty (the cloud). Pure: the template text and the options in, the config text out.

export type Platform = 'debian' | 'openresty';

export interface ProxyOptions {
  platform: Platform;
  /** App instances as host:port. */
  peers: string[];
  /** host:port or port for plain HTTP. */
  httpListen: string;
  /** host:port or port for HTTPS; null: no TLS. */
  httpsListen: string | null;
  certFile?: string;
  keyFile?: string;
  /** Serve HTTP/3 (needs an nginx built with it: see detectFeatures). */
  http3: boolean;
  metricsListen: string;
  /** Directory holding shs/*.lua. */
  luaDir: string;
  /** Where pid, logs, temp files and the cache go. */
  runDir: string;
  /** Worker user when nginx starts as root (null: leave nginx's default). */
  user: string | null;
  workerProcesses: number | 'auto';
  health: { intervalMs: number; timeoutMs: number; rise: number; fall: number };
  connectTimeoutMs: number;
  readTimeoutMs: number;
  listReadTimeoutMs: number;
  /** POST /api/session and DELETE: a commit may take longer than a read (see proxy/README.md). */
  writeReadTimeoutMs: number;
  /**
   * /long_dummy (the origin takes 1 s): long enough for that on a busy machine, short enough that a request caught
   * on an instance that hangs still gets its answer from the other one within a client's 5 s (2.5 + 1 s).
   */
  longReadTimeoutMs: number;
  /** /long_dummy: fresh this long, never served older than maxStaleSeconds. */
  cacheFreshSeconds: number;
  maxStaleSeconds: number;
  bodyLimit: string;
  /** Per-client-address limits on the heavy routes (GET and HEAD of the three lists; /db_dummy); null: none. */
  clientLimits: ClientLimits | null;
  /** Log files; default under runDir. */
  accessLog?: string;
  errorLog?: string;
}

export const DEFAULT_HEALTH = { intervalMs: 500, timeoutMs: 400, rise: 2, fall: 2 } as const;

/** What one client address may send to a group of routes; beyond it, 429 with Retry-After: 1. */
export interface ClientLimit {
  /** Requests per second, on average (nginx limit_req rate). */
  ratePerSecond: number;
  /** Requests above that rate answered at once rather than refused (limit_req burst, nodelay). */
  burst: number;
  /** Requests in flight at once (limit_conn). */
  connections: number;
}

export interface ClientLimits {
  /** GET and HEAD of /api/movie, /api/customer, /api/session (POST /api/session is not limited). */
  lists: ClientLimit;
  /** /db_dummy. */
  dbDummy: ClientLimit;
}

/**
 * A full list is 24 MiB and about a core for half a second or more (PostgreSQL's sort, then Node's JSON): one
 * address gets one list at a time, one a second on average (a few in a row after a pause: the smoke checks ask
 * for the three lists one after another). /db_dummy holds a database connection for 100 ms: 60 a second, five times
 * the task's whole 120 RPS mix's share of it (10%), under what two instances serve (2 x 8 / 0.1 s); 32 in flight,
 * so that the mix's share still fits while answers take 2.5 s (an instance hung, or both restarting).
 */
export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  lists: { ratePerSecond: 1, burst: 4, connections: 1 },
  dbDummy: { ratePerSecond: 60, burst: 60, connections: 32 },
};

/** The contract's tuning, the same wherever the proxy runs (see proxy/README.md for why these values). */
export const PROXY_DEFAULTS = {
  health: DEFAULT_HEALTH,
  connectTimeoutMs: 300,
  readTimeoutMs: 1000,
  listReadTimeoutMs: 30_000,
  writeReadTimeoutMs: 5000,
  longReadTimeoutMs: 2500,
  cacheFreshSeconds: 30,
  maxStaleSeconds: 60,
  bodyLimit: '16k',
  clientLimits: DEFAULT_CLIENT_LIMITS,
} as const satisfies Partial<ProxyOptions>;

export class RenderError extends Error {
  override name = 'RenderError';
}

const PLATFORM = {
  debian: {
    modules: ['/usr/lib/nginx/modules/ndk_http_module.so', '/usr/lib/nginx/modules/ngx_http_lua_module.so'],
    luaPath: '/usr/share/lua/5.1/?.lua',
  },
  openresty: { modules: [] as string[], luaPath: '/usr/local/openresty/lualib/?.lua' },
} as const;

function ms(n: number): string {
  return `${Math.round(n)}ms`;
}

function portOf(listen: string): string {
  const m = /(\d+)$/.exec(listen);
  if (!m) throw new RenderError(`cannot find a port in "${listen}"`);
  return m[1]!;
}

/** {{name}} substitution and {{#flag}}...{{/flag}} line blocks; unknown names are an error. */
export function fill(template: string, values: Record<string, string>, flags: Record<string, boolean>): string {
  const out: string[] = [];
  const stack: boolean[] = [];
  template.split('\n').forEach((line, i) => {
    const open = /^\s*\{\{#(\w+)\}\}\s*$/.exec(line);
    const close = /^\s*\{\{\/(\w+)\}\}\s*$/.exec(line);
    if (open) {
      if (!(open[1]! in flags)) throw new RenderError(`template line ${i + 1}: unknown flag "${open[1]}"`);
      stack.push(flags[open[1]!]!);
      return;
    }
    if (close) {
      if (stack.length === 0) throw new RenderError(`template line ${i + 1}: {{/${close[1]}}} without an opening`);
      stack.pop();
      return;
    }
    if (stack.includes(false)) return;
    out.push(
      line.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
        if (!(name in values)) throw new RenderError(`template line ${i + 1}: unknown value "${name}"`);
        return values[name]!;
      }),
    );
  });
  if (stack.length > 0) throw new RenderError('template: a {{#flag}} block is not closed');
  return out.join('\n');
}

export function validate(o: ProxyOptions): void {
  if (o.peers.length === 0) throw new RenderError('at least one upstream peer is needed');
  for (const p of o.peers) if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/.test(p)) throw new RenderError(`peer "${p}" is not host:port`);
  if (o.httpsListen && (!o.certFile || !o.keyFile)) throw new RenderError('HTTPS needs certFile and keyFile');
  if (o.http3 && !o.httpsListen) throw new RenderError('HTTP/3 needs HTTPS');
  const h = o.health;
  if (h.intervalMs > 1000 || h.intervalMs < 50) throw new RenderError('health.intervalMs must be 50-1000');
  if (h.timeoutMs >= h.intervalMs * 2) throw new RenderError('health.timeoutMs must be shorter than two intervals');
  if (h.rise < 1 || h.fall < 1) throw new RenderError('health.rise and health.fall must be at least 1');
  if (o.longReadTimeoutMs < 1500 || o.longReadTimeoutMs > 4000) throw new RenderError('longReadTimeoutMs must be 1500-4000 (/long_dummy takes 1 s; its cache lock waits 5 s)');
  if (o.maxStaleSeconds <= o.cacheFreshSeconds + 5) throw new RenderError('maxStaleSeconds must exceed cacheFreshSeconds by more than 5 s');
  if (o.clientLimits) {
    for (const [group, l] of Object.entries(o.clientLimits) as [string, ClientLimit][]) {
      const whole = (name: keyof ClientLimit, min: number) => {
        if (!Number.isInteger(l[name]) || l[name] < min || l[name] > 100_000) throw new RenderError(`clientLimits.${group}.${name} must be a whole number from ${min} to 100000`);
      };
      whole('ratePerSecond', 1);
      whole('burst', 0);
      whole('connections', 1);
    }
  }
}

export function render(template: string, o: ProxyOptions): string {
  validate(o);
  const platform = PLATFORM[o.platform];
  const luaConfig = JSON.stringify({
    peers: o.peers,
    health: { interval_ms: o.health.intervalMs, timeout_ms: o.health.timeoutMs, rise: o.health.rise, fall: o.health.fall },
    max_stale_seconds: o.maxStaleSeconds,
  });
  const values: Record<string, string> = {
    load_modules: platform.modules.map((m) => `load_module ${m};`).join('\n'),
    user: o.user ?? '',
    worker_processes: String(o.workerProcesses),
    pid_file: `${o.runDir}/nginx.pid`,
    error_log: o.errorLog ?? `${o.runDir}/error.log`,
    access_log: o.accessLog ?? `${o.runDir}/access.log`,
    temp_dir: `${o.runDir}/tmp`,
    cache_dir: `${o.runDir}/cache`,
    body_limit: o.bodyLimit,
    lua_dir: o.luaDir,
    lua_system_path: platform.luaPath,
    lua_config: luaConfig,
    http_listen: o.httpListen,
    https_listen: o.httpsListen ?? '',
    https_port: o.httpsListen ? portOf(o.httpsListen) : '',
    cert_file: o.certFile ?? '',
    key_file: o.keyFile ?? '',
    metrics_listen: o.metricsListen,
    peer_count: String(o.peers.length),
    connect_timeout: ms(o.connectTimeoutMs),
    read_timeout: ms(o.readTimeoutMs),
    list_read_timeout: ms(o.listReadTimeoutMs),
    write_read_timeout: ms(o.writeReadTimeoutMs),
    long_read_timeout: ms(o.longReadTimeoutMs),
    cache_fresh: `${o.cacheFreshSeconds}s`,
    list_rate: String(o.clientLimits?.lists.ratePerSecond ?? ''),
    list_burst: String(o.clientLimits?.lists.burst ?? ''),
    list_connections: String(o.clientLimits?.lists.connections ?? ''),
    db_dummy_rate: String(o.clientLimits?.dbDummy.ratePerSecond ?? ''),
    db_dummy_burst: String(o.clientLimits?.dbDummy.burst ?? ''),
    db_dummy_connections: String(o.clientLimits?.dbDummy.connections ?? ''),
  };
  const flags = { user: o.user !== null, https: o.httpsListen !== null, http3: o.http3, client_limits: o.clientLimits !== null };
  return `${fill(template, values, flags)}\n`;
}

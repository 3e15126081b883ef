// Configuration of the SHS service: built-in defaults, then a YAML file, then SHS_* environment overrides.
// Every key is declared once in FIELDS; validation errors name the key (or the variable) that is wrong.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, stringify, type YAMLError } from 'yaml';

export const DEFAULT_CONFIG_PATH = '/opt/shs/config.yaml';

export interface Config {
  server: {
    host: string;
    port: number;
    instance_id: string;
    shutdown_delay_ms: number;
    shutdown_timeout_ms: number;
    body_limit_bytes: number;
    heavy_concurrency: number;
  };
  database: {
    hosts: string[];
    name: string;
    user: string;
    password: string;
    password_file: string;
    password_lockbox_secret_id: string;
    password_lockbox_key: string;
    pool_size: number;
    connect_timeout_ms: number;
    statement_timeout_ms: number;
    idle_in_transaction_timeout_ms: number;
    ssl: boolean;
    ssl_ca_file: string;
  };
  cloud: { metadata_url: string; lockbox_url: string };
  long_dummy: { delay_ms: number };
  log: { level: 'debug' | 'info' | 'warn' | 'error'; requests: boolean };
  faults: { enabled: boolean; slow_delay_ms: number };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Kind =
  | { type: 'string'; allowEmpty?: boolean }
  | { type: 'int'; min: number; max: number }
  | { type: 'bool' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'hosts' }
  | { type: 'url' };

interface Field {
  path: readonly [string, string];
  kind: Kind;
  secret?: boolean;
  doc: string;
}

const FIELDS: readonly Field[] = [
  { path: ['server', 'host'], kind: { type: 'string' }, doc: 'address to listen on' },
  { path: ['server', 'port'], kind: { type: 'int', min: 0, max: 65535 }, doc: 'TCP port (0 picks a free one)' },
  { path: ['server', 'instance_id'], kind: { type: 'string', allowEmpty: true }, doc: 'name reported by /operation and in logs; empty: the host name' },
  { path: ['server', 'shutdown_delay_ms'], kind: { type: 'int', min: 0, max: 600_000 }, doc: 'after SIGTERM, keep serving this long with /ping failing before closing the listener, so the proxies\' checks take the instance out of rotation first (they need fall x interval + timeout: 1.4 s by default)' },
  { path: ['server', 'shutdown_timeout_ms'], kind: { type: 'int', min: 0, max: 600_000 }, doc: 'after that delay, in-flight requests get this long before a forced exit' },
  { path: ['server', 'body_limit_bytes'], kind: { type: 'int', min: 64, max: 10_485_760 }, doc: 'largest accepted request body' },
  { path: ['server', 'heavy_concurrency'], kind: { type: 'int', min: 0, max: 1000 }, doc: 'heavy requests (the three lists, /db_dummy) in flight at once on this instance; more are answered 503 with Retry-After: 1 at once, so /ping and the light routes keep database connections (0: half of database.pool_size)' },
  { path: ['database', 'hosts'], kind: { type: 'hosts' }, doc: 'PostgreSQL servers as host:port, tried in order; the service fails over between them' },
  { path: ['database', 'name'], kind: { type: 'string' }, doc: 'database name' },
  { path: ['database', 'user'], kind: { type: 'string' }, doc: 'database user' },
  { path: ['database', 'password'], kind: { type: 'string', allowEmpty: true }, secret: true, doc: 'database password (prefer password_file)' },
  { path: ['database', 'password_file'], kind: { type: 'string', allowEmpty: true }, doc: 'file holding the password, read at start (a secret mounted at runtime)' },
  { path: ['database', 'password_lockbox_secret_id'], kind: { type: 'string', allowEmpty: true }, doc: 'Lockbox secret holding the password, read at start with the VM service account (needs lockbox.payloadViewer on it); empty: not used' },
  { path: ['database', 'password_lockbox_key'], kind: { type: 'string' }, doc: 'entry of that secret holding the password' },
  { path: ['database', 'pool_size'], kind: { type: 'int', min: 1, max: 1000 }, doc: 'connections per instance' },
  { path: ['database', 'connect_timeout_ms'], kind: { type: 'int', min: 50, max: 60_000 }, doc: 'connection attempt timeout' },
  { path: ['database', 'statement_timeout_ms'], kind: { type: 'int', min: 0, max: 3_600_000 }, doc: 'server-side statement timeout (0: none)' },
  { path: ['database', 'idle_in_transaction_timeout_ms'], kind: { type: 'int', min: 0, max: 3_600_000 }, doc: 'the server ends a session left idle inside a transaction this long, rolling it back and releasing its locks: an instance that hangs mid-write (SIGSTOP, a frozen VM) then holds no Idempotency-Key, so the proxy\'s replay elsewhere succeeds; keep it under the proxy\'s write timeout, 5 s (0: none)' },
  { path: ['database', 'ssl'], kind: { type: 'bool' }, doc: 'connect with TLS, verifying the server certificate' },
  { path: ['database', 'ssl_ca_file'], kind: { type: 'string', allowEmpty: true }, doc: 'CA certificate (PEM) the server must chain to; empty: the system CAs' },
  { path: ['cloud', 'metadata_url'], kind: { type: 'url' }, doc: 'VM metadata service, source of the service account IAM token' },
  { path: ['cloud', 'lockbox_url'], kind: { type: 'url' }, doc: 'Lockbox payload API' },
  { path: ['long_dummy', 'delay_ms'], kind: { type: 'int', min: 1000, max: 60_000 }, doc: 'how long /long_dummy takes (over 1 s by contract)' },
  { path: ['log', 'level'], kind: { type: 'enum', values: ['debug', 'info', 'warn', 'error'] }, doc: 'lowest level written' },
  { path: ['log', 'requests'], kind: { type: 'bool' }, doc: 'one JSON line per request' },
  { path: ['faults', 'enabled'], kind: { type: 'bool' }, doc: 'expose POST /_fault for resilience tests; refused with NODE_ENV=production' },
  { path: ['faults', 'slow_delay_ms'], kind: { type: 'int', min: 0, max: 60_000 }, doc: 'extra latency of the "slow" fault' },
];

export function defaultConfig(): Config {
  return {
    server: { host: '0.0.0.0', port: 8080, instance_id: '', shutdown_delay_ms: 2000, shutdown_timeout_ms: 10_000, body_limit_bytes: 16_384, heavy_concurrency: 0 },
    database: {
      hosts: ['127.0.0.1:5432'],
      name: 'shs',
      user: 'shs',
      password: '',
      password_file: '',
      password_lockbox_secret_id: '',
      password_lockbox_key: 'password',
      pool_size: 16,
      connect_timeout_ms: 1000,
      statement_timeout_ms: 30_000,
      idle_in_transaction_timeout_ms: 3000,
      ssl: false,
      ssl_ca_file: '',
    },
    cloud: { metadata_url: 'http://169.254.169.254', lockbox_url: 'https://payload.lockbox.api.cloud.yandex.net' },
    long_dummy: { delay_ms: 1100 },
    log: { level: 'info', requests: true },
    faults: { enabled: false, slow_delay_ms: 2000 },
  };
}

/** The environment variable that overrides a key: database.pool_size -> SHS_DATABASE_POOL_SIZE. */
export function envName(path: readonly string[]): string {
  return `SHS_${path.join('_').toUpperCase()}`;
}

const RESERVED_ENV = new Set(['SHS_CONFIG']);

/**
 * What each yaml error code means, in our words: yaml's own messages may quote the source (an invalid escape,
 * a tag, an alias), and any line of the file may hold a password.
 */
const YAML_ERRORS: Partial<Record<YAMLError['code'], string>> = {
  ALIAS_PROPS: 'an alias cannot have an anchor or a tag',
  BAD_ALIAS: 'an alias that names no anchor',
  BAD_DIRECTIVE: 'a directive that is not valid here',
  BAD_DQ_ESCAPE: 'an invalid escape sequence in a double-quoted string',
  BAD_INDENT: 'wrong indentation',
  BAD_PROP_ORDER: 'anchors and tags in the wrong place',
  BAD_SCALAR_START: 'a plain value cannot start with this character (quote it)',
  BLOCK_AS_IMPLICIT_KEY: 'a nested mapping on one line (quote the value if it contains ": ")',
  BLOCK_IN_FLOW: 'a block collection inside a flow collection',
  DUPLICATE_KEY: 'a key that appears twice in the same mapping',
  IMPOSSIBLE: 'the parser gave up',
  KEY_OVER_1024_CHARS: 'an implicit key longer than 1024 characters',
  MISSING_CHAR: 'a missing character (an unclosed quote or bracket, or a missing space after ":")',
  MULTILINE_IMPLICIT_KEY: 'an implicit key spread over several lines',
  MULTIPLE_ANCHORS: 'more than one anchor on a node',
  MULTIPLE_DOCS: 'more than one document in the file',
  MULTIPLE_TAGS: 'more than one tag on a node',
  NON_STRING_KEY: 'a key that is not a string',
  RESOURCE_EXHAUSTION: 'too many aliases',
  TAB_AS_INDENT: 'a tab used for indentation',
  TAG_RESOLVE_FAILED: 'a tag that cannot be resolved',
  UNEXPECTED_TOKEN: 'something unexpected',
  BAD_COLLECTION_TYPE: 'a tag that does not fit its collection',
};

export interface HostPort {
  host: string;
  port: number;
}

export function parseHost(text: string, where: string): HostPort {
  const trimmed = text.trim();
  // [::1]:5432, host:5432, or host alone (port 5432)
  const m = /^(?:\[([^\]]+)\]|([^:\s]+))(?::(\d{1,5}))?$/.exec(trimmed);
  if (!m) throw new ConfigError(`${where}: "${text}" is not host[:port]`);
  const port = m[3] === undefined ? 5432 : Number(m[3]);
  if (port < 1 || port > 65535) throw new ConfigError(`${where}: port ${port} is out of range 1-65535`);
  return { host: (m[1] ?? m[2])!, port };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${/^[aeiou]/.test(typeof value) ? 'an' : 'a'} ${typeof value}`;
}

function coerce(field: Field, value: unknown, where: string, fromEnv: boolean): unknown {
  const k = field.kind;
  // A secret's value is never shown, whatever its type (a YAML `password: 12345` is a number): only its kind.
  const describe = (v: unknown): string =>
    field.secret ? `${kindOf(v)} (value not shown: secret)` : typeof v === 'string' ? JSON.stringify(v) : `${JSON.stringify(v)} (${typeof v})`;
  switch (k.type) {
    case 'string': {
      if (typeof value !== 'string') throw new ConfigError(`${where}: expected a string, got ${describe(value)}`);
      if (!k.allowEmpty && value.trim() === '') throw new ConfigError(`${where}: must not be empty`);
      return value;
    }
    case 'int': {
      let n: number;
      if (typeof value === 'number') n = value;
      else if (fromEnv && typeof value === 'string' && /^-?\d+$/.test(value.trim())) n = Number(value.trim());
      else throw new ConfigError(`${where}: expected an integer, got ${describe(value)}`);
      if (!Number.isInteger(n)) throw new ConfigError(`${where}: expected an integer, got ${describe(value)}`);
      if (n < k.min || n > k.max) throw new ConfigError(`${where}: ${n} is out of range ${k.min}-${k.max}`);
      return n;
    }
    case 'bool': {
      if (typeof value === 'boolean') return value;
      if (fromEnv && typeof value === 'string') {
        const v = value.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(v)) return true;
        if (['0', 'false', 'no', 'off'].includes(v)) return false;
      }
      throw new ConfigError(`${where}: expected true or false, got ${describe(value)}`);
    }
    case 'enum': {
      if (typeof value !== 'string' || !k.values.includes(value))
        throw new ConfigError(`${where}: expected one of ${k.values.join(', ')}, got ${describe(value)}`);
      return value;
    }
    case 'url': {
      if (typeof value !== 'string') throw new ConfigError(`${where}: expected an http(s) URL, got ${describe(value)}`);
      let url: URL;
      try {
        url = new URL(value.trim());
      } catch {
        throw new ConfigError(`${where}: expected an http(s) URL, got ${describe(value)}`);
      }
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '')
        throw new ConfigError(`${where}: expected an http(s) URL without query, got ${describe(value)}`);
      return value.trim().replace(/\/+$/, '');
    }
    case 'hosts': {
      let list: unknown[];
      if (Array.isArray(value)) list = value;
      else if (typeof value === 'string') list = value.split(',').filter((s) => s.trim() !== '');
      else throw new ConfigError(`${where}: expected a list of host:port, got ${describe(value)}`);
      if (list.length === 0) throw new ConfigError(`${where}: needs at least one host`);
      return list.map((h, i) => {
        if (typeof h !== 'string') throw new ConfigError(`${where}[${i}]: expected "host:port", got ${describe(h)}`);
        const { host, port } = parseHost(h, `${where}[${i}]`);
        return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      });
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setField(config: Config, path: readonly [string, string], value: unknown): void {
  (config as unknown as Record<string, Record<string, unknown>>)[path[0]]![path[1]] = value;
}

/** Applies a parsed YAML document (a plain object) onto config, rejecting unknown keys. */
export function applyFile(config: Config, doc: unknown, source: string): void {
  if (doc === null || doc === undefined) return; // an empty file
  if (!isPlainObject(doc)) throw new ConfigError(`${source}: the top level must be a mapping of sections`);
  for (const [section, body] of Object.entries(doc)) {
    const known = FIELDS.filter((f) => f.path[0] === section);
    if (known.length === 0)
      throw new ConfigError(`${source}: unknown section "${section}" (known: ${[...new Set(FIELDS.map((f) => f.path[0]))].join(', ')})`);
    if (body === null) continue;
    if (!isPlainObject(body)) throw new ConfigError(`${source}: "${section}" must be a mapping`);
    for (const [key, value] of Object.entries(body)) {
      const field = known.find((f) => f.path[1] === key);
      if (!field)
        throw new ConfigError(`${source}: unknown key "${section}.${key}" (known in ${section}: ${known.map((f) => f.path[1]).join(', ')})`);
      setField(config, field.path, coerce(field, value, `${source}: ${section}.${key}`, false));
    }
  }
}

/** Applies SHS_* variables; an unknown SHS_* variable is an error (a typo would otherwise be silently ignored). */
export function applyEnv(config: Config, env: NodeJS.ProcessEnv): void {
  const byName = new Map(FIELDS.map((f) => [envName(f.path), f]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('SHS_') || RESERVED_ENV.has(name) || value === undefined) continue;
    const field = byName.get(name);
    if (!field) throw new ConfigError(`environment: unknown variable ${name} (run "shs print_default_config" for the keys)`);
    setField(config, field.path, coerce(field, value, `environment: ${name} (${field.path.join('.')})`, true));
  }
}

export interface LoadOptions {
  /** --config flag; wins over SHS_CONFIG. */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv;
  readFile?: (path: string) => string;
}

export interface LoadedConfig {
  config: Config;
  /** The file read, or null when none was (default path absent). */
  source: string | null;
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const explicit = options.path ?? (env.SHS_CONFIG ? env.SHS_CONFIG : undefined);
  const path = explicit ?? DEFAULT_CONFIG_PATH;
  const config = defaultConfig();
  let source: string | null = null;
  let text: string | undefined;
  try {
    text = readFile(path);
    source = path;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (explicit !== undefined || code !== 'ENOENT')
      throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  if (text !== undefined) {
    const lines = new LineCounter();
    // prettyErrors off: yaml's messages then carry no excerpt of the file (the line may hold a password).
    const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const { line, col } = lines.linePos(e.pos[0]);
      throw new ConfigError(`${path}:${line}:${col}: invalid YAML (${e.code}): ${YAML_ERRORS[e.code] ?? 'cannot parse here'}`);
    }
    applyFile(config, doc.toJS(), path);
  }
  applyEnv(config, env);
  const sources = (['password', 'password_file', 'password_lockbox_secret_id'] as const).filter((k) => config.database[k] !== '');
  if (sources.length > 1)
    throw new ConfigError(
      `${sources.map((k) => `database.${k} (${envName(['database', k])})`).join(' and ')} are ${sources.length === 2 ? 'both' : 'all'} set; ` +
        'set at most one of database.password, database.password_file and database.password_lockbox_secret_id',
    );
  if (config.faults.enabled && env.NODE_ENV === 'production')
    throw new ConfigError(
      `faults.enabled (${envName(['faults', 'enabled'])}) is true while NODE_ENV=production: the fault switch lets anyone who reaches ` +
        'the port make this instance slow or sick; it is for resilience tests only. Turn it off, or run outside production',
    );
  if (config.database.password_file !== '') {
    try {
      config.database.password = readFile(config.database.password_file).replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError(`database.password_file: cannot read ${config.database.password_file}: ${(err as Error).message}`);
    }
  }
  return { config, source };
}

/** TLS options for pg: off, or verified against the system CAs or database.ssl_ca_file (read once). */
export function databaseTls(db: Config['database'], readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): false | { ca?: string; rejectUnauthorized: true } {
  if (!db.ssl) return false;
  if (db.ssl_ca_file === '') return { rejectUnauthorized: true };
  try {
    return { ca: readFile(db.ssl_ca_file), rejectUnauthorized: true };
  } catch (err) {
    throw new ConfigError(`database.ssl_ca_file: cannot read ${db.ssl_ca_file}: ${(err as Error).message}`);
  }
}

/** The config with every secret replaced, safe to print or log. */
export function redacted(config: Config): Config {
  const copy = structuredClone(config);
  for (const f of FIELDS) {
    if (!f.secret) continue;
    const section = (copy as unknown as Record<string, Record<string, unknown>>)[f.path[0]]!;
    if (section[f.path[1]] !== '') section[f.path[1]] = '***';
  }
  return copy;
}

/** YAML with a comment per key naming its meaning and environment variable. */
export function renderConfig(config: Config): string {
  const lines: string[] = [];
  const sections = [...new Set(FIELDS.map((f) => f.path[0]))];
  for (const section of sections) {
    lines.push(`${section}:`);
    for (const f of FIELDS.filter((x) => x.path[0] === section)) {
      const value = (config as unknown as Record<string, Record<string, unknown>>)[section]![f.path[1]];
      const rendered = stringify(value, { collectionStyle: 'flow' }).trimEnd();
      lines.push(`  # ${f.doc} (env ${envName(f.path)})`);
      lines.push(`  ${f.path[1]}: ${rendered}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

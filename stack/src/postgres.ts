// A real PostgreSQL server in a directory of ours: initdb on first start, pg_ctl to start and stop.
// Used by the local stack, the integration tests and the benchmarks. Runs as an unprivileged user: when we are
// root, commands go through `runuser` as the `postgres` user (Debian's package creates it) or `nobody`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';
import { processAlive } from './process-alive.js';

const run = promisify(execFile);

export interface PostgresOptions {
  /** Directory holding data/, the log and the superuser password. Created if missing. */
  dir: string;
  /** TCP port on 127.0.0.1; 0 or absent picks a free one (kept across restarts of the same dir). */
  port?: number;
  /** Trade crash safety for speed (tests): fsync off. */
  fast?: boolean;
  /** Serve TLS with this certificate and key (PEM files; copied into the data directory on initdb). */
  tls?: { certFile: string; keyFile: string };
}

export interface PostgresInfo {
  host: string;
  port: number;
  superuser: string;
  password: string;
  dataDir: string;
  logFile: string;
}

/** The newest installed server binaries: PIPELINE_PG_BINDIR, else /usr/lib/postgresql/<newest>/bin. */
export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PIPELINE_PG_BINDIR) return env.PIPELINE_PG_BINDIR;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql, or set PIPELINE_PG_BINDIR)');
  return join(base, versions[0]!, 'bin');
}

function serviceUser(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    try {
      const line = readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${name}:`));
      if (!line) continue;
      const f = line.split(':');
      return { name, uid: Number(f[2]), gid: Number(f[3]) };
    } catch {
      /* try the next */
    }
  }
  throw new Error('running as root, but neither a "postgres" nor a "nobody" user exists to run PostgreSQL');
}

export class PostgresServer {
  readonly info: PostgresInfo;
  private readonly bin: string;
  private readonly user = serviceUser();

  private constructor(info: PostgresInfo) {
    this.info = info;
    this.bin = findPostgresBinDir();
  }

  /** The command line running `tool` as the service user. */
  private command(tool: string, args: string[]): { command: string; args: string[] } {
    const cmd = join(this.bin, tool);
    return this.user ? { command: 'runuser', args: ['-u', this.user.name, '--', cmd, ...args] } : { command: cmd, args };
  }

  /** What starts the server and returns once it accepts connections (for the supervisor's watchdog). */
  startCommand(): { command: string; args: string[] } {
    return this.command('pg_ctl', ['start', '-D', this.info.dataDir, '-l', this.info.logFile, '-w', '-t', '60', '-s']);
  }

  /** The file holding the postmaster's pid while the server runs; removed by a clean stop. */
  get pidFile(): string {
    return join(this.info.dataDir, 'postmaster.pid');
  }

  private async exec(tool: string, args: string[]): Promise<string> {
    const { command: file, args: argv } = this.command(tool, args);
    try {
      const { stdout } = await run(file, argv, { cwd: '/', env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 16 << 20 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${tool} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
    }
  }

  /** The server of an initialised dir, without starting it; null when dir holds no cluster. */
  static attach(dir: string): PostgresServer | null {
    const root = resolve(dir);
    const dataDir = join(root, 'data');
    if (!existsSync(join(dataDir, 'PG_VERSION'))) return null;
    return new PostgresServer({
      host: '127.0.0.1',
      port: Number(readFileSync(join(root, 'port'), 'utf8')),
      superuser: 'postgres',
      password: readFileSync(join(root, 'superuser.password'), 'utf8').trim(),
      dataDir,
      logFile: join(root, 'postgres.log'),
    });
  }

  /** The postmaster's pid while the server runs, else null. */
  pid(): number | null {
    const file = join(this.info.dataDir, 'postmaster.pid');
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return processAlive(pid) ? pid : null;
  }

  /** Initialises dir on first use, then starts the server (a no-op if it is already running). */
  static async start(options: PostgresOptions): Promise<PostgresServer> {
    const dir = resolve(options.dir);
    const dataDir = join(dir, 'data');
    const passwordFile = join(dir, 'superuser.password');
    const portFile = join(dir, 'port');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    const port =
      options.port || (existsSync(portFile) ? Number(readFileSync(portFile, 'utf8')) : await freePort());
    writeFileSync(portFile, String(port));
    const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
    if (fresh) writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
    const password = readFileSync(passwordFile, 'utf8').trim();
    const server = new PostgresServer({
      host: '127.0.0.1',
      port,
      superuser: 'postgres',
      password,
      dataDir,
      logFile: join(dir, 'postgres.log'),
    });
    if (fresh) await server.init(passwordFile, options.fast ?? false, options.tls);
    await server.setPort(port);
    if (!(await server.isRunning())) {
      if (server.user) {
        writeFileSync(server.info.logFile, '', { flag: 'a' });
        chownSync(server.info.logFile, server.user.uid, server.user.gid);
      }
      await server.exec('pg_ctl', ['start', '-D', dataDir, '-l', server.info.logFile, '-w', '-t', '60', '-s']);
    }
    return server;
  }

  private async init(passwordFile: string, fast: boolean, tls?: { certFile: string; keyFile: string }): Promise<void> {
    mkdirSync(this.info.dataDir, { recursive: true, mode: 0o700 });
    // initdb reads the password file as the service user.
    const pwCopy = join(this.info.dataDir, '..', '.initdb.pw');
    writeFileSync(pwCopy, readFileSync(passwordFile), { mode: 0o600 });
    if (this.user) {
      chownSync(this.info.dataDir, this.user.uid, this.user.gid);
      chownSync(pwCopy, this.user.uid, this.user.gid);
    }
    try {
      await this.exec('initdb', [
        '-D', this.info.dataDir,
        '-U', 'postgres',
        '--auth=scram-sha-256',
        `--pwfile=${pwCopy}`,
        '-E', 'UTF8',
        '--locale=C',
        '--no-sync',
      ]);
    } finally {
      writeFileSync(pwCopy, '');
    }
    const settings = [
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = ''`,
      'max_connections = 300',
      'shared_buffers = 256MB',
      'work_mem = 16MB',
      'maintenance_work_mem = 512MB',
      'max_parallel_maintenance_workers = 2',
      // A single local server: no replicas, so the bulk load can skip WAL.
      'wal_level = minimal',
      'max_wal_senders = 0',
      'max_wal_size = 4GB',
      'synchronous_commit = off',
      fast ? 'fsync = off' : '',
      fast ? 'full_page_writes = off' : '',
      `log_line_prefix = '%m [%p] '`,
      `timezone = 'UTC'`,
      tls ? 'ssl = on' : '',
    ].filter(Boolean);
    if (tls) {
      // PostgreSQL wants its key owned by the server's user and private.
      for (const [from, to, mode] of [[tls.certFile, 'server.crt', 0o644], [tls.keyFile, 'server.key', 0o600]] as const) {
        const dest = join(this.info.dataDir, to);
        writeFileSync(dest, readFileSync(from), { mode });
        if (this.user) chownSync(dest, this.user.uid, this.user.gid);
      }
    }
    writeFileSync(join(this.info.dataDir, 'postgresql.conf'), `\n# shs-delivery\n${settings.join('\n')}\n`, { flag: 'a' });
  }

  private async setPort(port: number): Promise<void> {
    const auto = join(this.info.dataDir, 'postgresql.auto.conf');
    const text = existsSync(auto) ? readFileSync(auto, 'utf8') : '';
    const kept = text.split('\n').filter((l) => !/^port\s*=/.test(l) && l !== '');
    writeFileSync(auto, `${[...kept, `port = ${port}`].join('\n')}\n`);
    if (this.user) chownSync(auto, this.user.uid, this.user.gid);
  }

  async isRunning(): Promise<boolean> {
    try {
      await this.exec('pg_ctl', ['status', '-D', this.info.dataDir]);
      return true;
    } catch {
      return false;
    }
  }

  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (await this.isRunning()) await this.exec('pg_ctl', ['stop', '-D', this.info.dataDir, '-m', mode, '-w', '-s']);
  }

  /** A client connected as the superuser, to `database` (default postgres). */
  async admin(database = 'postgres'): Promise<pg.Client> {
    const client = new pg.Client({ ...this.connection(), user: 'postgres', password: this.info.password, database });
    await client.connect();
    return client;
  }

  connection(): { host: string; port: number } {
    return { host: this.info.host, port: this.info.port };
  }

  /** Creates (or resets the password of) a login role owning a new or existing database. */
  async ensureDatabase(name: string, user: string, password: string): Promise<void> {
    const admin = await this.admin();
    try {
      const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
      const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
      const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
      await admin.query(
        `${role.rowCount ? 'ALTER' : 'CREATE'} ROLE ${ident(user)} LOGIN PASSWORD ${literal(password)}`,
      );
      const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (!db.rowCount) await admin.query(`CREATE DATABASE ${ident(name)} OWNER ${ident(user)}`);
    } finally {
      await admin.end();
    }
  }

  async dropDatabase(name: string): Promise<void> {
    const admin = await this.admin();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}

// PostgreSQL access with failover: one pool per configured host, one host active at a time.
// A query that fails because its host is unreachable moves the service to the next host; if the query never
// reached a server (the connection could not be made) it is retried once there, which is always safe.
import pg from 'pg';
import type { Config } from '../config.js';
import { databaseTls, parseHost } from '../config.js';

export interface Query {
  /** Prepared-statement name: the statement is parsed once per connection. */
  name?: string;
  text: string;
  values?: unknown[];
}

export interface PoolStats {
  host: string;
  total: number;
  idle: number;
  waiting: number;
  max: number;
  failovers: number;
}

export interface DatabaseEvents {
  onFailover?: (from: string, to: string, reason: string) => void;
  onError?: (err: Error) => void;
}

interface HostPools {
  label: string;
  main: pg.Pool;
  health: pg.Pool;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** True when err means "this server cannot be used now", as opposed to an error in the statement. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error/i.test(
    err.message,
  );
}

/** True when the statement never reached a server, so running it elsewhere cannot apply it twice. */
function neverSent(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH' ||
    code === '57P03' ||
    /timeout exceeded when trying to connect/i.test(err.message)
  );
}

export class Database {
  private readonly hosts: HostPools[];
  private active = 0;
  private failovers = 0;
  private healthInFlight: Promise<void> | null = null;
  private closed = false;
  private readonly tls: ReturnType<typeof databaseTls>;

  constructor(
    private readonly cfg: Config['database'],
    private readonly events: DatabaseEvents = {},
  ) {
    this.tls = databaseTls(cfg);
    this.hosts = cfg.hosts.map((h, i) => this.makePools(h, i));
  }

  private makePools(text: string, index: number): HostPools {
    const { host, port } = parseHost(text, `database.hosts[${index}]`);
    const base: pg.PoolConfig = {
      host,
      port,
      database: this.cfg.name,
      user: this.cfg.user,
      password: this.cfg.password,
      ssl: this.tls,
      connectionTimeoutMillis: this.cfg.connect_timeout_ms,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'shs',
      ...(this.cfg.statement_timeout_ms > 0 ? { statement_timeout: this.cfg.statement_timeout_ms } : {}),
    };
    const main = new pg.Pool({ ...base, max: this.cfg.pool_size });
    const health = new pg.Pool({ ...base, max: 1, statement_timeout: Math.max(this.cfg.connect_timeout_ms, 100) });
    // An idle client that loses its server emits 'error' on the pool; without a listener it would crash us.
    const onIdleError = (err: Error) => this.events.onError?.(err);
    main.on('error', onIdleError);
    health.on('error', onIdleError);
    return { label: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`, main, health };
  }

  get activeHost(): string {
    return this.hosts[this.active]!.label;
  }

  private failover(from: number, reason: unknown): void {
    if (this.hosts.length < 2 || this.active !== from) return; // someone else moved us already
    this.active = (from + 1) % this.hosts.length;
    this.failovers += 1;
    this.events.onFailover?.(this.hosts[from]!.label, this.hosts[this.active]!.label, (reason as Error).message);
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(q: Query): Promise<pg.QueryResult<R>> {
    // At most one attempt per host, and another attempt only when the statement was never sent.
    for (let attempt = 0; ; attempt++) {
      const index = this.active;
      try {
        return await this.hosts[index]!.main.query<R>(q as pg.QueryConfig);
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        this.failover(index, err);
        if (!neverSent(err) || attempt + 1 >= this.hosts.length) throw err;
      }
    }
  }

  /**
   * Runs a query whose rows are handed to onRow one by one as they arrive, instead of being collected: a list
   * of 100,000 rows then costs the garbage collector little. `settings` are applied with SET LOCAL around it.
   */
  async eachRow(q: Query & { rowMode?: 'array'; types?: unknown }, onRow: (row: unknown[]) => void, settings: Record<string, string> = {}): Promise<number> {
    const local = Object.entries(settings);
    const run = async (client: pg.ClientBase) => {
      let count = 0;
      await new Promise<void>((resolve, reject) => {
        const query = new pg.Query(q as pg.QueryConfig);
        query.on('row', (row: unknown[]) => {
          count += 1;
          onRow(row);
        });
        query.on('end', () => resolve());
        query.on('error', reject);
        client.query(query);
      });
      return count;
    };
    if (local.length === 0) return this.withClient(run);
    return this.transaction(async (client) => {
      for (const [key, value] of local) await client.query(`SELECT set_config($1, $2, true)`, [key, value]);
      return run(client);
    });
  }

  private async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const index = this.active;
    let client: pg.PoolClient;
    try {
      client = await this.hosts[index]!.main.connect();
    } catch (err) {
      if (isConnectionError(err)) this.failover(index, err);
      throw err;
    }
    let broken = false;
    try {
      return await fn(client);
    } catch (err) {
      broken = isConnectionError(err);
      if (broken) this.failover(index, err);
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Runs fn inside a transaction on one connection of the active host. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (!isConnectionError(err)) await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /**
   * Checks that the active host answers, on a connection of its own (a pool busy with slow queries must not
   * make the instance look dead). Concurrent callers share one probe.
   */
  checkHealth(): Promise<void> {
    if (this.healthInFlight) return this.healthInFlight;
    const index = this.active;
    const probe = this.hosts[index]!.health.query('SELECT 1')
      .then(() => undefined)
      .catch((err: unknown) => {
        if (isConnectionError(err)) this.failover(index, err);
        throw err;
      })
      .finally(() => {
        this.healthInFlight = null;
      });
    this.healthInFlight = probe;
    return probe;
  }

  stats(): PoolStats {
    const pool = this.hosts[this.active]!.main;
    return {
      host: this.activeHost,
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: this.cfg.pool_size,
      failovers: this.failovers,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.hosts.flatMap((h) => [h.main.end(), h.health.end()]));
  }
}

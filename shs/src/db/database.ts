// PostgreSQL access with failover: one pool per configured host, one host active at a time.
// A query that fails because its host is unreachable moves the service to the next host; if the query never
// reached a server (the connection could not be made) it is retried once there, which is always safe.
import pg from 'pg';
import type { Config } from '../config.js';
import { databaseTls, parseHost } from '../config.js';
import { LATEST_VERSION } from './schema.js';

export interface Query {
  /** Prepared-statement name: the statement is parsed once per connection. */
  name?: string;
  text: string;
  values?: unknown[];
}

/** How a query or transaction ended, for shs_db_query_duration_seconds. */
export type QueryOutcome = 'ok' | 'error';

/** Told of each query, transaction and row stream run through Database as it ends, with its time in seconds. */
export type QueryListener = (outcome: QueryOutcome, seconds: number) => void;

export interface QueryFeed {
  subscribe(listener: QueryListener): void;
}

export interface PoolStats {
  host: string;
  total: number;
  idle: number;
  waiting: number;
  max: number;
  failovers: number;
  /**
   * The last attempt to reach the database (a query, a transaction, /ping's check) got an answer from it; false
   * after a connection or authentication failure, and until the first answer.
   */
  up: boolean;
  /** Where the time of each query is told (the same object every time): Metrics subscribes to it once. */
  queries: QueryFeed;
}

export interface DatabaseEvents {
  onFailover?: (from: string, to: string, reason: string) => void;
  onError?: (err: Error) => void;
}

/** A password obtained at run time (from Lockbox) instead of the configuration. */
export interface PasswordSource {
  /** The password: at once when it is at hand, else after reading it. */
  get(): Promise<string>;
  /** True when get() answers at once. */
  readonly ready: boolean;
  /** Why the password is not at hand; safe to log. */
  readonly problem: string;
  /** The server refused the password (SQLSTATE 28P01): read it again, at most once per some interval. */
  rejected(): boolean;
}

/** The password is not at hand yet (or its last read failed): nothing was sent to any server. */
export class PasswordUnavailableError extends Error {
  override name = 'PasswordUnavailableError';
}

/** The database answers, but its schema is not (yet) the one this build needs: `shs init` has not finished. */
export class SchemaNotReadyError extends Error {
  override name = 'SchemaNotReadyError';
}

/** SQLSTATE 28P01: the server refused the password. */
export function isAuthFailure(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '28P01';
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
  private reachable = false;
  private readonly queryListeners: QueryListener[] = [];
  private readonly queryFeed: QueryFeed = { subscribe: (listener) => void this.queryListeners.push(listener) };
  private healthInFlight: Promise<void> | null = null;
  private schemaReady = false;
  private closed = false;
  private readonly tls: ReturnType<typeof databaseTls>;

  constructor(
    private readonly cfg: Config['database'],
    private readonly events: DatabaseEvents = {},
    private readonly password?: PasswordSource,
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
      // pg calls a function for every new connection: the password source answers from its cache.
      password: this.password ? () => this.passwordForConnection() : this.cfg.password,
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

  /**
   * Without a password at hand, fails at once (and starts reading it) instead of letting a connection attempt
   * wait for Lockbox and time out, which would look like an unreachable host and fail over.
   */
  private requirePassword(): void {
    const source = this.password;
    if (!source || source.ready) return;
    source.get().catch(() => undefined);
    throw new PasswordUnavailableError(`database password not available: ${source.problem}`);
  }

  private async passwordForConnection(): Promise<string> {
    try {
      return await this.password!.get();
    } catch (err) {
      throw new PasswordUnavailableError(`database password not available: ${(err as Error).message}`);
    }
  }

  /** A refused password may have been rotated: the source reads it again (it bounds how often). */
  private noteAuthFailure(err: unknown): void {
    if (this.password && isAuthFailure(err)) this.password.rejected();
  }

  /**
   * What a failure says of reaching the database (shs_db_up): an unreachable server or a refused login says
   * down; an error the server answered (a statement error) says it was reached; anything else (no password at
   * hand yet, an error of the caller's code) says nothing.
   */
  private noteFailure(err: unknown): void {
    if (isConnectionError(err) || isAuthFailure(err)) this.reachable = false;
    else if (err instanceof pg.DatabaseError) this.reachable = true;
  }

  /**
   * Times run from the call to its end, waiting for a pool connection and any retry on another host included,
   * and tells the query listeners. Public entry points only: nothing is timed twice.
   */
  private async timed<T>(run: () => Promise<T>): Promise<T> {
    const start = performance.now();
    let outcome: QueryOutcome = 'error';
    try {
      const result = await run();
      outcome = 'ok';
      return result;
    } finally {
      const seconds = (performance.now() - start) / 1000;
      for (const listener of this.queryListeners) {
        try {
          listener(outcome, seconds);
        } catch {
          // a listener's failure must not fail the query
        }
      }
    }
  }

  private failover(from: number, reason: unknown): void {
    if (this.hosts.length < 2 || this.active !== from) return; // someone else moved us already
    this.active = (from + 1) % this.hosts.length;
    this.failovers += 1;
    this.events.onFailover?.(this.hosts[from]!.label, this.hosts[this.active]!.label, (reason as Error).message);
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(q: Query): Promise<pg.QueryResult<R>> {
    return this.timed(() => this.runQuery<R>(q));
  }

  private async runQuery<R extends pg.QueryResultRow>(q: Query): Promise<pg.QueryResult<R>> {
    this.requirePassword();
    // At most one attempt per host, and another attempt only when the statement was never sent.
    for (let attempt = 0; ; attempt++) {
      const index = this.active;
      try {
        const result = await this.hosts[index]!.main.query<R>(q as pg.QueryConfig);
        this.reachable = true;
        return result;
      } catch (err) {
        this.noteAuthFailure(err);
        this.noteFailure(err);
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
  eachRow(q: Query & { rowMode?: 'array'; types?: unknown }, onRow: (row: unknown[]) => void, settings: Record<string, string> = {}): Promise<number> {
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
    if (local.length === 0) return this.timed(() => this.withClient(run));
    return this.timed(() =>
      this.inTransaction(async (client) => {
        for (const [key, value] of local) await client.query(`SELECT set_config($1, $2, true)`, [key, value]);
        return run(client);
      }),
    );
  }

  private async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.requirePassword();
    const index = this.active;
    let client: pg.PoolClient;
    try {
      client = await this.hosts[index]!.main.connect();
      this.reachable = true;
    } catch (err) {
      this.noteAuthFailure(err);
      this.noteFailure(err);
      if (isConnectionError(err)) this.failover(index, err);
      throw err;
    }
    let broken = false;
    try {
      const result = await fn(client);
      this.reachable = true;
      return result;
    } catch (err) {
      this.noteFailure(err);
      broken = isConnectionError(err);
      if (broken) this.failover(index, err);
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Runs fn inside a transaction on one connection of the active host. */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.timed(() => this.inTransaction(fn));
  }

  private inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
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
    try {
      this.requirePassword();
    } catch (err) {
      return Promise.reject(err);
    }
    const index = this.active;
    const health = this.hosts[index]!.health;
    const probe = health
      .query('SELECT 1')
      .then(() => {
        this.reachable = true;
        return this.schemaReady ? undefined : this.checkSchema(health);
      })
      .catch((err: unknown) => {
        this.noteAuthFailure(err);
        this.noteFailure(err);
        if (isConnectionError(err)) this.failover(index, err);
        throw err;
      })
      .finally(() => {
        this.healthInFlight = null;
      });
    this.healthInFlight = probe;
    return probe;
  }

  /**
   * Ready once the schema is at this build's version. `shs init` commits a fresh database's schema and its
   * dataset in one transaction, so the version also says the data is there. Once ready, always ready: a schema
   * never goes back.
   */
  private async checkSchema(health: pg.Pool): Promise<void> {
    let version: number | null;
    try {
      version = (await health.query<{ v: number | null }>('SELECT max(version) AS v FROM shs_schema_migrations')).rows[0]?.v ?? null;
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') throw new SchemaNotReadyError('no schema yet (shs init has not finished)');
      throw err;
    }
    if (version === null || version < LATEST_VERSION) throw new SchemaNotReadyError(`the schema is at version ${version ?? 0}; this build needs ${LATEST_VERSION} (shs init has not finished)`);
    this.schemaReady = true;
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
      up: this.reachable,
      queries: this.queryFeed,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.hosts.flatMap((h) => [h.main.end(), h.health.end()]));
  }
}

// PostgreSQL access with failover: one pool per configured host, one host active at a time.
// A connection that cannot be made (or a host that turns out not to accept writes) moves the service to the next
// host that accepts writes; a statement that never reached a server (its connection could not be made) is then
// retried there, which is always safe. While the service runs on another host, the hosts before it are checked
// every few seconds and it moves back to the first one that accepts writes again.
// A full pool is not a failure of the host: waiting longer than connect_timeout_ms for one of its connections is
// answered at once as DatabaseBusyError, and neither fails over nor marks the database down.
import { connect as netConnect } from 'node:net';
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
  /** Back to a host listed earlier, which accepts writes again. */
  onFailback?: (from: string, to: string) => void;
  /** A failover found no other host that accepts writes: the service stays where it is. */
  onNoFailoverTarget?: (from: string, reason: string) => void;
  onError?: (err: Error) => void;
}

export interface DatabaseOptions {
  /** How often the hosts before the active one are checked for a fail-back (default 5000 ms). */
  failbackIntervalMs?: number;
  /** Who the sessions say they are in pg_stat_activity (default "shs"; the server passes "shs:<instance>"). */
  applicationName?: string;
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

/** The active host could not be connected to a moment ago: this request was not tried (see Database.noteOutage). */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

const OUTAGE_FIRST_BACKOFF_MS = 100;
const OUTAGE_MAX_BACKOFF_MS = 1000;

/** Every connection of the pool stayed busy for connect_timeout_ms: this instance is overloaded, not the database down. */
export class DatabaseBusyError extends Error {
  override name = 'DatabaseBusyError';
}

/**
 * The host answers but does not accept writes: a hot standby (pg_is_in_recovery()) or a server whose sessions
 * are read-only (default_transaction_read_only = on): libpq's target_session_attrs=read-write test.
 */
export class ReadOnlyHostError extends Error {
  override name = 'ReadOnlyHostError';
}

/** The database answers, but its schema is not (yet) the one this build needs: `shs init` has not finished. */
export class SchemaNotReadyError extends Error {
  override name = 'SchemaNotReadyError';
}

/** SQLSTATE 28P01: the server refused the password. */
export function isAuthFailure(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '28P01';
}

/** The caller gave up on a row stream (its HTTP client went away): the query was cancelled, its connection closed. */
export class QueryAbortedError extends Error {
  override name = 'QueryAbortedError';
}

/** What node-postgres keeps of a connection that eachRow needs: its socket, and the backend's cancel key. */
interface ClientInternals {
  connection: { stream: NodeJS.ReadableStream };
  processID: number | null;
  secretKey: number | null;
  host: string;
  port: number;
}

/**
 * Asks the server to cancel what `client`'s backend is running: the protocol's CancelRequest, on a connection of
 * its own (needs no pool connection, no login, no TLS). Resolves once the server closed that connection, or
 * after timeoutMs; never rejects (a cancel is a best effort: the caller closes the connection anyway).
 */
function sendCancel(client: pg.ClientBase, timeoutMs: number): Promise<void> {
  const c = client as unknown as ClientInternals;
  if (c.processID == null || c.secretKey == null) return Promise.resolve();
  const request = Buffer.alloc(16);
  request.writeInt32BE(16, 0);
  request.writeInt32BE(80877102, 4); // the cancel request code
  request.writeInt32BE(c.processID, 8);
  request.writeInt32BE(c.secretKey, 12);
  return new Promise((resolve) => {
    const socket = netConnect({ host: c.host, port: c.port });
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.once('connect', () => socket.end(request));
    socket.once('error', () => undefined); // 'close' follows
    socket.once('close', () => resolve());
  });
}

interface HostPools {
  label: string;
  /** Connection settings, for one-off connections (a failover target's check). */
  base: pg.ClientConfig;
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

/**
 * True when err means "this server cannot be used now", as opposed to an error in the statement. A full pool
 * (pg-pool's "timeout exceeded when trying to connect", a wait for one of its busy connections) is not one.
 */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error) || isPoolQueueTimeout(err)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(err.message);
}

/** pg-pool's error for a caller that waited connectionTimeoutMillis in its queue: every connection was busy. */
function isPoolQueueTimeout(err: unknown): boolean {
  return err instanceof Error && err.message === 'timeout exceeded when trying to connect';
}

/** A connection attempt that ran out of time (as opposed to one refused or cut at once). */
function isTimeout(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ETIMEDOUT' || /timeout|timed out/i.test((err as Error | null)?.message ?? '');
}

/** A failure of the host itself: it cannot be reached, or it does not accept writes. */
function isHostFailure(err: unknown): boolean {
  return isConnectionError(err) || err instanceof ReadOnlyHostError;
}

/** SQLSTATE 25006: a write refused by a read-only session (the host was demoted under us). */
function isReadOnlyRefusal(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '25006';
}

const WRITABLE_SQL = `SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only`;

/** Throws ReadOnlyHostError unless the session's server accepts writes. */
async function requireWritable(client: pg.ClientBase | pg.Pool, label: string): Promise<void> {
  const row = (await client.query<{ recovery: boolean; read_only: string }>(WRITABLE_SQL)).rows[0];
  if (!row || row.recovery || row.read_only !== 'off')
    throw new ReadOnlyHostError(`${label} does not accept writes (${row?.recovery ? 'in recovery: a standby' : 'read-only sessions'})`);
}

const noop = () => undefined;

export class Database {
  private readonly hosts: HostPools[];
  private active = 0;
  private failovers = 0;
  private failoverInFlight: Promise<void> | null = null;
  /** A connection to the active host was just refused or cut: requests fail fast until `until` (see noteOutage). */
  /** `slow`: its connections timed out (see noteSlowHost) rather than being refused or cut. */
  private outage: { index: number; delay: number; until: number; probing: boolean; slow: boolean; reason: string } | null = null;
  private failbackTimer: NodeJS.Timeout | null = null;
  private readonly failbackIntervalMs: number;
  private reachable = false;
  private readonly queryListeners: QueryListener[] = [];
  private readonly queryFeed: QueryFeed = { subscribe: (listener) => void this.queryListeners.push(listener) };
  private healthInFlight: Promise<void> | null = null;
  private schemaReady = false;
  private warmed = false;
  private closed = false;
  private readonly tls: ReturnType<typeof databaseTls>;
  private readonly applicationName: string;

  constructor(
    private readonly cfg: Config['database'],
    private readonly events: DatabaseEvents = {},
    private readonly password?: PasswordSource,
    options: DatabaseOptions = {},
  ) {
    this.failbackIntervalMs = options.failbackIntervalMs ?? 5000;
    this.applicationName = (options.applicationName ?? 'shs').slice(0, 63); // PostgreSQL keeps 63 bytes
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
      application_name: this.applicationName,
      ...(this.cfg.statement_timeout_ms > 0 ? { statement_timeout: this.cfg.statement_timeout_ms } : {}),
      ...(this.cfg.idle_in_transaction_timeout_ms > 0 ? { idle_in_transaction_session_timeout: this.cfg.idle_in_transaction_timeout_ms } : {}),
    };
    const label = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    // Every new connection checks that its server accepts writes (one round trip per connection, not per query).
    const main = new pg.Pool({ ...base, max: this.cfg.pool_size, onConnect: (client) => requireWritable(client, label) });
    const health = new pg.Pool({ ...base, max: 1, statement_timeout: Math.max(this.cfg.connect_timeout_ms, 100) });
    // An idle client that loses its server emits 'error' on the pool; without a listener it would crash us.
    const onIdleError = (err: Error) => this.events.onError?.(err);
    main.on('error', onIdleError);
    health.on('error', onIdleError);
    return { label, base, main, health };
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

  /**
   * Whether host `index` answers and accepts writes, on a fresh connection (as libpq's target_session_attrs
   * judges a server when it connects): an old session says nothing of a server that restarted since.
   */
  private async writable(index: number): Promise<boolean> {
    const { base, label } = this.hosts[index]!;
    const client = new pg.Client(base);
    client.on('error', noop);
    try {
      await client.connect();
      await requireWritable(client, label);
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(noop);
    }
  }

  /**
   * Host `from` failed: moves to the next host (in list order, wrapping) that answers and accepts writes, or
   * stays if none does. Concurrent callers share one search; resolves when it is over.
   */
  private failover(from: number, reason: unknown): Promise<void> {
    if (this.hosts.length < 2 || this.active !== from || this.closed) return Promise.resolve(); // moved already
    if (this.failoverInFlight) return this.failoverInFlight;
    const search = (async () => {
      for (let step = 1; step < this.hosts.length; step++) {
        const candidate = (from + step) % this.hosts.length;
        if (!(await this.writable(candidate))) continue;
        if (this.active !== from) return;
        this.active = candidate;
        this.failovers += 1;
        this.events.onFailover?.(this.hosts[from]!.label, this.hosts[candidate]!.label, (reason as Error).message);
        this.scheduleFailback();
        return;
      }
      this.events.onNoFailoverTarget?.(this.hosts[from]!.label, (reason as Error).message);
    })().finally(() => {
      this.failoverInFlight = null;
    });
    this.failoverInFlight = search;
    return search;
  }

  /** While not on the first host, checks the hosts before the active one and moves back to the first writable. */
  private scheduleFailback(): void {
    if (this.failbackTimer || this.active === 0 || this.closed) return;
    this.failbackTimer = setTimeout(() => {
      this.failbackTimer = null;
      void this.tryFailback().finally(() => this.scheduleFailback());
    }, this.failbackIntervalMs);
    this.failbackTimer.unref();
  }

  private async tryFailback(): Promise<void> {
    const from = this.active;
    for (let index = 0; index < from; index++) {
      if (!(await this.writable(index))) continue;
      if (this.active !== from || this.closed) return;
      this.active = index;
      this.failovers += 1;
      this.events.onFailback?.(this.hosts[from]!.label, this.hosts[index]!.label);
      return;
    }
  }

  /**
   * A connection of the active host, moving to another host when this one cannot give one: at most one attempt
   * per host (nothing was sent yet, so trying elsewhere is safe). A full pool is DatabaseBusyError at once.
   */
  private async acquire(): Promise<{ client: pg.PoolClient; index: number }> {
    this.requirePassword();
    for (let attempt = 0; ; attempt++) {
      const index = this.active;
      const outage = this.outage?.index === index ? this.outage : null;
      const pool = this.hosts[index]!.main;
      // A host that only answers slowly still serves the connections the pool holds: an idle one is taken
      // (pg-pool hands it out without connecting); only a new connection waits for the probe.
      const gated = outage !== null && !(outage.slow && pool.idleCount > 0);
      if (gated && (outage.probing || performance.now() < outage.until))
        throw new DatabaseUnavailableError(
          outage.slow
            ? `${this.hosts[index]!.label} is not answering (${outage.reason}); one connection attempt at a time until it does`
            : `${this.hosts[index]!.label} could not be reached (${outage.reason}); not trying again for a moment`,
        );
      if (gated) outage.probing = true; // this request finds out whether it is back; the others still fail fast
      try {
        const client = await pool.connect();
        this.reachable = true;
        if (this.outage?.index === index) this.outage = null;
        // An error event while the client is ours (between statements) must not crash the process; the
        // statement running, if any, gets the error itself.
        client.on('error', noop);
        return { client, index };
      } catch (err) {
        if (isPoolQueueTimeout(err))
          throw new DatabaseBusyError(`every connection of the pool (${this.cfg.pool_size}) stayed busy for ${this.cfg.connect_timeout_ms} ms`);
        this.noteAuthFailure(err);
        this.noteFailure(err);
        if (gated) outage.probing = false;
        if (!isHostFailure(err)) throw err;
        if (isTimeout(err)) this.noteSlowHost(index, err);
        else this.noteOutage(index, err);
        await this.failover(index, err);
        if (this.active === index || attempt + 1 >= this.hosts.length) throw err;
      }
    }
  }

  /**
   * A connection to host `index` was refused or cut: for a short while (100 ms, doubling to 1 s while it lasts)
   * requests fail at once instead of each trying to connect (a storm of connection attempts is what a server
   * that is starting or shutting down can least afford), then one request tries again. A successful connection
   * or /ping check ends it.
   */
  private noteOutage(index: number, err: unknown): void {
    const previous = this.outage?.index === index ? this.outage : null;
    const delay = previous ? Math.min(previous.delay * 2, OUTAGE_MAX_BACKOFF_MS) : OUTAGE_FIRST_BACKOFF_MS;
    this.outage = { index, delay, until: performance.now() + delay, probing: false, slow: false, reason: (err as Error).message };
  }

  /**
   * A connection to host `index` timed out. That may be this machine's load, so there is no pause: the next
   * request that needs a new connection tries at once. But only one at a time: every attempt abandoned at
   * connect_timeout_ms stays in the server's listen queue, and a server that was frozen (a paused VM, a stalled
   * disk, a partition) has to fork a backend for each one it finds there when it wakes, before it gets to the
   * attempts that still wait; a pool connecting freely piles up hundreds, and keeps new connections timing out
   * for seconds after the server is back. Meanwhile the pool's idle connections still serve.
   */
  private noteSlowHost(index: number, err: unknown): void {
    const previous = this.outage?.index === index ? this.outage : null;
    if (previous && !previous.slow) return; // refused a moment ago: its pause holds
    this.outage = { index, delay: 0, until: performance.now(), probing: false, slow: true, reason: (err as Error).message };
  }

  /** Gives a client back; one whose connection failed is closed, and its host's failure starts a failover. */
  private release(client: pg.PoolClient, index: number, err: unknown): void {
    client.removeListener('error', noop);
    const broken = isConnectionError(err);
    client.release(broken);
    if (broken || isReadOnlyRefusal(err)) void this.failover(index, err);
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(q: Query): Promise<pg.QueryResult<R>> {
    return this.timed(() => this.withClient((client) => client.query<R>(q as pg.QueryConfig)));
  }

  /**
   * Runs a query whose rows are handed to onRow one by one as they arrive, instead of being collected: a list
   * of 100,000 rows then costs the garbage collector little. `settings` are applied with SET LOCAL around it.
   * Backpressure: when onRow returns a promise, no more rows are read from the server until it settles (the
   * connection's socket is paused, so PostgreSQL waits to send: the rows already received still come).
   * `signal`: once aborted, the server is asked to cancel the query, the connection is closed (never reused: a
   * late cancel could hit its next query) and eachRow rejects with QueryAbortedError; the pool gets the slot back.
   */
  eachRow(
    q: Query & { rowMode?: 'array'; types?: unknown },
    onRow: (row: unknown[]) => void | Promise<void>,
    settings: Record<string, string> = {},
    options: { signal?: AbortSignal } = {},
  ): Promise<number> {
    const local = Object.entries(settings);
    const { signal } = options;
    const run = async (client: pg.ClientBase) => {
      if (signal?.aborted) throw new QueryAbortedError('the query was not started: its caller gave up');
      let count = 0;
      await new Promise<void>((resolve, reject) => {
        const query = new pg.Query(q as pg.QueryConfig);
        const socket = (client as unknown as ClientInternals).connection.stream;
        let waiting = 0;
        let aborted = false;
        const onAbort = () => {
          aborted = true;
          // The cancel stops a backend that is still working (sorting, waiting for a lock); closing the connection
          // ends one that is blocked writing to us (a cancel is not acted on in the middle of a write). Closing
          // fails the query at once, which frees the pool slot.
          void sendCancel(client, this.cfg.connect_timeout_ms);
          void (client as pg.PoolClient).end().catch(() => undefined);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const settle = (err?: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          if (socket.isPaused()) socket.resume();
          if (aborted) reject(new QueryAbortedError('the query was cancelled: its caller gave up', { cause: err }));
          else if (err) reject(err as Error);
          else resolve();
        };
        const drained = () => {
          waiting -= 1;
          if (waiting === 0 && !aborted) socket.resume();
        };
        query.on('row', (row: unknown[]) => {
          count += 1;
          if (aborted) return;
          const wait = onRow(row);
          if (wait) {
            waiting += 1;
            socket.pause();
            wait.then(drained, drained);
          }
        });
        query.on('end', () => settle());
        query.on('error', (err: Error) => settle(err));
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
    const { client, index } = await this.acquire();
    let failure: unknown = null;
    try {
      const result = await fn(client);
      this.reachable = true;
      return result;
    } catch (err) {
      this.noteFailure(err);
      failure = err;
      throw err;
    } finally {
      this.release(client, index, failure);
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
    const { health, label } = this.hosts[index]!;
    // Answers, and accepts writes: a host demoted to a standby under us is left for one that does.
    const probe = requireWritable(health, label)
      .catch((err: unknown) => {
        if (err instanceof ReadOnlyHostError) this.reachable = true;
        throw err;
      })
      .then(async () => {
        this.reachable = true;
        if (this.outage?.index === index) this.outage = null;
        if (!this.schemaReady) await this.checkSchema(health);
        if (!this.warmed) await this.warm(index);
      })
      .catch((err: unknown) => {
        this.noteAuthFailure(err);
        this.noteFailure(err);
        if (isHostFailure(err)) void this.failover(index, err);
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

  /**
   * Before the first "ready", fills the pool: an instance that starts (a restart in a rollout) gets its share of
   * the traffic at once, and opening every connection then, all together, is what makes the first requests slow
   * or time out. A connection that cannot be made now is simply made later, on demand.
   */
  private async warm(index: number): Promise<void> {
    const pool = this.hosts[index]!.main;
    const missing = Math.max(0, this.cfg.pool_size - pool.totalCount);
    const clients = await Promise.allSettled(Array.from({ length: missing }, () => pool.connect()));
    for (const c of clients) if (c.status === 'fulfilled') c.value.release();
    this.warmed = true;
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
    if (this.failbackTimer) clearTimeout(this.failbackTimer);
    await this.failoverInFlight?.catch(() => undefined);
    await Promise.all(this.hosts.flatMap((h) => [h.main.end(), h.health.end()]));
  }
}

/** What the API and the HTTP layer use of a Database: its queries, row streams, transactions, health and stats. */
export type DatabaseAccess = Pick<Database, 'query' | 'eachRow' | 'transaction' | 'checkHealth' | 'stats'>;

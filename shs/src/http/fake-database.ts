// An in-memory stand-in for Database, for the HTTP layer's in-process tests (app.inject): it answers the
// statements of api/repository.ts and api/idempotency.ts (by prepared-statement name, or by the first words of
// the unnamed ones) from a few rows held in maps, and records what ran. Only what the routes use is here; the SQL
// itself is tested against PostgreSQL by test/api.test.ts.
import type pg from 'pg';
import { type DatabaseAccess, type PoolStats, type Query, type QueryListener, QueryAbortedError } from '../db/database.js';

export interface FakeMovie {
  id: number;
  name: string;
  year: number;
  duration: number;
}

export interface FakeCustomer {
  id: number;
  name: string;
  surname: string;
  birthday: string;
  email: string;
}

export interface FakeSession {
  id: number;
  start_time: string;
  customer_id: number;
  movie_id: number;
}

interface StoredKey {
  fingerprint: string;
  status: number;
  body: string;
  location: string | null;
}

type Row = (string | null)[];

/** The unnamed statements of api/idempotency.ts, by how they start. */
const UNNAMED: [string, string][] = [
  ['SELECT pg_try_advisory_xact_lock', 'key lock'],
  ['DELETE FROM idempotency_keys', 'key expiry'],
  ['SELECT fingerprint', 'key lookup'],
  ['INSERT INTO idempotency_keys', 'key store'],
];

const movieRow = (m: FakeMovie): Row => [String(m.id), m.name, String(m.year), String(m.duration)];
const customerRow = (c: FakeCustomer): Row => [String(c.id), c.name, c.surname, c.birthday, c.email];

/** A PostgreSQL-like error: an Error with a SQLSTATE and, for a foreign key, the constraint's name. */
export function pgError(message: string, code: string, constraint?: string): Error {
  return Object.assign(new Error(message), { code, constraint });
}

export class FakeDatabase implements DatabaseAccess {
  readonly movies = new Map<number, FakeMovie>();
  readonly customers = new Map<number, FakeCustomer>();
  readonly sessions = new Map<number, FakeSession>();
  readonly keys = new Map<string, StoredKey>();
  /** Idempotency keys whose advisory lock another transaction holds (pg_try_advisory_xact_lock answers false). */
  readonly lockedKeys = new Set<string>();
  /** The statements run, by name (or first words): one entry per query, row stream or transaction statement. */
  readonly ran: string[] = [];
  /** What stats() says of the last attempt to reach the database. */
  up = true;
  /** When set, checkHealth() rejects with it. */
  healthError: Error | null = null;
  /** When set, every query, row stream and transaction rejects with it (before running anything). */
  failure: Error | null = null;
  /** A list's rows are handed over only once this settles (lets a test hold a list in flight). */
  listGate: Promise<void> = Promise.resolve();
  private nextSessionId = 1;
  private readonly listeners: QueryListener[] = [];

  constructor() {
    this.movies.set(1, { id: 1, name: 'Crimson Train', year: 1944, duration: 129 });
    this.movies.set(2, { id: 2, name: 'Quiet "Harbour"', year: 1999, duration: 95 });
    this.customers.set(1, { id: 1, name: 'Mia', surname: 'Vasiliev', birthday: '1941-07-15', email: 'mia.vasiliev.1@example.com' });
    this.customers.set(2, { id: 2, name: 'Ivan', surname: 'Petrov', birthday: '1980-01-02', email: 'ivan.petrov.2@example.com' });
    this.addSession({ start_time: '2016-10-28T14:36:10.622580Z', customer_id: 1, movie_id: 2 });
  }

  addSession(s: Omit<FakeSession, 'id'>): FakeSession {
    const session = { id: this.nextSessionId++, ...s };
    this.sessions.set(session.id, session);
    return session;
  }

  private sessionRow(s: FakeSession): Row {
    return [String(s.id), s.start_time, ...customerRow(this.customers.get(s.customer_id)!), ...movieRow(this.movies.get(s.movie_id)!)];
  }

  stats(): PoolStats {
    return { host: 'fake:5432', total: 1, idle: 1, waiting: 0, max: 16, failovers: 0, up: this.up, queries: { subscribe: (l) => void this.listeners.push(l) } };
  }

  async checkHealth(): Promise<void> {
    if (this.healthError) throw this.healthError;
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(q: Query): Promise<pg.QueryResult<R>> {
    if (this.failure) throw this.failure;
    return this.run(q) as pg.QueryResult<R>;
  }

  async eachRow(
    q: Query & { rowMode?: 'array'; types?: unknown },
    onRow: (row: unknown[]) => void | Promise<void>,
    _settings: Record<string, string> = {},
    options: { signal?: AbortSignal } = {},
  ): Promise<number> {
    if (this.failure) throw this.failure;
    this.ran.push(q.name ?? q.text);
    const rows =
      q.name === 'shs_movies'
        ? [...this.movies.values()].map(movieRow)
        : q.name === 'shs_customers'
          ? [...this.customers.values()].map(customerRow)
          : q.name === 'shs_sessions'
            ? [...this.sessions.values()].map((s) => this.sessionRow(s))
            : null;
    if (rows === null) throw new Error(`fake database: no row stream ${q.name ?? q.text}`);
    await this.listGate;
    for (const row of rows) {
      if (options.signal?.aborted) throw new QueryAbortedError('the query was cancelled: its caller gave up');
      await onRow(row);
    }
    return rows.length;
  }

  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.failure) throw this.failure;
    const sessions = new Map(this.sessions);
    const keys = new Map(this.keys);
    const client = { query: async (q: Query | string, values?: unknown[]) => this.run(typeof q === 'string' ? { text: q, values: values ?? [] } : q) };
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the routes use only client.query of a pg.PoolClient
      return await fn(client as any);
    } catch (err) {
      this.sessions.clear();
      for (const [k, v] of sessions) this.sessions.set(k, v);
      this.keys.clear();
      for (const [k, v] of keys) this.keys.set(k, v);
      throw err;
    }
  }

  private run(q: Query): { rows: unknown[]; rowCount: number } {
    const values = q.values ?? [];
    const name = q.name ?? UNNAMED.find(([start]) => q.text.startsWith(start))?.[1] ?? q.text;
    this.ran.push(name);
    const one = (row: Row | undefined) => ({ rows: row ? [row] : [], rowCount: row ? 1 : 0 });
    switch (name) {
      case 'shs_movie': {
        const m = this.movies.get(Number(values[0]));
        return one(m && movieRow(m));
      }
      case 'shs_customer': {
        const c = this.customers.get(Number(values[0]));
        return one(c && customerRow(c));
      }
      case 'shs_session': {
        const s = this.sessions.get(Number(values[0]));
        return one(s && this.sessionRow(s));
      }
      case 'shs_create_session': {
        const [start, customer, movie] = values as [string, number, number];
        if (!this.customers.has(customer)) throw pgError('insert violates foreign key', '23503', 'sessions_customer_fkey');
        if (!this.movies.has(movie)) throw pgError('insert violates foreign key', '23503', 'sessions_movie_fkey');
        const utc = new Date(start).toISOString().replace(/Z$/, '000Z');
        return one(this.sessionRow(this.addSession({ start_time: utc, customer_id: customer, movie_id: movie })));
      }
      case 'shs_delete_session':
        return { rows: [], rowCount: this.sessions.delete(Number(values[0])) ? 1 : 0 };
      case 'shs_db_dummy':
        return { rows: [{ pg_sleep: '' }], rowCount: 1 };
      case 'key lock':
        return { rows: [{ ok: !this.lockedKeys.has(String(values[1])) }], rowCount: 1 };
      case 'key expiry':
        return { rows: [], rowCount: 0 };
      case 'key lookup': {
        const k = this.keys.get(String(values[0]));
        return { rows: k ? [k] : [], rowCount: k ? 1 : 0 };
      }
      case 'key store': {
        const [key, fingerprint, status, body, location] = values as [string, string, number, string, string | null];
        this.keys.set(key, { fingerprint, status, body, location });
        return { rows: [], rowCount: 1 };
      }
      default:
        throw new Error(`fake database: no statement ${name}`);
    }
  }
}

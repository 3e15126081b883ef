// Every SQL statement of the API, and the rendering of its rows to JSON text.
// Rows come back as arrays of PostgreSQL text (no per-value type conversion) and are written straight into
// JSON: numbers as they are, strings escaped, timestamps formatted by PostgreSQL to ISO 8601 with microseconds.
import type pg from 'pg';
import type { DatabaseAccess, Query } from '../db/database.js';
import { ApiError } from './errors.js';
import type { NewSession } from './inputs.js';

/** Row limit of the customer and session lists (the contract: at most 100,000). */
export const LIST_LIMIT = 100_000;
/** Rows per chunk written while a list streams. */
const LIST_CHUNK_ROWS = 2000;

const asText = { getTypeParser: () => (value: string) => value };

type Row = (string | null)[];

/** Takes a chunk of a list's JSON; a promise means "wait for it before producing more" (backpressure). */
export type ListWriter = (chunk: string) => void | Promise<void>;

const str = (v: string | null | undefined) => JSON.stringify(v ?? null);
const num = (v: string | null | undefined) => (v == null ? 'null' : v);

const MOVIE_COLUMNS = 'm.id, m.name, m.year, m.duration';
const CUSTOMER_COLUMNS = `c.id, c.name, c.surname, to_char(c.birthday, 'YYYY-MM-DD'), c.email`;
const SESSION_COLUMNS = `s.id, to_char(s.start_time, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), ${CUSTOMER_COLUMNS}, ${MOVIE_COLUMNS}`;

function movieJson(r: Row, at = 0): string {
  return `{"id":${num(r[at])},"name":${str(r[at + 1])},"year":${num(r[at + 2])},"duration":${num(r[at + 3])}}`;
}

function customerJson(r: Row, at = 0): string {
  return `{"id":${num(r[at])},"name":${str(r[at + 1])},"surname":${str(r[at + 2])},"birthday":${str(r[at + 3])},"email":${str(r[at + 4])}}`;
}

function sessionJson(r: Row): string {
  return `{"id":${num(r[0])},"start_time":${str(r[1])},"customer":${customerJson(r, 2)},"movie":${movieJson(r, 7)}}`;
}


const SESSION_FROM = 'FROM sessions s JOIN customers c ON c.id = s.customer_id JOIN movies m ON m.id = s.movie_id';

const Q = {
  movies: {
    name: 'shs_movies',
    text: `SELECT ${MOVIE_COLUMNS} FROM movies m ORDER BY m.year DESC, m.name, m.id DESC`,
  },
  movie: { name: 'shs_movie', text: `SELECT ${MOVIE_COLUMNS} FROM movies m WHERE m.id = $1` },
  customers: {
    name: 'shs_customers',
    text: `SELECT ${CUSTOMER_COLUMNS} FROM customers c ORDER BY c.surname, c.name, c.birthday DESC, c.id DESC LIMIT ${LIST_LIMIT}`,
  },
  customer: { name: 'shs_customer', text: `SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1` },
  sessions: {
    name: 'shs_sessions',
    text: `SELECT ${SESSION_COLUMNS}
           FROM movies m JOIN sessions s ON s.movie_id = m.id JOIN customers c ON c.id = s.customer_id
           ORDER BY m.year DESC, m.name, s.customer_id, s.id DESC LIMIT ${LIST_LIMIT}`,
  },
  session: { name: 'shs_session', text: `SELECT ${SESSION_COLUMNS} ${SESSION_FROM} WHERE s.id = $1` },
  createSession: {
    name: 'shs_create_session',
    text: `WITH s AS (
             INSERT INTO sessions (start_time, customer_id, movie_id)
             VALUES (($1::timestamptz AT TIME ZONE 'UTC'), $2, $3)
             RETURNING id, start_time, customer_id, movie_id)
           SELECT ${SESSION_COLUMNS} FROM s JOIN customers c ON c.id = s.customer_id JOIN movies m ON m.id = s.movie_id`,
  },
  deleteSession: { name: 'shs_delete_session', text: 'DELETE FROM sessions WHERE id = $1' },
  dbDummy: { name: 'shs_db_dummy', text: 'SELECT pg_sleep(0.1)' },
} as const;

export class Repository {
  constructor(private readonly db: DatabaseAccess) {}

  /** On `client` when given (a transaction's), else on a connection of the pool. */
  private async rows(q: { name: string; text: string }, values: unknown[] = [], client?: pg.ClientBase): Promise<Row[]> {
    const query: Query & { rowMode: 'array'; types: typeof asText } = { ...q, values, rowMode: 'array', types: asText };
    const result = client ? await client.query(query as pg.QueryConfig) : await this.db.query(query);
    return result.rows as unknown as Row[];
  }

  /**
   * Streams a JSON array of every row of q: rows are rendered as they arrive and handed to `write` in chunks,
   * so the query, the rendering and the transfer overlap, and a long list is never held as row objects. When
   * `write` returns a promise (the client is not keeping up), no more rows are read until it settles. Once
   * `signal` is aborted (the client went away) the query is cancelled (see Database.eachRow).
   */
  private async list(
    q: { name: string; text: string },
    render: (r: Row) => string,
    write: ListWriter,
    signal: AbortSignal | undefined,
    settings?: Record<string, string>,
  ): Promise<void> {
    let batch: string[] = [];
    let opened = false;
    const flush = () => {
      if (batch.length === 0) return undefined;
      const chunk = `${opened ? ',' : '['}${batch.join(',')}`;
      opened = true;
      batch = [];
      return write(chunk);
    };
    await this.db.eachRow(
      { ...q, rowMode: 'array', types: asText },
      (row) => {
        batch.push(render(row as Row));
        return batch.length >= LIST_CHUNK_ROWS ? flush() : undefined;
      },
      settings,
      signal ? { signal } : {},
    );
    await flush();
    await write(opened ? ']' : '[]');
  }

  movies(write: ListWriter, signal?: AbortSignal): Promise<void> {
    return this.list(Q.movies, movieJson, write, signal);
  }

  async movie(id: string): Promise<string | null> {
    const [row] = await this.rows(Q.movie, [id]);
    return row ? movieJson(row) : null;
  }

  customers(write: ListWriter, signal?: AbortSignal): Promise<void> {
    return this.list(Q.customers, customerJson, write, signal);
  }

  async customer(id: string): Promise<string | null> {
    const [row] = await this.rows(Q.customer, [id]);
    return row ? customerJson(row) : null;
  }

  sessions(write: ListWriter, signal?: AbortSignal): Promise<void> {
    // Memoize on the customer lookup costs more than it saves here (customer ids barely repeat).
    return this.list(Q.sessions, sessionJson, write, signal, { enable_memoize: 'off' });
  }

  async session(id: string): Promise<string | null> {
    const [row] = await this.rows(Q.session, [id]);
    return row ? sessionJson(row) : null;
  }

  /** Creates a session; a missing customer or movie is refused (422) and nothing is written. */
  /** `client`: inside that transaction (an Idempotency-Key's: see idempotency.ts). */
  async createSession(input: NewSession, client?: pg.ClientBase): Promise<{ id: string; json: string }> {
    try {
      const [row] = await this.rows(Q.createSession, [input.start_time, input.customer_id, input.movie_id], client);
      if (!row) throw new Error('INSERT ... RETURNING returned no row');
      return { id: row[0]!, json: sessionJson(row) };
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23503') {
        const which = e.constraint === 'sessions_movie_fkey' ? `movie ${input.movie_id}` : `customer ${input.customer_id}`;
        throw new ApiError(422, 'unknown_reference', `${which} does not exist`);
      }
      if (e.code === '22008' || e.code === '22007') throw new ApiError(400, 'bad_request', `start_time is out of range: ${JSON.stringify(input.start_time)}`);
      throw err;
    }
  }

  /** True when a session was deleted. */
  async deleteSession(id: string): Promise<boolean> {
    const result = await this.db.query({ ...Q.deleteSession, values: [id] });
    return (result.rowCount ?? 0) > 0;
  }

  async dbDummy(): Promise<void> {
    await this.db.query(Q.dbDummy);
  }
}

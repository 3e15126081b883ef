// prepare_db: generates the dataset inside PostgreSQL (no rows cross the network), deterministically.
// Every value is a pure function of (seed, row id, column): the same seed and scale give the same rows on any
// machine. The whole load is one transaction: it either replaces the data completely or changes nothing.
// Replacing data (--force) loads into new tables beside the live ones, which stay readable, and swaps them in at
// the end: the live tables are locked exclusively only for that swap, not for the whole load.
import type pg from 'pg';
import { migrateInTransaction, type MigrateResult } from './migrate.js';
import { KEYS, SCHEMA_LOCK_ID } from './schema.js';

export const FULL_SCALE = { customers: 500_000, movies: 29_019, sessions: 5_000_000 } as const;
export const DEFAULT_SEED = 1;
export const MAX_SEED = 1_000_000;

export interface DatasetSize {
  customers: number;
  movies: number;
  sessions: number;
}

export function sizeForScale(scale: number): DatasetSize {
  if (!Number.isFinite(scale) || scale <= 0 || scale > 10) throw new RangeError(`--scale must be in (0, 10], got ${scale}`);
  const n = (full: number) => Math.max(1, Math.round(full * scale));
  return { customers: n(FULL_SCALE.customers), movies: n(FULL_SCALE.movies), sessions: n(FULL_SCALE.sessions) };
}

/**
 * SQL for a pseudo-random integer in [0, 2^31-1) from a row number: an affine map modulo a prime followed by a
 * multiplication modulo another, all in bigint without overflow. `salt` makes columns independent.
 */
export function mixSql(expr: string, seed: number, salt: number): string {
  const offset = seed * 1_000_003 + salt * 7_919;
  return `(((((${expr})::bigint * 2654435761 + ${offset}) % 4294967311) * 40503) % 2147483647)`;
}

const FIRST_NAMES = [
  'Alexander', 'Anna', 'Boris', 'Daria', 'Dmitry', 'Ekaterina', 'Elena', 'Fedor', 'Galina', 'Igor',
  'Irina', 'Ivan', 'Kirill', 'Ksenia', 'Leonid', 'Lidia', 'Maria', 'Maxim', 'Mikhail', 'Natalia',
  'Nikita', 'Olga', 'Pavel', 'Polina', 'Roman', 'Sergey', 'Sofia', 'Svetlana', 'Tatiana', 'Timur',
  'Valeria', 'Vera', 'Viktor', 'Yulia', 'Zakhar', 'Alice', 'Bob', 'Carol', 'David', 'Emma',
  'Frank', 'Grace', 'Henry', 'Isla', 'Jack', 'Kate', 'Liam', 'Mia', 'Noah', 'Olivia',
];
const SURNAMES = [
  'Ivanov', 'Smirnov', 'Kuznetsov', 'Popov', 'Vasiliev', 'Petrov', 'Sokolov', 'Mikhailov', 'Novikov', 'Fedorov',
  'Morozov', 'Volkov', 'Alekseev', 'Lebedev', 'Semenov', 'Egorov', 'Pavlov', 'Kozlov', 'Stepanov', 'Nikolaev',
  'Orlov', 'Andreev', 'Makarov', 'Nikitin', 'Zakharov', 'Zaitsev', 'Soloviev', 'Borisov', 'Yakovlev', 'Grigoriev',
  'Romanov', 'Vorobiev', 'Sergeev', 'Kuzmin', 'Frolov', 'Alexandrov', 'Dmitriev', 'Korolev', 'Gusev', 'Kiselev',
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Taylor', 'Clark',
];
const ADJECTIVES = [
  'Silent', 'Crimson', 'Last', 'Hidden', 'Golden', 'Broken', 'Endless', 'Frozen', 'Lost', 'Midnight',
  'Burning', 'Distant', 'Electric', 'Forgotten', 'Gentle', 'Hollow', 'Iron', 'Lonely', 'Northern', 'Pale',
  'Quiet', 'Restless', 'Savage', 'Secret', 'Shining', 'Sleeping', 'Stolen', 'Strange', 'Wild', 'Winter',
];
const NOUNS = [
  'River', 'Empire', 'Garden', 'Station', 'Horizon', 'Mirror', 'Harbor', 'Island', 'Kingdom', 'Letter',
  'Machine', 'Mountain', 'Ocean', 'Orchard', 'Planet', 'Road', 'Shadow', 'Signal', 'Storm', 'Summer',
  'Tower', 'Train', 'Valley', 'Voyage', 'Witness', 'Window', 'Forest', 'City', 'Dream', 'Echo',
];

function pick(list: readonly string[], seed: number, salt: number, expr = 'i'): string {
  const literal = `ARRAY[${list.map((s) => `'${s}'`).join(',')}]::text[]`;
  return `(${literal})[1 + ${mixSql(expr, seed, salt)} % ${list.length}]`;
}

/**
 * The three INSERT statements; $1 is the row count of that table, $2/$3 the sizes it references. `suffix` names
 * the tables loaded into (`sessions_load`...), beside the live ones.
 */
export function generationSql(seed: number, suffix = ''): { movies: string; customers: string; sessions: string } {
  const m = (salt: number) => mixSql('i', seed, salt);
  const movies = `INSERT INTO movies${suffix} (id, name, year, duration)
    SELECT i,
           ${pick(ADJECTIVES, seed, 11)} || ' ' || ${pick(NOUNS, seed, 12)}
             || CASE WHEN ${m(13)} % 4 = 0 THEN ' ' || (2 + ${m(14)} % 8)::text ELSE '' END,
           1920 + ${m(15)} % 104,
           60 + ${m(16)} % 140
    FROM generate_series(1, $1::integer) AS i`;
  const customers = `INSERT INTO customers${suffix} (id, name, surname, birthday, email)
    SELECT i, f, s,
           date '1940-01-01' + (${m(23)} % 25000)::integer,
           lower(f || '.' || s || '.' || i::text || '@example.com')
    FROM (SELECT i, ${pick(FIRST_NAMES, seed, 21)} AS f, ${pick(SURNAMES, seed, 22)} AS s
          FROM generate_series(1, $1::integer) AS i) AS g`;
  const sessions = `INSERT INTO sessions${suffix} (id, start_time, customer_id, movie_id)
    SELECT i,
           timestamp '2015-01-01 00:00:00'
             + (${m(31)} % 283824000) * interval '1 second'
             + (${m(32)} % 1000000) * interval '1 microsecond',
           1 + ${m(33)} % $2::integer,
           1 + ${m(34)} % $3::integer
    FROM generate_series(1, $1::bigint) AS i`;
  return { movies, customers, sessions };
}

export interface Dataset extends DatasetSize {
  seed: number;
  scale: number;
}

export interface PrepareOptions {
  scale: number;
  seed: number;
  force: boolean;
  /**
   * `shs init`: keep whatever data is there. A dataset of any seed and scale, or rows prepare_db did not make,
   * is left as it is (status "unchanged" or "foreign") instead of being refused; only an empty database is loaded.
   */
  keep?: boolean;
  /** Called before and after each step, for progress output. */
  progress?: (step: string, done: boolean, seconds: number) => void;
}

/** What happened to the data; `migrated` says which migrations the same transaction applied. */
export type PrepareOutcome = { migrated: MigrateResult } & (
  /** `deleted`: rows prepare_db did not make that the load replaced (API-made sessions, hand-made rows). */
  | { status: 'prepared'; dataset: Dataset; seconds: number; deleted: DatasetSize }
  | { status: 'unchanged'; dataset: Dataset }
  /** Only with `keep`: rows that prepare_db did not make, left as they are. */
  | { status: 'foreign' }
);

export class RefusedError extends Error {
  override name = 'RefusedError';
}

/** The suffix of the tables a replacing load fills before they are swapped in. */
const LOAD_SUFFIX = '_load';

/**
 * Rows prepare_db did not make: ids past the recorded dataset's (prepare_db makes ids 1..n, and the sessions
 * identity continues after them, so these are what the API created), or every row when no dataset is recorded.
 */
async function foreignRows(client: pg.ClientBase, recorded: Dataset | null): Promise<DatasetSize> {
  const r = await client.query<{ c: string; m: string; s: string }>(
    `SELECT (SELECT count(*) FROM customers WHERE $1::bigint IS NULL OR id > $1::bigint) AS c,
            (SELECT count(*) FROM movies WHERE $2::bigint IS NULL OR id > $2::bigint) AS m,
            (SELECT count(*) FROM sessions WHERE $3::bigint IS NULL OR id > $3::bigint) AS s`,
    [recorded?.customers ?? null, recorded?.movies ?? null, recorded?.sessions ?? null],
  );
  const row = r.rows[0]!;
  return { customers: Number(row.c), movies: Number(row.m), sessions: Number(row.s) };
}

/** What `prepare_db --force` would replace: read before it starts, to say so and ask. */
export interface ExistingData {
  /** Any row in customers, movies or sessions. */
  present: boolean;
  recorded: Dataset | null;
  /** Rows prepare_db did not make, which the load deletes. */
  foreign: DatasetSize;
}

export async function inspectData(client: pg.ClientBase): Promise<ExistingData> {
  const none = { customers: 0, movies: 0, sessions: 0 };
  const tables = await client.query<{ ready: boolean }>(
    `SELECT to_regclass('shs_dataset') IS NOT NULL AND to_regclass('customers') IS NOT NULL
        AND to_regclass('movies') IS NOT NULL AND to_regclass('sessions') IS NOT NULL AS ready`,
  );
  if (!tables.rows[0]!.ready) return { present: false, recorded: null, foreign: none };
  const rows = await existingRows(client);
  if (!(rows.customers || rows.movies || rows.sessions)) return { present: false, recorded: null, foreign: none };
  const recorded = await recordedDataset(client);
  return { present: true, recorded, foreign: await foreignRows(client, recorded) };
}

async function existingRows(client: pg.ClientBase): Promise<DatasetSize> {
  // Cheap: stop counting at one row per table.
  const r = await client.query<{ c: boolean; m: boolean; s: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM customers) AS c, EXISTS (SELECT 1 FROM movies) AS m, EXISTS (SELECT 1 FROM sessions) AS s`,
  );
  const row = r.rows[0]!;
  return { customers: Number(row.c), movies: Number(row.m), sessions: Number(row.s) };
}

async function recordedDataset(client: pg.ClientBase): Promise<Dataset | null> {
  const r = await client.query<{ seed: number; scale: number; customers: string; movies: string; sessions: string }>(
    'SELECT seed, scale, customers, movies, sessions FROM shs_dataset',
  );
  const row = r.rows[0];
  if (!row) return null;
  return { seed: row.seed, scale: row.scale, customers: Number(row.customers), movies: Number(row.movies), sessions: Number(row.sessions) };
}

export async function prepareDatabase(client: pg.ClientBase, options: PrepareOptions): Promise<PrepareOutcome> {
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > MAX_SEED)
    throw new RangeError(`--seed must be an integer in 0-${MAX_SEED}, got ${options.seed}`);
  const size = sizeForScale(options.scale);
  const dataset: Dataset = { ...size, seed: options.seed, scale: options.scale };
  const started = performance.now();
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    options.progress?.(name, false, 0);
    const result = await fn();
    options.progress?.(name, true, (performance.now() - t0) / 1000);
    return result;
  };

  await client.query('BEGIN');
  try {
    // The schema and the data commit together: on a fresh database the schema's version row (which /ping waits
    // for) is visible only once the dataset is.
    const migrated = await step('schema', () => migrateInTransaction(client));
    // The schema lock taken by the migration is held until COMMIT: a concurrent prepare (two nodes running
    // `shs init` at once) waits here for this one's load and then finds its dataset.
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_ID + 1]);
    const recorded = await recordedDataset(client);
    const same = recorded !== null && recorded.seed === dataset.seed && recorded.scale === dataset.scale;
    if (recorded && !options.force && (same || options.keep)) {
      await client.query('COMMIT'); // keeps any migration applied above
      return { status: 'unchanged', dataset: recorded, migrated };
    }
    const rows = await existingRows(client);
    if (!options.force && options.keep && (rows.customers || rows.movies || rows.sessions)) {
      await client.query('COMMIT');
      return { status: 'foreign', migrated };
    }
    if (!options.force && (rows.customers || rows.movies || rows.sessions)) {
      const what = recorded
        ? `a dataset with seed ${recorded.seed} and scale ${recorded.scale}`
        : 'rows that prepare_db did not make';
      throw new RefusedError(`the database already holds ${what}; pass --force to replace it`);
    }

    await client.query(`SET LOCAL maintenance_work_mem = '512MB'`);
    await client.query('SET LOCAL synchronous_commit = off');
    // Replacing rows: load into new tables beside the live ones, which stay readable (and writable: what is
    // written meanwhile is lost with them), then swap. Empty tables are loaded in place.
    const replace = rows.customers || rows.movies || rows.sessions;
    const suffix = replace ? LOAD_SUFFIX : '';
    // Tables made in this transaction (or TRUNCATEd in it) get new files: with wal_level=minimal the load skips WAL.
    if (replace)
      await step('new tables', async () => {
        // The live tables' columns, defaults, identity and comments; no index or key (built after the load).
        for (const t of ['customers', 'movies', 'sessions'])
          await client.query(`CREATE TABLE ${t}${suffix} (LIKE ${t} INCLUDING ALL EXCLUDING INDEXES)`);
      });
    else
      await step('clear', async () => {
        await client.query('TRUNCATE sessions, customers, movies, shs_dataset');
        for (const key of [...KEYS].reverse()) await client.query(key.drop);
      });
    const sql = generationSql(dataset.seed, suffix);
    await step(`movies (${size.movies})`, () => client.query(sql.movies, [size.movies]));
    await step(`customers (${size.customers})`, () => client.query(sql.customers, [size.customers]));
    await step(`sessions (${size.sessions})`, () =>
      client.query(sql.sessions, [size.sessions, size.customers, size.movies]),
    );
    await step('keys and indexes', async () => {
      for (const key of KEYS) await client.query(key.createOn(suffix));
    });
    await step('statistics', async () => {
      await client.query(
        `SELECT setval(pg_get_serial_sequence('sessions${suffix}', 'id'), $1::bigint, true)`,
        [size.sessions],
      );
      await client.query(`ANALYZE customers${suffix}, movies${suffix}, sessions${suffix}`);
    });
    let deleted: DatasetSize = { customers: 0, movies: 0, sessions: 0 };
    if (replace)
      await step('swap', async () => {
        // The only exclusive lock on the live tables: it waits for the queries running on them, and queries
        // arriving meanwhile wait for it; it is held from here to COMMIT, a few catalog changes later.
        await client.query('LOCK TABLE sessions, customers, movies IN ACCESS EXCLUSIVE MODE');
        // Counted under the lock: every row written up to the swap is in it.
        deleted = await foreignRows(client, recorded);
        const sequence = (await client.query<{ s: string }>(`SELECT pg_get_serial_sequence('sessions', 'id') AS s`)).rows[0]!.s;
        await client.query('DROP TABLE sessions, customers, movies');
        for (const t of ['customers', 'movies', 'sessions']) await client.query(`ALTER TABLE ${t}${suffix} RENAME TO ${t}`);
        for (const key of KEYS) await client.query(key.renameFrom(suffix));
        // The identity's sequence keeps its usual name (pg_get_serial_sequence gives it schema-qualified).
        const loaded = (await client.query<{ s: string }>(`SELECT pg_get_serial_sequence('sessions', 'id') AS s`)).rows[0]!.s;
        await client.query(`ALTER SEQUENCE ${loaded} RENAME TO ${sequence.replace(/^.*\./, '')}`);
        await client.query('DELETE FROM shs_dataset');
      });
    await client.query(
      'INSERT INTO shs_dataset (seed, scale, customers, movies, sessions) VALUES ($1, $2, $3, $4, $5)',
      [dataset.seed, dataset.scale, size.customers, size.movies, size.sessions],
    );
    await step('commit', () => client.query('COMMIT'));
    // Outside the transaction (VACUUM cannot run in one): sets the visibility map for index-only scans.
    await step('vacuum', () => client.query('VACUUM customers, movies, sessions'));
    return { status: 'prepared', dataset, seconds: (performance.now() - started) / 1000, migrated, deleted };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

// The service's own SQL, taken from its Repository (shs/src/api/repository.ts) rather than copied: a stand-in
// Database records each statement the Repository would send, so the peers run exactly what the service runs.
import { Repository } from '../../shs/src/api/repository.js';
import type { Database, Query } from '../../shs/src/db/database.js';

export interface CapturedQuery {
  /** The prepared-statement name the service uses. */
  name: string;
  text: string;
  /** Settings the service applies with SET LOCAL around the statement. */
  settings: Record<string, string>;
}

type Call = (repo: Repository) => Promise<unknown>;

async function capture(call: Call): Promise<CapturedQuery> {
  let seen: CapturedQuery | undefined;
  const record = (q: Query, settings: Record<string, string> = {}) => {
    seen = { name: q.name ?? '', text: q.text, settings };
  };
  const standIn = {
    query: async (q: Query) => {
      record(q);
      return { rows: [], rowCount: 0 };
    },
    eachRow: async (q: Query, _onRow: unknown, settings?: Record<string, string>) => {
      record(q, settings);
      return 0;
    },
  };
  // Only the two methods the Repository calls are needed.
  await call(new Repository(standIn as unknown as Database)).catch(() => undefined);
  if (!seen) throw new Error('the Repository sent no statement');
  return seen;
}

/** GET /api/session: the list of sessions with customer and movie (Q.sessions). */
export const sessionListQuery = () => capture((r) => r.sessions(() => undefined));
/** GET /api/session/{id} ($1 is the id). */
export const sessionQuery = () => capture((r) => r.session('1'));
/** GET /api/movie/{id}. */
export const movieQuery = () => capture((r) => r.movie('1'));
/** GET /api/customer/{id}. */
export const customerQuery = () => capture((r) => r.customer('1'));
/** GET /db_dummy. */
export const dbDummyQuery = () => capture((r) => r.dbDummy());

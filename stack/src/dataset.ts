// What `up` says when the database holds a dataset other than the one asked for: what is there, what replacing
// it deletes (sessions created through the API included), and the flags that replace or keep it.
import pg from 'pg';
import { DEFAULT_SEED, inspectData, type DatasetSize, type ExistingData } from '../../shs/src/db/prepare.js';

const plural = (n: number, what: string) => `${n} ${n === 1 ? what.replace(/s$/, '') : what}`;

function counts(n: DatasetSize): string {
  return (['customers', 'movies', 'sessions'] as const)
    .filter((t) => n[t] > 0)
    .map((t) => plural(n[t], t))
    .join(', ');
}

/** The refusal of a dataset that is not of `scale` (with up's seed), naming --replace-data. */
export function datasetRefusal(found: ExistingData, scale: number): string {
  const r = found.recorded;
  const api = found.foreign.sessions;
  const others = counts({ ...found.foreign, sessions: 0 });
  if (!r) {
    return (
      `the database already holds rows that prepare_db did not make (${counts(found.foreign) || 'none counted'}), not a dataset of scale ${scale}; ` +
      'pass --replace-data to replace them with a generated dataset (this deletes them)'
    );
  }
  const keep = r.seed === DEFAULT_SEED ? `, or --scale ${r.scale} to keep it` : '';
  return (
    `the database already holds a dataset with seed ${r.seed} and scale ${r.scale} (${counts(r)}` +
    `${api ? `, and ${plural(api, 'sessions')} created through the API since it was loaded` : ''}), not one of scale ${scale}; ` +
    `pass --replace-data to replace it (this deletes its ${plural(r.sessions + api, 'sessions')}` +
    `${api ? `, including the ${plural(api, 'sessions')} created through the API` : ''}${others ? `, and ${others} prepare_db did not make` : ''})${keep}`
  );
}

/** datasetRefusal for the database at 127.0.0.1:port, read as the service's user. */
export async function describeRefusedDataset(db: { port: number; name: string; user: string; password: string }, scale: number): Promise<string> {
  const client = new pg.Client({ host: '127.0.0.1', port: db.port, database: db.name, user: db.user, password: db.password });
  await client.connect();
  try {
    return datasetRefusal(await inspectData(client), scale);
  } finally {
    await client.end();
  }
}

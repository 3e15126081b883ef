// Ids that exist in the target's data, sampled before checks and load (the dataset's scale is not known, and
// sessions come and go).
import type { HttpClient } from '../client.js';
import type { SampleIds } from '../load/mix.js';

async function existing(client: HttpClient, base: string, route: string, candidates: number[], want: number): Promise<number[]> {
  const found: number[] = [];
  for (const id of candidates) {
    if (found.length >= want) break;
    const res = await client.request(base, { path: `${route}/${id}` }).catch(() => null);
    if (res?.status === 200) found.push(id);
  }
  return found;
}

/** Small ids exist at every scale (the smallest dataset still has 29 movies and 500 customers). */
export async function sampleIds(client: HttpClient, base: string): Promise<SampleIds> {
  const spread = (max: number, n: number) => Array.from({ length: n }, (_, i) => 1 + Math.floor((i * max) / n));
  const ids: SampleIds = {
    movies: await existing(client, base, '/api/movie', spread(29, 29), 10),
    customers: await existing(client, base, '/api/customer', spread(500, 40), 20),
    sessions: await existing(client, base, '/api/session', spread(5000, 60), 30),
  };
  for (const [what, list] of Object.entries(ids)) {
    if (list.length === 0) throw new Error(`no ${what} found at ${base} (is the dataset prepared?)`);
  }
  return ids;
}

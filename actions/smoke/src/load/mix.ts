// The request mix of the load: the contract's uncached and cached endpoints in realistic proportions. The
// long lists are not in the mix (the contract judges them one request at a time); writes are in it, as create
// then delete, so the run leaves no data behind.
import type { RequestSpec } from '../client.js';

export interface Endpoint {
  /** The route pattern reported and thresholded ("/api/movie/{id}"). */
  name: string;
  /** The HTTP method it sends (GET when absent). */
  method?: 'POST' | 'DELETE';
  weight: number;
  /** The request for arrival n; null skips the slot (e.g. nothing to delete yet). */
  make(n: number, ids: SampleIds, created: number[]): RequestSpec | null;
}

export interface SampleIds {
  movies: number[];
  customers: number[];
  sessions: number[];
}

const pick = (list: number[], n: number) => list[n % list.length]!;

export const DEFAULT_MIX: Endpoint[] = [
  { name: '/api/session/{id}', weight: 20, make: (n, ids) => ({ path: `/api/session/${pick(ids.sessions, n)}` }) },
  { name: '/api/movie/{id}', weight: 15, make: (n, ids) => ({ path: `/api/movie/${pick(ids.movies, n)}` }) },
  { name: '/api/customer/{id}', weight: 15, make: (n, ids) => ({ path: `/api/customer/${pick(ids.customers, n)}` }) },
  { name: '/db_dummy', weight: 10, make: () => ({ path: '/db_dummy' }) },
  {
    name: '/operation',
    method: 'POST',
    weight: 10,
    make: (n) => ({ method: 'POST', path: '/operation', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: n }) }),
  },
  { name: '/long_dummy', weight: 10, make: () => ({ path: '/long_dummy' }) },
  { name: '/ping', weight: 10, make: () => ({ path: '/ping' }) },
  {
    name: 'POST /api/session',
    method: 'POST',
    weight: 5,
    make: (n, ids) => ({
      method: 'POST',
      path: '/api/session',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start_time: new Date().toISOString(), customer_id: pick(ids.customers, n), movie_id: pick(ids.movies, n) }),
    }),
  },
  {
    // deletes what the load created, oldest first
    name: 'DELETE /api/session/{id}',
    method: 'DELETE',
    weight: 5,
    make: (_n, _ids, created) => {
      const id = created.shift();
      return id === undefined ? null : { method: 'DELETE', path: `/api/session/${id}` };
    },
  },
];

/** A deterministic weighted round robin: request n goes to the endpoint whose slot n falls in. */
export function scheduleOf(mix: Endpoint[]): Endpoint[] {
  const slots: Endpoint[] = [];
  const total = mix.reduce((s, e) => s + e.weight, 0);
  const counts = mix.map(() => 0);
  for (let i = 0; i < total; i++) {
    // pick the endpoint furthest behind its share (smooth interleaving)
    let best = 0;
    let bestLag = -Infinity;
    mix.forEach((e, j) => {
      const lag = ((i + 1) * e.weight) / total - counts[j]!;
      if (lag > bestLag) {
        bestLag = lag;
        best = j;
      }
    });
    counts[best]! += 1;
    slots.push(mix[best]!);
  }
  return slots;
}

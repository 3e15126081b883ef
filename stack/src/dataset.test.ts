import { describe, expect, it } from 'vitest';
import { datasetRefusal } from './dataset.js';

const none = { customers: 0, movies: 0, sessions: 0 };

describe('datasetRefusal', () => {
  it('a dataset of up\'s seed: what replacing deletes, and the scale that keeps it', () => {
    const recorded = { seed: 1, scale: 0.02, customers: 10_000, movies: 580, sessions: 100_000 };
    expect(datasetRefusal({ present: true, recorded, foreign: none }, 1)).toBe(
      'the database already holds a dataset with seed 1 and scale 0.02 (10000 customers, 580 movies, 100000 sessions), not one of scale 1; ' +
        'pass --replace-data to replace it (this deletes its 100000 sessions), or --scale 0.02 to keep it',
    );
    expect(datasetRefusal({ present: true, recorded, foreign: { customers: 1, movies: 0, sessions: 3 } }, 1)).toBe(
      'the database already holds a dataset with seed 1 and scale 0.02 (10000 customers, 580 movies, 100000 sessions, and 3 sessions created ' +
        'through the API since it was loaded), not one of scale 1; pass --replace-data to replace it (this deletes its 100003 sessions, ' +
        'including the 3 sessions created through the API, and 1 customer prepare_db did not make), or --scale 0.02 to keep it',
    );
  });

  it('another seed: no --scale keeps it (up loads seed 1)', () => {
    const recorded = { seed: 7, scale: 0.02, customers: 10_000, movies: 580, sessions: 100_000 };
    const text = datasetRefusal({ present: true, recorded, foreign: none }, 0.02);
    expect(text).toMatch(/^the database already holds a dataset with seed 7 and scale 0\.02 .*pass --replace-data to replace it \(this deletes its 100000 sessions\)$/);
  });

  it('rows prepare_db did not make', () => {
    expect(datasetRefusal({ present: true, recorded: null, foreign: { customers: 2, movies: 1, sessions: 1 } }, 0.02)).toBe(
      'the database already holds rows that prepare_db did not make (2 customers, 1 movie, 1 session), not a dataset of scale 0.02; ' +
        'pass --replace-data to replace them with a generated dataset (this deletes them)',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { FULL_SCALE, generationSql, mixSql, sizeForScale } from './prepare.js';
import { KEYS } from './schema.js';

describe('prepare_db sizing and generation', () => {
  it('scales the contract sizes', () => {
    expect(sizeForScale(1)).toEqual(FULL_SCALE);
    expect(sizeForScale(0.002)).toEqual({ customers: 1000, movies: 58, sessions: 10000 });
    expect(sizeForScale(1e-9)).toEqual({ customers: 1, movies: 1, sessions: 1 });
    for (const bad of [0, -1, 11, Number.NaN]) expect(() => sizeForScale(bad)).toThrow(RangeError);
  });

  it('mixes without bigint overflow for every row number and seed', () => {
    // The largest intermediate: (rows * 2654435761 + offset) must stay below 2^63, and then (< p) * 40503.
    const maxOffset = 1_000_000 * 1_000_003 + 40 * 7_919;
    expect(50_000_000 * 2654435761 + maxOffset).toBeLessThan(2 ** 63);
    expect(4294967311 * 40503).toBeLessThan(2 ** 63);
    expect(mixSql('i', 1, 2)).toContain('+ 1015841)');
  });

  it('loads into the tables beside the live ones when given their suffix, and builds their keys there', () => {
    const beside = generationSql(1, '_load');
    expect(beside.movies).toMatch(/^INSERT INTO movies_load /);
    expect(beside.customers).toMatch(/^INSERT INTO customers_load /);
    expect(beside.sessions).toMatch(/^INSERT INTO sessions_load /);
    expect(generationSql(1).sessions).toMatch(/^INSERT INTO sessions /);
    for (const key of KEYS) {
      expect(key.createOn('')).toBe(key.create);
      expect(key.createOn('_load')).toContain(`${key.name}_load`);
      expect(key.createOn('_load')).not.toMatch(/(customers|movies|sessions) \(/); // every table named is a _load one
      expect(key.renameFrom('_load')).toMatch(new RegExp(`${key.name}_load (RENAME )?TO ${key.name}$`));
    }
  });

  it('varies with the seed', () => {
    expect(generationSql(1).sessions).not.toBe(generationSql(2).sessions);
    expect(generationSql(1)).toEqual(generationSql(1));
  });
});

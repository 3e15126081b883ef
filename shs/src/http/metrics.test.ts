import { describe, expect, it } from 'vitest';
import { isConnectionError } from '../db/database.js';
import { routeLabel } from './metrics.js';

describe('routeLabel', () => {
  it('names route patterns, not ids', () => {
    expect(routeLabel('/api/movie/:id')).toBe('/api/movie/{id}');
    expect(routeLabel('/ping')).toBe('/ping');
    expect(routeLabel(undefined)).toBe('unmatched');
  });
});

describe('isConnectionError', () => {
  it('tells unreachable servers from statement errors', () => {
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isConnectionError('nope')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { INT4_MAX, INT8_MAX, parseId } from './ids.js';
import { checkTimestamp, parseNewSession, parseOperation } from './inputs.js';

const message = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return (err as ApiError).message;
  }
  throw new Error('expected an error');
};

describe('parseId', () => {
  it('accepts decimal ids and treats impossible ones as not found', () => {
    expect(parseId('42', INT4_MAX, 'movie')).toEqual({ kind: 'id', value: '42' });
    expect(parseId('007', INT4_MAX, 'movie')).toEqual({ kind: 'id', value: '7' });
    expect(parseId('0', INT4_MAX, 'movie')).toEqual({ kind: 'impossible' });
    expect(parseId('2147483648', INT4_MAX, 'movie')).toEqual({ kind: 'impossible' });
    expect(parseId('2147483648', INT8_MAX, 'session')).toEqual({ kind: 'id', value: '2147483648' });
  });
  it('rejects anything else with 400', () => {
    for (const raw of ['', '-1', '+1', '1.0', '1e3', 'abc', ' 1', '0x1', undefined])
      expect(message(() => parseId(raw, INT4_MAX, 'movie'))).toMatch(/movie id must be a positive decimal integer/);
  });
});

describe('parseNewSession', () => {
  const ok = { start_time: '2021-12-09T16:12:52.059188Z', customer_id: 100, movie_id: 500 };
  it('accepts the contract example', () => expect(parseNewSession(ok)).toEqual(ok));
  it('names the bad field', () => {
    expect(message(() => parseNewSession(null))).toMatch(/body must be a JSON object/);
    expect(message(() => parseNewSession({ ...ok, customer_id: 0 }))).toMatch(/customer_id must be an integer/);
    expect(message(() => parseNewSession({ ...ok, movie_id: 2 ** 31 }))).toMatch(/movie_id must be/);
    expect(message(() => parseNewSession({ ...ok, extra: 1 }))).toMatch(/unknown field "extra"/);
  });
  it('requires a zone and a real date', () => {
    expect(checkTimestamp('2021-12-09T16:12:52+03:00', 't')).toBe('2021-12-09T16:12:52+03:00');
    expect(checkTimestamp('2024-02-29T00:00:00Z', 't')).toBeTruthy();
    expect(message(() => checkTimestamp('2021-12-09T16:12:52', 't'))).toMatch(/with a zone/);
    expect(message(() => checkTimestamp('2023-02-29T00:00:00Z', 't'))).toMatch(/not a valid date/);
    expect(message(() => checkTimestamp('2021-12-09T24:00:00Z', 't'))).toMatch(/not a valid date/);
    expect(message(() => checkTimestamp('2021-12-09T16:12:52.1234567Z', 't'))).toMatch(/ISO 8601/);
    expect(message(() => checkTimestamp(1639066372, 't'))).toMatch(/must be a string/);
  });
  it('accepts only real zone offsets: Z, or ±hh:mm (±hhmm) with hh up to 14 and mm up to 59', () => {
    for (const zone of ['Z', '+00:00', '-00:00', '+14:00', '-14:59', '+05:45', '+0545', '-1200'])
      expect(checkTimestamp(`2021-12-09T16:12:52${zone}`, 't'), zone).toBe(`2021-12-09T16:12:52${zone}`);
    for (const zone of ['+99:99', '-99:99', '+15:00', '+24:00', '-23:59', '+05:60', '+1460', '+00:99'])
      expect(message(() => checkTimestamp(`2021-12-09T16:12:52${zone}`, 't')), zone).toMatch(/t has an invalid zone offset/);
  });
});

describe('parseOperation', () => {
  it('takes an integer', () => expect(parseOperation({ operation: -3 })).toBe(-3));
  it('refuses the rest', () => {
    for (const body of [{}, { operation: '1' }, { operation: 1.5 }, [], 'x', { operation: 2 ** 60 }])
      expect(() => parseOperation(body)).toThrow(ApiError);
  });
});

// The schemas as Fastify's validator compiler runs them.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { type Schema, compileSchema, faultMode, movieId, newSession, sessionId } from './schemas.js';

const validate = (schema: Schema<unknown>, input: unknown) => compileSchema({ schema, method: 'GET', url: '/', httpPart: 'params' })(input);

describe('compileSchema', () => {
  it('gives the handler what the schema parsed, an ApiError as the validation error, and throws anything else (a 500)', () => {
    expect(validate(movieId, { id: '007' })).toEqual({ value: { id: { given: '007', value: '7' } } });
    const refused = validate(movieId, { id: 'x' });
    expect(refused).toEqual({ error: expect.any(ApiError) });
    expect(refused).toMatchObject({ error: { status: 400, code: 'bad_request', message: 'movie id must be a positive decimal integer, got "x"' } });
    const broken: Schema<never> = {
      parse() {
        throw new TypeError('a bug');
      },
    };
    expect(() => validate(broken, {})).toThrow('a bug');
  });
});

describe('the schemas', () => {
  it('path ids: digits, value null when no row can have one', () => {
    expect(sessionId.parse({ id: '9223372036854775807' })).toEqual({ id: { given: '9223372036854775807', value: '9223372036854775807' } });
    expect(sessionId.parse({ id: '9223372036854775808' })).toEqual({ id: { given: '9223372036854775808', value: null } });
    expect(movieId.parse({ id: '0' })).toEqual({ id: { given: '0', value: null } });
    expect(() => movieId.parse({})).toThrow('movie id must be a positive decimal integer, got ""');
  });

  it("a new session keeps the client's field order", () => {
    const body = JSON.parse('{"movie_id": 1, "start_time": "2021-12-09T16:12:52Z", "customer_id": 2}');
    expect(JSON.stringify(newSession.parse(body))).toBe(JSON.stringify(body));
  });

  it('fault modes', () => {
    expect(faultMode.parse({ mode: 'slow' })).toEqual({ mode: 'slow' });
    expect(() => faultMode.parse({ mode: 'SLOW' })).toThrow('mode must be one of healthy, sick, slow, crash');
  });
});

// The movies' routes, in process over a fake database.
import { afterEach, describe, expect, it } from 'vitest';
import { testServer } from '../test-server.js';

let t = testServer();
afterEach(async () => {
  await t.app.close();
  t = testServer();
});

describe('GET /api/movie', () => {
  it('answers every movie as a JSON array', async () => {
    const r = await t.app.inject({ url: '/api/movie' });
    expect([r.statusCode, r.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8']);
    expect(r.json()).toEqual([
      { id: 1, name: 'Crimson Train', year: 1944, duration: 129 },
      { id: 2, name: 'Quiet "Harbour"', year: 1999, duration: 95 },
    ]);
    expect(t.db.ran).toEqual(['shs_movies']);
  });

  it('answers [] when there is none', async () => {
    t.db.movies.clear();
    expect((await t.app.inject({ url: '/api/movie' })).body).toBe('[]');
  });
});

describe('GET /api/movie/:id', () => {
  it('answers one movie', async () => {
    const r = await t.app.inject({ url: '/api/movie/1' });
    expect([r.statusCode, r.headers['content-type'], r.body]).toEqual([200, 'application/json; charset=utf-8', '{"id":1,"name":"Crimson Train","year":1944,"duration":129}']);
    expect((await t.app.inject({ url: '/api/movie/0002' })).json()).toMatchObject({ id: 2 });
  });

  it('answers 404 for an id no movie has, without asking the database when none can (0, past int4)', async () => {
    for (const id of ['999', '0', '2147483648', '99999999999999999999']) {
      const r = await t.app.inject({ url: `/api/movie/${id}` });
      expect([r.statusCode, r.body], id).toEqual([404, `{"error":"not_found","message":"movie ${id} does not exist"}`]);
    }
    expect(t.db.ran).toEqual(['shs_movie']);
  });

  it('answers 400 for a malformed id, quoting it', async () => {
    for (const [id, shown] of [['abc', '"abc"'], ['-1', '"-1"'], ['1.5', '"1.5"'], ['1e3', '"1e3"'], ['%20', '" "'], ['%F0%9F%8E%AC', '"🎬"']]) {
      const r = await t.app.inject({ url: `/api/movie/${id}` });
      expect([r.statusCode, r.json()], id).toEqual([400, { error: 'bad_request', message: `movie id must be a positive decimal integer, got ${shown}` }]);
    }
    expect(t.db.ran).toEqual([]);
  });
});

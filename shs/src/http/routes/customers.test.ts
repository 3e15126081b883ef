// The customers' routes, in process over a fake database.
import { afterEach, describe, expect, it } from 'vitest';
import { testServer } from '../test-server.js';

let t = testServer();
afterEach(async () => {
  await t.app.close();
  t = testServer();
});

describe('GET /api/customer', () => {
  it('answers the customers as a JSON array', async () => {
    const r = await t.app.inject({ url: '/api/customer' });
    expect([r.statusCode, r.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8']);
    expect(r.json()).toEqual([
      { id: 1, name: 'Mia', surname: 'Vasiliev', birthday: '1941-07-15', email: 'mia.vasiliev.1@example.com' },
      { id: 2, name: 'Ivan', surname: 'Petrov', birthday: '1980-01-02', email: 'ivan.petrov.2@example.com' },
    ]);
    expect(t.db.ran).toEqual(['shs_customers']);
  });
});

describe('GET /api/customer/:id', () => {
  it('answers one customer, 404 for an unknown id, 400 for a malformed one', async () => {
    const r = await t.app.inject({ url: '/api/customer/1' });
    expect([r.statusCode, r.body]).toEqual([200, '{"id":1,"name":"Mia","surname":"Vasiliev","birthday":"1941-07-15","email":"mia.vasiliev.1@example.com"}']);
    for (const id of ['3', '2147483648']) {
      const missing = await t.app.inject({ url: `/api/customer/${id}` });
      expect([missing.statusCode, missing.body]).toEqual([404, `{"error":"not_found","message":"customer ${id} does not exist"}`]);
    }
    const bad = await t.app.inject({ url: '/api/customer/x1' });
    expect([bad.statusCode, bad.body]).toEqual([400, '{"error":"bad_request","message":"customer id must be a positive decimal integer, got \\"x1\\""}']);
  });
});

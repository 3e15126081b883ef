// Sticky PR comments against a fake of the GitHub REST API on loopback: pagination, author check, update,
// create, and the read-only token of fork pull requests.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { upsertSticky, type StickyOptions } from '../actions/common/src/github-comments.js';

interface Comment {
  id: number;
  body: string;
  user: { login: string };
  html_url: string;
}

let server: Server | null = null;
afterEach(() => server?.close());

/** An answer the fake gives instead of the real one (rate limits, server errors), first come first served. */
interface Interruption {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

async function fakeGitHub(comments: Comment[], opts: { readOnly?: boolean; interruptions?: Interruption[] } = {}) {
  const log: string[] = [];
  let nextId = 1000;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      log.push(`${req.method} ${url.pathname}${url.search}`);
      if (req.headers.authorization !== 'Bearer t0ken') return res.writeHead(401).end('{"message":"Bad credentials"}');
      const interruption = opts.interruptions?.shift();
      if (interruption) return res.writeHead(interruption.status, { 'content-type': 'application/json', ...interruption.headers }).end(interruption.body);
      const list = /^\/repos\/o\/r\/issues\/7\/comments$/.exec(url.pathname);
      if (list && req.method === 'GET') {
        const page = Number(url.searchParams.get('page') ?? '1');
        const per = Number(url.searchParams.get('per_page'));
        const slice = comments.slice((page - 1) * per, page * per);
        const last = Math.ceil(comments.length / per);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (page < last) headers.link = `<http://127.0.0.1:${(server!.address() as { port: number }).port}/repos/o/r/issues/7/comments?per_page=${per}&page=${page + 1}>; rel="next"`;
        return res.writeHead(200, headers).end(JSON.stringify(slice));
      }
      if (opts.readOnly) return res.writeHead(403).end('{"message":"Resource not accessible by integration"}');
      if (list && req.method === 'POST') {
        const c = { id: nextId++, body: JSON.parse(body).body, user: { login: 'github-actions[bot]' }, html_url: 'https://github.example/c/new' };
        comments.push(c);
        return res.writeHead(201).end(JSON.stringify(c));
      }
      const one = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(url.pathname);
      if (one && req.method === 'PATCH') {
        const c = comments.find((x) => x.id === Number(one[1]))!;
        c.body = JSON.parse(body).body;
        return res.writeHead(200).end(JSON.stringify(c));
      }
      res.writeHead(404).end('{"message":"Not Found"}');
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { api: `http://127.0.0.1:${(server!.address() as { port: number }).port}`, log };
}

const base = (api: string, body = '<!-- shs-smoke:prod -->\nreport'): StickyOptions => ({
  token: 't0ken',
  apiUrl: api,
  repository: 'o/r',
  issue: 7,
  marker: '<!-- shs-smoke:prod -->',
  body,
  author: 'github-actions[bot]',
});

const filler = (n: number): Comment[] =>
  Array.from({ length: n }, (_, i) => ({ id: i + 1, body: `chat ${i}`, user: { login: 'someone' }, html_url: `https://github.example/c/${i + 1}` }));

describe('sticky PR comment', () => {
  it('finds ours on a later page and updates it', async () => {
    const comments = [...filler(150), { id: 500, body: '<!-- shs-smoke:prod -->\nold', user: { login: 'github-actions[bot]' }, html_url: 'https://github.example/c/500' }];
    const { api, log } = await fakeGitHub(comments);
    const out = await upsertSticky(base(api, '<!-- shs-smoke:prod -->\nnew'));
    expect(out).toEqual({ action: 'updated', id: 500, url: 'https://github.example/c/500' });
    expect(comments.find((c) => c.id === 500)!.body).toContain('new');
    expect(log.filter((l) => l.startsWith('GET'))).toHaveLength(2);
  });

  it('ignores a marked comment by someone else and creates its own', async () => {
    const comments = [{ id: 9, body: '<!-- shs-smoke:prod -->\nspoof', user: { login: 'mallory' }, html_url: 'x' }];
    const { api } = await fakeGitHub(comments);
    const out = await upsertSticky(base(api));
    expect(out.action).toBe('created');
    expect(comments[0]!.body).toContain('spoof');
  });

  it('keeps one comment per environment', async () => {
    const comments = [{ id: 3, body: '<!-- shs-smoke:staging -->\nx', user: { login: 'github-actions[bot]' }, html_url: 'x' }];
    const { api } = await fakeGitHub(comments);
    expect((await upsertSticky(base(api))).action).toBe('created');
  });

  it('skips, without failing, when the token is read-only (fork pull requests)', async () => {
    const { api } = await fakeGitHub(filler(3), { readOnly: true });
    const out = await upsertSticky(base(api));
    expect(out.action).toBe('skipped');
    expect((out as { reason: string }).reason).toMatch(/read-only/);
  });

  it('waits out a primary rate limit (x-ratelimit-remaining 0), then goes on', async () => {
    const comments = [{ id: 5, body: '<!-- shs-smoke:prod -->\nold', user: { login: 'github-actions[bot]' }, html_url: 'https://github.example/c/5' }];
    const reset = String(Math.floor(Date.now() / 1000));
    const { api, log } = await fakeGitHub(comments, {
      interruptions: [{ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, body: '{"message":"API rate limit exceeded for installation"}' }],
    });
    const waits: string[] = [];
    const out = await upsertSticky({ ...base(api, '<!-- shs-smoke:prod -->\nnew'), log: (m) => waits.push(m) });
    expect(out).toMatchObject({ action: 'updated', id: 5 });
    expect(comments[0]!.body).toContain('new');
    expect(log.filter((l) => l.startsWith('GET'))).toHaveLength(2); // the limited request, then again
    expect(waits).toEqual([expect.stringMatching(/^GitHub primary rate limit on GET .*issues\/7\/comments.*: trying again in \d+ s$/)]);
  });

  it('waits out a secondary rate limit (retry-after) and retries a server error', async () => {
    const { api, log } = await fakeGitHub([], {
      interruptions: [
        { status: 403, headers: { 'retry-after': '1' }, body: '{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}' },
        { status: 502, body: '{"message":"Server Error"}' },
      ],
    });
    const out = await upsertSticky(base(api));
    expect(out.action).toBe('created');
    expect(log.filter((l) => l.startsWith('GET'))).toHaveLength(3);
  });

  it('refuses bodies without the marker or over the size limit, and names API errors', async () => {
    const { api } = await fakeGitHub([]);
    await expect(upsertSticky(base(api, 'no marker'))).rejects.toThrow(/start with its marker/);
    await expect(upsertSticky(base(api, `<!-- shs-smoke:prod -->${'x'.repeat(70_000)}`))).rejects.toThrow(/over GitHub's 65536/);
    await expect(upsertSticky({ ...base(api), token: 'wrong' })).rejects.toThrow(/401 Bad credentials/);
  });
});

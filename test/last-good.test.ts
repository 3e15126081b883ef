// The last good image per environment as GitHub deployments, against a fake of the Deployments REST API on
// loopback (pagination, newest first, statuses, GitHub's own deployments, permissions), and the action's
// committed bundle run as GitHub runs it.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { findGoodImages, recordGoodImage, type DeploymentsOptions } from '../actions/common/src/github-deployments.js';
import { InputError, parseInputs } from '../actions/last-good/src/inputs.js';
import { ROOT } from './support/shs.js';
import { runActionBundle } from './support/action-runner.js';

const TOKEN = 't0ken-5ecret';
const SHA = 'c0ffee'.padEnd(40, '0');
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const A = digest('a');
const B = digest('b');
const C = digest('c');
const imageOf = (d: string) => `cr.yandex/reg/shs@${d}`;
const proxyOf = (d: string) => `cr.yandex/reg/shs-proxy@${d}`;

interface FakeStatus {
  id: number;
  state: string;
  [field: string]: unknown;
}

interface FakeDeployment {
  id: number;
  url: string;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  payload: unknown;
  created_at: string;
  statuses: FakeStatus[];
  request?: Record<string, unknown>;
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** At most 2 items a page whatever per_page asks, so that every listing paginates. */
const PAGE_CAP = 2;

/**
 * An in-memory GitHub: deployments and their statuses, listed newest first with Link pagination.
 * ignoreTaskFilter: answer as if the `task` query were not applied, to check the client's own filter.
 */
async function fakeGitHub(opts: { forbidden?: boolean; ignoreTaskFilter?: boolean } = {}) {
  const log: string[] = [];
  const deployments: FakeDeployment[] = [];
  let nextId = 100;
  const base = () => `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const add = (d: Omit<FakeDeployment, 'id' | 'url' | 'created_at' | 'statuses'> & { states?: string[] }): FakeDeployment => {
    const id = nextId++;
    const { states = [], ...rest } = d;
    const deployment: FakeDeployment = {
      ...rest,
      id,
      url: `${base()}/repos/o/r/deployments/${id}`,
      created_at: new Date(Date.UTC(2025, 0, 1, 0, id - 100)).toISOString(),
      statuses: [],
    };
    for (const state of states) deployment.statuses.push({ id: nextId++, state });
    deployments.push(deployment);
    return deployment;
  };

  const page = <T>(res: ServerResponse, url: URL, newestFirst: T[]) => {
    const per = Math.min(Number(url.searchParams.get('per_page') ?? '30'), PAGE_CAP);
    const n = Number(url.searchParams.get('page') ?? '1');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (n * per < newestFirst.length) {
      const next = new URL(url.pathname + url.search, base());
      next.searchParams.set('page', String(n + 1));
      headers.link = `<${next}>; rel="next", <${base()}/elsewhere>; rel="last"`;
    }
    res.writeHead(200, headers).end(JSON.stringify(newestFirst.slice((n - 1) * per, n * per)));
  };

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      log.push(`${req.method} ${url.pathname}${url.search}`);
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return res.writeHead(401).end('{"message":"Bad credentials"}');
      if (opts.forbidden && req.method === 'POST') return res.writeHead(403).end('{"message":"Resource not accessible by integration"}');
      const statuses = /^\/repos\/o\/r\/deployments\/(\d+)\/statuses$/.exec(url.pathname);
      if (statuses) {
        const d = deployments.find((x) => x.id === Number(statuses[1]));
        if (!d) return res.writeHead(404).end('{"message":"Not Found"}');
        if (req.method === 'GET') return page(res, url, [...d.statuses].reverse());
        const status = { id: nextId++, ...(JSON.parse(body) as { state: string }) };
        d.statuses.push(status);
        return res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(status));
      }
      if (url.pathname === '/repos/o/r/deployments' && req.method === 'GET') {
        const environment = url.searchParams.get('environment');
        const task = opts.ignoreTaskFilter ? null : url.searchParams.get('task');
        const matching = deployments.filter((d) => (!environment || d.environment === environment) && (!task || d.task === task));
        const listed = matching.map(({ statuses: _s, request: _r, ...d }) => d);
        return page(res, url, listed.reverse());
      }
      if (url.pathname === '/repos/o/r/deployments' && req.method === 'POST') {
        const request = JSON.parse(body) as { ref: string; task?: string; environment?: string; payload?: unknown };
        const d = add({
          ref: request.ref,
          sha: /^[0-9a-f]{40}$/.test(request.ref) ? request.ref : SHA,
          task: request.task ?? 'deploy',
          environment: request.environment ?? 'production',
          payload: request.payload ?? {},
        });
        d.request = request;
        const { statuses: _s, request: _r, ...shown } = d;
        return res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(shown));
      }
      res.writeHead(404).end('{"message":"Not Found"}');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { api: base(), log, deployments, add };
}

const opts = (api: string): DeploymentsOptions => ({ token: TOKEN, apiUrl: api, repository: 'o/r' });
const record = (api: string, d: string, extra: { environment?: string; ref?: string; proxyImage?: string } = {}) =>
  recordGoodImage({ ...opts(api), environment: 'production', ref: SHA, image: imageOf(d), digest: d, ...extra });
const ours = (payload: unknown, states: string[]) => ({ ref: 'main', sha: SHA, task: 'deploy:shs-image', environment: 'production', payload, states });

describe('last good image (GitHub deployments)', () => {
  it('records a deployment with a success status, then finds it as the latest', async () => {
    const gh = await fakeGitHub();
    const recorded = await recordGoodImage({
      ...opts(gh.api),
      environment: 'production',
      ref: SHA,
      image: imageOf(A),
      digest: A,
      environmentUrl: 'https://shs.example.com',
      logUrl: 'https://github.example/o/r/actions/runs/7',
      description: 'smoke pass',
    });
    const d = gh.deployments[0]!;
    expect(recorded).toEqual({ deploymentId: d.id, url: d.url, sha: SHA });
    expect(d.request).toEqual({
      ref: SHA,
      environment: 'production',
      task: 'deploy:shs-image',
      payload: { image: imageOf(A), digest: A },
      auto_merge: false,
      required_contexts: [],
      description: 'smoke pass',
    });
    expect(d.statuses).toEqual([
      expect.objectContaining({ state: 'success', environment_url: 'https://shs.example.com', log_url: 'https://github.example/o/r/actions/runs/7', auto_inactive: false }),
    ]);

    const found = await findGoodImages({ ...opts(gh.api), environment: 'production' });
    expect(found).toEqual({ latest: { image: imageOf(A), digest: A, sha: SHA, deploymentId: d.id, createdAt: d.created_at } });
    expect(gh.log).toContain('GET /repos/o/r/deployments?environment=production&task=deploy%3Ashs-image&per_page=100');
    expect(gh.log).toContain(`GET /repos/o/r/deployments/${d.id}/statuses?per_page=1`);
  });

  it('records the proxy image beside the image, finds both; a malformed one is refused on record and ignored when found', async () => {
    const gh = await fakeGitHub();
    await record(gh.api, A, { proxyImage: proxyOf(B) });
    await record(gh.api, C);
    const found = await findGoodImages({ ...opts(gh.api), environment: 'production' });
    expect(gh.deployments[0]!.request).toMatchObject({ payload: { image: imageOf(A), digest: A, proxy_image: proxyOf(B) } });
    expect(found.latest).toMatchObject({ digest: C });
    expect(found.latest).not.toHaveProperty('proxyImage');
    expect(found.previous).toMatchObject({ digest: A, proxyImage: proxyOf(B) });
    await expect(record(gh.api, A, { proxyImage: 'cr.yandex/reg/shs-proxy:main' })).rejects.toThrow(/^proxy-image: expected registry\/repository@sha256/);
    gh.add(ours({ image: imageOf(B), digest: B, proxy_image: 'not-pinned' }, ['success']));
    expect((await findGoodImages({ ...opts(gh.api), environment: 'production' })).latest).toEqual(expect.not.objectContaining({ proxyImage: expect.anything() }));
  });

  it('A, B, B recorded in that order: latest B (the newest), previous A, across pages and per environment', async () => {
    const gh = await fakeGitHub();
    await record(gh.api, A);
    await record(gh.api, B);
    const newest = await record(gh.api, B);
    await record(gh.api, C, { environment: 'staging' });
    const found = await findGoodImages({ ...opts(gh.api), environment: 'production' });
    expect(found.latest).toMatchObject({ image: imageOf(B), digest: B, deploymentId: newest.deploymentId });
    expect(found.previous).toMatchObject({ image: imageOf(A), digest: A, deploymentId: gh.deployments[0]!.id });
    expect(gh.log.some((l) => l.startsWith('GET /repos/o/r/deployments?') && l.includes('page=2'))).toBe(true);
    expect(await findGoodImages({ ...opts(gh.api), environment: 'staging' })).toEqual({ latest: expect.objectContaining({ digest: C }) });
  });

  it('skips deployments whose newest status is not success, GitHub own deployments and foreign payloads; reads JSON string payloads', async () => {
    const gh = await fakeGitHub({ ignoreTaskFilter: true });
    const good = gh.add(ours({ image: imageOf(A), digest: A }, ['success']));
    const stringPayload = gh.add(ours(JSON.stringify({ image: imageOf(B), digest: B }), ['in_progress', 'success']));
    gh.add(ours({ image: imageOf(C), digest: C }, ['success', 'failure']));
    gh.add(ours({ image: imageOf(digest('d')), digest: digest('d') }, ['success', 'inactive']));
    gh.add(ours({ image: imageOf(digest('e')), digest: digest('e') }, ['success', 'in_progress', 'error']));
    gh.add(ours({ image: imageOf(digest('f')), digest: digest('f') }, []));
    gh.add(ours({ image: 'cr.yandex/reg/shs:latest', digest: 'sha256:1234' }, ['success']));
    gh.add(ours('{not json', ['success']));
    // GitHub's own deployments for jobs with `environment:`; the last one even carries an image-like payload.
    gh.add({ ...ours('', ['success']), task: 'deploy' });
    gh.add({ ...ours({}, ['success']), task: 'deploy' });
    gh.add({ ...ours({ image: imageOf(digest('9')), digest: digest('9') }, ['success']), task: 'deploy' });

    const found = await findGoodImages({ ...opts(gh.api), environment: 'production' });
    expect(found.latest).toMatchObject({ digest: B, image: imageOf(B), deploymentId: stringPayload.id });
    expect(found.previous).toMatchObject({ digest: A, deploymentId: good.id });
  });

  it('empty history: neither latest nor previous (a first deploy has none)', async () => {
    const gh = await fakeGitHub();
    gh.add({ ...ours({}, ['success']), task: 'deploy' });
    expect(await findGoodImages({ ...opts(gh.api), environment: 'production' })).toEqual({});
  });

  it('names the missing permission: deployments write to record, read to find', async () => {
    const gh = await fakeGitHub({ forbidden: true });
    await expect(record(gh.api, A)).rejects.toThrow(/POST \/repos\/o\/r\/deployments: 403 Resource not accessible by integration: the token needs `deployments: write`/);
    await expect(findGoodImages({ ...opts(gh.api), repository: 'o/missing', environment: 'production' })).rejects.toThrow(/404 Not Found: the token needs `deployments: read`/);
    await expect(findGoodImages({ ...opts(gh.api), token: 'wrong', environment: 'production' })).rejects.toThrow(/401 Bad credentials$/);
  });

  it('rejects a bad digest or an image not pinned by it before any request', async () => {
    const gh = await fakeGitHub();
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: imageOf(A), digest: A.toUpperCase() })).rejects.toThrow(/digest: expected sha256:<64 lowercase hex/);
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: imageOf(A), digest: 'sha256:abc' })).rejects.toThrow(/digest: expected/);
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: imageOf(B), digest: A })).rejects.toThrow(/image: expected registry\/repository@sha256:aaaa/);
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: 'cr.yandex/reg/shs:main', digest: A })).rejects.toThrow(/image: expected/);
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: `@${A}`, digest: A })).rejects.toThrow(/image: expected/);
    expect(gh.log).toEqual([]);
  });

  it('validates the inputs and names them', () => {
    const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';
    expect(() => parseInputs(get({}))).toThrow(new InputError('mode: required (find or record)'));
    expect(() => parseInputs(get({ mode: 'list', 'github-token': TOKEN }))).toThrow(/^mode: expected find or record/);
    expect(() => parseInputs(get({ mode: 'find' }))).toThrow(/^github-token: required/);
    expect(() => parseInputs(get({ mode: 'record', 'github-token': TOKEN }))).toThrow(/^image: required in record mode/);
    expect(() => parseInputs(get({ mode: 'record', 'github-token': TOKEN, image: 'cr.yandex/reg/shs:main' }))).toThrow(/^image: expected/);
    expect(parseInputs(get({ mode: 'find', 'github-token': TOKEN }))).toEqual({ mode: 'find', environment: 'production', githubToken: TOKEN });
    expect(parseInputs(get({ mode: ' record ', 'github-token': TOKEN, image: imageOf(A), environment: 'staging' }))).toEqual({
      mode: 'record',
      environment: 'staging',
      githubToken: TOKEN,
      image: imageOf(A),
      digest: A,
    });
  });
});

describe('the last-good bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'last-good-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(ROOT, 'actions', 'last-good', 'dist', 'index.cjs'), join(dir, 'index.cjs'));

  const runBundle = (env: Record<string, string>) => runActionBundle(join(dir, 'index.cjs'), {}, env);

  const notLeaked = (stdout: string) => stdout.split('\n').filter((l) => !l.startsWith('::add-mask::') && l.includes(TOKEN));

  it('find: writes the latest and previous good images to its outputs and a summary; the token only goes to add-mask', async () => {
    const gh = await fakeGitHub();
    await record(gh.api, A);
    const latest = await record(gh.api, B);
    const r = await runBundle({ INPUT_MODE: 'find', 'INPUT_GITHUB-TOKEN': TOKEN, GITHUB_API_URL: gh.api, GITHUB_REPOSITORY: 'o/r' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.outputs).toEqual({
      image: imageOf(B),
      digest: B,
      'proxy-image': '',
      sha: SHA,
      'previous-image': imageOf(A),
      'previous-digest': A,
      'previous-proxy-image': '',
      'deployment-id': '',
    });
    expect(r.stdout).toContain(`::add-mask::${TOKEN}`);
    expect(notLeaked(r.stdout)).toEqual([]);
    expect(r.summary).toContain(`| latest | \`${imageOf(B)}\` | \`${SHA.slice(0, 12)}\` | ${latest.deploymentId} |`);
    expect(r.summary).not.toContain(TOKEN);
  });

  it('find with no history: empty outputs, and the step does not fail', async () => {
    const gh = await fakeGitHub();
    const r = await runBundle({ INPUT_MODE: 'find', 'INPUT_GITHUB-TOKEN': TOKEN, GITHUB_API_URL: gh.api, GITHUB_REPOSITORY: 'o/r' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.outputs).toEqual({ image: '', digest: '', 'proxy-image': '', sha: '', 'previous-image': '', 'previous-digest': '', 'previous-proxy-image': '', 'deployment-id': '' });
    expect(r.summary).toContain('No good image is recorded');
  });

  it('record: defaults ref to GITHUB_SHA and links the run; 403 fails the step naming the permission, outputs still set', async () => {
    const gh = await fakeGitHub();
    const env = {
      INPUT_MODE: 'record',
      'INPUT_GITHUB-TOKEN': TOKEN,
      INPUT_IMAGE: imageOf(C),
      'INPUT_PROXY-IMAGE': proxyOf(A),
      'INPUT_ENVIRONMENT-URL': 'https://shs.example.com',
      GITHUB_API_URL: gh.api,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_SHA: SHA,
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_RUN_ID: '42',
    };
    const r = await runBundle(env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const d = gh.deployments[0]!;
    expect(r.outputs).toMatchObject({ 'deployment-id': String(d.id), image: imageOf(C), digest: C, 'proxy-image': proxyOf(A), sha: SHA });
    expect(d.request).toMatchObject({ ref: SHA, environment: 'production', payload: { image: imageOf(C), digest: C, proxy_image: proxyOf(A) } });
    expect(r.summary).toContain(`| proxy image | \`${proxyOf(A)}\` |`);
    expect(d.statuses[0]).toMatchObject({ state: 'success', log_url: 'https://github.example/o/r/actions/runs/42', environment_url: 'https://shs.example.com' });

    const denied = await fakeGitHub({ forbidden: true });
    const f = await runBundle({ ...env, GITHUB_API_URL: denied.api });
    expect(f.status).toBe(1);
    expect(f.stdout).toMatch(/::error::.*403.*deployments: write/);
    expect(f.outputs).toEqual({ image: '', digest: '', 'proxy-image': '', sha: '', 'previous-image': '', 'previous-digest': '', 'previous-proxy-image': '', 'deployment-id': '' });
    expect(f.summary).toMatch(/last-good: failed[\s\S]*deployments: write/);
  });

  it('without inputs: exits 1 naming mode as required', async () => {
    const r = await runBundle({});
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/::error::mode: required/);
    expect(r.summary).toContain('mode: required');
  });
});

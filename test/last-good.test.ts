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
/** A person's token: what it creates is created by that person, not by the workflow's app. */
const PAT = 'p4t-of-mallory';
const SHA = 'c0ffee'.padEnd(40, '0');
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const A = digest('a');
const B = digest('b');
const C = digest('c');
const REPO = 'cr.yandex/reg/shs';
const PROXY_REPO = 'cr.yandex/reg/shs-proxy';
const imageOf = (d: string) => `${REPO}@${d}`;
const proxyOf = (d: string) => `${PROXY_REPO}@${d}`;
const DEPLOY_WORKFLOW = '.github/workflows/deploy.yml';
const trust = { imageRepository: REPO, proxyRepository: PROXY_REPO };

interface FakeStatus {
  id: number;
  state: string;
  [field: string]: unknown;
}

interface FakeRun {
  id: number;
  path: string;
  head_branch: string;
  head_sha: string;
  status: string;
  created_at: string;
  updated_at: string;
}

interface FakeDeployment {
  id: number;
  url: string;
  sha: string;
  creator: { login: string; type: string };
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
async function fakeGitHub(opts: { forbidden?: boolean; ignoreTaskFilter?: boolean; forbidRuns?: boolean } = {}) {
  const log: string[] = [];
  const deployments: FakeDeployment[] = [];
  const runs = new Map<number, FakeRun>();
  let nextId = 100;
  const base = () => `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const add = (d: Omit<FakeDeployment, 'id' | 'url' | 'created_at' | 'statuses' | 'creator'> & { states?: string[]; creator?: FakeDeployment['creator']; logUrl?: string }): FakeDeployment => {
    const id = nextId++;
    const { states = [], logUrl, ...rest } = d;
    const deployment: FakeDeployment = {
      creator: { login: 'github-actions[bot]', type: 'Bot' },
      ...rest,
      id,
      url: `${base()}/repos/o/r/deployments/${id}`,
      created_at: new Date(Date.UTC(2025, 0, 1, 0, id - 100)).toISOString(),
      statuses: [],
    };
    for (const state of states) deployment.statuses.push({ id: nextId++, state, ...(logUrl ? { log_url: logUrl } : {}) });
    deployments.push(deployment);
    return deployment;
  };

  /** A workflow run of o/r; by default deploy.yml on main for SHA, done, spanning every deployment's time. */
  const run = (r: Partial<Omit<FakeRun, 'id'>> = {}): number => {
    const id = 9000 + runs.size;
    runs.set(id, {
      id,
      path: DEPLOY_WORKFLOW,
      head_branch: 'main',
      head_sha: SHA,
      status: 'completed',
      created_at: '2024-12-31T00:00:00Z',
      updated_at: '2025-12-31T00:00:00Z',
      ...r,
    });
    return id;
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
      const creator = req.headers.authorization === `Bearer ${TOKEN}` ? { login: 'github-actions[bot]', type: 'Bot' } : req.headers.authorization === `Bearer ${PAT}` ? { login: 'mallory', type: 'User' } : undefined;
      if (!creator) return res.writeHead(401).end('{"message":"Bad credentials"}');
      if (opts.forbidden && req.method === 'POST') return res.writeHead(403).end('{"message":"Resource not accessible by integration"}');
      if (url.pathname === '/repos/o/r' && req.method === 'GET') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ full_name: 'o/r', default_branch: 'main' }));
      const runMatch = /^\/repos\/o\/r\/actions\/runs\/(\d+)$/.exec(url.pathname);
      if (runMatch && req.method === 'GET') {
        if (opts.forbidRuns) return res.writeHead(403).end('{"message":"Resource not accessible by integration"}');
        const r = runs.get(Number(runMatch[1]));
        if (!r) return res.writeHead(404).end('{"message":"Not Found"}');
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r));
      }
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
          creator,
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
  return { api: base(), log, deployments, runs, add, run };
}

const opts = (api: string): DeploymentsOptions => ({ token: TOKEN, apiUrl: api, repository: 'o/r' });
type Gh = Awaited<ReturnType<typeof fakeGitHub>>;
/** What deploy.yml's record step does: a run of deploy.yml on main writes the record, naming itself. */
const record = (gh: Gh, d: string, extra: { environment?: string; ref?: string; proxyImage?: string } = {}) =>
  recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: imageOf(d), digest: d, ...trust, run: { id: String(gh.run()), attempt: '1', workflowRef: `o/r/${DEPLOY_WORKFLOW}@refs/heads/main` }, ...extra });
const find = (gh: Gh, extra: Partial<Parameters<typeof findGoodImages>[0]> = {}) => findGoodImages({ ...opts(gh.api), environment: 'production', trust, ...extra });
/** A record as deploy.yml writes it, pointing to a run of deploy.yml on main (made here unless given). */
const ours = (gh: Gh, payload: Record<string, unknown> | string, states: string[], runId?: number) => {
  const id = runId ?? gh.run();
  const withRun = typeof payload === 'string' ? (payload.startsWith('{"') ? JSON.stringify({ ...(JSON.parse(payload) as object), run_id: id }) : payload) : { ...payload, run_id: id };
  return { ref: 'main', sha: SHA, task: 'deploy:shs-image', environment: 'production', payload: withRun, states };
};

describe('last good image (GitHub deployments)', () => {
  it('records a deployment with a success status, then finds it as the latest', async () => {
    const gh = await fakeGitHub();
    const runId = gh.run();
    const recorded = await recordGoodImage({
      ...opts(gh.api),
      environment: 'production',
      ref: SHA,
      image: imageOf(A),
      digest: A,
      ...trust,
      run: { id: String(runId), attempt: '2', workflowRef: `o/r/${DEPLOY_WORKFLOW}@refs/heads/main` },
      environmentUrl: 'https://shs.example.com',
      logUrl: `https://github.example/o/r/actions/runs/${runId}`,
      description: 'smoke pass',
    });
    const d = gh.deployments[0]!;
    expect(recorded).toEqual({ deploymentId: d.id, url: d.url, sha: SHA });
    expect(d.request).toEqual({
      ref: SHA,
      environment: 'production',
      task: 'deploy:shs-image',
      // The run that wrote the record: find checks it (workflow, branch, commit, time) before trusting the record.
      payload: { image: imageOf(A), digest: A, run_id: runId, run_attempt: 2, workflow_ref: `o/r/${DEPLOY_WORKFLOW}@refs/heads/main` },
      auto_merge: false,
      required_contexts: [],
      description: 'smoke pass',
    });
    expect(d.statuses).toEqual([
      expect.objectContaining({ state: 'success', environment_url: 'https://shs.example.com', log_url: `https://github.example/o/r/actions/runs/${runId}`, auto_inactive: false }),
    ]);

    const found = await find(gh);
    expect(found).toEqual({ latest: { image: imageOf(A), digest: A, sha: SHA, deploymentId: d.id, createdAt: d.created_at } });
    expect(gh.log).toContain('GET /repos/o/r/deployments?environment=production&task=deploy%3Ashs-image&per_page=100');
    expect(gh.log).toContain(`GET /repos/o/r/deployments/${d.id}/statuses?per_page=1`);
    expect(gh.log).toContain(`GET /repos/o/r/actions/runs/${runId}`);
  });

  it('records the proxy image beside the image, finds both; a malformed one is refused on record and ignored when found', async () => {
    const gh = await fakeGitHub();
    await record(gh, A, { proxyImage: proxyOf(B) });
    await record(gh, C);
    const found = await find(gh);
    expect(gh.deployments[0]!.request).toMatchObject({ payload: { image: imageOf(A), digest: A, proxy_image: proxyOf(B) } });
    expect(found.latest).toMatchObject({ digest: C });
    expect(found.latest).not.toHaveProperty('proxyImage');
    expect(found.previous).toMatchObject({ digest: A, proxyImage: proxyOf(B) });
    await expect(record(gh, A, { proxyImage: 'cr.yandex/reg/shs-proxy:main' })).rejects.toThrow(/^proxy-image: expected registry\/repository@sha256/);
    gh.add(ours(gh, { image: imageOf(B), digest: B, proxy_image: 'not-pinned' }, ['success']));
    expect((await find(gh)).latest).toEqual(expect.not.objectContaining({ proxyImage: expect.anything() }));
  });

  it('A, B, B recorded in that order: latest B (the newest), previous A, across pages and per environment', async () => {
    const gh = await fakeGitHub();
    await record(gh, A);
    await record(gh, B);
    const newest = await record(gh, B);
    await record(gh, C, { environment: 'staging' });
    const found = await find(gh);
    expect(found.latest).toMatchObject({ image: imageOf(B), digest: B, deploymentId: newest.deploymentId });
    expect(found.previous).toMatchObject({ image: imageOf(A), digest: A, deploymentId: gh.deployments[0]!.id });
    expect(gh.log.some((l) => l.startsWith('GET /repos/o/r/deployments?') && l.includes('page=2'))).toBe(true);
    expect(await find(gh, { environment: 'staging' })).toEqual({ latest: expect.objectContaining({ digest: C }) });
  });

  it('skips deployments whose newest status is not success, GitHub own deployments and foreign payloads; reads JSON string payloads', async () => {
    const gh = await fakeGitHub({ ignoreTaskFilter: true });
    const good = gh.add(ours(gh, { image: imageOf(A), digest: A }, ['success']));
    const stringPayload = gh.add(ours(gh, JSON.stringify({ image: imageOf(B), digest: B }), ['in_progress', 'success']));
    gh.add(ours(gh, { image: imageOf(C), digest: C }, ['success', 'failure']));
    gh.add(ours(gh, { image: imageOf(digest('d')), digest: digest('d') }, ['success', 'inactive']));
    gh.add(ours(gh, { image: imageOf(digest('e')), digest: digest('e') }, ['success', 'in_progress', 'error']));
    gh.add(ours(gh, { image: imageOf(digest('f')), digest: digest('f') }, []));
    gh.add(ours(gh, { image: 'cr.yandex/reg/shs:latest', digest: 'sha256:1234' }, ['success']));
    gh.add(ours(gh, '{not json', ['success']));
    // GitHub's own deployments for jobs with `environment:`; the last one even carries an image-like payload.
    gh.add({ ...ours(gh, '', ['success']), task: 'deploy' });
    gh.add({ ...ours(gh, {}, ['success']), task: 'deploy' });
    gh.add({ ...ours(gh, { image: imageOf(digest('9')), digest: digest('9') }, ['success']), task: 'deploy' });

    const found = await find(gh);
    expect(found.latest).toMatchObject({ digest: B, image: imageOf(B), deploymentId: stringPayload.id });
    expect(found.previous).toMatchObject({ digest: A, deploymentId: good.id });
  });

  it('trusts only records of its registry and repository, pinned, written by github-actions[bot] in a deploy or rollback run on the default branch; skips the others with a reason', async () => {
    const gh = await fakeGitHub();
    const genuine = gh.add(ours(gh, { image: imageOf(A), digest: A, proxy_image: `cr.yandex/evil/shs-proxy@${C}` }, ['success']));
    const pinned = (d: string, extra: Record<string, unknown> = {}) => ({ image: imageOf(d), digest: d, ...extra });
    // Newer than the genuine record, each forged one way; all `success`.
    const forged: { what: string; id: number; reason: RegExp }[] = [];
    const forge = (what: string, d: Parameters<Gh['add']>[0], reason: RegExp) => forged.push({ what, id: gh.add(d).id, reason });
    forge('another creator (a person\'s token)', { ...ours(gh, pinned(digest('1')), ['success']), creator: { login: 'mallory', type: 'User' } }, /created by mallory, not by github-actions\[bot\]/);
    forge('another registry', ours(gh, { image: `cr.yandex/evil/shs@${digest('2')}`, digest: digest('2') }, ['success']), /cr\.yandex\/evil\/shs@sha256:2{64} is not an image of cr\.yandex\/reg\/shs/);
    forge('another repository of the registry', ours(gh, { image: `cr.yandex/reg/shs-evil@${digest('3')}`, digest: digest('3') }, ['success']), /is not an image of cr\.yandex\/reg\/shs/);
    forge('a tag instead of a digest', ours(gh, { image: 'cr.yandex/reg/shs:latest', digest: digest('4') }, ['success']), /not pinned by its digest/);
    forge('a run of another workflow', ours(gh, pinned(digest('5')), ['success'], gh.run({ path: '.github/workflows/pr-smoke.yml' })), /run \d+ of \.github\/workflows\/pr-smoke\.yml/);
    forge('a run on another branch', ours(gh, pinned(digest('6')), ['success'], gh.run({ head_branch: 'feature' })), /ran on branch feature, not on the default branch main/);
    forge('a workflow_ref that is not its run\'s', ours(gh, pinned(digest('7'), { workflow_ref: `o/r/${DEPLOY_WORKFLOW}@refs/heads/main` }), ['success'], gh.run({ path: '.github/workflows/evil.yml' })), /\.github\/workflows\/evil\.yml/);
    forge('a payload claiming another workflow', ours(gh, pinned(digest('8'), { workflow_ref: 'o/r/.github/workflows/evil.yml@refs/heads/feature' }), ['success']), /workflow_ref/);
    forge('a run that does not exist', ours(gh, pinned(digest('9')), ['success'], 424242), /run 424242 does not exist/);
    forge('no run named', { ...ours(gh, {}, ['success']), payload: pinned(digest('d')) }, /names no run/);
    forge('the commit of another run', { ...ours(gh, pinned(digest('e')), ['success']), sha: 'e'.repeat(40) }, /commit e{12}.*built c0ffee/);
    forge('made outside its run', ours(gh, pinned(digest('f')), ['success'], gh.run({ updated_at: '2024-12-31T12:00:00Z' })), /after its run \d+ ended/);

    const logs: string[] = [];
    const found = await find(gh, { log: (m: string) => logs.push(m) });
    expect(found.latest).toMatchObject({ image: imageOf(A), digest: A, deploymentId: genuine.id });
    // The proxy image of another registry is left out; the image itself is good.
    expect(found.latest).not.toHaveProperty('proxyImage');
    expect(found.previous).toBeUndefined();
    for (const f of forged) {
      const line = logs.find((l) => l.includes(`deployment ${f.id}`));
      expect(line, f.what).toMatch(f.reason);
    }
    expect(found.refused?.map((r) => r.deploymentId).sort()).toEqual(forged.map((f) => f.id).sort());
    expect(logs.some((l) => /proxy image cr\.yandex\/evil\/shs-proxy@sha256:c{64} is not an image of cr\.yandex\/reg\/shs-proxy/.test(l))).toBe(true);
  });

  it('records without a trusted one: fails naming why each was refused; a first deploy (no records) still finds nothing, without failing', async () => {
    const gh = await fakeGitHub();
    gh.add({ ...ours(gh, { image: imageOf(A), digest: A }, ['success']), creator: { login: 'mallory', type: 'User' } });
    gh.add(ours(gh, { image: `cr.yandex/evil/shs@${B}`, digest: B }, ['success']));
    await expect(find(gh)).rejects.toThrow(/no trusted good image is recorded for production: 2 of its 2 records were refused.*is not an image of cr\.yandex\/reg\/shs.*created by mallory/s);
    expect(await find(await fakeGitHub())).toEqual({});
  });

  it('a record from before records named their run: the run is the one its status links to; rollback.yml records count too', async () => {
    const gh = await fakeGitHub();
    const rollbackRun = gh.run({ path: '.github/workflows/rollback.yml' });
    const older = gh.add({ ...ours(gh, {}, ['success']), payload: { image: imageOf(A), digest: A }, logUrl: `https://github.com/o/r/actions/runs/${gh.run()}` });
    const newer = gh.add(ours(gh, { image: imageOf(B), digest: B, proxy_image: proxyOf(C) }, ['success'], rollbackRun));
    const found = await find(gh);
    expect(found.latest).toMatchObject({ digest: B, deploymentId: newer.id, proxyImage: proxyOf(C) });
    expect(found.previous).toMatchObject({ digest: A, deploymentId: older.id });
    expect(found).not.toHaveProperty('refused');
    // Only the runs of this repository's workflows named in trust.workflows count.
    await expect(find(gh, { trust: { ...trust, workflows: [DEPLOY_WORKFLOW] } })).resolves.toMatchObject({ latest: { digest: A } });
  });

  it('the runs API needs actions: read, and says so', async () => {
    const gh = await fakeGitHub({ forbidRuns: true });
    gh.add(ours(gh, { image: imageOf(A), digest: A }, ['success']));
    await expect(find(gh)).rejects.toThrow(/actions\/runs\/\d+: 403 .*the token needs `actions: read`/);
  });

  it('empty history: neither latest nor previous (a first deploy has none)', async () => {
    const gh = await fakeGitHub();
    gh.add({ ...ours(gh, {}, ['success']), task: 'deploy' });
    expect(await find(gh)).toEqual({});
  });

  it('names the missing permission: deployments write to record, read to find', async () => {
    const gh = await fakeGitHub({ forbidden: true });
    await expect(record(gh, A)).rejects.toThrow(/POST \/repos\/o\/r\/deployments: 403 Resource not accessible by integration: the token needs `deployments: write`/);
    await expect(find(gh, { repository: 'o/missing' })).rejects.toThrow(/404 Not Found: the token needs `deployments: read`/);
    await expect(find(gh, { token: 'wrong' })).rejects.toThrow(/401 Bad credentials$/);
  });

  it('rejects a bad digest, an image not pinned by it or not of the image repository, before any request', async () => {
    const gh = await fakeGitHub();
    const run = { id: '1' };
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: `cr.yandex/evil/shs@${A}`, digest: A, ...trust, run })).rejects.toThrow(/^image: cr\.yandex\/evil\/shs@sha256:a+ is not an image of cr\.yandex\/reg\/shs/);
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: imageOf(A), digest: A, proxyImage: `cr.yandex/evil/shs-proxy@${B}`, ...trust, run })).rejects.toThrow(/^proxy-image: .* is not an image of cr\.yandex\/reg\/shs-proxy/);
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: imageOf(A), digest: A, ...trust, run: { id: '' } })).rejects.toThrow(/run: the id of the run that records/);
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: imageOf(A), digest: A.toUpperCase(), ...trust, run })).rejects.toThrow(/digest: expected sha256:<64 lowercase hex/);
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: imageOf(A), digest: 'sha256:abc', ...trust, run })).rejects.toThrow(/digest: expected/);
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: imageOf(B), digest: A, ...trust, run })).rejects.toThrow(/image: expected registry\/repository@sha256:aaaa/);
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: 'cr.yandex/reg/shs:main', digest: A, ...trust, run })).rejects.toThrow(/image: expected/);
    await expect(recordGoodImage({ ...opts(gh.api), environment: 'production', ref: SHA, image: `@${A}`, digest: A, ...trust, run })).rejects.toThrow(/image: expected/);
    expect(gh.log).toEqual([]);
  });

  it('validates the inputs and names them', () => {
    const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';
    const repo = { 'image-repository': REPO };
    expect(() => parseInputs(get({}))).toThrow(new InputError('mode: required (find or record)'));
    expect(() => parseInputs(get({ mode: 'list', 'github-token': TOKEN }))).toThrow(/^mode: expected find or record/);
    expect(() => parseInputs(get({ mode: 'find', ...repo }))).toThrow(/^github-token: required/);
    expect(() => parseInputs(get({ mode: 'find', 'github-token': TOKEN }))).toThrow(/^image-repository: required/);
    for (const bad of ['cr.yandex/reg/shs:main', `cr.yandex/reg/shs@${A}`, 'cr.yandex//shs', 'shs', 'cr.yandex/', 'https://cr.yandex/reg/shs'])
      expect(() => parseInputs(get({ mode: 'find', 'github-token': TOKEN, 'image-repository': bad })), bad).toThrow(/^image-repository: expected registry\/repository/);
    expect(() => parseInputs(get({ mode: 'find', 'github-token': TOKEN, ...repo, 'proxy-repository': 'cr.yandex/reg/shs-proxy:1' }))).toThrow(/^proxy-repository: expected/);
    expect(() => parseInputs(get({ mode: 'find', 'github-token': TOKEN, ...repo, 'trusted-workflows': 'deploy.yml' }))).toThrow(/^trusted-workflows: expected \.github\/workflows\/<file>\.yml/);
    expect(() => parseInputs(get({ mode: 'record', 'github-token': TOKEN, ...repo }))).toThrow(/^image: required in record mode/);
    expect(() => parseInputs(get({ mode: 'record', 'github-token': TOKEN, ...repo, image: 'cr.yandex/reg/shs:main' }))).toThrow(/^image: expected/);
    expect(() => parseInputs(get({ mode: 'record', 'github-token': TOKEN, ...repo, image: `cr.yandex/evil/shs@${A}` }))).toThrow(/^image: cr\.yandex\/evil\/shs@sha256:a+ is not an image of cr\.yandex\/reg\/shs/);
    expect(() => parseInputs(get({ mode: 'record', 'github-token': TOKEN, ...repo, image: imageOf(A), 'proxy-image': proxyOf(B) }))).toThrow(/^proxy-image: needs proxy-repository/);
    const defaults = { imageRepository: REPO, creator: 'github-actions[bot]', workflows: ['.github/workflows/deploy.yml', '.github/workflows/rollback.yml'] };
    expect(parseInputs(get({ mode: 'find', 'github-token': TOKEN, ...repo }))).toEqual({ mode: 'find', environment: 'production', githubToken: TOKEN, trust: defaults });
    expect(
      parseInputs(get({ mode: 'find', 'github-token': TOKEN, ...repo, 'proxy-repository': ` ${PROXY_REPO} `, 'trusted-creator': 'deployer[bot]', 'trusted-workflows': '.github/workflows/a.yml\n.github/workflows/b.yaml' })).mode,
    ).toBe('find');
    expect(parseInputs(get({ mode: 'find', 'github-token': TOKEN, ...repo, 'proxy-repository': ` ${PROXY_REPO} `, 'trusted-creator': 'deployer[bot]', 'trusted-workflows': '.github/workflows/a.yml\n.github/workflows/b.yaml' }))).toMatchObject({
      trust: { imageRepository: REPO, proxyRepository: PROXY_REPO, creator: 'deployer[bot]', workflows: ['.github/workflows/a.yml', '.github/workflows/b.yaml'] },
    });
    expect(parseInputs(get({ mode: ' record ', 'github-token': TOKEN, ...repo, image: imageOf(A), environment: 'staging' }))).toEqual({
      mode: 'record',
      environment: 'staging',
      githubToken: TOKEN,
      trust: defaults,
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
    await record(gh, A);
    const latest = await record(gh, B);
    // Newer than both, by a person: refused, with a warning.
    const forged = gh.add({ ...ours(gh, { image: imageOf(C), digest: C }, ['success']), creator: { login: 'mallory', type: 'User' } });
    const r = await runBundle({ INPUT_MODE: 'find', 'INPUT_GITHUB-TOKEN': TOKEN, 'INPUT_IMAGE-REPOSITORY': REPO, 'INPUT_PROXY-REPOSITORY': PROXY_REPO, GITHUB_API_URL: gh.api, GITHUB_REPOSITORY: 'o/r' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`::warning::deployment ${forged.id} .*created by mallory`));
    expect(r.summary).toMatch(new RegExp(`Refused records[\\s\\S]*\\| ${forged.id} \\| .*created by mallory`));
    expect(r.outputs).toEqual({
      image: imageOf(B),
      digest: B,
      'proxy-image': '',
      sha: SHA,
      'previous-image': imageOf(A),
      'previous-digest': A,
      'previous-proxy-image': '',
      'deployment-id': '',
      'failure-reason': '',
    });
    expect(r.stdout).toContain(`::add-mask::${TOKEN}`);
    expect(notLeaked(r.stdout)).toEqual([]);
    expect(r.summary).toContain(`| latest | \`${imageOf(B)}\` | \`${SHA.slice(0, 12)}\` | ${latest.deploymentId} |`);
    expect(r.summary).not.toContain(TOKEN);
  });

  it('find with no history: empty outputs, and the step does not fail', async () => {
    const gh = await fakeGitHub();
    const r = await runBundle({ INPUT_MODE: 'find', 'INPUT_GITHUB-TOKEN': TOKEN, 'INPUT_IMAGE-REPOSITORY': REPO, GITHUB_API_URL: gh.api, GITHUB_REPOSITORY: 'o/r' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.outputs).toEqual({ image: '', digest: '', 'proxy-image': '', sha: '', 'previous-image': '', 'previous-digest': '', 'previous-proxy-image': '', 'deployment-id': '', 'failure-reason': '' });
    expect(r.summary).toContain('No good image is recorded');
  });

  it('record: defaults ref to GITHUB_SHA and links the run; 403 fails the step naming the permission, outputs still set', async () => {
    const gh = await fakeGitHub();
    const env = {
      INPUT_MODE: 'record',
      'INPUT_GITHUB-TOKEN': TOKEN,
      'INPUT_IMAGE-REPOSITORY': REPO,
      'INPUT_PROXY-REPOSITORY': PROXY_REPO,
      INPUT_IMAGE: imageOf(C),
      'INPUT_PROXY-IMAGE': proxyOf(A),
      'INPUT_ENVIRONMENT-URL': 'https://shs.example.com',
      GITHUB_API_URL: gh.api,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_SHA: SHA,
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_RUN_ID: '42',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKFLOW_REF: `o/r/${DEPLOY_WORKFLOW}@refs/heads/main`,
    };
    const r = await runBundle(env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const d = gh.deployments[0]!;
    expect(r.outputs).toMatchObject({ 'deployment-id': String(d.id), image: imageOf(C), digest: C, 'proxy-image': proxyOf(A), sha: SHA });
    expect(d.request).toMatchObject({
      ref: SHA,
      environment: 'production',
      payload: { image: imageOf(C), digest: C, proxy_image: proxyOf(A), run_id: 42, run_attempt: 1, workflow_ref: `o/r/${DEPLOY_WORKFLOW}@refs/heads/main` },
    });
    expect(r.summary).toContain(`| proxy image | \`${proxyOf(A)}\` |`);
    expect(d.statuses[0]).toMatchObject({ state: 'success', log_url: 'https://github.example/o/r/actions/runs/42', environment_url: 'https://shs.example.com' });

    const denied = await fakeGitHub({ forbidden: true });
    const f = await runBundle({ ...env, GITHUB_API_URL: denied.api });
    expect(f.status).toBe(1);
    expect(f.stdout).toMatch(/::error::.*403.*deployments: write/);
    expect(f.outputs).toEqual({ image: '', digest: '', 'proxy-image': '', sha: '', 'previous-image': '', 'previous-digest': '', 'previous-proxy-image': '', 'deployment-id': '', 'failure-reason': 'permission-denied' });
    expect(f.summary).toMatch(/last-good: failed[\s\S]*deployments: write/);
  });

  it('find with only untrusted records fails the step, naming why', async () => {
    const gh = await fakeGitHub();
    gh.add(ours(gh, { image: `cr.yandex/evil/shs@${A}`, digest: A }, ['success']));
    const r = await runBundle({ INPUT_MODE: 'find', 'INPUT_GITHUB-TOKEN': TOKEN, 'INPUT_IMAGE-REPOSITORY': REPO, GITHUB_API_URL: gh.api, GITHUB_REPOSITORY: 'o/r' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/::error::no trusted good image is recorded for production: 1 of its 1 records were refused/);
    expect(r.outputs.image).toBe('');
    expect(r.outputs['failure-reason']).toBe('no-trusted-record');
  });

  it('without inputs: exits 1 naming mode as required', async () => {
    const r = await runBundle({});
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/::error::mode: required/);
    expect(r.summary).toContain('mode: required');
    expect(r.outputs['failure-reason']).toBe('input');
  });
});

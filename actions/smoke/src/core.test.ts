import { describe, expect, it } from 'vitest';
import { describeNetworkError } from './client.js';
import { parseInputs } from './inputs.js';
import { DEFAULT_MIX, scheduleOf } from './load/mix.js';
import { dueAt, dueBy, parseProfile, totalSeconds } from './load/profile.js';
import { EndpointStats } from './load/stats.js';
import { renderMarkdown } from './report/markdown.js';
import { deltas, verdictOf, type SmokeResult } from './result.js';
import { DEFAULT_THRESHOLDS, evaluate, parseThresholds } from './thresholds.js';

describe('profiles', () => {
  it('parses named and custom profiles', () => {
    expect(parseProfile('original')).toEqual([{ rate: 60, seconds: 60 }, { rate: 120, seconds: 60 }]);
    expect(parseProfile('60@30s, 120@1m')).toEqual([{ rate: 60, seconds: 30 }, { rate: 120, seconds: 60 }]);
    expect(() => parseProfile('fast')).toThrow(/not <rate>@<duration>/);
    expect(() => parseProfile('0@10s')).toThrow(/rate 0/);
  });
  it('schedules request n at n/rate, the first at once', () => {
    const p = parseProfile('10@2s,20@1s');
    expect(totalSeconds(p)).toBe(3);
    expect(dueBy(p, 0)).toBe(1);
    expect(dueBy(p, 0.95)).toBe(10);
    expect(dueBy(p, 2)).toBe(21);
    expect(dueBy(p, 10)).toBe(40);
    expect(dueAt(p, 0)).toBe(0);
    expect(dueAt(p, 19)).toBeCloseTo(1.9);
    expect(dueAt(p, 20)).toBe(2);
    for (let n = 0; n < 40; n++) expect(dueBy(p, dueAt(p, n))).toBeGreaterThan(n); // due means released
  });
});

describe('mix', () => {
  it('interleaves endpoints by weight', () => {
    const s = scheduleOf(DEFAULT_MIX);
    const total = DEFAULT_MIX.reduce((a, e) => a + e.weight, 0);
    expect(s).toHaveLength(total);
    for (const e of DEFAULT_MIX) expect(s.filter((x) => x === e)).toHaveLength(e.weight);
    expect(s[0]).not.toBe(s[1]);
  });
});

describe('thresholds', () => {
  it('parses the k6 syntax and names bad lines', () => {
    const t = parseThresholds('http_req_duration{endpoint:/api/movie/{id}}: p(90)<400, max<=2000\nhttp_req_failed: rate<0.01 # comment');
    expect(t.map((x) => [x.metric, x.endpoint, x.stat, x.op, x.value])).toEqual([
      ['http_req_duration', '/api/movie/{id}', 'p90', '<', 400],
      ['http_req_duration', '/api/movie/{id}', 'max', '<=', 2000],
      ['http_req_failed', null, 'rate', '<', 0.01],
    ]);
    expect(() => parseThresholds('latency: p(90)<1')).toThrow(/line 1/);
    expect(() => parseThresholds('http_req_failed: p(90)<1')).toThrow(/takes rate/);
    expect(() => parseThresholds('http_req_duration: p(142)<1')).toThrow(/from 0 to 100/);
    expect(parseThresholds(DEFAULT_THRESHOLDS).length).toBe(15);
  });
  it('evaluates against summaries; no data is a failure', () => {
    const s = new EndpointStats();
    for (let i = 1; i <= 100; i++) s.record(i, i === 100 ? 500 : 200);
    const sum = s.summary();
    expect(sum.failRate).toBeCloseTo(0.01);
    const r = evaluate(parseThresholds('http_req_duration: p(90)<95\nhttp_req_failed: rate<0.01\nhttp_req_failed{endpoint:/x}: rate<1'), sum, {});
    expect(r.map((x) => x.ok)).toEqual([true, false, false]);
    expect(r[2]!.actual).toBeNull();
  });
});

describe('stats', () => {
  it('counts statuses, errors and timeouts, and percentiles within HDR precision', () => {
    const s = new EndpointStats();
    for (let i = 0; i < 1000; i++) s.record(i + 1, 200);
    s.record(5000, 0, 'timeout');
    s.record(1, 0, 'error');
    s.record(1, 302);
    const x = s.summary();
    expect([x.requests, x.failed, x.timeouts, x.errors, x.non2xx]).toEqual([1003, 2, 1, 1, 1]);
    expect(x.p50).toBeGreaterThan(495);
    expect(x.p50).toBeLessThan(505);
    expect(x.max).toBeGreaterThanOrEqual(4990);
  });
});

function result(overrides: Partial<SmokeResult> = {}): SmokeResult {
  const s = new EndpointStats();
  s.record(10, 200);
  const sum = s.summary();
  return {
    version: 1,
    environment: 'prod',
    target: 'https://shs.example',
    startedAt: '2026-11-23T00:00:00Z',
    finishedAt: '2026-11-23T00:01:00Z',
    verdict: 'pass',
    failureReason: null,
    checks: [{ name: 'ping', title: 'GET /ping answers pong', verdict: 'pass', detail: 'pong', ms: 1 }],
    load: { seconds: 1, phases: [{ rate: 1, seconds: 1 }], scheduled: 1, sent: 1, achievedRate: 1, maxSendLagMs: 0, endpoints: { '/ping': sum }, overall: sum, overallService: sum },
    thresholds: [],
    ...overrides,
  };
}

describe('verdict and reports', () => {
  it('names why a run failed', () => {
    expect(verdictOf([], [], 'boom')).toEqual({ verdict: 'fail', failureReason: 'error: boom' });
    expect(verdictOf([{ name: 'https', title: '', verdict: 'fail', detail: '', ms: 0 }], [], null).failureReason).toBe('checks-failed: https');
    expect(verdictOf([{ name: 'http3', title: '', verdict: 'info', detail: '', ms: 0 }], [], null).verdict).toBe('pass');
  });

  it('computes deltas against a baseline', () => {
    const slow = new EndpointStats();
    slow.record(30, 200);
    const now = result();
    const before = result({ load: { ...now.load!, endpoints: { '/ping': slow.summary() }, overall: slow.summary() } });
    expect(deltas(now, before).get('/ping')!.p90).toBeLessThan(0);
    expect(deltas(now, null).size).toBe(0);
  });

  it('keeps the marker first and stays under the limit, dropping evidence first', () => {
    const many = Array.from({ length: 400 }, (_, i) => ({
      name: `c${i}`,
      title: `check ${i}`,
      verdict: 'fail' as const,
      detail: 'x'.repeat(50),
      ms: 1,
      evidence: { request: 'GET /x', status: 500, excerpt: 'y'.repeat(300) },
    }));
    const md = renderMarkdown(result({ verdict: 'fail', failureReason: 'checks-failed: ...', checks: many }), { baseline: null, maxLength: 65_536, marker: '<!-- m -->' });
    expect(md.length).toBeLessThanOrEqual(65_536);
    expect(md.startsWith('<!-- m -->\n')).toBe(true);
    expect(md).toContain('Evidence left out');
    const tiny = renderMarkdown(result(), { baseline: null, maxLength: 300 });
    expect(tiny.length).toBeLessThanOrEqual(300);
    expect(tiny).toContain('cut at the size limit');
  });

  it('escapes table cells', () => {
    const md = renderMarkdown(result({ checks: [{ name: 'a', title: 'a|b', verdict: 'pass', detail: 'line\nbreak', ms: 1 }] }), { baseline: null, maxLength: 1e6 });
    expect(md).toContain('a\\|b');
    expect(md).toContain('line break');
  });
});

describe('inputs', () => {
  const get = (map: Record<string, string>) => (name: string) => map[name] ?? '';
  it('needs a target and validates what it is given', () => {
    expect(() => parseInputs(get({}))).toThrow(/^target: required/);
    expect(() => parseInputs(get({ target: 'ftp://x' }))).toThrow(/target: expected http/);
    expect(() => parseInputs(get({ target: 'http://x', profile: 'warp' }))).toThrow(/^profile:/);
    expect(() => parseInputs(get({ target: 'http://x', insecure: 'yes' }))).toThrow(/insecure: expected true or false/);
    expect(() => parseInputs(get({ target: 'http://x', 'timeout-ms': '5' }))).toThrow(/timeout-ms/);
    expect(() => parseInputs(get({ target: 'http://x', environment: 'a b' }))).toThrow(/environment/);
    const i = parseInputs(get({ target: 'https://shs.example/', profile: 'none' }));
    expect(i).toMatchObject({ target: 'https://shs.example', phases: null, comment: true, environment: 'default', timeoutMs: 10_000 });
    expect(i.thresholds.length).toBe(15);
  });
});

describe('network errors', () => {
  it('say what went wrong in words: refused, DNS, TLS verification, timeout', () => {
    const err = (code: string, message = code) => Object.assign(new Error(message), { code, hostname: 'shs.example' });
    expect(describeNetworkError(err('ECONNREFUSED'))).toBe('connection refused (nothing listens there)');
    expect(describeNetworkError(err('ENOTFOUND'))).toBe('DNS lookup of shs.example failed (ENOTFOUND: no such host)');
    expect(describeNetworkError(err('EAI_AGAIN'))).toMatch(/^DNS lookup of shs\.example failed \(EAI_AGAIN/);
    expect(describeNetworkError(err('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'))).toBe(
      'TLS certificate verification failed (self-signed certificate): give its CA (ca-file) or accept it (insecure)',
    );
    expect(describeNetworkError(err('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"))).toMatch(/^TLS certificate verification failed \(Hostname/);
    expect(describeNetworkError(new Error('timed out after 100 ms'))).toBe('timed out after 100 ms');
  });
});

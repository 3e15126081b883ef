// The smoke checks: each one fails against a server made to violate it, and all pass against the real stack.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks, type CheckResult } from '../actions/smoke/src/checks/checks.js';
import { sampleIds } from '../actions/smoke/src/checks/ids.js';
import { HttpClient } from '../actions/smoke/src/client.js';
import { parseProfile } from '../actions/smoke/src/load/profile.js';
import { renderMarkdown } from '../actions/smoke/src/report/markdown.js';
import { runSmoke } from '../actions/smoke/src/smoke.js';
import { DEFAULT_THRESHOLDS, parseThresholds } from '../actions/smoke/src/thresholds.js';
import { freePort } from '../stack/src/ports.js';
import { ensureSelfSigned } from '../stack/src/tls.js';
import { startFake, type Violation } from './support/fake-shs.js';
import { startStack, type TestStack } from './support/stack.js';

const tlsDir = mkdtempSync(join(tmpdir(), 'fake-tls-'));

/** Runs every check against fakes: the API base breaks `violation`, except a redirect, which only the plain
 * HTTP entry point does; with `https`, an HTTPS fake is the HTTPS entry point. */
async function checksAgainst(violation: Violation | undefined, extra: { https?: boolean; trustCa?: boolean } = {}): Promise<Map<string, CheckResult>> {
  const tls = extra.https ? await ensureSelfSigned(tlsDir) : undefined;
  const baseViolation = violation === 'http-redirect' ? undefined : violation;
  const base = await startFake(baseViolation ? { violation: baseViolation } : {});
  const plain = violation === 'http-redirect' ? await startFake({ violation }) : null;
  const secure = tls ? await startFake({ tls, ...(baseViolation ? { violation: baseViolation } : {}) }) : null;
  const client = new HttpClient({ timeoutMs: 5000, ...(extra.trustCa && tls ? { caFile: tls.certFile } : {}) });
  try {
    const ids = await sampleIds(client, base.url);
    const results = await runChecks({ base: base.url, httpsUrl: secure?.url ?? null, httpUrl: plain?.url ?? base.url, client, ids });
    return new Map(results.map((r) => [r.name, r]));
  } finally {
    client.close();
    await base.close();
    await plain?.close();
    await secure?.close();
  }
}

describe('every check can fail', () => {
  it('passes every check against the fake when nothing is broken', async () => {
    const results = await checksAgainst(undefined);
    const failed = [...results.values()].filter((r) => r.verdict === 'fail');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    expect(results.get('http3')!.verdict).toBe('info'); // no HTTPS URL given here
  });

  const cases: [Violation, string][] = [
    ['ping', 'ping'],
    ['root', 'root'],
    ['movie', 'movie'],
    ['customer', 'customer'],
    ['session', 'session'],
    ['errors', 'errors'],
    ['lists', 'lists'],
    ['db_dummy', 'db_dummy'],
    ['operation', 'operation'],
    ['write-cycle', 'write-cycle'],
    ['long-dummy-uncached', 'long-dummy-cache'],
    ['long-dummy-stale', 'long-dummy-cache'],
    ['not-cached', 'not-cached'],
    ['allowlist', 'allowlist'],
    ['http-redirect', 'http'],
  ];
  for (const [violation, check] of cases) {
    it(`fails "${check}" when the server violates ${violation}, with evidence`, async () => {
      const results = await checksAgainst(violation);
      const r = results.get(check)!;
      expect(r.verdict, r.detail).toBe('fail');
      expect(r.detail.length).toBeGreaterThan(0);
      expect(r.evidence?.request).toBeTruthy();
    });
  }

  it('fails "https" for an untrusted certificate and passes it with the CA given', async () => {
    const bad = await checksAgainst(undefined, { https: true });
    expect(bad.get('https')!.verdict).toBe('fail');
    expect(bad.get('https')!.detail).toMatch(/self.signed|certificate/i);
    const good = await checksAgainst(undefined, { https: true, trustCa: true });
    expect(good.get('https')!.verdict, good.get('https')!.detail).toBe('pass');
    expect(good.get('http3')!.verdict).toBe('pass'); // the HTTPS fake advertises h3
  });

  it('reports HTTP/3 as information, never as a failure', async () => {
    const r = await checksAgainst('http3');
    expect(r.get('http3')!.verdict).toBe('info');
  });

  it('reports HTTP/3 as information whatever goes wrong with it: an HTTPS entry point failing TLS verification', async () => {
    const r = await checksAgainst(undefined, { https: true });
    expect(r.get('https')!.verdict).toBe('fail');
    expect(r.get('http3')!.verdict).toBe('info');
    expect(r.get('http3')!.detail).toMatch(/not checked: .*certificate/i);
  });
});

describe('a target it cannot reach', () => {
  const run = (target: string, caFile: string | null = null) =>
    runSmoke({ environment: 'test', target, httpsUrl: null, httpUrl: null, insecure: false, caFile, phases: parseProfile('5@1s'), thresholds: [], timeoutMs: 5000 });

  it('says the connection was refused, before any check (not "no movies found")', async () => {
    const port = await freePort();
    const result = await run(`http://127.0.0.1:${port}`);
    expect(result.verdict).toBe('fail');
    expect(result.failureReason).toMatch(new RegExp(`^unreachable: http://127\\.0\\.0\\.1:${port}: connection refused`));
    expect(result.failureReason).not.toMatch(/no movies found/);
    expect(result.checks).toEqual([]);
    expect(result.load).toBeNull();
  });

  it('says TLS verification failed (and how to trust the certificate), and goes on with the CA given', async () => {
    const tls = await ensureSelfSigned(tlsDir);
    const fake = await startFake({ tls });
    try {
      const untrusted = await run(fake.url);
      expect(untrusted.failureReason).toMatch(/^unreachable: https:\/\/localhost:\d+: TLS certificate verification failed \(.*\): give its CA \(ca-file\) or accept it \(insecure\)/);
      const trusted = await run(fake.url, tls.certFile);
      expect(trusted.failureReason ?? '').not.toMatch(/^unreachable/);
      expect(trusted.checks.length).toBeGreaterThan(0);
    } finally {
      await fake.close();
    }
  });
});

describe('against the real stack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ instances: 2, faults: false });
  });
  afterAll(async () => stack?.stop());

  it('passes every check and the default thresholds under a short load, and leaves no data behind', async () => {
    const before = (await (await fetch(`${stack.http}/api/session`)).json()) as unknown[];
    const progress: number[] = [];
    const result = await runSmoke({
      environment: 'test',
      target: stack.http,
      httpsUrl: stack.https,
      httpUrl: null,
      insecure: false,
      caFile: stack.caFile,
      phases: parseProfile('50@3s'),
      thresholds: parseThresholds(DEFAULT_THRESHOLDS),
      timeoutMs: 10_000,
      onProgress: (p) => progress.push(p.sent),
    });
    const failed = result.checks.filter((c) => c.verdict === 'fail');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    expect(result.verdict, result.failureReason ?? '').toBe('pass');
    expect(result.load!.sent).toBeGreaterThanOrEqual(140);
    expect(result.load!.endpoints['/api/session/{id}']!.requests).toBeGreaterThan(0);
    expect(result.thresholds.every((t) => t.ok)).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    const after = (await (await fetch(`${stack.http}/api/session`)).json()) as unknown[];
    expect(after.length).toBe(before.length);

    const md = renderMarkdown(result, { baseline: result, maxLength: 65_536, marker: '<!-- shs-smoke:test -->' });
    expect(md.startsWith('<!-- shs-smoke:test -->\n## ✅ SHS smoke: PASS on test')).toBe(true);
    expect(md).toContain('```mermaid');
    expect(md).toContain('Δ p90');
  });

  it('fails with a named threshold when a target is missed', async () => {
    const result = await runSmoke({
      environment: 'test',
      target: stack.http,
      httpsUrl: null,
      httpUrl: null,
      insecure: false,
      caFile: null,
      phases: parseProfile('20@1s'),
      thresholds: parseThresholds('http_req_duration{endpoint:/db_dummy}: p(90)<50'),
      timeoutMs: 10_000,
      only: ['ping'],
    });
    expect(result.verdict).toBe('fail');
    expect(result.failureReason).toMatch(/^threshold-failed: http_req_duration\{endpoint:\/db_dummy\}: p\(90\)<50 \(got \d+/);
  });
});

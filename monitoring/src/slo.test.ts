import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SLO, DEFAULT_SLO_TEXT } from './default-slo.js';
import { CACHE_AGE_BUCKETS, parseSlo, PROXY_LATENCY_BUCKETS, SloError } from './slo.js';

const minimal = (classes: string, top = 'version: 1\nwindow: 30d\n') => `${top}classes:\n${classes}`;

describe('the SLO file', () => {
  it('embeds monitoring/slo.yaml as it is in the repository', () => {
    expect(DEFAULT_SLO_TEXT).toBe(readFileSync(join(import.meta.dirname, '..', 'slo.yaml'), 'utf8'));
  });

  it('reads the contract: p90 under 400 ms and 99% for lookups, 95% for the session list, 60 s freshness', () => {
    expect(DEFAULT_SLO.windowSeconds).toBe(30 * 86400);
    expect(DEFAULT_SLO.overallAvailability).toBe(0.99);
    const byName = Object.fromEntries(DEFAULT_SLO.classes.map((c) => [c.name, c]));
    expect(byName.lookups!.latency).toEqual({ percentile: 90, belowMs: 400 });
    expect(byName.lookups!.endpoints).toContainEqual({ method: 'POST', route: '/operation' });
    expect(byName['session-list']!.availability).toBe(0.95);
    expect(byName['long-dummy']!.maxStaleSeconds).toBe(60);
    expect(byName['long-dummy']!.latency).toEqual({ percentile: 75, belowMs: 1000 });
  });

  it("knows the proxy's histogram buckets as proxy/lua/shs/metrics.lua defines them", () => {
    const lua = readFileSync(join(import.meta.dirname, '..', '..', 'proxy', 'lua', 'shs', 'metrics.lua'), 'utf8');
    const list = (name: string) => new RegExp(`^local ${name} = \\{([^}]*)\\}`, 'm').exec(lua)![1]!.split(',').map(Number);
    expect(list('BUCKETS')).toEqual([...PROXY_LATENCY_BUCKETS]);
    expect(list('AGE_BUCKETS')).toEqual([...CACHE_AGE_BUCKETS]);
  });

  it('accepts 99.5% and 0.995 alike', () => {
    const a = parseSlo(minimal('  - name: a\n    endpoints: [GET /x]\n    availability: 99.5%\n'));
    const b = parseSlo(minimal('  - name: a\n    endpoints: [GET /x]\n    availability: 0.995\n'));
    expect(a.classes[0]!.availability).toBeCloseTo(0.995);
    expect(b.classes[0]!.availability).toBe(0.995);
  });

  it.each([
    ['not: [valid', /x\.yaml:1: not valid YAML/],
    [minimal('  - name: a\n    endpoints: [GET /x]\n    availability: 100%\n'), /classes\[0\]\.availability: must be above 0% and below 100%/],
    [minimal('  - name: a\n    endpoints: [GET /x]\n    availability: lots\n'), /classes\[0\]\.availability: expected a percentage/],
    [minimal('  - name: a\n    endpoints: [GET /x]\n    latency: { percentile: 90, below_ms: 450 }\n'), /below_ms: must be a bucket bound .*\(5, 10, 25, 50, 100, 200, 400, 800, 1000, 1500, 3000, 6000\), got 450/],
    [minimal('  - name: a\n    endpoints: [GET /x]\n    freshness: { max_stale_seconds: 45 }\n'), /max_stale_seconds: must be a bucket bound/],
    [minimal('  - name: a\n    endpoints: [FETCH /x]\n    availability: 99%\n'), /endpoints\[0\]: unknown method FETCH/],
    [minimal('  - name: a\n    endpoints: [/x]\n    availability: 99%\n'), /endpoints\[0\]: expected "METHOD \/route"/],
    [minimal('  - name: a\n    endpoints: [GET /x]\n'), /classes\[0\]: has no objective/],
    [minimal('  - name: a\n    endpoints: [GET /x]\n    availabilty: 99%\n'), /classes\[0\]: unknown key "availabilty"/],
    [minimal('  - name: a\n    endpoints: [GET /x]\n    availability: 99%\n  - name: b\n    endpoints: [GET /x]\n    availability: 99%\n'), /GET \/x is already in class "a"/],
    [minimal('  - name: a\n    endpoints: [GET /x]\n    availability: 99%\n  - name: a\n    endpoints: [GET /y]\n    availability: 99%\n'), /"a" is used twice/],
    [minimal('  - name: a\n    endpoints: [GET /x]\n    availability: 99%\n', 'version: 1\nwindow: 1d\n'), /window: must be at least 3d/],
    [minimal('  - name: a\n    endpoints: [GET /x]\n    availability: 99%\n', 'version: 2\nwindow: 30d\n'), /version: expected 1/],
  ])('refuses a bad file with an error naming the key (%#)', (text, message) => {
    expect(() => parseSlo(text, 'x.yaml')).toThrow(SloError);
    expect(() => parseSlo(text, 'x.yaml')).toThrow(message);
  });
});

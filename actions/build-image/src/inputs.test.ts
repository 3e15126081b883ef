import { describe, expect, it } from 'vitest';
import { parseInputs } from './inputs.js';

const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';

describe('action inputs', () => {
  it('parses push lists, output and flags', () => {
    const i = parseInputs(get({ spec: 'shs/image.json', push: 'cr.yandex/crp1/shs:abc\n cr.yandex/crp1/shs:latest, 127.0.0.1:5000/shs:x', output: 'oci-archive:out/shs.tar', insecure: 'true' }));
    expect(i.push).toEqual([
      { registry: 'cr.yandex', repository: 'crp1/shs', tag: 'abc' },
      { registry: 'cr.yandex', repository: 'crp1/shs', tag: 'latest' },
      { registry: '127.0.0.1:5000', repository: 'shs', tag: 'x' },
    ]);
    expect(i.output).toEqual({ kind: 'oci-archive', path: 'out/shs.tar' });
    expect(i.insecure).toBe(true);
  });

  it('names the input at fault', () => {
    expect(() => parseInputs(get({}))).toThrow(/^spec: required/);
    expect(() => parseInputs(get({ spec: 's' }))).toThrow('push, output: give at least one');
    expect(() => parseInputs(get({ spec: 's', push: 'shs:latest' }))).toThrow(/^push: "shs:latest" must start with a registry host/);
    expect(() => parseInputs(get({ spec: 's', push: 'cr.yandex/Bad/shs' }))).toThrow(/^push: .*not a valid repository name/);
    expect(() => parseInputs(get({ spec: 's', output: 'docker:x' }))).toThrow(/^output: /);
    expect(() => parseInputs(get({ spec: 's', output: 'oci:x', insecure: 'yes' }))).toThrow('insecure: expected true or false');
    expect(() => parseInputs(get({ spec: 's', output: 'oci:x', 'registry-username': 'u' }))).toThrow('registry-username, registry-password: give both');
    expect(() => parseInputs(get({ spec: 's', output: 'oci:x', 'source-date-epoch': 'yesterday' }))).toThrow(/^source-date-epoch: expected seconds/);
    expect(() => parseInputs(get({ spec: 's', output: 'oci:x', 'plain-http': 'true', insecure: 'true' }))).toThrow(/^plain-http: /);
  });
});

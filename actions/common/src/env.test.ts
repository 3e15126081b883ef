import { beforeEach, describe, expect, it } from 'vitest';
import { defaultToolCacheRoot } from '../../deploy/src/directory-cache.js';
import { pipelineEnv, resetEnvWarnings } from './env.js';

describe('PIPELINE_* variables', () => {
  beforeEach(() => resetEnvWarnings());

  it('reads the new name; the old SHS_* name only as a fallback, with one warning', () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(pipelineEnv('PIPELINE_TOFU', { PIPELINE_TOFU: '/new', SHS_TOFU: '/old' }, warn)).toBe('/new');
    expect(warnings).toEqual([]);
    expect(pipelineEnv('PIPELINE_TOFU', { SHS_TOFU: '/old' }, warn)).toBe('/old');
    expect(pipelineEnv('PIPELINE_TOFU', { SHS_TOFU: '/old' }, warn)).toBe('/old');
    expect(warnings).toEqual(['SHS_TOFU is deprecated (SHS_* variables belong to the service): set PIPELINE_TOFU instead; SHS_TOFU will stop working in the next release']);
    expect(pipelineEnv('PIPELINE_BUILD_REVISION', {}, warn)).toBeUndefined();
  });

  it('the tool cache of the CLI is PIPELINE_TOOL_CACHE, then SHS_TOOL_CACHE (deprecated), then ~/.cache', () => {
    const warnings: string[] = [];
    expect(defaultToolCacheRoot({ PIPELINE_TOOL_CACHE: '/p', SHS_TOOL_CACHE: '/s' }, (m) => warnings.push(m))).toBe('/p');
    expect(defaultToolCacheRoot({ SHS_TOOL_CACHE: '/s' }, (m) => warnings.push(m))).toBe('/s');
    expect(warnings).toEqual([expect.stringMatching(/^SHS_TOOL_CACHE is deprecated.*set PIPELINE_TOOL_CACHE/)]);
    expect(defaultToolCacheRoot({ XDG_CACHE_HOME: '/x' })).toBe('/x/shs-delivery/tools');
  });
});

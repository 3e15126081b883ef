// proxy/image.json against what the proxy is: every Lua module of proxy/lua and the template ship in it, the
// entrypoint is the bundle scripts/build.mjs makes, and its runtime layer is exactly the SHS image's, so that a
// registry stores (and a VM pulls) that layer once.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../actions/build-image/src/spec.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const proxy = loadSpec(join(ROOT, 'proxy', 'image.json'));
const shs = loadSpec(join(ROOT, 'shs', 'image.json'));
const layer = (spec: typeof proxy, name: string) => spec.layers.find((l) => l.name === name)!;

describe('proxy/image.json', () => {
  it('has the SHS image\'s runtime layer, entry for entry', () => {
    expect(layer(proxy, 'runtime').entries).toEqual(layer(shs, 'runtime').entries);
    expect(proxy.compressionLevel).toBe(shs.compressionLevel);
    expect(proxy.layers[0]!.name).toBe('runtime');
  });

  it('ships every Lua module, the template and the entrypoint bundle', () => {
    const paths = layer(proxy, 'app').entries.map((e) => e.path);
    for (const f of readdirSync(join(ROOT, 'proxy', 'lua', 'shs'))) expect(paths).toContain(`/opt/proxy/lua/shs/${f}`);
    expect(paths).toEqual(expect.arrayContaining(['/opt/proxy/nginx.conf.template', '/opt/proxy/dist/start.cjs']));
    expect(proxy.config.entrypoint).toEqual(['/usr/bin/node', '/opt/proxy/dist/start.cjs']);
  });

  it('runs as a non-root user with no shell, and stops nginx gracefully', () => {
    expect(proxy.config.user).toBe('65532:65532');
    expect(proxy.config.stopSignal).toBe('SIGQUIT');
    const all = proxy.layers.flatMap((l) => l.entries.map((e) => e.path));
    expect(all.filter((p) => /\/(sh|bash|dash|busybox)$/.test(p))).toEqual([]);
    expect(all).toEqual(expect.arrayContaining(['/usr/sbin/nginx', '/usr/lib/nginx/modules/ngx_http_lua_module.so', '/usr/share/lua/5.1/resty/core.lua']));
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFeatures } from './nginx.js';
import { DEFAULT_CLIENT_LIMITS, DEFAULT_HEALTH, fill, PROXY_DEFAULTS, render, RenderError, type ProxyOptions } from './render.js';

const template = readFileSync(join(import.meta.dirname, '..', 'nginx.conf.template'), 'utf8');
const base: ProxyOptions = {
  platform: 'debian',
  peers: ['10.0.0.1:8080', '10.0.0.2:8080'],
  httpListen: '80',
  httpsListen: '443',
  certFile: '/tls/cert.pem',
  keyFile: '/tls/key.pem',
  http3: false,
  metricsListen: '127.0.0.1:9145',
  luaDir: '/opt/proxy/lua',
  runDir: '/run/proxy',
  user: null,
  workerProcesses: 'auto',
  ...PROXY_DEFAULTS,
};

describe('fill', () => {
  it('substitutes values and keeps or drops flagged blocks', () => {
    expect(fill('a {{x}}\n{{#on}}\nkept\n{{/on}}\n{{#off}}\ngone\n{{/off}}\nz', { x: '1' }, { on: true, off: false })).toBe('a 1\nkept\nz');
  });
  it('refuses unknown names and unbalanced blocks', () => {
    expect(() => fill('{{nope}}', {}, {})).toThrow(/unknown value "nope"/);
    expect(() => fill('{{#f}}\nx', {}, { f: true })).toThrow(/not closed/);
    expect(() => fill('{{/f}}', {}, {})).toThrow(/without an opening/);
    expect(() => fill('{{#g}}\n{{/g}}', {}, {})).toThrow(/unknown flag "g"/);
  });
});

describe('render', () => {
  it('loads Debian modules and Debian Lua paths, and no modules for OpenResty', () => {
    const debian = render(template, base);
    expect(debian).toContain('load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;');
    expect(debian).toContain('/usr/share/lua/5.1/?.lua');
    const openresty = render(template, { ...base, platform: 'openresty' });
    expect(openresty).not.toContain('load_module');
    expect(openresty).toContain('/usr/local/openresty/lualib/?.lua');
  });

  it('passes the peers and health settings to Lua as JSON', () => {
    const text = render(template, base);
    expect(text).toContain('"peers":["10.0.0.1:8080","10.0.0.2:8080"]');
    expect(text).toContain('"interval_ms":500');
    expect(text).toContain('proxy_next_upstream_tries 2;');
  });

  it('adds HTTP/3 and Alt-Svc only when asked, and TLS only with HTTPS', () => {
    expect(render(template, base)).not.toContain('quic');
    const h3 = render(template, { ...base, http3: true });
    expect(h3).toContain('listen 443 quic reuseport;');
    expect(h3).toContain(`add_header Alt-Svc 'h3=":443"; ma=86400' always;`);
    const plain = render(template, { ...base, httpsListen: null });
    expect(plain).not.toContain('ssl_certificate');
    expect(() => render(template, { ...base, httpsListen: null, http3: true })).toThrow(RenderError);
  });

  it('caches /long_dummy only', () => {
    const text = render(template, base);
    expect(text.match(/proxy_cache shs_long_dummy;/g)).toHaveLength(1);
    const cacheBlock = text.slice(text.indexOf('location = /long_dummy'), text.indexOf('location @unavailable'));
    expect(cacheBlock).toContain('proxy_cache shs_long_dummy;');
    expect(text.slice(0, text.indexOf('location = /long_dummy'))).not.toMatch(/proxy_cache\s+shs/);
  });

  it('keeps nginx\'s HTTP/2 defaults (Rapid Reset guidance), OpenSSL\'s ciphers, and turns session tickets on', () => {
    const text = render(template, base);
    // keepalive_requests also bounds the streams of one HTTP/2 connection: nginx's default (1000), not more.
    expect(text).not.toMatch(/^\s*keepalive_requests\s/m);
    expect(text).not.toMatch(/^\s*(http2_max_concurrent_streams|http2_max_requests)\s/m);
    expect(text).not.toMatch(/^\s*ssl_ciphers\s/m);
    expect(text).toContain('ssl_protocols TLSv1.2 TLSv1.3;');
    expect(text).toContain('ssl_session_tickets on;');
    expect(render(template, { ...base, httpsListen: null })).not.toContain('ssl_session_tickets');
  });

  it('gives /long_dummy its own read timeout: a request caught on a hung instance is retried within a client\'s 5 s', () => {
    const cacheBlock = render(template, base).split('location = /long_dummy')[1]!.split('location @unavailable')[0]!;
    expect(cacheBlock).toContain('proxy_read_timeout 2500ms;');
    expect(cacheBlock).toContain('proxy_cache_lock_timeout 5s;');
    expect(render(template, { ...base, longReadTimeoutMs: 3000 })).toContain('proxy_read_timeout 3000ms;');
    expect(() => render(template, { ...base, longReadTimeoutMs: 10_000 })).toThrow(/longReadTimeoutMs must be 1500-4000/);
  });

  it('never caches an answer that sets a cookie', () => {
    const cacheBlock = render(template, base).split('location = /long_dummy')[1]!.split('location @unavailable')[0]!;
    const ignored = /proxy_ignore_headers ([^;]*);/.exec(cacheBlock)?.[1] ?? '';
    expect(ignored.split(/\s+/)).not.toContain('Set-Cookie');
    expect(cacheBlock).toContain('proxy_no_cache $upstream_http_set_cookie;');
  });

  it('logs the client address and sends the origin an X-Forwarded-For it did not take from the client', () => {
    const text = render(template, base);
    expect(text).toContain('"client":"$remote_addr"');
    expect(text).toContain('"forwarded_for":"$http_x_forwarded_for"');
    expect(text).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
    expect(text).not.toContain('$proxy_add_x_forwarded_for');
  });

  it('limits each client address on the heavy routes only (GET/HEAD of the lists, /db_dummy), and retries no 503 of theirs', () => {
    const text = render(template, base);
    const block = (start: string) => text.slice(text.indexOf(start), text.indexOf('\n    }\n', text.indexOf(start)));
    const lists = block('location ~ ^/api/(movie|customer|session)$');
    const dbDummy = block('location = /db_dummy');
    const rest = block('location / {');
    expect(text).toContain('limit_req_zone $shs_heavy_client zone=shs_lists:2m rate=1r/s;');
    expect(text).toContain('limit_req_zone $shs_heavy_client zone=shs_db_dummy:2m rate=60r/s;');
    // POST /api/session shares the lists' location but not their limits: an empty key is not counted
    expect(text).toMatch(/map \$request_method \$shs_heavy_client \{\s*GET \$binary_remote_addr;\s*HEAD \$binary_remote_addr;\s*default "";\s*\}/);
    expect(lists).toContain('limit_req zone=shs_lists burst=4 nodelay;');
    expect(lists).toContain('limit_conn shs_lists_conn 1;');
    expect(dbDummy).toContain('limit_req zone=shs_db_dummy burst=60 nodelay;');
    expect(dbDummy).toContain('limit_conn shs_db_dummy_conn 32;');
    expect(rest).not.toContain('limit_');
    expect(text).toContain('limit_req_status 429;');
    expect(text).toContain('limit_conn_status 429;');
    expect(text).toContain('error_page 429 = @too_many_requests;');
    expect(block('location @too_many_requests')).toContain('add_header Retry-After 1 always;');
    // an instance's 503 on a heavy route goes back to the client; elsewhere it is still tried on another peer
    for (const b of [lists, dbDummy]) expect(b).toMatch(/proxy_next_upstream error timeout http_500 http_502 http_504;/);
    expect(rest).toMatch(/proxy_next_upstream [^;]*http_503/);

    const custom = render(template, { ...base, clientLimits: { lists: { ratePerSecond: 5, burst: 0, connections: 3 }, dbDummy: { ratePerSecond: 100, burst: 10, connections: 20 } } });
    expect(custom).toContain('rate=5r/s;');
    expect(custom).toContain('limit_req zone=shs_lists burst=0 nodelay;');
    expect(custom).toContain('limit_conn shs_db_dummy_conn 20;');
    const none = render(template, { ...base, clientLimits: null });
    expect(none).not.toMatch(/^\s*limit_(req|conn)/m);
    expect(none).not.toMatch(/\{\{/);
    expect(() => render(template, { ...base, clientLimits: { ...DEFAULT_CLIENT_LIMITS, lists: { ratePerSecond: 0.5, burst: 1, connections: 1 } } })).toThrow(
      /clientLimits\.lists\.ratePerSecond/,
    );
    expect(() => render(template, { ...base, clientLimits: { ...DEFAULT_CLIENT_LIMITS, dbDummy: { ratePerSecond: 1, burst: 1, connections: 0 } } })).toThrow(
      /clientLimits\.dbDummy\.connections/,
    );
  });

  it('validates what it is given', () => {
    expect(() => render(template, { ...base, peers: [] })).toThrow(/at least one upstream/);
    expect(() => render(template, { ...base, peers: ['nohost'] })).toThrow(/not host:port/);
    expect(() => render(template, { ...base, certFile: undefined })).toThrow(/certFile/);
    expect(() => render(template, { ...base, health: { ...DEFAULT_HEALTH, intervalMs: 5000 } })).toThrow(/intervalMs/);
    expect(() => render(template, { ...base, maxStaleSeconds: 30 })).toThrow(/maxStaleSeconds/);
  });

  it('leaves no placeholder behind', () => {
    expect(render(template, { ...base, http3: true, user: 'nobody nogroup' })).not.toMatch(/\{\{/);
  });
});

describe('parseFeatures', () => {
  it('reads the version, HTTP/2 and HTTP/3 support', () => {
    const f = parseFeatures('/usr/sbin/nginx', 'nginx version: nginx/1.25.3\nconfigure arguments: --with-http_v2_module --with-http_v3_module');
    expect(f).toMatchObject({ version: '1.25.3', http2: true, http3: true });
    expect(parseFeatures('/x', 'nginx version: openresty/1.21.4.3\n--with-http_v2_module').platform).toBe('openresty');
    expect(parseFeatures('/x', 'nginx version: nginx/1.22.1\n').http3).toBe(false);
  });
});

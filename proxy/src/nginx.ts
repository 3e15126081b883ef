// The nginx binary on this machine: what it supports, and `nginx -t` on a rendered config.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Platform } from './render.js';

const run = promisify(execFile);

export interface NginxFeatures {
  binary: string;
  version: string;
  platform: Platform;
  http2: boolean;
  http3: boolean;
  lua: boolean;
}

/** Parses `nginx -V` output (it goes to stderr). */
export function parseFeatures(binary: string, text: string): NginxFeatures {
  const version = /nginx version: (?:nginx|openresty)\/(\S+)/.exec(text)?.[1] ?? 'unknown';
  const openresty = /openresty/i.test(text);
  const debianLua = existsSync('/usr/lib/nginx/modules/ngx_http_lua_module.so');
  return {
    binary,
    version,
    platform: openresty ? 'openresty' : 'debian',
    http2: text.includes('--with-http_v2_module'),
    http3: text.includes('--with-http_v3_module'),
    lua: openresty || debianLua,
  };
}

export function findNginx(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PIPELINE_NGINX) return env.PIPELINE_NGINX;
  for (const candidate of ['/usr/local/openresty/bin/openresty', '/usr/sbin/nginx', '/usr/bin/nginx'])
    if (existsSync(candidate)) return candidate;
  throw new Error('nginx not found (apt-get install nginx-light libnginx-mod-http-lua lua-resty-core lua-cjson, or set PIPELINE_NGINX)');
}

export async function detectFeatures(binary = findNginx()): Promise<NginxFeatures> {
  const { stderr, stdout } = await run(binary, ['-V']);
  return parseFeatures(binary, `${stdout}${stderr}`);
}

/** Runs `nginx -t` on a config file; resolves with nginx's output, rejects with it on failure. */
export async function testConfig(binary: string, configFile: string, prefix: string): Promise<string> {
  try {
    const { stderr } = await run(binary, ['-t', '-p', prefix, '-c', configFile, '-e', 'stderr']);
    return stderr;
  } catch (err) {
    throw new Error(`nginx -t failed:\n${(err as { stderr?: string }).stderr ?? (err as Error).message}`);
  }
}

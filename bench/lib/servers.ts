// The reference HTTP servers of bench/servers/, each started as a process of its own (like the service).
import { join } from 'node:path';
import { freePort } from '../../stack/src/ports.js';
import type { Flavour } from '../servers/http-layer.js';
import type { BenchContext } from './harness.js';
import { waitForOk } from './http.js';
import { startBackground } from './process.js';
import { ROOT } from './paths.js';

/** Starts bench/servers/http-layer.ts as `flavour` and returns its base URL once /ping answers. */
export async function startHttpLayerServer(ctx: BenchContext, flavour: Flavour): Promise<string> {
  const port = await freePort();
  const script = join(ROOT, 'bench', 'servers', 'http-layer.ts');
  const logFile = join(ctx.workDir, `${flavour}-${port}.log`);
  const proc = startBackground(process.execPath, ['--import', 'tsx', script, flavour, String(port)], logFile);
  ctx.defer(`stop ${flavour} server (pid ${proc.child.pid})`, () => proc.stop());
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/ping`, 30_000, () => proc.child.exitCode === null);
  ctx.log(`${flavour} server listening on ${url} (pid ${proc.child.pid})`);
  return url;
}

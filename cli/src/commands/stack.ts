// `pipeline up | down | status`: the local stack.
import { parseArgs } from 'node:util';
import { down, status, up, type ComponentStatus } from '../../../stack/src/local.js';
import { quickCheck } from '../../../stack/src/quick-check.js';
import type { Context } from '../context.js';
import { table } from '../table.js';

export const STACK_USAGE = `  up [--scale <x>] [--port <n>]
                      start PostgreSQL and SHS on this machine (state in .state/),
                      prepare the dataset (default --scale 0.02), then check it answers
  down                stop everything up started (data is kept)
  status              the components, their health, ports and URLs`;

function statusTable(components: ComponentStatus[]): string {
  return table(
    ['component', 'state', 'pid', 'port', 'url', 'detail'],
    components.map((c) => [c.name, c.state, c.pid ? String(c.pid) : '-', c.port ? String(c.port) : '-', c.url ?? '-', c.detail]),
  );
}

export async function upCommand(argv: string[], ctx: Context): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { scale: { type: 'string', default: '0.02' }, port: { type: 'string', default: '18080' } } });
  const scale = Number(values.scale);
  const port = Number(values.port);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 10) throw new ctx.UsageError(`--scale must be a number in (0, 10], got "${values.scale}"`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ctx.UsageError(`--port must be a TCP port, got "${values.port}"`);
  const components = await up({ root: ctx.root, stateDir: ctx.stateDir, scale, port, progress: ctx.progress });
  ctx.out(`\n${statusTable(components)}`);
  const checks = await quickCheck(`http://127.0.0.1:${port}`);
  ctx.out(`\n${table(['check', 'result', 'detail'], checks.map((c) => [c.name, c.ok ? 'pass' : 'FAIL', c.detail]))}`);
  const failed = checks.filter((c) => !c.ok).length;
  ctx.out(failed === 0 ? `\nverdict: PASS (${checks.length} checks) — SHS at http://127.0.0.1:${port}\n` : `\nverdict: FAIL (${failed} of ${checks.length} checks)\n`);
  return failed === 0 ? 0 : 1;
}

export async function downCommand(argv: string[], ctx: Context): Promise<number> {
  parseArgs({ args: argv, options: {} });
  await down({ stateDir: ctx.stateDir, progress: ctx.progress });
  return 0;
}

export async function statusCommand(argv: string[], ctx: Context): Promise<number> {
  parseArgs({ args: argv, options: {} });
  const components = await status({ stateDir: ctx.stateDir });
  ctx.out(statusTable(components));
  return components.every((c) => c.state === 'running') ? 0 : 3;
}

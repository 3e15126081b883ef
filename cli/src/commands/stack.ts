// `pipeline up | down | status | logs | supervise`: the local stack.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { down, stackPaths, stackPorts, status, up, type ComponentStatus } from '../../../stack/src/local.js';
import { textTable } from '../../../actions/common/src/text-table.js';
import { checkLine, checksTable } from '../../../actions/smoke/src/report/terminal.js';
import { runSmoke } from '../../../actions/smoke/src/smoke.js';
import { activeAlerts, type Alert } from '../../../stack/src/prometheus.js';
import { Supervisor, type SupervisorConfig } from '../../../stack/src/supervisor.js';
import { loadSlo } from './slo.js';
import { parseFlags } from '../args.js';
import type { Context } from '../context.js';

export const UP_USAGE = `  up [options]        start the local stack: PostgreSQL, SHS instances, the proxy (HTTP, HTTPS with a
                      self-signed certificate), Prometheus with monitoring/'s rules and alerts (and the
                      node and postgres exporters) when installed, and a supervisor that restarts what
                      dies or stays unhealthy; then check it answers. Idempotent. If it fails, it leaves
                      the stack that ran before as it was when it had not touched it yet, else nothing
                      running: it stops what it started and says so (state and logs are kept). So does
                      Ctrl-C (or SIGTERM) while it starts things; a second one leaves at once
      --scale <x>       dataset size as a fraction of the full one (default 0.02). A dataset of another
                        scale already there is kept and up stops, unless --replace-data
      --replace-data    replace the data in the database with a new dataset of --scale: this deletes
                        every session there, those created through the API included. It says how many
                        first and, on a terminal, asks to go on; without a terminal the flag is the consent
      --yes             with --replace-data: do not ask
      --port <n>        proxy HTTP port on 127.0.0.1 (default 18080)
      --https-port <n>  proxy HTTPS port (default 18443)
      --instances <n>   SHS instances behind the proxy (default 2)
      --faults          enable the SHS fault switch (POST /_fault on each instance port)
      --slo <file>      objectives to generate Prometheus's SLO rules from (default monitoring/slo.yaml)
      --no-monitoring   do not run Prometheus and the exporters
                      exit 0 up and the smoke checks pass, 1 failed, 2 usage, 130 interrupted (143
                      by SIGTERM)`;
export const DOWN_USAGE = `  down                stop everything up started (data is kept in the state directory)`;
export const STATUS_USAGE = `  status              components, state, pids, ports, URLs and health, and Prometheus's firing and
                      pending alerts (exit 1 if any component is not running)`;
export const LOGS_USAGE = `  logs <component> [-n <lines>]
                      the last lines of a component's log (postgres, supervisor, shs-1, proxy, ...)`;
export const SUPERVISE_USAGE = `  supervise --config <file>
                      internal: the supervisor process that up starts`;
export const STACK_USAGE = [UP_USAGE, DOWN_USAGE, STATUS_USAGE, LOGS_USAGE].join('\n');

function statusTable(components: ComponentStatus[]): string {
  return `${textTable(
    ['component', 'state', 'pid', 'port', 'url', 'detail'],
    components.map((c) => [c.name, c.state, c.pid ? String(c.pid) : '-', c.port ? String(c.port) : '-', c.url ?? '-', c.detail]),
  )}\n`;
}

function positiveInt(ctx: Context, flag: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ctx.UsageError(`--${flag}: expected an integer from 1 to ${max}, got "${text}"`);
  return n;
}

export async function upCommand(argv: string[], ctx: Context): Promise<number> {
  const { values } = parseFlags(argv, {
      scale: { type: 'string', default: '0.02' },
      port: { type: 'string', default: '18080' },
      'https-port': { type: 'string', default: '18443' },
      instances: { type: 'string', default: '2' },
      faults: { type: 'boolean', default: false },
      slo: { type: 'string' },
      'no-monitoring': { type: 'boolean', default: false },
      'replace-data': { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
  });
  if (values.yes && !values['replace-data']) throw new ctx.UsageError('--yes: confirms --replace-data; pass both, or neither');
  const slo = values.slo === undefined ? undefined : loadSlo(values.slo, ctx);
  const scale = Number(values.scale);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 10) throw new ctx.UsageError(`--scale: expected a number in (0, 10], got "${values.scale}"`);
  const httpPort = positiveInt(ctx, 'port', values.port, 65535);
  const httpsPort = positiveInt(ctx, 'https-port', values['https-port'], 65535);
  const instances = positiveInt(ctx, 'instances', values.instances, 16);
  // Ctrl-C or SIGTERM while up starts things: it stops at its next step and stops what it started (a second one
  // leaves at once, as it is)
  const interrupt = new AbortController();
  let exitCode = 130;
  const onSignal = (signal: NodeJS.Signals) => {
    exitCode = signal === 'SIGTERM' ? 143 : 130;
    if (interrupt.signal.aborted) process.exit(exitCode);
    ctx.progress(`${signal}: stopping what up started (again to leave at once)`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  let components: ComponentStatus[];
  try {
    components = await up({
      root: ctx.root,
      stateDir: ctx.stateDir,
      scale,
      instances,
      httpPort,
      httpsPort,
      faults: values.faults,
      monitoring: !values['no-monitoring'],
      ...(slo ? { slo } : {}),
      // on a terminal, prepare_db --force asks there (as `shs prepare_db --force` does); elsewhere the flag is the consent
      ...(values['replace-data'] ? { replaceData: values.yes || !process.stdin.isTTY ? ('yes' as const) : ('ask' as const) } : {}),
      signal: interrupt.signal,
      progress: ctx.progress,
    });
  } catch (err) {
    if (!interrupt.signal.aborted) throw err;
    process.stderr.write(`pipeline up: ${(interrupt.signal.reason as Error).message}\n`);
    return exitCode;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  ctx.out(`\n${statusTable(components)}`);
  const prometheus = components.find((c) => c.name === 'prometheus');
  if (prometheus?.url) ctx.out(`\nPrometheus: ${prometheus.url} (alerts: ${prometheus.url}/alerts; the dashboard's queries: docs/monitoring.md)\n`);
  // The smoke checks of the smoke action (no load): the same judgement as a deployment gets.
  ctx.progress('smoke checks');
  const caFile = join(stackPaths(ctx.stateDir).proxy, 'tls', 'cert.pem');
  const result = await runSmoke({
    environment: 'local',
    target: `http://127.0.0.1:${httpPort}`,
    httpsUrl: `https://localhost:${httpsPort}`,
    httpUrl: null,
    insecure: false,
    caFile,
    phases: null,
    thresholds: [],
    timeoutMs: 30_000,
  });
  ctx.out(`\n${checksTable(result.checks)}\n`);
  for (const c of result.checks.filter((x) => x.verdict === 'fail')) ctx.out(`${checkLine(c)}\n    ${c.evidence?.request ?? ''} -> ${c.evidence?.status ?? ''} ${c.evidence?.excerpt ?? ''}\n`);
  const failed = result.checks.filter((c) => c.verdict === 'fail').length;
  ctx.out(
    result.verdict === 'pass'
      ? `\nverdict: PASS (${result.checks.length} checks): SHS at http://127.0.0.1:${httpPort} and https://localhost:${httpsPort}\n`
      : `\nverdict: FAIL (${result.failureReason ?? `${failed} checks failed`})\n`,
  );
  return result.verdict === 'pass' ? 0 : 1;
}

/** Prometheus's pending and firing alerts as a table, or why they are unknown. */
export async function alertsText(prometheusUrl: string): Promise<string> {
  let alerts: Alert[];
  try {
    alerts = await activeAlerts(prometheusUrl);
  } catch (err) {
    return `alerts: unknown (${(err as Error).message})\n`;
  }
  if (alerts.length === 0) return `alerts: none firing or pending (${prometheusUrl}/alerts)\n`;
  const firing = alerts.filter((a) => a.state === 'firing').length;
  return `alerts: ${firing} firing, ${alerts.length - firing} pending (${prometheusUrl}/alerts; what each means: docs/monitoring.md)\n${textTable(
    ['alert', 'state', 'severity', 'since', 'summary'],
    alerts.map((a) => [a.name, a.state, a.severity || '-', a.activeAt ?? '-', a.summary]),
  )}\n`;
}

export async function downCommand(argv: string[], ctx: Context): Promise<number> {
  parseFlags(argv, {});
  await down({ stateDir: ctx.stateDir, progress: ctx.progress });
  return 0;
}

export async function statusCommand(argv: string[], ctx: Context): Promise<number> {
  parseFlags(argv, {});
  const components = await status({ stateDir: ctx.stateDir });
  ctx.out(statusTable(components));
  const ports = stackPorts(ctx.stateDir);
  if (!ports) ctx.out('\nno stack has been started here (pipeline up)\n');
  const prometheus = components.find((c) => c.name === 'prometheus' && c.state === 'running');
  if (prometheus?.url) ctx.out(`\n${await alertsText(prometheus.url)}`);
  return components.every((c) => c.state === 'running') ? 0 : 1;
}

export async function logsCommand(argv: string[], ctx: Context): Promise<number> {
  const { values, positionals } = parseFlags(argv, { lines: { type: 'string', short: 'n', default: '50' } }, true);
  const name = positionals[0];
  const paths = stackPaths(ctx.stateDir);
  const known = (existsSync(paths.logs) ? readdirSync(paths.logs) : []).map((f) => f.replace(/\.log$/, ''));
  if (!name) throw new ctx.UsageError(`name a component: ${[...known, 'postgres'].join(', ') || '(no logs yet)'}`);
  const file = name === 'postgres' ? join(paths.postgres, 'postgres.log') : join(paths.logs, `${name}.log`);
  if (!existsSync(file)) throw new ctx.UsageError(`no log for "${name}" (known: ${[...known, 'postgres'].join(', ')})`);
  const n = positiveInt(ctx, 'lines', values.lines, 100_000);
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  ctx.out(`${lines.slice(-n).join('\n')}\n`);
  return 0;
}

/** Internal: the detached supervisor process that `up` starts. */
export async function superviseCommand(argv: string[], ctx: Context): Promise<number> {
  const { values } = parseFlags(argv, { config: { type: 'string' } });
  if (!values.config) throw new ctx.UsageError('--config: required (the supervisor configuration up writes)');
  const config = JSON.parse(readFileSync(values.config, 'utf8')) as SupervisorConfig;
  const supervisor = new Supervisor(config);
  supervisor.start();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await supervisor.stop();
  return 0;
}

// Runs terraform or OpenTofu (the binary itself, no wrapper, through @actions/exec): init, plan with a saved
// plan file, show -json, apply of that plan, output -json. Every line the tool prints goes to the log as it
// comes; its exit code is taken as it is (plan's -detailed-exitcode 2 means changes); failures are classified so
// the action can name them (state-locked with the lock's details, init/plan/apply failed).
import { runProgram } from '../../common/src/exec.js';

export type TerraformFailureReason = 'state-locked' | 'init-failed' | 'plan-failed' | 'apply-failed' | 'output-failed';

export interface LockInfo {
  id: string;
  path?: string;
  operation?: string;
  who?: string;
  version?: string;
  created?: string;
  info?: string;
}

export class TerraformError extends Error {
  override name = 'TerraformError';
  constructor(
    message: string,
    readonly reason: TerraformFailureReason,
    readonly lockInfo?: LockInfo,
  ) {
    super(message);
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TerraformOptions {
  binary: string;
  cwd: string;
  /** Added to the process environment (credentials such as YC_TOKEN go here, never into arguments). */
  env?: Record<string, string>;
  /** Each output line, as it comes (stdout and stderr). */
  log?: (line: string) => void;
  /** -lock-timeout for every command that takes the state lock, e.g. "5m". */
  lockTimeout?: string;
}

/** Parses the "Lock Info:" block terraform and OpenTofu print when the state lock is held. */
export function parseLockInfo(text: string): LockInfo | undefined {
  if (!/Error acquiring the state lock/i.test(text)) return undefined;
  const field = (name: string) => new RegExp(`^\\s*(?:│\\s*)?${name}:[ \\t]*(.*)$`, 'mi').exec(text)?.[1]?.trim() || undefined;
  const id = field('ID');
  if (!id) return { id: '' };
  const info: LockInfo = { id };
  for (const [key, name] of [
    ['path', 'Path'],
    ['operation', 'Operation'],
    ['who', 'Who'],
    ['version', 'Version'],
    ['created', 'Created'],
    ['info', 'Info'],
  ] as const) {
    const value = field(name);
    if (value) info[key] = value;
  }
  return info;
}

export class Terraform {
  constructor(readonly o: TerraformOptions) {}

  /** Runs the binary with args; quiet keeps stdout out of the log (for JSON). */
  async run(args: string[], quiet = false): Promise<RunResult> {
    const log = this.o.log ?? (() => {});
    try {
      const r = await runProgram(this.o.binary, args, {
        cwd: this.o.cwd,
        env: { ...process.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0', ...this.o.env },
        onLine: (line, stream) => {
          if (stream === 'stderr' || !quiet) log(line);
        },
      });
      // A program killed by a signal has no exit code: 128, as before.
      return { code: (r.exitCode as number | null) ?? 128, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      throw new Error(`could not run ${this.o.binary}: ${(err as Error).message}`);
    }
  }

  private lockArgs(): string[] {
    return this.o.lockTimeout ? [`-lock-timeout=${this.o.lockTimeout}`] : [];
  }

  private failure(what: string, reason: TerraformFailureReason, r: RunResult): TerraformError {
    const lock = parseLockInfo(`${r.stderr}\n${r.stdout}`);
    if (lock) {
      const who = lock.who ? ` held by ${lock.who}` : '';
      const since = lock.created ? ` since ${lock.created}` : '';
      const op = lock.operation ? ` (${lock.operation})` : '';
      return new TerraformError(`${what}: the state is locked${who}${op}${since}, lock ID ${lock.id || 'unknown'}`, 'state-locked', lock);
    }
    const detail = lastError(r.stderr) ?? `exit code ${r.code}`;
    return new TerraformError(`${what} failed: ${detail}`, reason);
  }

  async version(): Promise<string> {
    const r = await this.run(['version', '-json'], true);
    if (r.code !== 0) throw new Error(`${this.o.binary} version failed: ${r.stderr.trim() || `exit code ${r.code}`}`);
    try {
      return String((JSON.parse(r.stdout) as { terraform_version?: string }).terraform_version ?? '');
    } catch {
      return r.stdout.trim().split('\n')[0] ?? '';
    }
  }

  /** backendConfig: key=value pairs or file paths, each passed as -backend-config. */
  async init(backendConfig: string[] = []): Promise<void> {
    const args = ['init', '-input=false', '-no-color', ...this.lockArgs(), ...backendConfig.map((b) => `-backend-config=${b}`)];
    const r = await this.run(args);
    if (r.code !== 0) throw this.failure('init', 'init-failed', r);
  }

  /**
   * Plans into planFile; true when there are changes (exit code 2 under -detailed-exitcode). lock false plans
   * without the state lock (a read-only planner): applying the plan later still refuses it if the state moved.
   */
  async plan(planFile: string, variables: Record<string, string> = {}, varFiles: string[] = [], lock = true): Promise<boolean> {
    const args = [
      'plan',
      '-input=false',
      '-no-color',
      '-detailed-exitcode',
      `-out=${planFile}`,
      ...(lock ? this.lockArgs() : ['-lock=false']),
      ...varFiles.map((f) => `-var-file=${f}`),
      ...Object.entries(variables).map(([k, v]) => `-var=${k}=${v}`),
    ];
    const r = await this.run(args);
    if (r.code === 0) return false;
    if (r.code === 2) return true;
    throw this.failure('plan', 'plan-failed', r);
  }

  async showPlanJson(planFile: string): Promise<unknown> {
    const r = await this.run(['show', '-json', '-no-color', planFile], true);
    if (r.code !== 0) throw this.failure('show', 'plan-failed', r);
    return JSON.parse(r.stdout) as unknown;
  }

  async apply(planFile: string): Promise<void> {
    const r = await this.run(['apply', '-input=false', '-no-color', '-auto-approve', ...this.lockArgs(), planFile]);
    if (r.code !== 0) throw this.failure('apply', 'apply-failed', r);
  }

  /** The root module's outputs, name -> value (sensitive values are returned; callers mask them). */
  async outputs(): Promise<Record<string, { value: unknown; sensitive: boolean }>> {
    const r = await this.run(['output', '-json', '-no-color'], true);
    if (r.code !== 0) throw this.failure('output', 'output-failed', r);
    return JSON.parse(r.stdout || '{}') as Record<string, { value: unknown; sensitive: boolean }>;
  }
}

/** The first "Error: ..." line of terraform's diagnostics, without box-drawing decoration. */
export function lastError(stderr: string): string | undefined {
  const clean = stderr.split('\n').map((l) => l.replace(/^[│╷╵\s]+/, '').trimEnd());
  const i = clean.findIndex((l) => l.startsWith('Error: '));
  if (i < 0) return clean.filter(Boolean).at(-1);
  const next = clean.slice(i + 1).find((l) => l && !l.startsWith('on ') && !/^\d+:/.test(l));
  return next ? `${clean[i]!.slice(7)}: ${next}` : clean[i]!.slice(7);
}

// The local stack's supervisor: runs programs, restarts one that exits or stays unhealthy, and writes its
// view of them to a status file every second. It runs detached (`pipeline supervise`), so it outlives `up`.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface ProgramSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  log: string;
  /** GET this URL; healthy when it answers 200 (and `expect`, when given, equals the body). */
  health?: { url: string; expect?: string };
  /** Signal that asks the program to stop (nginx: SIGQUIT for a graceful stop). */
  stopSignal?: NodeJS.Signals;
}

export interface SupervisorConfig {
  programs: ProgramSpec[];
  statusFile: string;
  /** Health probe period and timeout. */
  checkIntervalMs: number;
  /** Consecutive failed probes before a running program is killed and restarted. */
  unhealthyThreshold: number;
  /** A program must run this long before it is probed (start-up grace). */
  startGraceMs: number;
}

export const DEFAULT_SUPERVISOR = { checkIntervalMs: 1000, unhealthyThreshold: 4, startGraceMs: 3000 } as const;

export interface ProgramStatus {
  name: string;
  pid: number | null;
  state: 'starting' | 'running' | 'unhealthy' | 'backoff' | 'stopped';
  restarts: number;
  lastExit: string | null;
  lastRestartReason: string | null;
  healthy: boolean | null;
  healthDetail: string;
  startedAt: string | null;
}

export interface SupervisorStatus {
  pid: number;
  updatedAt: string;
  programs: ProgramStatus[];
}

/** Backoff before restart n (1-based): 250 ms doubling to 4 s. */
export function restartDelay(consecutive: number): number {
  return Math.min(250 * 2 ** Math.max(0, consecutive - 1), 4000);
}

class Program {
  child: ChildProcess | null = null;
  status: ProgramStatus;
  private failures = 0;
  private consecutiveRestarts = 0;
  private startedMs = 0;
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  /** Why we killed the program ourselves, reported instead of the bare exit. */
  private killReason: string | null = null;

  constructor(
    readonly spec: ProgramSpec,
    private readonly cfg: SupervisorConfig,
    private readonly log: (msg: string) => void,
  ) {
    this.status = {
      name: spec.name,
      pid: null,
      state: 'stopped',
      restarts: 0,
      lastExit: null,
      lastRestartReason: null,
      healthy: null,
      healthDetail: 'not started',
      startedAt: null,
    };
  }

  start(): void {
    if (this.stopping) return;
    const fd = openSync(this.spec.log, 'a');
    const child = spawn(this.spec.command, this.spec.args, {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...this.spec.env },
    });
    closeSync(fd);
    this.child = child;
    this.startedMs = Date.now();
    this.failures = 0;
    Object.assign(this.status, { pid: child.pid ?? null, state: 'starting', startedAt: new Date().toISOString(), healthy: null, healthDetail: 'starting' });
    this.log(`${this.spec.name}: started pid ${child.pid}`);
    child.on('error', (err) => this.log(`${this.spec.name}: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      Object.assign(this.status, { pid: null, lastExit: `${how} at ${new Date().toISOString()}`, healthy: false });
      if (this.stopping) {
        this.status.state = 'stopped';
        return;
      }
      if (Date.now() - this.startedMs > 10_000) this.consecutiveRestarts = 0;
      this.consecutiveRestarts += 1;
      const delay = restartDelay(this.consecutiveRestarts);
      this.status.state = 'backoff';
      this.status.lastRestartReason = this.killReason ?? `exited (${how})`;
      this.killReason = null;
      this.log(`${this.spec.name}: exited (${how}); restarting in ${delay} ms`);
      this.timer = setTimeout(() => {
        this.status.restarts += 1;
        this.start();
      }, delay);
    });
  }

  async check(): Promise<void> {
    const child = this.child;
    if (!child || this.stopping) return;
    if (!this.spec.health) {
      this.status.state = 'running';
      this.status.healthy = true;
      this.status.healthDetail = 'no health check';
      return;
    }
    let ok = false;
    let detail: string;
    try {
      const r = await fetch(this.spec.health.url, { signal: AbortSignal.timeout(this.cfg.checkIntervalMs) });
      const body = (await r.text()).trim();
      ok = r.status === 200 && (this.spec.health.expect === undefined || body === this.spec.health.expect);
      detail = `${r.status} ${body.slice(0, 40)}`;
    } catch (err) {
      detail = (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message;
    }
    if (this.child !== child) return; // restarted meanwhile
    this.status.healthy = ok;
    this.status.healthDetail = detail;
    if (ok) {
      this.failures = 0;
      this.status.state = 'running';
      return;
    }
    if (Date.now() - this.startedMs < this.cfg.startGraceMs) return;
    this.failures += 1;
    this.status.state = 'unhealthy';
    if (this.failures >= this.cfg.unhealthyThreshold) {
      this.killReason = `unhealthy for ${this.failures} checks (${detail})`;
      this.log(`${this.spec.name}: ${this.killReason}; killing pid ${child.pid}`);
      this.failures = 0;
      child.kill('SIGKILL');
    }
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    if (!child) {
      this.status.state = 'stopped';
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(this.spec.stopSignal ?? 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
    this.log(`${this.spec.name}: stopped`);
  }
}

export class Supervisor {
  private readonly programs: Program[];
  private interval: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    private readonly cfg: SupervisorConfig,
    private readonly log: (msg: string) => void = (m) => process.stdout.write(`${new Date().toISOString()} ${m}\n`),
  ) {
    this.programs = cfg.programs.map((p) => new Program(p, cfg, log));
  }

  start(): void {
    for (const p of this.programs) p.start();
    this.writeStatus();
    this.interval = setInterval(() => void this.tick(), this.cfg.checkIntervalMs);
  }

  private async tick(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await Promise.all(this.programs.map((p) => p.check()));
      this.writeStatus();
    } finally {
      this.checking = false;
    }
  }

  status(): SupervisorStatus {
    return { pid: process.pid, updatedAt: new Date().toISOString(), programs: this.programs.map((p) => ({ ...p.status })) };
  }

  private writeStatus(): void {
    const tmp = `${this.cfg.statusFile}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.status(), null, 2)}\n`);
    renameSync(tmp, this.cfg.statusFile);
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.interval) clearInterval(this.interval);
    await Promise.all(this.programs.map((p) => p.stop(timeoutMs)));
    this.writeStatus();
  }
}

export function readStatus(file: string): SupervisorStatus | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SupervisorStatus;
  } catch {
    return null;
  }
}

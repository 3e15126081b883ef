// The local stack's supervisor: runs programs, restarts one that exits or stays unhealthy, and writes its
// view of them to a status file every second. It runs detached (`pipeline supervise`), so it outlives `up`.
// It also watches daemons it does not run in the foreground (PostgreSQL, started by pg_ctl): one whose process
// is gone without a clean stop is started again. Restarts back off exponentially (capped), and the backoff
// starts over once a program has been healthy for a stable period.
// Health checks here are liveness checks (does the program answer at all): a program whose dependency is down
// (an SHS instance without its database) must not be restarted for it.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { processAlive } from './process-alive.js';

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
  /**
   * A daemon, watched instead of run in the foreground: `command` starts it and returns once it runs (exit 0);
   * its pid is the first line of `pidFile`. When that process is gone but the pid file is left behind (killed,
   * crashed), it is started again; a clean stop removes the file and is left alone until something starts it
   * again (which the supervisor then adopts). The supervisor does not stop a daemon when it stops.
   */
  daemon?: { pidFile: string };
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
  /** A run healthy (or, without a health check, running) this long before it ends: the backoff starts over. Default 10 s. */
  stableMs?: number;
  /** The longest restart backoff. Default 4 s. */
  maxBackoffMs?: number;
}

export const DEFAULT_SUPERVISOR = { checkIntervalMs: 1000, unhealthyThreshold: 4, startGraceMs: 3000, stableMs: 10_000, maxBackoffMs: 4000 } as const;

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

/** Backoff before restart n (1-based) since the program was last stable: 250 ms doubling, at most maxMs. */
export function restartDelay(consecutive: number, maxMs = 4000): number {
  return Math.min(250 * 2 ** Math.max(0, consecutive - 1), maxMs);
}

class Program {
  child: ChildProcess | null = null;
  status: ProgramStatus;
  private failures = 0;
  private consecutiveRestarts = 0;
  /** When the program, in this run, first passed its health check (null: not yet). */
  private healthySince: number | null = null;
  /** A daemon's start command is running. */
  private launching = false;
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

  /**
   * Whether the backoff starts over: this run first became healthy (or, without a health check, ran) at least
   * the stable period ago. A program that comes up and serves a while before failing is not crash-looping.
   */
  private wasStable(): boolean {
    return this.healthySince !== null && Date.now() - this.healthySince >= (this.cfg.stableMs ?? DEFAULT_SUPERVISOR.stableMs);
  }

  /** Schedules a restart after the backoff; `reason` is what happened. */
  private scheduleRestart(reason: string, how: string): void {
    if (this.wasStable()) this.consecutiveRestarts = 0;
    this.healthySince = null;
    this.consecutiveRestarts += 1;
    const delay = restartDelay(this.consecutiveRestarts, this.cfg.maxBackoffMs ?? DEFAULT_SUPERVISOR.maxBackoffMs);
    this.status.state = 'backoff';
    this.status.lastRestartReason = reason;
    this.log(`${this.spec.name}: ${how}; restarting in ${delay} ms`);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.status.restarts += 1;
      this.start();
    }, delay);
  }

  start(): void {
    if (this.stopping) return;
    if (this.spec.daemon) return this.startDaemon();
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
      const reason = this.killReason ?? `exited (${how})`;
      this.killReason = null;
      this.scheduleRestart(reason, `exited (${how})`);
    });
  }

  /** The daemon's pid from its pid file: null when there is no file (never started, or stopped cleanly), 0 when unreadable. */
  private daemonPid(): number | null {
    try {
      const pid = Number(readFileSync(this.spec.daemon!.pidFile, 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : 0;
    } catch {
      return null;
    }
  }

  /** Adopts the daemon when it runs already, else runs its start command. */
  private startDaemon(): void {
    const pid = this.daemonPid();
    if (pid && processAlive(pid)) return this.adopt(pid);
    this.launching = true;
    this.startedMs = Date.now();
    Object.assign(this.status, { pid: null, state: 'starting', startedAt: new Date().toISOString(), healthy: null, healthDetail: 'starting' });
    const fd = openSync(this.spec.log, 'a');
    const child = spawn(this.spec.command, this.spec.args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...this.spec.env } });
    closeSync(fd);
    this.log(`${this.spec.name}: starting (${this.spec.command} ${this.spec.args.join(' ')})`);
    const done = (how: string | null) => {
      this.launching = false;
      if (this.stopping) return;
      const started = this.daemonPid();
      if (how === null && started && processAlive(started)) return this.adopt(started);
      this.scheduleRestart(`start failed (${how ?? 'no process after the start command'})`, `start failed (${how ?? 'no process'})`);
    };
    child.on('error', (err) => done(err.message));
    child.on('exit', (code, signal) => done(code === 0 ? null : signal ? `signal ${signal}` : `code ${code}`));
  }

  private adopt(pid: number): void {
    if (this.status.pid !== pid) this.log(`${this.spec.name}: running, pid ${pid}`);
    this.startedMs = Date.now();
    Object.assign(this.status, { pid, state: 'running', startedAt: this.status.pid === pid ? this.status.startedAt : new Date().toISOString(), healthy: true, healthDetail: 'process running' });
    this.healthySince ??= Date.now();
  }

  /** A daemon's tick: adopt it if it runs, leave a clean stop alone, restart it when it died. */
  private checkDaemon(): void {
    if (this.launching || this.timer || this.stopping) return;
    const pid = this.daemonPid();
    if (pid === 0) return; // a pid file being written: look again next time
    if (pid && processAlive(pid)) return this.adopt(pid);
    const was = this.status.pid;
    Object.assign(this.status, { pid: null, healthy: false });
    if (pid === null) {
      // no pid file: stopped cleanly (or never started): someone meant it
      if (this.status.state !== 'stopped') {
        this.log(`${this.spec.name}: stopped cleanly (no ${this.spec.daemon!.pidFile}); not restarted`);
        Object.assign(this.status, { state: 'stopped', healthDetail: 'stopped cleanly: not restarted', lastExit: `clean stop at ${new Date().toISOString()}` });
        this.healthySince = null;
      }
      return;
    }
    const how = `process ${was ?? pid} gone, pid file left behind`;
    this.status.lastExit = `${how} at ${new Date().toISOString()}`;
    this.status.healthDetail = how;
    this.scheduleRestart(`died (${how})`, `died (${how})`);
  }

  async check(): Promise<void> {
    if (this.spec.daemon) return this.checkDaemon();
    const child = this.child;
    if (!child || this.stopping) return;
    if (!this.spec.health) {
      this.status.state = 'running';
      this.status.healthy = true;
      this.status.healthDetail = 'no health check';
      this.healthySince ??= Date.now();
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
      this.healthySince ??= Date.now();
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
    if (this.spec.daemon) return; // left running: `pipeline down` stops PostgreSQL itself, after the supervisor
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

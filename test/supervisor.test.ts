// The supervisor with real child processes: restarts what exits, kills and restarts what stays unhealthy.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../stack/src/ports.js';
import { processAlive } from '../stack/src/process-alive.js';
import { restartDelay, Supervisor } from '../stack/src/supervisor.js';
import { eventually } from './support/shs.js';

const dir = mkdtempSync(join(tmpdir(), 'shs-supervisor-'));
let supervisor: Supervisor | null = null;
afterEach(async () => {
  await supervisor?.stop(2000);
  supervisor = null;
});

describe('supervisor', () => {
  it('backs off 250 ms doubling to 4 s (or the cap given)', () => {
    expect([1, 2, 3, 5, 9].map((n) => restartDelay(n))).toEqual([250, 500, 1000, 4000, 4000]);
    expect(restartDelay(9, 2000)).toBe(2000);
  });

  it('backs off while a program keeps failing, and starts over once it has been healthy for the stable period', async () => {
    const port = await freePort();
    const delays: number[] = [];
    const log = (m: string) => {
      const d = /restarting in (\d+) ms/.exec(m);
      if (d) delays.push(Number(d[1]));
    };
    // healthy at once, then exits after 3 s: each run is stable (healthy for 600 ms), so no backoff builds up
    const stable = `require('http').createServer((q,r)=>r.end('ok')).listen(${port},'127.0.0.1');setTimeout(()=>process.exit(1),3000)`;
    supervisor = new Supervisor(
      { programs: [{ name: 'stable', command: process.execPath, args: ['-e', stable], log: join(dir, 'stable.log'), health: { url: `http://127.0.0.1:${port}/` } }], statusFile: join(dir, 'd.json'), checkIntervalMs: 200, unhealthyThreshold: 5, startGraceMs: 1500, stableMs: 600 },
      log,
    );
    supervisor.start();
    await eventually(async () => delays.length >= 3, 30_000);
    await supervisor.stop(2000);
    expect(delays.slice(0, 3)).toEqual([250, 250, 250]);
    // never healthy (nothing listens), killed each time: the backoff grows, however long each run lasts
    delays.length = 0;
    supervisor = new Supervisor(
      { programs: [{ name: 'never', command: process.execPath, args: ['-e', 'setInterval(()=>{},1000)'], log: join(dir, 'never.log'), health: { url: `http://127.0.0.1:${port}/` } }], statusFile: join(dir, 'e.json'), checkIntervalMs: 50, unhealthyThreshold: 3, startGraceMs: 0, stableMs: 10, maxBackoffMs: 1000 },
      log,
    );
    supervisor.start();
    await eventually(async () => delays.length >= 4, 15_000);
    expect(delays.slice(0, 4)).toEqual([250, 500, 1000, 1000]);
  });

  it('watches a daemon: starts it again when it dies, leaves a clean stop alone, adopts one started by hand', async () => {
    const pidFile = join(dir, 'daemon.pid');
    // like pg_ctl start -w: starts a detached process that writes its pid file, and returns once it has
    const child = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, process.pid + '\\n');setInterval(()=>{},1000)`;
    const starter = `const fs=require('fs');try{fs.rmSync(${JSON.stringify(pidFile)})}catch{};const c=require('child_process').spawn(process.execPath,['-e',${JSON.stringify(child)}],{detached:true,stdio:'ignore'});c.unref();const t=setInterval(()=>{if(fs.existsSync(${JSON.stringify(pidFile)})){clearInterval(t)}},20)`;
    const pid = () => Number(readFileSync(pidFile, 'utf8').trim());
    const daemonStatus = () => supervisor!.status().programs[0]!;
    supervisor = new Supervisor(
      { programs: [{ name: 'daemon', command: process.execPath, args: ['-e', starter], log: join(dir, 'daemon.log'), daemon: { pidFile } }], statusFile: join(dir, 'f.json'), checkIntervalMs: 50, unhealthyThreshold: 3, startGraceMs: 0 },
      () => undefined,
    );
    supervisor.start();
    const pids: number[] = [];
    try {
      await eventually(async () => daemonStatus().state === 'running' && existsSync(pidFile), 10_000);
      pids.push(pid());
      expect(daemonStatus()).toMatchObject({ pid: pids[0], restarts: 0, healthy: true });
      // killed: the pid file stays behind, so it is started again
      process.kill(pids[0]!, 'SIGKILL');
      await eventually(async () => daemonStatus().restarts === 1 && daemonStatus().state === 'running' && existsSync(pidFile) && pid() !== pids[0], 10_000);
      pids.push(pid());
      expect(daemonStatus().lastRestartReason).toMatch(/died/);
      // stopped cleanly (the pid file removed, as pg_ctl stop does): left stopped
      rmSync(pidFile);
      process.kill(pids[1]!, 'SIGTERM');
      await eventually(async () => daemonStatus().state === 'stopped', 10_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(daemonStatus()).toMatchObject({ state: 'stopped', restarts: 1, pid: null });
      // started by hand: adopted, and watched again
      const byHand = spawn(process.execPath, ['-e', child], { detached: true, stdio: 'ignore' });
      byHand.unref();
      await eventually(async () => daemonStatus().state === 'running' && daemonStatus().pid === byHand.pid, 10_000);
      pids.push(byHand.pid!);
      expect(daemonStatus().restarts).toBe(1);
      // the supervisor stopping leaves the daemon running (pipeline down stops PostgreSQL itself)
      await supervisor.stop(2000);
      supervisor = null;
      expect(processAlive(pids[2])).toBe(true);
    } finally {
      for (const p of pids) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  });

  it('restarts a program that exits', async () => {
    supervisor = new Supervisor(
      { programs: [{ name: 'flaky', command: process.execPath, args: ['-e', 'setTimeout(() => process.exit(3), 100)'], log: join(dir, 'flaky.log') }], statusFile: join(dir, 'a.json'), checkIntervalMs: 100, unhealthyThreshold: 2, startGraceMs: 0 },
      () => undefined,
    );
    supervisor.start();
    await eventually(async () => supervisor!.status().programs[0]!.restarts >= 2, 10_000);
    expect(supervisor.status().programs[0]!.lastExit).toMatch(/^code 3/);
    expect(JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')).programs[0].name).toBe('flaky');
  });

  it('kills and restarts a program that stays unhealthy', async () => {
    const port = await freePort();
    // healthy for its first answer, then 500 for ever: alive but sick
    const script = `let n=0;require('http').createServer((q,r)=>{r.statusCode=n++<1?200:500;r.end('x')}).listen(${port},'127.0.0.1')`;
    supervisor = new Supervisor(
      {
        programs: [{ name: 'sick', command: process.execPath, args: ['-e', script], log: join(dir, 'sick.log'), health: { url: `http://127.0.0.1:${port}/` } }],
        statusFile: join(dir, 'b.json'),
        checkIntervalMs: 100,
        unhealthyThreshold: 3,
        startGraceMs: 0,
      },
      () => undefined,
    );
    supervisor.start();
    const first = await (async () => {
      await eventually(async () => supervisor!.status().programs[0]!.pid !== null);
      return supervisor!.status().programs[0]!.pid;
    })();
    await eventually(async () => supervisor!.status().programs[0]!.restarts >= 1, 10_000);
    const p = supervisor.status().programs[0]!;
    expect(p.lastRestartReason).toMatch(/unhealthy for 3 checks/);
    expect(p.lastExit).toMatch(/signal SIGKILL/);
    await eventually(async () => supervisor!.status().programs[0]!.pid !== null && supervisor!.status().programs[0]!.pid !== first);
  });

  it('stops programs gracefully with their stop signal', async () => {
    supervisor = new Supervisor(
      {
        programs: [
          {
            name: 'calm',
            command: process.execPath,
            args: ['-e', "process.on('SIGQUIT',()=>process.exit(0));console.log('ready');setInterval(()=>{},1000)"],
            log: join(dir, 'calm.log'),
            stopSignal: 'SIGQUIT',
          },
        ],
        statusFile: join(dir, 'c.json'),
        checkIntervalMs: 100,
        unhealthyThreshold: 2,
        startGraceMs: 0,
      },
      () => undefined,
    );
    supervisor.start();
    // the program says when its handler is in place: a signal before that would kill it outright
    await eventually(async () => readFileSync(join(dir, 'calm.log'), 'utf8').includes('ready'));
    await supervisor.stop(5000);
    const p = supervisor.status().programs[0]!;
    expect(p.state).toBe('stopped');
    expect(p.lastExit).toMatch(/^code 0/);
    supervisor = null;
  });
});

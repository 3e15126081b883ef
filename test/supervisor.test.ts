// The supervisor with real child processes: restarts what exits, kills and restarts what stays unhealthy.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../stack/src/ports.js';
import { restartDelay, Supervisor } from '../stack/src/supervisor.js';
import { eventually } from './support/shs.js';

const dir = mkdtempSync(join(tmpdir(), 'shs-supervisor-'));
let supervisor: Supervisor | null = null;
afterEach(async () => {
  await supervisor?.stop(2000);
  supervisor = null;
});

describe('supervisor', () => {
  it('backs off 250 ms doubling to 4 s', () => {
    expect([1, 2, 3, 5, 9].map(restartDelay)).toEqual([250, 500, 1000, 4000, 4000]);
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

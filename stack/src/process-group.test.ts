import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processGroupMembers, processGroupOf } from './process-group.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('process groups', () => {
  it('reads the group from a stat line whose command name holds spaces and parentheses', () => {
    const proc = mkdtempSync(join(tmpdir(), 'proc-'));
    dirs.push(proc);
    const stat = (pid: number, comm: string, pgrp: number) => {
      mkdirSync(join(proc, String(pid)));
      writeFileSync(join(proc, String(pid), 'stat'), `${pid} (${comm}) S 1 ${pgrp} ${pgrp} 0 -1 4194560 0 0\n`);
    };
    stat(10, 'a) S 1 999 (b', 50);
    stat(11, 'node', 50);
    stat(12, 'node', 12);
    mkdirSync(join(proc, 'self'));
    expect(processGroupOf(10, proc)).toBe(50);
    expect(processGroupMembers(50, proc).sort()).toEqual([10, 11]);
    expect(processGroupOf(13, proc)).toBeNull();
  });

  it('finds a detached process and its children, on this machine', async () => {
    const leader = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { detached: true, stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(processGroupOf(leader.pid!)).toBe(leader.pid);
      expect(processGroupMembers(leader.pid!)).toHaveLength(3);
      expect(processGroupMembers(leader.pid!)).not.toContain(process.pid);
    } finally {
      process.kill(-leader.pid!, 'SIGKILL');
    }
  });
});

// The processes of a process group, from /proc (Linux). The supervisor runs detached, as the leader of a group of
// its own, and the programs it starts stay in that group: when the supervisor dies without stopping them (killed,
// crashed), they are found here and stopped.
import { readdirSync, readFileSync } from 'node:fs';

/** The process group of `pid` (field 5 of /proc/<pid>/stat), or null when it is gone. */
export function processGroupOf(pid: number, proc = '/proc'): number | null {
  try {
    const stat = readFileSync(`${proc}/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so count from the last ')'
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    return Number.isInteger(pgrp) ? pgrp : null;
  } catch {
    return null; // gone meanwhile, or no /proc
  }
}

/** Every process in group `pgid`. */
export function processGroupMembers(pgid: number, proc = '/proc'): number[] {
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return [];
  }
  return entries
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => processGroupOf(pid, proc) === pgid);
}

// Who nginx's workers run as. As root, nginx would run them as its compiled-in default, which may not exist;
// they run as `nobody` instead, and must own the directories they write (temp files, the cache). As any other
// user (the proxy image runs as 65532), workers are that user and nothing needs saying.
import { chownSync, readFileSync } from 'node:fs';

export interface WorkerUser {
  /** The value of nginx's `user` directive, or null to leave it out. */
  directive: string | null;
  uid: number;
  gid: number;
}

export function workerUser(uid = process.getuid?.() ?? -1): WorkerUser {
  if (uid !== 0) return { directive: null, uid: -1, gid: -1 };
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
  const f = (line ?? 'nobody:x:65534:65534').split(':');
  const group = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[2] === f[3])?.split(':')[0] ?? 'nogroup';
  return { directive: `nobody ${group}`, uid: Number(f[2]), gid: Number(f[3]) };
}

/** Hands the directories the workers write to them (nothing to do when nginx does not run as root). */
export function giveToWorkers(user: WorkerUser, dirs: string[]): void {
  if (!user.directive) return;
  for (const d of dirs) chownSync(d, user.uid, user.gid);
}

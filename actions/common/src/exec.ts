// The programs the actions run (OpenTofu/terraform, git, ldd, dpkg-deb) go through @actions/exec: nothing is
// echoed by it (the caller logs each line, grouped and masked as the action's log is), and the program's exit
// code comes back as it is, never turned into an error; a program that cannot be started is an error.
import { StringDecoder } from 'node:string_decoder';
import { getExecOutput } from '@actions/exec';

export interface RunProgramOptions {
  cwd?: string;
  /** The whole environment of the program (default: this process's). */
  env?: Record<string, string | undefined>;
  /** Each line the program prints, as it comes (stdout and stderr). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ProgramResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Thrown when the program cannot be started at all (not found, not executable). */
export class ProgramNotFoundError extends Error {
  override name = 'ProgramNotFoundError';
}

export async function runProgram(command: string, args: string[], o: RunProgramOptions = {}): Promise<ProgramResult> {
  const out = o.onLine ? lineSplitter((line) => o.onLine!(line, 'stdout')) : undefined;
  const err = o.onLine ? lineSplitter((line) => o.onLine!(line, 'stderr')) : undefined;
  const env = Object.fromEntries(Object.entries(o.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined));
  try {
    const r = await getExecOutput(command, args, {
      ...(o.cwd ? { cwd: o.cwd } : {}),
      env,
      silent: true,
      ignoreReturnCode: true,
      ...(out && err ? { listeners: { stdout: (d: Buffer) => out.push(d), stderr: (d: Buffer) => err.push(d) } } : {}),
    });
    out?.end();
    err?.end();
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const message = (error as Error).message;
    if (/Unable to locate executable file|ENOENT|EACCES/.test(message)) throw new ProgramNotFoundError(`${command}: ${message.replace(/\. Please verify.*$/s, '')}`);
    throw error;
  }
}

/** Whole lines out of chunks (UTF-8 split anywhere); the last line is given at end() even without a newline. */
function lineSplitter(onLine: (line: string) => void) {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  return {
    push(chunk: Buffer) {
      rest += decoder.write(chunk);
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) onLine(p);
    },
    end() {
      rest += decoder.end();
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

import { describe, expect, it } from 'vitest';
import { ProgramNotFoundError, runProgram } from './exec.js';

describe('runProgram (@actions/exec)', () => {
  it('gives the exit code as the program returned it, the output, and every line as it comes (the last one without a newline too)', async () => {
    const lines: string[] = [];
    const r = await runProgram('sh', ['-c', 'echo out1; echo err1 >&2; printf "out2"; exit 2'], { onLine: (line, stream) => lines.push(`${stream}:${line}`) });
    expect(r).toEqual({ exitCode: 2, stdout: 'out1\nout2', stderr: 'err1\n' });
    expect(lines.sort()).toEqual(['stderr:err1', 'stdout:out1', 'stdout:out2']);
  });

  it('runs in cwd with the environment given; echoes nothing itself', async () => {
    const r = await runProgram('sh', ['-c', 'pwd; echo "$X"'], { cwd: '/tmp', env: { PATH: process.env.PATH, X: 'x-value' } });
    expect(r.stdout).toBe('/tmp\nx-value\n');
  });

  it('a program that cannot be found is a ProgramNotFoundError naming it', async () => {
    await expect(runProgram('/nonexistent/tofu', ['version'])).rejects.toThrow(ProgramNotFoundError);
    await expect(runProgram('no-such-program-here', [])).rejects.toThrow(/^no-such-program-here: Unable to locate executable file/);
  });
});

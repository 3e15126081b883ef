// The flags of the `shs` command line: what parseArgs refuses, said in a few words naming the flag.
import { describe, expect, it } from 'vitest';
import { UsageError, parseFlags, usageMessage } from './args.js';

const OPTIONS = { seed: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

const refusal = (argv: string[]) => {
  try {
    parseFlags(argv, OPTIONS, true);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

describe('parseFlags', () => {
  it('names the flag and the problem', () => {
    expect(refusal(['migrate', '--frob'])).toBe('unknown option --frob');
    expect(refusal(['migrate', '-x'])).toBe('unknown option -x');
    expect(refusal(['prepare_db', '--seed'])).toBe('--seed: needs a value');
    expect(refusal(['prepare_db', '--force=yes'])).toBe('--force: takes no value');
  });

  it('takes a negative number as the value of a flag that has one', () => {
    expect(parseFlags(['prepare_db', '--seed', '-3'], OPTIONS, true).values.seed).toBe('-3');
    expect(parseFlags(['prepare_db', '--seed', '5', '-h'], OPTIONS, true).values).toEqual({ seed: '5', help: true });
  });

  it('keeps the positionals', () => {
    expect(parseFlags(['init', '--force', 'extra'], OPTIONS, true).positionals).toEqual(['init', 'extra']);
  });
});

describe('usageMessage', () => {
  it('is one line, then where the help is', () => {
    expect(usageMessage('--seed: needs a value')).toBe('shs: --seed: needs a value\nRun "shs --help" for its usage.\n');
  });
});

import { describe, expect, it } from 'vitest';
import { withRetry } from './retry.js';

const retryable = (msg: string, retryAfterMs?: number) => Object.assign(new Error(msg), { retryable: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });

describe('withRetry', () => {
  it('retries retryable errors with doubling delays, bounded', async () => {
    const delays: number[] = [];
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw retryable('boom');
        },
        { attempts: 4, baseDelayMs: 100, sleep: async (ms) => void delays.push(ms) },
      ),
    ).rejects.toThrow('boom');
    expect(calls).toBe(4);
    expect(delays).toEqual([100, 200, 400]);
  });

  it('does not retry other errors, honours Retry-After within the bound', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error('fatal');
        },
        { attempts: 3 },
      ),
    ).rejects.toThrow('fatal');
    expect(calls).toBe(1);
    const delays: number[] = [];
    let n = 0;
    const v = await withRetry(
      async () => {
        if (n++ < 2) throw retryable('slow down', n === 1 ? 60_000 : 5);
        return 'ok';
      },
      { maxDelayMs: 1000, sleep: async (ms) => void delays.push(ms) },
    );
    expect(v).toBe('ok');
    expect(delays).toEqual([1000, 5]);
  });
});

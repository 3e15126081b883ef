// Bounded retries with exponential backoff, for operations that are safe to repeat.

export interface RetryOptions {
  /** Total attempts, the first included (default 4). */
  attempts?: number;
  /** Delay before the second attempt; doubles each time (default 500 ms). */
  baseDelayMs?: number;
  /** Upper bound of one delay (default 8 s). */
  maxDelayMs?: number;
  /** Called before each new attempt (for logs). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Waits; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

/** An error that says whether repeating the operation may help, and optionally how long to wait first. */
export interface RetryHint {
  retryable?: boolean;
  retryAfterMs?: number;
}

export function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as RetryHint).retryable === true;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs fn until it succeeds, it throws an error that is not retryable, or the attempts are used up. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 8000;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      const hinted = (error as RetryHint).retryAfterMs;
      const delay = Math.min(max, hinted !== undefined ? Math.max(hinted, 0) : base * 2 ** (attempt - 1));
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}

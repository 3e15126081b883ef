// Graceful shutdown. The first SIGTERM (or SIGINT) takes the instance out of rotation at once (readiness fails)
// while it keeps serving for `delayMs`, long enough for the balancers' health checks to notice and stop sending
// new work; only then does it stop accepting connections and drain in-flight requests, and exit 0.
// A second signal, or the deadline (`deadlineMs` after the delay), forces exit 1.
import { setTimeout as sleep } from 'node:timers/promises';

export interface Drainable {
  /** Called at once on the signal: fail readiness, keep serving everything else. */
  leaveRotation(): void;
  /** Stop accepting work and resolve when in-flight work is done. */
  drain(): Promise<void>;
  log(message: string, fields?: Record<string, unknown>): void;
}

export interface ShutdownTiming {
  /** Serve on, out of rotation, this long before draining. */
  delayMs: number;
  /** The drain's deadline, from the end of the delay. */
  deadlineMs: number;
}

export function installSignalHandlers(target: Drainable, timing: ShutdownTiming, exit: (code: number) => void = process.exit): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      target.log('second signal: forcing exit', { signal });
      exit(1);
      return;
    }
    stopping = true;
    target.leaveRotation();
    target.log('leaving rotation: /ping fails, serving on until the delay has passed', { signal, delay_ms: timing.delayMs });
    const timer = setTimeout(() => {
      target.log('drain deadline passed: forcing exit', { deadline_ms: timing.deadlineMs });
      exit(1);
    }, timing.delayMs + timing.deadlineMs);
    timer.unref();
    sleep(timing.delayMs)
      .then(() => {
        target.log('draining', { deadline_ms: timing.deadlineMs });
        return target.drain();
      })
      .then(
        () => {
          clearTimeout(timer);
          target.log('drained: exiting');
          exit(0);
        },
        (err: unknown) => {
          target.log('drain failed', { error: (err as Error).message });
          exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

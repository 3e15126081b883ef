// Graceful shutdown: the first SIGTERM (or SIGINT) stops new work and drains in-flight requests, then exits 0.
// A second signal, or the deadline, forces exit 1.
export interface Drainable {
  /** Stop accepting work and resolve when in-flight work is done. */
  drain(): Promise<void>;
  log(message: string, fields?: Record<string, unknown>): void;
}

export function installSignalHandlers(target: Drainable, deadlineMs: number, exit: (code: number) => void = process.exit): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      target.log('second signal: forcing exit', { signal });
      exit(1);
      return;
    }
    stopping = true;
    target.log('draining', { signal, deadline_ms: deadlineMs });
    const timer = setTimeout(() => {
      target.log('drain deadline passed: forcing exit', { deadline_ms: deadlineMs });
      exit(1);
    }, deadlineMs);
    timer.unref();
    target.drain().then(
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

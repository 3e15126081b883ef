// Load profiles: phases of constant arrival rate. "60@30s,120@60s" is 60 requests per second for 30 s, then
// 120 per second for 60 s.

export interface Phase {
  rate: number;
  seconds: number;
}

export const PROFILES: Record<string, { phases: Phase[]; description: string }> = {
  original: { phases: [{ rate: 60, seconds: 60 }, { rate: 120, seconds: 60 }], description: "the original task: 60 RPS steady for 60 s, then 120 RPS peak for 60 s" },
  quick: { phases: [{ rate: 60, seconds: 10 }, { rate: 120, seconds: 10 }], description: 'a short run of the same shape: 60 RPS for 10 s, then 120 RPS for 10 s' },
  smoke: { phases: [{ rate: 20, seconds: 5 }], description: 'a light check: 20 RPS for 5 s' },
};

export function parseProfile(text: string): Phase[] {
  const named = PROFILES[text.trim()];
  if (named) return named.phases;
  const phases = text.split(',').map((part) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*@\s*(\d+(?:\.\d+)?)\s*(s|m)?\s*$/.exec(part);
    if (!m) throw new Error(`profile: "${part.trim()}" is not <rate>@<duration> (e.g. 120@60s), nor one of ${Object.keys(PROFILES).join(', ')}`);
    const rate = Number(m[1]);
    const seconds = Number(m[2]) * (m[3] === 'm' ? 60 : 1);
    if (rate <= 0 || rate > 50_000) throw new Error(`profile: rate ${rate} must be in (0, 50000]`);
    if (seconds <= 0 || seconds > 3600) throw new Error(`profile: duration ${seconds} s must be in (0, 3600]`);
    return { rate, seconds };
  });
  return phases;
}

export function totalSeconds(phases: Phase[]): number {
  return phases.reduce((s, p) => s + p.seconds, 0);
}

/** Requests in a phase: one every 1/rate seconds, the first at the phase's start. */
export function phaseCount(p: Phase): number {
  return Math.floor(p.rate * p.seconds);
}

/** How many requests are due by `elapsed` seconds into the profile (request n is due at dueAt(n)). */
export function dueBy(phases: Phase[], elapsed: number): number {
  let due = 0;
  let t = 0;
  for (const p of phases) {
    if (elapsed < t) break;
    const count = phaseCount(p);
    due += Math.min(count, Math.floor((elapsed - t) * p.rate + 1e-9) + 1); // due exactly now: released
    t += p.seconds;
  }
  return due;
}

/** When (seconds into the profile) request number n (0-based) is due. */
export function dueAt(phases: Phase[], n: number): number {
  let before = 0;
  let t = 0;
  for (const p of phases) {
    const count = phaseCount(p);
    if (n < before + count) return t + (n - before) / p.rate;
    before += count;
    t += p.seconds;
  }
  return t;
}

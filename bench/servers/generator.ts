// The smoke action's load generator as a process of its own, so a bench can pin it to one core:
//   node --import tsx bench/servers/generator.ts <base-url> <path> <rate> <seconds>
// Sends GET <path> at a constant arrival rate and prints one JSON line with what it measured.
import { HttpClient } from '../../actions/smoke/src/client.js';
import { runLoad } from '../../actions/smoke/src/load/runner.js';

const [base, path, rateText, secondsText] = process.argv.slice(2);
if (!base || !path || !rateText || !secondsText) {
  process.stderr.write('usage: generator.ts <base-url> <path> <rate> <seconds>\n');
  process.exit(2);
}
const client = new HttpClient({ timeoutMs: 10_000, maxSockets: 1024 });
const result = await runLoad({
  base,
  phases: [{ rate: Number(rateText), seconds: Number(secondsText) }],
  mix: [{ name: path, weight: 1, make: () => ({ path }) }],
  ids: { movies: [1], customers: [1], sessions: [1] },
  client,
});
client.close();
const s = result.overall;
const sv = result.overallService;
process.stdout.write(
  `${JSON.stringify({
    offered: Number(rateText),
    achieved: result.achievedRate,
    sent: result.sent,
    maxSendLagMs: result.maxSendLagMs,
    p50: s.p50,
    p90: s.p90,
    p99: s.p99,
    max: s.max,
    service: { p50: sv.p50, p90: sv.p90, p99: sv.p99 },
    failed: s.failed,
  })}\n`,
);

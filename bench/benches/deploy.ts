// What the deploy core costs on top of the OpenTofu commands it runs, on the provider-free fixture
// (test/deploy/fixture), each run in a fresh copy:
//   first deploy:  deployCloud (version, init, plan -out, show -json, apply of the plan, output -json) against
//                  the peer, the bare commands init, plan -out, show -json, apply, run back to back;
//   no change:     deployCloud on an applied copy against bare init + plan.
// Both sides run the same OpenTofu binary (scripts/build-opentofu.sh), in the same run.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryToolCache } from '../../actions/deploy/src/directory-cache.js';
import { deployCloud, emptyReport } from '../../actions/deploy/src/deploy.js';
import { opentofuBinary } from '../../tools/opentofu/binary.js';
import { runBench, type BenchContext } from '../lib/harness.js';
import { ROOT } from '../lib/paths.js';
import { fmtMs, fmtRatio, type Target } from '../lib/report.js';
import { median, ratio } from '../lib/stats.js';

const RUNS = 5;
const IMAGE = `cr.yandex/crp0bench/shs@sha256:${'b'.repeat(64)}`;

function copy(ctx: BenchContext, name: string): string {
  const dir = join(ctx.workDir, name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'test', 'deploy', 'fixture'), dir, { recursive: true });
  return dir;
}

function bare(tofu: string, dir: string, commands: string[][]): number {
  const t0 = performance.now();
  for (const args of commands) {
    const r = spawnSync(tofu, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, TF_IN_AUTOMATION: '1' } });
    if (r.status !== 0 && !(args[0] === 'plan' && r.status === 2)) throw new Error(`tofu ${args.join(' ')}: ${r.stderr}`);
  }
  return performance.now() - t0;
}

async function ours(tofu: string, dir: string): Promise<number> {
  const t0 = performance.now();
  const report = await deployCloud(
    {
      image: IMAGE,
      workingDirectory: dir,
      tool: { tool: 'tofu', version: '', binary: tofu, cache: new DirectoryToolCache(join(dir, 'cache')) },
      backendConfig: [],
      variables: {},
      varFiles: [],
      lockTimeout: '10s',
      planOnly: false,
      env: {},
      rolloutTimeoutMs: 60_000,
      log: () => {},
      phase: (_n, fn) => fn(),
    },
    emptyReport('yandex', IMAGE),
  );
  if (!report.plan) throw new Error('no plan');
  return performance.now() - t0;
}

const FULL = [['init', '-input=false', '-no-color'], ['plan', '-input=false', '-no-color', '-detailed-exitcode', '-out=tfplan', `-var=image=${IMAGE}`], ['show', '-json', 'tfplan'], ['apply', '-input=false', '-no-color', '-auto-approve', 'tfplan']];
const NO_CHANGE = [['init', '-input=false', '-no-color'], ['plan', '-input=false', '-no-color', '-detailed-exitcode', '-out=tfplan', `-var=image=${IMAGE}`]];

runBench('deploy', async (ctx) => {
  const tofu = opentofuBinary();
  const version = spawnSync(tofu, ['version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  ctx.note('tofu', version);
  const peerFirst: number[] = [];
  const oursFirst: number[] = [];
  const peerSame: number[] = [];
  const oursSame: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const a = copy(ctx, `bare-${i}`);
    const b = copy(ctx, `ours-${i}`);
    peerFirst.push(bare(tofu, a, FULL));
    oursFirst.push(await ours(tofu, b));
    peerSame.push(bare(tofu, a, NO_CHANGE));
    oursSame.push(await ours(tofu, b));
    ctx.log(`run ${i + 1}: first deploy bare ${fmtMs(peerFirst[i]!)} / ours ${fmtMs(oursFirst[i]!)}; no change bare ${fmtMs(peerSame[i]!)} / ours ${fmtMs(oursSame[i]!)}`);
  }
  const first = ratio(median(oursFirst), median(peerFirst));
  const same = ratio(median(oursSame), median(peerSame));
  const targets: Target[] = [
    { name: 'first deploy, against the bare commands it runs (median)', target: 'at most 1.25x', measured: fmtRatio(first), met: first <= 1.25 },
    { name: 'no-change deploy, against bare init + plan (median)', target: 'at most 1.5x', measured: fmtRatio(same), met: same <= 1.5 },
  ];
  return {
    tables: [
      {
        title: `deploy on the provider-free fixture (${RUNS} runs each, ${version})`,
        columns: ['what', 'bare tofu (peer)', 'deployCloud', 'ratio'],
        rows: [
          ['first deploy: init, plan -out, show -json, apply', fmtMs(median(peerFirst)), fmtMs(median(oursFirst)), fmtRatio(first)],
          ['no change: init, plan', fmtMs(median(peerSame)), fmtMs(median(oursSame)), fmtRatio(same)],
        ],
      },
    ],
    targets,
    notes: [
      'deployCloud also runs `output -json` (the URL and the instance group ids) and `tofu version` (alongside init): one process start each, about 30 ms here, is most of the difference.',
      'Against Yandex Cloud the provider calls and the rollout dominate; this measures only what the action adds.',
    ],
    results: { peerFirst, oursFirst, peerSame, oursSame },
  };
});

// Bundles every entry point of the repository with esbuild.
//   shs/dist/shs.cjs          the SHS service (one file: it is what the image carries)
//   cli/dist/pipeline.cjs     the `pipeline` CLI
//   proxy/dist/start.cjs      the proxy image's entrypoint
//   actions/<name>/dist/index.cjs  each GitHub action (committed; see check-dist in CI)
// Usage: node scripts/build.mjs [--check]   (--check: fail if a committed action bundle is stale)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function revision() {
  if (process.env.PIPELINE_BUILD_REVISION) return process.env.PIPELINE_BUILD_REVISION;
  // The SHS_* name belongs to the service's namespace: still read for one release.
  if (process.env.SHS_BUILD_REVISION) {
    console.warn('warning: SHS_BUILD_REVISION is deprecated (SHS_* variables belong to the service): set PIPELINE_BUILD_REVISION instead; SHS_BUILD_REVISION will stop working in the next release');
    return process.env.SHS_BUILD_REVISION;
  }
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // pg tries `require('pg-native')` lazily; we never use the native binding.
  external: ['pg-native'],
  // monitoring/slo.yaml is embedded as text (monitoring/src/default-slo.ts).
  loader: { '.yaml': 'text' },
};

const entries = [
  {
    entryPoints: [join(root, 'shs/src/main.ts')],
    outfile: join(root, 'shs/dist/shs.cjs'),
    define: {
      SHS_VERSION: JSON.stringify(pkg.version),
      SHS_REVISION: JSON.stringify(revision()),
    },
  },
  {
    entryPoints: [join(root, 'cli/src/main.ts')],
    outfile: join(root, 'cli/dist/pipeline.cjs'),
    define: {
      PIPELINE_VERSION: JSON.stringify(pkg.version),
      PIPELINE_REVISION: JSON.stringify(revision()),
    },
  },
  // The proxy image's entrypoint (proxy/image.json).
  { entryPoints: [join(root, 'proxy/src/start.ts')], outfile: join(root, 'proxy/dist/start.cjs') },
];

for (const name of readdirSync(join(root, 'actions'))) {
  const main = join(root, 'actions', name, 'src/index.ts');
  if (existsSync(main)) entries.push({ entryPoints: [main], outfile: join(root, 'actions', name, 'dist/index.cjs') });
}

await Promise.all(entries.map((entry) => build({ ...common, ...entry })));
console.log(`built ${entries.length} bundles`);

if (process.argv.includes('--check')) {
  // The committed action bundles must be what the sources build to (GitHub runs dist/, not src/).
  let stale = '';
  try {
    // Literal directories: a glob pathspec like actions/*/dist would not match the files inside them.
    const dists = readdirSync(join(root, 'actions'))
      .map((name) => join('actions', name, 'dist'))
      .filter((dir) => existsSync(join(root, dir)));
    stale = execFileSync('git', ['status', '--porcelain', '--', ...dists], { cwd: root }).toString().trim();
  } catch (err) {
    console.error(`check-dist: git status failed: ${err.message}`);
    process.exit(1);
  }
  if (stale) {
    console.error(`check-dist: these bundles differ from what the sources build to; run "npm run build" and commit them:\n${stale}`);
    process.exit(1);
  }
  console.log('check-dist: every committed action bundle matches its sources');
}

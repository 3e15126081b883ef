#!/usr/bin/env node
// Refreshes a lock file of pinned image sources (default images/runtime.lock.json; format in
// actions/build-image/src/sources/lock.ts): every Debian package gets the newest version of the lock's suite
// (<suite>, <suite>-updates, <suite>-security) with its size, SHA-256 and URLs, read with apt from a private apt
// state under the tool cache (no root, and the host's own apt sources and distribution do not matter); every npm
// package gets the version and integrity package-lock.json has. Run it when a build says the mirror no longer has
// a pinned version (Debian drops superseded versions at point releases), or to take security updates.
//
//   node scripts/update-runtime-lock.mjs [--lock <file>] [--add <package>]... [--remove <package>]...
//                                        [--suite <name> --architecture <arch>]   (to create a new lock file)
//                                        [--no-apt-update]                         (reuse the private apt lists)
//
// Needs apt-get and apt-cache (Debian, Ubuntu) and the Debian archive keyring
// (/usr/share/keyrings/debian-archive-keyring.gpg: apt-get install debian-archive-keyring).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MIRROR = 'http://deb.debian.org';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

const { values } = parseArgs({
  options: {
    lock: { type: 'string', default: join(ROOT, 'images', 'runtime.lock.json') },
    add: { type: 'string', multiple: true, default: [] },
    remove: { type: 'string', multiple: true, default: [] },
    suite: { type: 'string' },
    architecture: { type: 'string' },
    'no-apt-update': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 16).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}

const fail = (message) => {
  process.stderr.write(`update-runtime-lock: ${message}\n`);
  process.exit(1);
};
const say = (message) => process.stderr.write(`update-runtime-lock: ${message}\n`);

const lockFile = resolve(values.lock);
const lock = existsSync(lockFile) ? JSON.parse(readFileSync(lockFile, 'utf8')) : { $comment: 'Pinned sources of an image: written by scripts/update-runtime-lock.mjs, read by actions/build-image.' };
lock.debian ??= { suite: values.suite, architecture: values.architecture ?? 'amd64', packages: {} };
if (values.suite && values.suite !== lock.debian.suite) fail(`--suite ${values.suite}: ${lockFile} pins packages of ${lock.debian.suite} (edit debian.suite to move suites)`);
const { suite, architecture } = lock.debian;
if (!suite) fail(`${lockFile} does not exist yet: give --suite (e.g. bookworm) to create it`);
for (const name of values.remove) delete lock.debian.packages[name];
for (const name of values.add) lock.debian.packages[name] ??= {};

// --- Debian: a private apt state for the suite -------------------------------------------------------------
const cacheRoot = process.env.PIPELINE_TOOL_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'shs-delivery', 'tools');
const aptDir = join(cacheRoot, 'apt', `${suite}-${architecture}`);
for (const d of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'preferences.d']) mkdirSync(join(aptDir, d), { recursive: true });
if (!existsSync(join(aptDir, 'status'))) writeFileSync(join(aptDir, 'status'), '');
if (!existsSync(KEYRING)) fail(`${KEYRING} is missing: apt-get install debian-archive-keyring`);
writeFileSync(
  join(aptDir, 'sources.list'),
  [
    `deb [signed-by=${KEYRING}] ${MIRROR}/debian ${suite} main`,
    `deb [signed-by=${KEYRING}] ${MIRROR}/debian ${suite}-updates main`,
    `deb [signed-by=${KEYRING}] ${MIRROR}/debian-security ${suite}-security main`,
    '',
  ].join('\n'),
);
const aptOptions = [
  ['Dir::Etc::SourceList', join(aptDir, 'sources.list')],
  ['Dir::Etc::SourceParts', join(aptDir, 'sources.list.d')],
  ['Dir::Etc::Preferences', join(aptDir, 'preferences')],
  ['Dir::Etc::PreferencesParts', join(aptDir, 'preferences.d')],
  ['Dir::State::Lists', join(aptDir, 'lists')],
  ['Dir::State::status', join(aptDir, 'status')],
  ['Dir::Cache', join(aptDir, 'cache')],
  ['Debug::NoLocking', '1'],
  ['APT::Architecture', architecture],
  ['APT::Architectures', architecture],
  ['Acquire::Languages', 'none'],
  ['Acquire::IndexTargets::deb::DEP-11::DefaultEnabled', 'false'],
  ['Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled', 'false'],
  ['Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled', 'false'],
].flatMap(([k, v]) => ['-o', `${k}=${v}`]);

function apt(tool, args) {
  try {
    return execFileSync(tool, [...aptOptions, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    if (err.code === 'ENOENT') fail(`${tool} is not installed (this script needs apt: Debian or Ubuntu)`);
    fail(`${tool} ${args.join(' ')} failed: ${(err.stderr || err.message).trim()}`);
  }
}

if (values['no-apt-update']) say(`using the apt lists in ${aptDir} as they are`);
else {
  say(`apt-get update for ${suite}, ${suite}-updates, ${suite}-security (${architecture}) into ${aptDir}`);
  apt('apt-get', ['-qq', 'update']);
}

/** The newest Release date of each archive base (e.g. http://deb.debian.org/debian-security) in the lists. */
function releaseDates() {
  const dates = new Map();
  const listsDir = join(aptDir, 'lists');
  for (const name of readdirSync(listsDir)) {
    const m = /^(.+)_dists_.+_InRelease$/.exec(name);
    if (!m) continue;
    const base = `http://${m[1].replaceAll('_', '/')}`;
    const date = /^Date: (.+)$/m.exec(readFileSync(join(listsDir, name), 'utf8'))?.[1];
    if (!date) continue;
    const t = new Date(date);
    if (!dates.has(base) || dates.get(base) < t) dates.set(base, t);
  }
  return dates;
}
const dates = releaseDates();
const stamp = (d) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

function stanza(text) {
  const fields = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9-]+): (.*)$/.exec(line);
    if (m) fields[m[1]] = m[2];
  }
  return fields;
}

const changes = [];
for (const name of Object.keys(lock.debian.packages).sort()) {
  const old = lock.debian.packages[name];
  let shown;
  try {
    shown = execFileSync('apt-cache', [...aptOptions, 'show', '--no-all-versions', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  } catch (err) {
    fail(`${name}: not a package of ${suite} (${architecture}): ${(err.stderr || err.message).trim()}`);
  }
  const f = stanza(shown.split('\n\n')[0]);
  if (!f.Version || !f.Filename || !f.SHA256 || !f.Size) fail(`${name}: apt-cache show gave no Version/Filename/SHA256/Size (is it a virtual package?)`);
  // The URL apt itself would download it from (the archive base differs: debian or debian-security).
  const uris = apt('apt-get', ['--print-uris', '-qq', 'download', `${name}=${f.Version}`]);
  const m = /^'([^']+)' \S+ (\d+) SHA256:([0-9a-f]{64})$/m.exec(uris);
  if (!m) fail(`${name}: apt-get --print-uris download gave no URL:\n${uris}`);
  const [, url, size, sha256] = m;
  if (sha256 !== f.SHA256 || Number(size) !== Number(f.Size)) fail(`${name}: apt-cache show and apt-get --print-uris disagree (${f.SHA256} ${f.Size} vs ${sha256} ${size})`);
  const urls = [url];
  const pool = url.indexOf('/pool/');
  const base = url.slice(0, pool);
  // snapshot.debian.org keeps every file ever published; /archive/<archive>/<time>/ serves the archive as of the
  // last import at or before <time>. The time used is the newest Release date of that archive that apt read, when
  // this version was already (and still) published there. snapshot.debian.org cannot be reached from every
  // machine (not from the one this was written on): the URL is derived, not fetched.
  if (base.startsWith(`${MIRROR}/`) && dates.has(base)) urls.push(`https://snapshot.debian.org/archive/${base.slice(MIRROR.length + 1)}/${stamp(dates.get(base))}${url.slice(pool)}`);
  const unchanged = old.version === f.Version && old.sha256 === sha256 && old.urls?.[0] === url;
  // An unchanged pin keeps its URLs (the snapshot time would otherwise move on every run).
  const pin = { version: f.Version, architecture: f.Architecture, size: Number(size), sha256, urls: unchanged ? old.urls : urls };
  if (!unchanged) changes.push(`${name}: ${old.version ?? '(new)'} -> ${pin.version}`);
  lock.debian.packages[name] = pin;
}

// --- npm: the pins package-lock.json has ---------------------------------------------------------------------
const packageLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
for (const name of Object.keys(lock.npm ?? {}).sort()) {
  const entry = packageLock.packages?.[`node_modules/${name}`];
  if (!entry?.version || !entry.integrity) fail(`${name}: package-lock.json has no node_modules/${name} with a version and integrity (npm install --save-dev --save-exact ${name}@<version>)`);
  const old = lock.npm[name];
  if (old.version !== entry.version || old.integrity !== entry.integrity) changes.push(`${name} (npm): ${old.version ?? '(new)'} -> ${entry.version}`);
  lock.npm[name] = { version: entry.version, integrity: entry.integrity };
}

const sorted = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
lock.debian.packages = sorted(lock.debian.packages);
if (lock.npm) lock.npm = sorted(lock.npm);
mkdirSync(dirname(lockFile), { recursive: true });
writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
say(`${relative(process.cwd(), lockFile) || lockFile}: ${changes.length === 0 ? 'every pin is current' : changes.join(', ')}`);
if (changes.length > 0) say('rebuild the image (the digest changes) and commit the lock file');

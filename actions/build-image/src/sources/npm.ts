// "npm:<package>/<file>" sources: a file inside an npm package that `npm ci` installed into the repository's
// node_modules from package-lock.json (which verified the tarball's integrity). The lock file pins the package's
// version and integrity; the build refuses to run unless package-lock.json, the installed package and the lock
// file all agree, so the image cannot silently take another version than the one reviewed.
// Lookup walks up from the lock file's directory, as Node resolves packages.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { NpmPin } from './lock.js';

/** What is installed for one package: its package.json version and the lock entries npm wrote. */
export interface InstalledNpmPackage {
  name: string;
  /** The package's directory (node_modules/<name>). */
  dir: string;
  /** The installed package.json's version. */
  version: string | undefined;
  /** The repository's package-lock.json and its entry for node_modules/<name>. */
  packageLock: string;
  lockEntry: { version?: string; integrity?: string } | undefined;
  /** npm's record of what it installed (node_modules/.package-lock.json), when present. */
  installedEntry: { version?: string; integrity?: string } | undefined;
}

/** Pure: the pin agrees with package-lock.json and with what is installed, or an error names the difference. */
export function checkNpmPin(pin: NpmPin, pkg: InstalledNpmPackage, lockFile: string): void {
  const fix = `(the image takes ${pin.name} ${pin.version} as pinned in ${lockFile})`;
  if (!pkg.lockEntry) throw new Error(`${pkg.packageLock} has no entry for node_modules/${pin.name}: add it with npm install --save-dev --save-exact ${pin.name}@${pin.version} ${fix}`);
  if (pkg.lockEntry.version !== pin.version || pkg.lockEntry.integrity !== pin.integrity)
    throw new Error(
      `${pin.name}: ${pkg.packageLock} has ${pkg.lockEntry.version ?? '(no version)'} (${pkg.lockEntry.integrity ?? 'no integrity'}) but ${lockFile} pins ${pin.version} (${pin.integrity}): ` +
        'change both together (node scripts/update-runtime-lock.mjs copies package-lock.json\'s pin into the lock file)',
    );
  if (pkg.version !== pin.version) throw new Error(`${pin.name}: node_modules has ${pkg.version ?? 'no package.json version'}, ${lockFile} pins ${pin.version}: run npm ci`);
  if (pkg.installedEntry && pkg.installedEntry.integrity !== undefined && pkg.installedEntry.integrity !== pin.integrity)
    throw new Error(`${pin.name}: node_modules/.package-lock.json records integrity ${pkg.installedEntry.integrity}, ${lockFile} pins ${pin.integrity}: run npm ci`);
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

type LockEntries = Record<string, { version?: string; integrity?: string }>;

/** Finds node_modules/<name> from `fromDir` upwards and reads what npm recorded about it. */
export function findNpmPackage(name: string, fromDir: string): InstalledNpmPackage {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', name);
    if (existsSync(join(pkgDir, 'package.json'))) {
      const pkgJson = readJson(join(pkgDir, 'package.json'));
      const packageLock = join(dir, 'package-lock.json');
      const lockPackages = readJson(packageLock)?.packages as LockEntries | undefined;
      const installed = readJson(join(dir, 'node_modules', '.package-lock.json'))?.packages as LockEntries | undefined;
      return {
        name,
        dir: pkgDir,
        version: typeof pkgJson?.version === 'string' ? pkgJson.version : undefined,
        packageLock,
        lockEntry: lockPackages?.[`node_modules/${name}`],
        installedEntry: installed?.[`node_modules/${name}`],
      };
    }
    if (dirname(dir) === dir) throw new Error(`the npm package ${name} is not installed (no node_modules/${name} from ${fromDir} upwards): run npm ci`);
  }
}

/** The host path of `file` inside the pinned, installed package (a regular file that stays inside the package). */
export function npmPackageFile(pin: NpmPin, file: string, lockFile: string): string {
  const pkg = findNpmPackage(pin.name, dirname(lockFile));
  checkNpmPin(pin, pkg, lockFile);
  const path = join(pkg.dir, ...file.split('/'));
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    throw new Error(`${pin.name} ${pin.version} has no file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message} at ${path})`);
  }
  const inside = relative(realpathSync(pkg.dir), real);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..') throw new Error(`${pin.name} ${pin.version}: ${file} leads outside the package (to ${real})`);
  if (!statSync(real).isFile()) throw new Error(`${pin.name} ${pin.version}: ${file} is not a regular file`);
  return real;
}

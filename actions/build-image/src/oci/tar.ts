// A deterministic tar writer (POSIX ustar, with PAX headers for names that do not fit).
// Same entries in, same bytes out: no user or group names, no device numbers, the caller's mtime, no padding to
// a record size beyond the two closing zero blocks.

export interface TarEntry {
  /** Relative path (no leading "/"); directories without a trailing "/" (added here). */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  data?: Uint8Array;
  linkname?: string;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  // width includes the terminating NUL
  const s = value.toString(8);
  if (s.length > width - 1) throw new Error(`tar: value ${value} does not fit in ${width - 1} octal digits`);
  return `${s.padStart(width - 1, '0')}\0`;
}

function writeString(buf: Buffer, offset: number, width: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > width) throw new Error(`tar: "${value}" is longer than ${width} bytes`);
  bytes.copy(buf, offset);
}

function header(name: string, prefix: string, typeflag: string, e: { mode: number; uid: number; gid: number; mtime: number }, size: number, linkname: string): Buffer {
  const h = Buffer.alloc(BLOCK);
  writeString(h, 0, 100, name);
  writeString(h, 100, 8, octal(e.mode & 0o7777, 8));
  writeString(h, 108, 8, octal(e.uid, 8));
  writeString(h, 116, 8, octal(e.gid, 8));
  writeString(h, 124, 12, octal(size, 12));
  writeString(h, 136, 12, octal(e.mtime, 12));
  h.fill(0x20, 148, 156); // checksum field counts as spaces
  writeString(h, 156, 1, typeflag);
  writeString(h, 157, 100, linkname);
  writeString(h, 257, 6, 'ustar\0');
  writeString(h, 263, 2, '00');
  writeString(h, 329, 8, octal(0, 8));
  writeString(h, 337, 8, octal(0, 8));
  writeString(h, 345, 155, prefix);
  let sum = 0;
  for (const byte of h) sum += byte;
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

/** Splits a path into ustar prefix + name, or returns undefined when it needs a PAX header. */
function splitUstar(path: string): [string, string] | undefined {
  if (Buffer.byteLength(path) <= 100) return ['', path];
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return [prefix, name];
  }
  return undefined;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** Byte-wise path order (what `LC_ALL=C sort` gives); parents sort before their children. */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The tar stream of the entries, in the order given (sort them first for a canonical archive). */
export function tarChunks(entries: TarEntry[]): Buffer[] {
  const out: Buffer[] = [];
  for (const e of entries) {
    const path = e.type === 'directory' ? `${e.path.replace(/\/+$/, '')}/` : e.path;
    const data = e.type === 'file' ? (e.data ?? new Uint8Array(0)) : new Uint8Array(0);
    const linkname = e.type === 'symlink' ? (e.linkname ?? '') : '';
    const split = splitUstar(path);
    const pax: string[] = [];
    if (!split) pax.push(paxRecord('path', path));
    if (Buffer.byteLength(linkname) > 100) pax.push(paxRecord('linkpath', linkname));
    if (pax.length > 0) {
      const body = Buffer.from(pax.join(''), 'utf8');
      const paxName = `PaxHeaders/${path.split('/').filter(Boolean).pop()!.slice(0, 80)}`;
      out.push(header(paxName, '', 'x', { mode: 0o644, uid: 0, gid: 0, mtime: e.mtime }, body.length, ''), body, padding(body.length));
    }
    const [prefix, name] = split ?? ['', Buffer.from(path).subarray(0, 100).toString('utf8').replace(/\uFFFD+$/, '')];
    const typeflag = e.type === 'file' ? '0' : e.type === 'directory' ? '5' : '2';
    out.push(header(name, prefix, typeflag, e, data.length, Buffer.byteLength(linkname) > 100 ? '' : linkname));
    if (data.length > 0) out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength), padding(data.length));
  }
  out.push(Buffer.alloc(BLOCK * 2));
  return out;
}

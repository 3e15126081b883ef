// Deterministic gzip: the same bytes in give the same bytes out on any machine and any Node version.
// The deflate implementation is fflate (pure JavaScript, pinned by package-lock.json), not the zlib Node links:
// Node builds carry different zlib forks whose output differs for the same level. Large inputs are cut into
// fixed-size pieces, each compressed as its own gzip member (RFC 1952 allows concatenated members; Go's
// compress/gzip, containerd, docker, skopeo, umoci and GNU gzip read them), so a pool of worker threads can share
// the work without the result depending on how many there are.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'fflate';

/** The size of the uncompressed piece behind each gzip member (part of the digest: never change it lightly). */
export const GZIP_MEMBER_BYTES = 4 * 1024 * 1024;
/** Identifies the compression in cache keys: implementation, its version, the member size. */
export const GZIP_SCHEME = `fflate-0.8/members-${GZIP_MEMBER_BYTES}`;

function compressPiece(data: Uint8Array, level: number): Uint8Array {
  // mtime 0 and no file name: the header is the same everywhere.
  return gzipSync(data, { level: level as 1, mtime: 0 });
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { gzipSync } = require(workerData.fflate);
parentPort.on('message', (m) => {
  try {
    const out = gzipSync(m.data, { level: m.level, mtime: 0 });
    parentPort.postMessage({ id: m.id, out }, [out.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.stack || err) });
  }
});
`;

/** Where fflate's CommonJS entry is, for the workers; undefined when it is not installed (e.g. a bundled action). */
function fflateEntry(): string | undefined {
  const bases = [typeof __filename === 'string' ? __filename : undefined, join(process.cwd(), 'package.json')];
  for (const base of bases) {
    if (!base) continue;
    try {
      return createRequire(base).resolve('fflate');
    } catch {
      /* next */
    }
  }
  return undefined;
}

interface Job {
  id: number;
  resolve: (out: Uint8Array) => void;
  reject: (err: Error) => void;
}

class GzipPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { data: Uint8Array; level: number; job: Job }[] = [];
  private readonly pending = new Map<number, Job>();
  private nextId = 1;

  constructor(fflate: string, size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { fflate } });
      worker.unref();
      worker.on('message', (m: { id: number; out?: Uint8Array; error?: string }) => {
        const job = this.pending.get(m.id);
        this.pending.delete(m.id);
        this.idle.push(worker);
        this.pump();
        if (!job) return;
        if (m.error !== undefined || !m.out) job.reject(new Error(`gzip worker: ${m.error}`));
        else job.resolve(m.out);
      });
      worker.on('error', (err) => {
        for (const job of this.pending.values()) job.reject(err);
        this.pending.clear();
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  compress(data: Uint8Array, level: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({ data, level, job: { id: this.nextId++, resolve, reject } });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const { data, level, job } = this.queue.shift()!;
      this.pending.set(job.id, job);
      // A copy of just this piece: posting a view would clone its whole backing buffer.
      const copy = new Uint8Array(data); // Buffer#slice would be a view
      worker.postMessage({ id: job.id, data: copy, level }, [copy.buffer]);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

let pool: GzipPool | undefined | null;

function getPool(): GzipPool | undefined {
  if (pool === undefined) {
    const threads = Math.min(availableParallelism(), 8);
    const fflate = threads > 1 ? fflateEntry() : undefined;
    pool = fflate ? new GzipPool(fflate, threads) : null;
  }
  return pool ?? undefined;
}

/** Stops the worker threads (they do not keep the process alive, but tests and long-lived callers close them). */
export async function closeGzipPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  if (p) await p.close();
}

/** gzip of `data` at `level` (1..9): one member per GZIP_MEMBER_BYTES piece, in order. */
export async function gzipDeterministic(data: Uint8Array, level: number, options: { threads?: boolean } = {}): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < data.length || pieces.length === 0; offset += GZIP_MEMBER_BYTES) pieces.push(data.subarray(offset, offset + GZIP_MEMBER_BYTES));
  const p = pieces.length > 1 && options.threads !== false ? getPool() : undefined;
  const members = p ? await Promise.all(pieces.map((piece) => p.compress(piece, level))) : pieces.map((piece) => compressPiece(piece, level));
  return Buffer.concat(members);
}

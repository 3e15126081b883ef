import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { closeGzipPool, GZIP_MEMBER_BYTES, gzipDeterministic } from './gzip.js';

afterAll(closeGzipPool);

describe('gzipDeterministic', () => {
  // Compressible but not trivial: random words.
  const words = Array.from({ length: 500 }, () => randomBytes(6).toString('hex'));
  const text = Buffer.from(Array.from({ length: 1_300_000 }, (_, i) => words[(i * 7919) % words.length]).join(' '));

  it('gives the same bytes with and without worker threads, and gunzip restores the input', async () => {
    expect(text.length).toBeGreaterThan(2 * GZIP_MEMBER_BYTES);
    const threaded = await gzipDeterministic(text, 6);
    const inline = await gzipDeterministic(text, 6, { threads: false });
    expect(threaded.equals(inline)).toBe(true);
    expect(gunzipSync(threaded).equals(text)).toBe(true);
    // one gzip member per piece, each with mtime 0
    let members = 0;
    for (let i = 0; i + 3 < threaded.length; i++) if (threaded[i] === 0x1f && threaded[i + 1] === 0x8b && threaded[i + 2] === 8 && threaded.readUInt32LE(i + 4) === 0) members++;
    expect(members).toBeGreaterThanOrEqual(Math.ceil(text.length / GZIP_MEMBER_BYTES));
  });

  it('handles empty and small inputs as a single member', async () => {
    expect(gunzipSync(await gzipDeterministic(Buffer.alloc(0), 6)).length).toBe(0);
    const small = await gzipDeterministic(Buffer.from('hello'), 9);
    expect(small.readUInt32LE(4)).toBe(0); // mtime
    expect(gunzipSync(small).toString()).toBe('hello');
  });
});

// How the routes answer: JSON text as it is (the bodies are rendered by api/repository.ts, never re-serialized),
// plain text, and the list bodies streamed as their rows arrive (streamJson).
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { QueryAbortedError } from '../db/database.js';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

/** Answers `status` with `body`, JSON text already rendered. */
export function json(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type(JSON_TYPE).send(body);
}

/** What the body stream of a list buffers before its producer waits for 'drain' (two chunks of the longest list). */
const LIST_STREAM_HIGH_WATER = 1 << 20;

/**
 * Answers 200 with a JSON body produced in chunks. The status is sent only once the first chunk exists, so a
 * failure before any row (database down) is still a proper error answer; a failure after that can only cut
 * the connection, which the client sees as an incomplete answer.
 * Backpressure: when the body has LIST_STREAM_HIGH_WATER buffered, `write` returns a promise that settles on
 * 'drain' (or when the client is gone), and the producer reads no more rows until then. A client that reads
 * nothing for `stallMs` (0: no limit) is cut off, so it cannot hold a database connection forever.
 * The signal given to `produce` is aborted when the client goes away before the end (the query is cancelled).
 */
export async function streamJson(
  reply: FastifyReply,
  stallMs: number,
  produce: (write: (chunk: string) => void | Promise<void>, signal: AbortSignal) => Promise<void>,
): Promise<FastifyReply> {
  const body = new PassThrough({ highWaterMark: LIST_STREAM_HIGH_WATER });
  const gone = new AbortController();
  const res = reply.raw;
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  const write = (chunk: string): void | Promise<void> => {
    if (gone.signal.aborted || body.destroyed || body.write(chunk)) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(stall);
        body.off('drain', done);
        body.off('close', done);
        gone.signal.removeEventListener('abort', done);
        resolve();
      };
      const stall = stallMs > 0 ? setTimeout(() => res.destroy(), stallMs) : undefined;
      body.once('drain', done);
      body.once('close', done);
      gone.signal.addEventListener('abort', done, { once: true });
    });
  };
  await new Promise<void>((resolve, reject) => {
    let started = false;
    produce((chunk) => {
      const wait = write(chunk);
      if (!started) {
        started = true;
        resolve();
      }
      return wait;
    }, gone.signal).then(
      () => {
        body.end();
        resolve();
      },
      (err: unknown) => {
        // a client that went away is not an error of ours: its stream just ends
        if (started) body.destroy(err instanceof QueryAbortedError ? undefined : (err as Error));
        else reject(err);
      },
    );
  });
  return reply.code(200).type(JSON_TYPE).send(body);
}

// The heavy routes (the three lists, /db_dummy) hold a database connection for long (a list also a core): at
// most `limit` of them run at once on an instance, more are refused at once.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../api/errors.js';
import { json } from './reply.js';

export class HeavyLimit {
  /** Heavy requests being served: from their handler's start to the end of the response or the client's leaving. */
  inFlight = 0;

  constructor(readonly limit: number) {}

  get full(): boolean {
    return this.inFlight >= this.limit;
  }

  /**
   * The heavy routes' preHandler: at the limit, answers 503 `overloaded` with Retry-After: 1 at once, so that a
   * burst of heavy requests cannot take the whole pool (the light routes need connections) nor every core;
   * else counts the request in until its response ends.
   */
  readonly admit = async (_req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (this.full) return this.refuse(reply);
    this.inFlight += 1;
    reply.raw.once('close', () => {
      this.inFlight -= 1;
    });
    return undefined;
  };

  /** The 503 of a heavy request beyond the limit. */
  refuse(reply: FastifyReply): FastifyReply {
    reply.header('retry-after', '1');
    return json(reply, 503, errorBody('overloaded', `this instance is already serving ${this.limit} heavy requests (lists, /db_dummy); try again shortly`));
  }
}

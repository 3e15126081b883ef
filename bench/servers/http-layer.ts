// Two trivial routes on a bare node:http server or on Fastify, for comparing the HTTP layers alone:
//   GET /ping       200 text "pong"
//   GET /item/:id   200 JSON of an item from an in-memory Map (404 if absent)
// Usage: node --import tsx bench/servers/http-layer.ts <node-http|fastify> <port>
// Prints "listening <port>" once ready; stops on SIGTERM or SIGINT.
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';

export const ITEM_COUNT = 10_000;
export type Flavour = 'node-http' | 'fastify';
export const FLAVOURS: readonly Flavour[] = ['node-http', 'fastify'];

interface Item {
  id: number;
  name: string;
  year: number;
  duration: number;
}

const ITEMS = new Map<number, Item>();
for (let id = 1; id <= ITEM_COUNT; id++) ITEMS.set(id, { id, name: `Movie number ${id}`, year: 1920 + (id % 104), duration: 60 + (id % 140) });

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

function nodeHttp(): http.Server {
  return http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/ping') {
      res.writeHead(200, { 'content-type': TEXT }).end('pong');
      return;
    }
    const m = req.method === 'GET' ? /^\/item\/(\d+)$/.exec(url) : null;
    const item = m ? ITEMS.get(Number(m[1])) : undefined;
    if (item) res.writeHead(200, { 'content-type': JSON_TYPE }).end(JSON.stringify(item));
    else res.writeHead(404, { 'content-type': JSON_TYPE }).end('{"error":"not_found"}');
  });
}

function fastify() {
  const app = Fastify({ logger: false });
  app.get('/ping', async (_req, reply) => reply.type(TEXT).send('pong'));
  app.get('/item/:id', async (req, reply) => {
    const item = ITEMS.get(Number((req.params as { id: string }).id));
    if (!item) return reply.code(404).send({ error: 'not_found' });
    return item;
  });
  return app;
}

async function main(flavour: string | undefined, portText: string | undefined): Promise<void> {
  const port = Number(portText);
  if (!FLAVOURS.includes(flavour as Flavour) || !Number.isInteger(port)) throw new Error(`usage: http-layer.ts <${FLAVOURS.join('|')}> <port>`);
  let close: () => Promise<void>;
  if (flavour === 'fastify') {
    const app = fastify();
    await app.listen({ host: '127.0.0.1', port });
    close = () => app.close();
  } else {
    const server = nodeHttp();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    close = () => new Promise((resolve) => server.close(() => resolve()));
  }
  process.stdout.write(`listening ${port}\n`);
  const stop = () => void close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2], process.argv[3]).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}

// The server as the in-process tests build it: the real routes and hooks over a FakeDatabase, answering through
// app.inject (no socket). Nothing is logged; /long_dummy and the slow fault take a few milliseconds.
import { type Config, defaultConfig } from '../config.js';
import { FakeDatabase } from './fake-database.js';
import { buildServer } from './server.js';

export function testServer(adjust: (config: Config) => void = () => undefined) {
  const config = defaultConfig();
  config.log.level = 'silent' as Config['log']['level']; // pino's level for no output (not a configuration value)
  config.log.requests = false;
  config.long_dummy.delay_ms = 5;
  config.faults.slow_delay_ms = 50;
  adjust(config);
  const db = new FakeDatabase();
  const server = buildServer({ config, db, instance: 'test-instance', version: '1.2.3+abc' });
  return { config, db, server, app: server.app };
}

export const JSON_HEADERS = { 'content-type': 'application/json' };

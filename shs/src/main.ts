// `shs`: the SHS service command line, mirroring the original app's commands.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ConfigError, databaseTls, defaultConfig, loadConfig, redacted, renderConfig, type Config } from './config.js';
import { Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { DEFAULT_SEED, RefusedError, prepareDatabase } from './db/prepare.js';
import { buildServer } from './http/server.js';
import { installSignalHandlers } from './lifecycle.js';
import { REVISION, VERSION } from './version.js';

const USAGE = `Usage: shs <command> [options]

Commands:
  run_server              serve the HTTP API (config: server.*, database.*)
  migrate                 apply pending schema migrations (keys and indexes included)
  prepare_db              generate the dataset inside PostgreSQL, then index it
      --scale <x>         fraction of the full size (500,000 customers, 29,019 movies,
                          5,000,000 sessions); default 1
      --seed <n>          generator seed (same seed and scale, same rows); default ${DEFAULT_SEED}
      --force             replace data that is already there
  print_default_config    print the built-in configuration as YAML
  print_current_config    print the effective configuration (secrets hidden)
  version                 print the version

Options:
  --config <path>         config file (default /opt/shs/config.yaml if present; or SHS_CONFIG)
  -h, --help              show this help

Every key can be overridden by an environment variable: database.pool_size -> SHS_DATABASE_POOL_SIZE.
`;

class UsageError extends Error {}

function fail(message: string, code = 2): never {
  process.stderr.write(`shs: ${message}\n`);
  process.exit(code);
}

async function adminClient(config: Config): Promise<pg.Client> {
  // Tries the hosts in order, like the service does.
  let last: unknown;
  for (const text of config.database.hosts) {
    const [host, port] = text.startsWith('[') ? [text.slice(1, text.indexOf(']')), text.slice(text.indexOf(']') + 2)] : text.split(':');
    const client = new pg.Client({
      host,
      port: Number(port),
      database: config.database.name,
      user: config.database.user,
      password: config.database.password,
      ssl: databaseTls(config.database),
      connectionTimeoutMillis: Math.max(config.database.connect_timeout_ms, 5000),
      application_name: 'shs-admin',
    });
    try {
      await client.connect();
      return client;
    } catch (err) {
      last = err;
      process.stderr.write(`shs: cannot connect to ${text}: ${(err as Error).message}\n`);
    }
  }
  throw last instanceof Error ? last : new Error('no database host could be reached');
}

async function runServer(config: Config): Promise<void> {
  const instance = config.server.instance_id || hostname();
  // The database's callbacks log through the server, which is built just after it (they run only later).
  const db = new Database(config.database, {
    onFailover: (from, to, reason) => server.app.log.warn({ from, to, reason }, 'database failover'),
    onError: (err) => server.app.log.warn({ err: { message: err.message } }, 'idle database connection lost'),
  });
  const server = buildServer({ config, db, instance, version: `${VERSION}+${REVISION}` });
  const { app } = server;
  installSignalHandlers(
    {
      drain: async () => {
        server.startDraining();
        await app.close();
        await db.close();
      },
      log: (msg, fields) => app.log.info(fields ?? {}, msg),
    },
    config.server.shutdown_timeout_ms,
  );
  const address = await app.listen({ host: config.server.host, port: config.server.port });
  app.log.info(
    { address, version: VERSION, revision: REVISION, database: config.database.hosts, faults: config.faults.enabled },
    'listening',
  );
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      scale: { type: 'string' },
      seed: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    if (command === undefined && !values.help) process.exitCode = 2;
    return;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const onlyFor = (flag: string, allowed: string) => {
    if ((values as Record<string, unknown>)[flag] !== undefined && (values as Record<string, unknown>)[flag] !== false && command !== allowed)
      throw new UsageError(`--${flag} applies to ${allowed} only`);
  };
  onlyFor('scale', 'prepare_db');
  onlyFor('seed', 'prepare_db');
  onlyFor('force', 'prepare_db');

  switch (command) {
    case 'version':
      process.stdout.write(`shs ${VERSION} (${REVISION})\n`);
      return;
    case 'print_default_config':
      process.stdout.write(renderConfig(defaultConfig()));
      return;
    case 'print_current_config': {
      const { config, source } = loadConfig({ path: values.config });
      process.stdout.write(`# source: ${source ?? 'built-in defaults'} + SHS_* environment\n${renderConfig(redacted(config))}`);
      return;
    }
    case 'migrate': {
      const { config } = loadConfig({ path: values.config });
      const client = await adminClient(config);
      try {
        const result = await migrate(client);
        process.stdout.write(
          result.applied.length === 0
            ? `schema is up to date (version ${result.version})\n`
            : result.applied.map((m) => `applied ${m.version}: ${m.name}\n`).join('') + `schema is at version ${result.version}\n`,
        );
      } finally {
        await client.end();
      }
      return;
    }
    case 'prepare_db': {
      const scale = values.scale === undefined ? 1 : Number(values.scale);
      if (!Number.isFinite(scale)) throw new UsageError(`--scale must be a number, got "${values.scale}"`);
      const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
      if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got "${values.seed}"`);
      const { config } = loadConfig({ path: values.config });
      const client = await adminClient(config);
      try {
        const outcome = await prepareDatabase(client, {
          scale,
          seed,
          force: values.force ?? false,
          progress: (step, done, seconds) =>
            process.stderr.write(done ? `  ${step}: ${seconds.toFixed(2)} s\n` : ''),
        });
        const d = outcome.dataset;
        const counts = `${d.customers} customers, ${d.movies} movies, ${d.sessions} sessions (seed ${d.seed}, scale ${d.scale})`;
        process.stdout.write(
          outcome.status === 'unchanged'
            ? `already prepared: ${counts}; nothing to do\n`
            : `prepared ${counts} in ${outcome.seconds.toFixed(1)} s\n`,
        );
      } finally {
        await client.end();
      }
      return;
    }
    case 'run_server': {
      const { config } = loadConfig({ path: values.config });
      await runServer(config);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}" (run "shs --help")`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail(`${(err as Error).message}\n\n${USAGE}`, 2);
  if (err instanceof ConfigError) fail(`config: ${err.message}`, 2);
  if (err instanceof RefusedError || err instanceof RangeError) fail(err.message, 1);
  fail((err as Error).message || String(err), 1);
});

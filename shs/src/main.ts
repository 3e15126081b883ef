// `shs`: the SHS service command line, mirroring the original app's commands.
import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import pg from 'pg';
import { UsageError, parseFlags, usageMessage } from './args.js';
import { ConfigError, databaseTls, defaultConfig, loadConfig, redacted, renderConfig, type Config } from './config.js';
import { Database, type PasswordSource, isAuthFailure } from './db/database.js';
import { migrate } from './db/migrate.js';
import { DEFAULT_SEED, MAX_SEED, RefusedError, inspectData, prepareDatabase, sizeForScale, type DatasetSize, type ExistingData, type PrepareOutcome } from './db/prepare.js';
import { buildServer } from './http/server.js';
import { installSignalHandlers } from './lifecycle.js';
import { type CachedPasswordEvents, lockboxPassword } from './secrets/lockbox.js';
import { REVISION, VERSION } from './version.js';

const DEFAULT_WAIT_SECONDS = 300;
const MAX_WAIT_SECONDS = 86_400;

const USAGE = `Usage: shs <command> [options]

Commands:
  run_server              serve the HTTP API (config: server.*, database.*)
  migrate                 apply pending schema migrations (keys and indexes included); a statement
                          waits at most 5 s for a table lock, else nothing is changed and it exits 1
  prepare_db              generate the dataset inside PostgreSQL, then index it
      --scale <x>         fraction of the full size (500,000 customers, 29,019 movies,
                          5,000,000 sessions); default 1
      --seed <n>          generator seed (same seed and scale, same rows); default ${DEFAULT_SEED}
      --force             replace data that is already there. This deletes every row prepare_db
                          did not make, such as sessions created through the API since the load:
                          it says how many first, and on a terminal asks to go on. The new rows
                          load beside the old, which stay readable; the tables are locked
                          exclusively only for the swap at the end (it waits for running queries)
      --yes               with --force: do not ask. Without a terminal nothing is asked: --force
                          alone goes on (after saying what it deletes)
  init                    first start of a node: wait for the database, migrate, then prepare
                          the dataset unless one is there already (any seed or scale: kept);
                          idempotent, and safe on several nodes at once
      --wait <seconds>    how long to keep trying to connect; default ${DEFAULT_WAIT_SECONDS}
      --scale <x>, --seed <n>  as for prepare_db, used only when no dataset is there
  print_default_config    print the built-in configuration as YAML
  print_current_config    print the effective configuration (secrets hidden)
  version                 print the version

Options:
  --config <path>         config file (default /opt/shs/config.yaml if present; or SHS_CONFIG)
  -h, --help              show this help
  --version               print the version (as the version command)

Every key can be overridden by an environment variable: database.pool_size -> SHS_DATABASE_POOL_SIZE.
The database password comes from database.password, database.password_file or, on a Yandex Cloud VM, the
Lockbox secret database.password_lockbox_secret_id read with the VM's service account (at most one of them).

Exit codes: 0 success, 1 failure, 2 usage or configuration error (a usage error is one line naming
the flag or argument and the problem).
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`shs: ${message}\n`);
  process.exit(code);
}

/** The Lockbox password source when database.password_lockbox_secret_id is set, else undefined. */
function passwordSource(config: Config, events: CachedPasswordEvents & { onRetry?: (message: string) => void }): PasswordSource | undefined {
  const db = config.database;
  if (db.password_lockbox_secret_id === '') return undefined;
  return lockboxPassword(
    { secretId: db.password_lockbox_secret_id, key: db.password_lockbox_key, metadataUrl: config.cloud.metadata_url, lockboxUrl: config.cloud.lockbox_url },
    events,
  );
}

/** For the one-shot commands: what Lockbox does goes to stderr (never the token or the password). */
function cliPasswordSource(config: Config): PasswordSource | undefined {
  const id = config.database.password_lockbox_secret_id;
  return passwordSource(config, {
    onRetry: (message) => process.stderr.write(`shs: ${message}\n`),
    onObtained: (version) => process.stderr.write(`shs: database password read from Lockbox secret ${id}${version ? ` (version ${version})` : ''}\n`),
    onRefresh: () => process.stderr.write(`shs: the database refused the password: reading Lockbox secret ${id} again\n`),
  });
}

/**
 * A connection for the one-shot commands. Tries the hosts in order, like the service does. With a Lockbox
 * password, a refused password (28P01) makes it read the secret again once (it may have been rotated).
 * quiet: no line per unreachable host, and one message naming every host's failure.
 */
async function adminClient(config: Config, password: PasswordSource | undefined, quiet = false): Promise<pg.Client> {
  let last: unknown;
  const reasons: string[] = [];
  for (const text of config.database.hosts) {
    const [host, port] = text.startsWith('[') ? [text.slice(1, text.indexOf(']')), text.slice(text.indexOf(']') + 2)] : text.split(':');
    for (let reread = false; ; reread = true) {
      const client = new pg.Client({
        host,
        port: Number(port),
        database: config.database.name,
        user: config.database.user,
        password: password ? await password.get() : config.database.password,
        ssl: databaseTls(config.database),
        connectionTimeoutMillis: Math.max(config.database.connect_timeout_ms, 5000),
        application_name: 'shs-admin',
      });
      try {
        await client.connect();
        return client;
      } catch (err) {
        if (password && isAuthFailure(err) && !reread && password.rejected()) continue;
        last = err;
        reasons.push(`${text}: ${(err as Error).message}`);
        if (!quiet) process.stderr.write(`shs: cannot connect to ${text}: ${(err as Error).message}\n`);
        break;
      }
    }
  }
  if (quiet && reasons.length > 0) throw new Error(reasons.join('; '));
  throw last instanceof Error ? last : new Error('no database host could be reached');
}

/**
 * `init`: connects, retrying with backoff (1 s doubling to 10 s) until `waitSeconds` have passed; one line per
 * attempt on stderr. Any failure is retried (the database, its user or the Lockbox grant may still be being
 * made on a first deploy), except a configuration error.
 */
async function waitForDatabase(config: Config, password: PasswordSource | undefined, waitSeconds: number): Promise<pg.Client> {
  const started = performance.now();
  const deadline = started + waitSeconds * 1000;
  let delay = 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      const client = await adminClient(config, password, true);
      process.stderr.write(`shs init: attempt ${attempt}: connected to the database (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      return client;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      const message = (err as Error).message || String(err);
      const left = deadline - performance.now();
      const at = `attempt ${attempt}, ${((performance.now() - started) / 1000).toFixed(1)} s of ${waitSeconds} s`;
      if (left <= 0) {
        process.stderr.write(`shs init: ${at}: ${message}; giving up\n`);
        throw new Error(`init: the database could not be reached within ${waitSeconds} s (${attempt} attempts); last error: ${message}`);
      }
      const pause = Math.min(delay, left);
      process.stderr.write(`shs init: ${at}: ${message}; next attempt in ${(pause / 1000).toFixed(1)} s\n`);
      await new Promise((r) => setTimeout(r, pause));
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

function printMigrated(result: Awaited<ReturnType<typeof migrate>>): void {
  process.stdout.write(
    result.applied.length === 0
      ? `schema is up to date (version ${result.version})\n`
      : result.applied.map((m) => `applied ${m.version}: ${m.name}\n`).join('') + `schema is at version ${result.version}\n`,
  );
}

/** --scale and --seed of prepare_db and init, checked before anything connects. */
function datasetArgs(values: { scale?: string | undefined; seed?: string | undefined }): { scale: number; seed: number } {
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!Number.isFinite(scale)) throw new UsageError(`--scale must be a number, got "${values.scale}"`);
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got "${values.seed}"`);
  try {
    sizeForScale(scale);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (seed < 0 || seed > MAX_SEED) throw new UsageError(`--seed must be an integer in 0-${MAX_SEED}, got ${seed}`);
  return { scale, seed };
}

const progress = (step: string, done: boolean, seconds: number) => process.stderr.write(done ? `  ${step}: ${seconds.toFixed(2)} s\n` : '');

/** "3 sessions and 1 customer"; empty when every count is 0. */
function rowCounts(n: DatasetSize): string {
  const parts = (['customers', 'movies', 'sessions'] as const).filter((t) => n[t] > 0).map((t) => `${n[t]} ${n[t] === 1 ? t.slice(0, -1) : t}`);
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

function describeOutcome(outcome: PrepareOutcome): string {
  if (outcome.status === 'foreign') return 'the database already holds rows that prepare_db did not make; left as they are\n';
  const d = outcome.dataset;
  const counts = `${d.customers} customers, ${d.movies} movies, ${d.sessions} sessions (seed ${d.seed}, scale ${d.scale})`;
  if (outcome.status === 'unchanged') return `already prepared: ${counts}; nothing to do\n`;
  const deleted = rowCounts(outcome.deleted);
  return `prepared ${counts} in ${outcome.seconds.toFixed(1)} s\n${deleted ? `deleted ${deleted} that prepare_db did not make\n` : ''}`;
}

/** What `prepare_db --force` is about to replace and delete, for stderr. */
function describeReplacement(found: ExistingData): string {
  const r = found.recorded;
  const foreign = rowCounts(found.foreign);
  const what = r
    ? `the dataset with seed ${r.seed} and scale ${r.scale} (${r.customers} customers, ${r.movies} movies, ${r.sessions} sessions) and deletes ` +
      (foreign ? `${foreign} that prepare_db did not make (created since it was loaded)` : 'no row that prepare_db did not make')
    : `rows that prepare_db did not make: it deletes ${foreign}`;
  return (
    `shs: prepare_db --force replaces ${what}.\n` +
    'shs: the old rows stay readable while the new ones load beside them (rows written meanwhile are deleted too); ' +
    'the tables are locked exclusively only for the swap at the end, which waits for the queries running on them.\n'
  );
}

/** A yes/no question on the terminal (stderr); anything but "yes" is no. */
async function confirmed(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await Promise.race([rl.question(question), new Promise<string>((resolve) => rl.once('close', () => resolve('')))]);
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

async function runServer(config: Config): Promise<void> {
  const instance = config.server.instance_id || hostname();
  // The database's callbacks log through the server, which is built just after it (they run only later).
  const secretId = config.database.password_lockbox_secret_id;
  // Read from Lockbox in the background: the server listens at once and /ping answers 500 until it is read.
  const password = passwordSource(config, {
    onObtained: (version) => server.app.log.info({ secret_id: secretId, version_id: version }, 'database password read from Lockbox'),
    onFailed: (err) => server.app.log.warn({ secret_id: secretId, err: { message: err.message } }, 'database password: Lockbox read failed'),
    onRetry: (message) => server.app.log.warn({ secret_id: secretId, reason: message }, 'database password: retrying Lockbox'),
    onRefresh: () => server.app.log.warn({ secret_id: secretId }, 'the database refused the password: reading Lockbox again'),
  });
  const db = new Database(
    config.database,
    {
      onFailover: (from, to, reason) => server.app.log.warn({ from, to, reason }, 'database failover'),
      onFailback: (from, to) => server.app.log.warn({ from, to }, 'database failback: the first host accepts writes again'),
      onNoFailoverTarget: (from, reason) => server.app.log.warn({ from, reason }, 'database failover: no other host accepts writes'),
      onError: (err) => server.app.log.warn({ err: { message: err.message } }, 'idle database connection lost'),
    },
    password,
    { applicationName: `shs:${instance}` },
  );
  const server = buildServer({ config, db, instance, version: `${VERSION}+${REVISION}` });
  const { app } = server;
  installSignalHandlers(
    {
      leaveRotation: () => server.startDraining(),
      // Stops accepting connections; each open one closes after answering its request (Connection: close), or
      // after a second without one; then the pools close.
      drain: async () => {
        await server.connections.drain(1000);
        await app.close();
        await db.close();
      },
      log: (msg, fields) => app.log.info(fields ?? {}, msg),
    },
    { delayMs: config.server.shutdown_delay_ms, deadlineMs: config.server.shutdown_timeout_ms },
  );
  const address = await app.listen({ host: config.server.host, port: config.server.port });
  app.log.info(
    {
      address,
      version: VERSION,
      revision: REVISION,
      database: config.database.hosts,
      password_source: password ? 'lockbox' : config.database.password_file !== '' ? 'file' : 'config',
      faults: config.faults.enabled,
    },
    'listening',
  );
  password?.get().catch(() => undefined); // failures are logged by onFailed; the next request or ping tries again
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, {
    config: { type: 'string' },
    scale: { type: 'string' },
    seed: { type: 'string' },
    force: { type: 'boolean', default: false },
    yes: { type: 'boolean', default: false },
    wait: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
    version: { type: 'boolean', default: false },
  }, true);
  const command = positionals[0];
  if (values.version) {
    process.stdout.write(`shs ${VERSION} (${REVISION})\n`);
    return;
  }
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    if (command === undefined && !values.help) process.exitCode = 2;
    return;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const onlyFor = (flag: string, ...allowed: string[]) => {
    if ((values as Record<string, unknown>)[flag] !== undefined && (values as Record<string, unknown>)[flag] !== false && !allowed.includes(command))
      throw new UsageError(`--${flag} applies to ${allowed.join(' and ')} only`);
  };
  onlyFor('scale', 'prepare_db', 'init');
  onlyFor('seed', 'prepare_db', 'init');
  onlyFor('force', 'prepare_db');
  onlyFor('yes', 'prepare_db');
  if (values.yes && !values.force) throw new UsageError('--yes confirms --force; pass both, or neither');
  onlyFor('wait', 'init');

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
      const client = await adminClient(config, cliPasswordSource(config));
      try {
        printMigrated(await migrate(client));
      } finally {
        await client.end();
      }
      return;
    }
    case 'prepare_db': {
      const { scale, seed } = datasetArgs(values);
      const { config } = loadConfig({ path: values.config });
      const client = await adminClient(config, cliPasswordSource(config));
      try {
        if (values.force) {
          // Read outside the load's transaction: nothing is locked while the question waits for an answer.
          const found = await inspectData(client);
          if (found.present) {
            process.stderr.write(describeReplacement(found));
            // Without a terminal (scripts, CI) --force is the confirmation, as it always was.
            if (!values.yes && process.stdin.isTTY && !(await confirmed('Type "yes" to go on: ')))
              throw new RefusedError('not confirmed: nothing was changed');
          }
        }
        const outcome = await prepareDatabase(client, { scale, seed, force: values.force ?? false, progress });
        process.stdout.write(describeOutcome(outcome));
      } finally {
        await client.end();
      }
      return;
    }
    case 'init': {
      // Checked before waiting: a bad argument should not cost the whole wait.
      const { scale, seed } = datasetArgs(values);
      const wait = values.wait === undefined ? DEFAULT_WAIT_SECONDS : Number(values.wait);
      if (values.wait?.trim() === '' || !Number.isFinite(wait) || wait < 0 || wait > MAX_WAIT_SECONDS)
        throw new UsageError(`--wait must be a number of seconds in 0-${MAX_WAIT_SECONDS}, got "${values.wait}"`);
      const { config } = loadConfig({ path: values.config });
      const client = await waitForDatabase(config, cliPasswordSource(config), wait);
      try {
        // One transaction migrates and, on a fresh database, loads the dataset: the schema's version (what /ping
        // waits for) appears together with the data. It takes advisory locks: a second node running init at the
        // same moment waits for this one, then finds the schema and the dataset in place.
        const outcome = await prepareDatabase(client, { scale, seed, force: false, keep: true, progress });
        printMigrated(outcome.migrated);
        process.stdout.write(
          outcome.status === 'unchanged'
            ? `a dataset is already present: ${outcome.dataset.customers} customers, ${outcome.dataset.movies} movies, ${outcome.dataset.sessions} sessions (seed ${outcome.dataset.seed}, scale ${outcome.dataset.scale}); data left as it is\n`
            : describeOutcome(outcome),
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
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(usageMessage(err.message));
    process.exit(2);
  }
  if (err instanceof ConfigError) fail(`config: ${err.message}`, 2);
  if (err instanceof RefusedError || err instanceof RangeError) fail(err.message, 1);
  fail((err as Error).message || String(err), 1);
});

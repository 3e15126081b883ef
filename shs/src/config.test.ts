import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, envName, loadConfig, parseHost, redacted, renderConfig } from './config.js';

const files = (map: Record<string, string>) => (path: string) => {
  if (path in map) return map[path]!;
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
};

describe('config', () => {
  it('uses the defaults when the default file is absent', () => {
    const { config, source } = loadConfig({ env: {}, readFile: files({}) });
    expect(source).toBeNull();
    expect(config).toEqual(defaultConfig());
  });

  it('reads the default path when present; an explicit path must exist', () => {
    const { source } = loadConfig({ env: {}, readFile: files({ '/opt/shs/config.yaml': 'server:\n  port: 1\n' }) });
    expect(source).toBe('/opt/shs/config.yaml');
    expect(() => loadConfig({ path: '/x.yaml', env: {}, readFile: files({}) })).toThrow(/cannot read config file \/x.yaml/);
    expect(() => loadConfig({ env: { SHS_CONFIG: '/y.yaml' }, readFile: files({}) })).toThrow(/\/y.yaml/);
  });

  it('lets the environment win over the file, with typed values', () => {
    const { config } = loadConfig({
      path: '/c.yaml',
      env: { SHS_SERVER_PORT: '9000', SHS_LOG_REQUESTS: 'off', SHS_DATABASE_HOSTS: 'a:1, b ,[::1]:7' },
      readFile: files({ '/c.yaml': 'server:\n  port: 8000\nlog:\n  requests: true\n' }),
    });
    expect(config.server.port).toBe(9000);
    expect(config.log.requests).toBe(false);
    expect(config.database.hosts).toEqual(['a:1', 'b:5432', '[::1]:7']);
  });

  it('names what is wrong', () => {
    const bad = (yaml: string) => () => loadConfig({ path: '/c.yaml', env: {}, readFile: files({ '/c.yaml': yaml }) });
    expect(bad('nope: 1')).toThrow(/unknown section "nope"/);
    expect(bad('server:\n  prot: 1')).toThrow(/unknown key "server.prot"/);
    expect(bad('server:\n  port: 70000')).toThrow(/server.port: 70000 is out of range 0-65535/);
    expect(bad('server:\n  port: "80"')).toThrow(/server.port: expected an integer/);
    expect(bad('log:\n  level: loud')).toThrow(/log.level: expected one of debug, info, warn, error/);
    expect(bad('database:\n  hosts: []')).toThrow(/database.hosts: needs at least one host/);
    expect(bad('database:\n  hosts: ["a:b"]')).toThrow(/database.hosts\[0\]/);
    expect(bad('server: [1]')).toThrow(/"server" must be a mapping/);
    expect(bad('server:\n  port: 1\n  port: 2')).toThrow(/invalid YAML/);
    expect(() => loadConfig({ env: { SHS_FAULTS_ENABLED: 'maybe' }, readFile: files({}) })).toThrow(
      /SHS_FAULTS_ENABLED \(faults.enabled\): expected true or false/,
    );
    expect(() => loadConfig({ env: { SHS_NOPE: '1' }, readFile: files({}) })).toThrow(ConfigError);
  });

  it('never echoes a secret value in an error', () => {
    const error = (yaml: string, env: Record<string, string> = {}) => {
      try {
        loadConfig({ path: '/c.yaml', env, readFile: files({ '/c.yaml': yaml }) });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    // A password of the wrong type: named, typed, not shown.
    const number = error('database:\n  password: 12345\n');
    expect(number).toBe('/c.yaml: database.password: expected a string, got a number (value not shown: secret)');
    for (const [yaml, secret] of [
      ['database:\n  password: 987654.5\n', '987654'],
      ['database:\n  password: [hunter2, x]\n', 'hunter2'],
      ['database:\n  password: {a: hunter2}\n', 'hunter2'],
      ['database:\n  password: true\n', 'true'],
    ] as const) {
      const message = error(yaml);
      expect(message).toMatch(/database\.password: expected a string/);
      expect(message).not.toContain(secret);
    }
    // Other keys still show what they got.
    expect(error('server:\n  host: 42\n')).toContain('got 42 (number)');
  });

  it('reports YAML it cannot parse by file:line:column and kind, never quoting the line (it may hold a password)', () => {
    const error = (yaml: string) => {
      try {
        loadConfig({ path: '/c.yaml', env: {}, readFile: files({ '/c.yaml': yaml }) });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    const quote = error('server:\n  port: 1\ndatabase:\n  password: "hunter2\n');
    expect(quote).toMatch(/^\/c\.yaml:\d+:\d+: invalid YAML \(MISSING_CHAR\): /);
    expect(quote).not.toContain('hunter2');
    const escape = error('database:\n  password: "hun\\qter2"\n');
    expect(escape).toMatch(/^\/c\.yaml:2:\d+: invalid YAML \(BAD_DQ_ESCAPE\): /);
    expect(escape).not.toMatch(/hun|qter2/);
    const compact = error('database:\n  password: hunter2: x\n');
    expect(compact).toMatch(/^\/c\.yaml:2:\d+: invalid YAML \(BLOCK_AS_IMPLICIT_KEY\)/);
    expect(compact).not.toContain('hunter2');
    const duplicate = error('database:\n  password: hunter2\n  password: hunter3\n');
    expect(duplicate).toMatch(/^\/c\.yaml:3:3: invalid YAML \(DUPLICATE_KEY\): /);
    expect(duplicate).not.toContain('hunter');
  });

  it('refuses the fault switch under NODE_ENV=production', () => {
    const run = (env: Record<string, string>, yaml = '') => () => loadConfig({ path: '/c.yaml', env, readFile: files({ '/c.yaml': yaml }) });
    expect(run({ NODE_ENV: 'production', SHS_FAULTS_ENABLED: 'true' })).toThrow(ConfigError);
    expect(run({ NODE_ENV: 'production', SHS_FAULTS_ENABLED: 'true' })).toThrow(
      /faults\.enabled \(SHS_FAULTS_ENABLED\) is true while NODE_ENV=production/,
    );
    expect(run({ NODE_ENV: 'production' }, 'faults:\n  enabled: true\n')).toThrow(/faults\.enabled .* NODE_ENV=production/);
    // Off in production, or on anywhere else: fine.
    expect(run({ NODE_ENV: 'production' }, 'faults:\n  enabled: false\n')().config.faults.enabled).toBe(false);
    expect(run({ NODE_ENV: 'test', SHS_FAULTS_ENABLED: 'true' })().config.faults.enabled).toBe(true);
    expect(run({ SHS_FAULTS_ENABLED: 'true' })().config.faults.enabled).toBe(true);
  });

  it('reads the password from a file and never prints it', () => {
    const { config } = loadConfig({
      env: { SHS_DATABASE_PASSWORD_FILE: '/run/secrets/pw' },
      readFile: files({ '/run/secrets/pw': 's3cret\n' }),
    });
    expect(config.database.password).toBe('s3cret');
    const shown = renderConfig(redacted(config));
    expect(shown).not.toContain('s3cret');
    expect(shown).toContain('password: "***"');
    expect(() => loadConfig({ env: { SHS_DATABASE_PASSWORD_FILE: '/missing' }, readFile: files({}) })).toThrow(
      /database.password_file: cannot read \/missing/,
    );
  });

  it('takes the password from Lockbox by secret id, with the cloud endpoints overridable', () => {
    const d = defaultConfig();
    expect(d.database.password_lockbox_secret_id).toBe('');
    expect(d.database.password_lockbox_key).toBe('password');
    expect(d.cloud).toEqual({ metadata_url: 'http://169.254.169.254', lockbox_url: 'https://payload.lockbox.api.cloud.yandex.net' });
    const { config } = loadConfig({
      env: {
        SHS_DATABASE_PASSWORD_LOCKBOX_SECRET_ID: 'e6q0secret',
        SHS_DATABASE_PASSWORD_LOCKBOX_KEY: 'db',
        SHS_CLOUD_METADATA_URL: 'http://127.0.0.1:9/',
        SHS_CLOUD_LOCKBOX_URL: 'https://lockbox.example:8443/base',
      },
      readFile: files({}),
    });
    expect(config.database.password_lockbox_secret_id).toBe('e6q0secret');
    expect(config.database.password_lockbox_key).toBe('db');
    expect(config.cloud).toEqual({ metadata_url: 'http://127.0.0.1:9', lockbox_url: 'https://lockbox.example:8443/base' });
    // The id is not secret: shown, so an operator can see which secret an instance reads.
    const shown = renderConfig(redacted(config));
    expect(shown).toContain('password_lockbox_secret_id: e6q0secret');
    expect(shown).toContain('(env SHS_DATABASE_PASSWORD_LOCKBOX_SECRET_ID)');
    expect(shown).toContain('(env SHS_CLOUD_METADATA_URL)');
    const bad = (env: Record<string, string>) => () => loadConfig({ env, readFile: files({}) });
    expect(bad({ SHS_CLOUD_METADATA_URL: 'ftp://x' })).toThrow(/SHS_CLOUD_METADATA_URL \(cloud.metadata_url\): expected an http\(s\) URL/);
    expect(bad({ SHS_CLOUD_LOCKBOX_URL: 'not a url' })).toThrow(/cloud.lockbox_url\): expected an http\(s\) URL/);
    expect(bad({ SHS_CLOUD_LOCKBOX_URL: 'https://x/?a=1' })).toThrow(/without query/);
    expect(bad({ SHS_DATABASE_PASSWORD_LOCKBOX_KEY: ' ' })).toThrow(/password_lockbox_key\): must not be empty/);
  });

  it('refuses more than one source of the password, naming them', () => {
    const both = () =>
      loadConfig({
        path: '/c.yaml',
        env: { SHS_DATABASE_PASSWORD_LOCKBOX_SECRET_ID: 'e6q0secret' },
        readFile: files({ '/c.yaml': 'database:\n  password: inline\n' }),
      });
    expect(both).toThrow(ConfigError);
    expect(both).toThrow(
      'database.password (SHS_DATABASE_PASSWORD) and database.password_lockbox_secret_id (SHS_DATABASE_PASSWORD_LOCKBOX_SECRET_ID) are both set; ' +
        'set at most one of database.password, database.password_file and database.password_lockbox_secret_id',
    );
    expect(() =>
      loadConfig({ env: { SHS_DATABASE_PASSWORD_FILE: '/run/pw', SHS_DATABASE_PASSWORD: 'x', SHS_DATABASE_PASSWORD_LOCKBOX_SECRET_ID: 'y' }, readFile: files({ '/run/pw': 'z' }) }),
    ).toThrow(/password .*password_file .*password_lockbox_secret_id .* are all set/);
    expect(() => loadConfig({ env: { SHS_DATABASE_PASSWORD_FILE: '/run/pw', SHS_DATABASE_PASSWORD: 'x' }, readFile: files({ '/run/pw': 'z' }) })).toThrow(
      /database.password \(SHS_DATABASE_PASSWORD\) and database.password_file \(SHS_DATABASE_PASSWORD_FILE\) are both set/,
    );
  });

  it('renders YAML that loads back to the same config', () => {
    const text = renderConfig(defaultConfig());
    const { config } = loadConfig({ path: '/r.yaml', env: {}, readFile: files({ '/r.yaml': text }) });
    expect(config).toEqual(defaultConfig());
  });

  it('derives variable names and parses hosts', () => {
    expect(envName(['database', 'pool_size'])).toBe('SHS_DATABASE_POOL_SIZE');
    expect(parseHost('db', 'x')).toEqual({ host: 'db', port: 5432 });
    expect(parseHost('[::1]:6432', 'x')).toEqual({ host: '::1', port: 6432 });
    expect(() => parseHost('db:0', 'x')).toThrow(/out of range/);
  });
});

import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

/**
 * Every setting Rotor reads, from environment variables, validated once at start. A bad
 * value stops the process with one message naming every problem, never halfway through.
 * The README's configuration table lists the same variables.
 */
export type EventStoreKind = 'sqlite' | 'esdb';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SqliteThread = 'worker' | 'main';

export interface RotorConfig {
  readonly natsUrl: string;
  readonly eventStore: EventStoreKind;
  readonly dataDir: string;
  readonly sqlitePath: string;
  /**
   * Where the embedded store's connection lives: a worker thread (default; the event loop
   * never waits on the disk, and concurrent appends share one fsync), or this thread (for
   * comparison: the benchmark's "before").
   */
  readonly sqliteThread: SqliteThread;
  readonly esdbConnectionString?: string;
  /** JSON text of the KEK ring, from ROTOR_KEK_RING or the file ROTOR_KEK_RING_FILE. */
  readonly kekRing: { readonly text?: string; readonly file?: string };
  /** The audit trail (README: Audit). */
  readonly audit: AuditConfig;
  readonly logLevel: LogLevel;
  readonly port: number;
  readonly natsRequestTimeoutMs: number;
  readonly rateLimit: { readonly perMinute: number; readonly burst: number };
  readonly maxBodyBytes: number;
}

export interface AuditConfig {
  /** ROTOR_AUDIT_PUBLIC_KEY: base64 Ed25519 public key(s), comma-separated, for readers. */
  readonly publicKeys?: string;
  /** ROTOR_AUDIT_ANCHOR_FILE: the append-only anchor file, outside the store's directory. */
  readonly anchorFile: string;
  /** ROTOR_AUDIT_ANCHOR_INTERVAL_S: seconds between anchors (and one at shutdown). */
  readonly anchorIntervalSeconds: number;
  /** ROTOR_AUDIT_LEGACY_UNTIL: unsigned history is accepted up to this global position. */
  readonly legacyUntil?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

export const CONFIG_DEFAULTS = {
  NATS_URL: 'nats://127.0.0.1:4222',
  EVENT_STORE: 'sqlite',
  ROTOR_DATA_DIR: './data',
  LOG_LEVEL: 'info',
  PORT: '3000',
  NATS_REQUEST_TIMEOUT_MS: '5000',
  RATE_LIMIT_PER_MINUTE: '600',
  RATE_LIMIT_BURST: '100',
  MAX_BODY_BYTES: '1048576',
  SQLITE_THREAD: 'worker',
  ROTOR_AUDIT_ANCHOR_INTERVAL_S: '60',
} as const;

export const loadConfig = (env: Env = process.env): RotorConfig => {
  const problems: string[] = [];
  const get = (name: keyof typeof CONFIG_DEFAULTS) => {
    const value = env[name];
    return value === undefined || value === '' ? CONFIG_DEFAULTS[name] : value;
  };
  const integer = (name: keyof typeof CONFIG_DEFAULTS, min: number, max: number) => {
    const text = get(name);
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${text}")`);
      return Number(CONFIG_DEFAULTS[name]);
    }
    return value;
  };
  const oneOf = <T extends string>(
    name: keyof typeof CONFIG_DEFAULTS,
    allowed: readonly T[],
  ): T => {
    const value = get(name) as T;
    if (!allowed.includes(value)) {
      problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
      return CONFIG_DEFAULTS[name] as T;
    }
    return value;
  };

  const natsUrl = get('NATS_URL');
  if (!/^(nats|tls|wss?):\/\/[^\s]+$/.test(natsUrl))
    problems.push(`NATS_URL must look like nats://host:port (got "${natsUrl}")`);
  const eventStore = oneOf<EventStoreKind>('EVENT_STORE', ['sqlite', 'esdb']);
  const dataDir = get('ROTOR_DATA_DIR');
  const sqlitePath = env.SQLITE_PATH || join(dataDir, 'rotor.sqlite');
  const esdbConnectionString = env.ESDB_CONNECTION_STRING || undefined;
  if (eventStore === 'esdb' && !esdbConnectionString)
    problems.push('ESDB_CONNECTION_STRING is required when EVENT_STORE=esdb');
  if (esdbConnectionString && !/^esdb(\+discover)?:\/\//.test(esdbConnectionString))
    problems.push('ESDB_CONNECTION_STRING must start with esdb:// or esdb+discover://');
  if (env.ROTOR_KEK_RING && env.ROTOR_KEK_RING_FILE)
    problems.push('set ROTOR_KEK_RING or ROTOR_KEK_RING_FILE, not both');
  if (
    env.ROTOR_KEK_RING_FILE &&
    !isAbsolute(env.ROTOR_KEK_RING_FILE) &&
    !env.ROTOR_KEK_RING_FILE.startsWith('.')
  )
    problems.push('ROTOR_KEK_RING_FILE must be a path (absolute, or relative starting with ./)');

  // The store's directory: an anchor there would be rewritten along with the store.
  const storeDir = resolve(eventStore === 'sqlite' ? dirname(sqlitePath) : dataDir);
  const anchorFile = resolve(
    env.ROTOR_AUDIT_ANCHOR_FILE ||
      join(dirname(storeDir), `${basename(storeDir)}-anchors`, 'anchors.jsonl'),
  );
  const insideStore = relative(storeDir, anchorFile);
  if (!insideStore.startsWith('..') && !isAbsolute(insideStore))
    problems.push(`ROTOR_AUDIT_ANCHOR_FILE must be outside the store's directory ${storeDir}`);
  const legacyUntil = env.ROTOR_AUDIT_LEGACY_UNTIL || undefined;
  if (legacyUntil !== undefined && !/^\d+(:\d+)?$/.test(legacyUntil))
    problems.push(
      `ROTOR_AUDIT_LEGACY_UNTIL must be a global position, e.g. 1234 (got "${legacyUntil}")`,
    );

  const config: RotorConfig = {
    natsUrl,
    eventStore,
    dataDir,
    sqlitePath,
    sqliteThread: oneOf<SqliteThread>('SQLITE_THREAD', ['worker', 'main']),
    esdbConnectionString,
    kekRing: { text: env.ROTOR_KEK_RING || undefined, file: env.ROTOR_KEK_RING_FILE || undefined },
    audit: {
      publicKeys: env.ROTOR_AUDIT_PUBLIC_KEY || undefined,
      anchorFile,
      anchorIntervalSeconds: integer('ROTOR_AUDIT_ANCHOR_INTERVAL_S', 1, 86_400),
      legacyUntil,
    },
    logLevel: oneOf<LogLevel>('LOG_LEVEL', ['debug', 'info', 'warn', 'error']),
    port: integer('PORT', 1, 65535),
    natsRequestTimeoutMs: integer('NATS_REQUEST_TIMEOUT_MS', 100, 120_000),
    rateLimit: {
      perMinute: integer('RATE_LIMIT_PER_MINUTE', 1, 1_000_000),
      burst: integer('RATE_LIMIT_BURST', 1, 1_000_000),
    },
    maxBodyBytes: integer('MAX_BODY_BYTES', 1024, 16 * 1024 * 1024),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
};

/** The variables a service reads: documented in the README and checked against docker-compose. */
export const CONFIG_VARIABLES = [
  ...Object.keys(CONFIG_DEFAULTS),
  'SQLITE_PATH',
  'ESDB_CONNECTION_STRING',
  'ROTOR_KEK_RING',
  'ROTOR_KEK_RING_FILE',
  'ROTOR_AUDIT_PUBLIC_KEY',
  'ROTOR_AUDIT_ANCHOR_FILE',
  'ROTOR_AUDIT_LEGACY_UNTIL',
] as const;

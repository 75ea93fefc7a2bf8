/**
 * `npm run start:distributed`: Rotor's distributed mode without Docker. Each service runs
 * as its own process over a real NATS server, all sharing one sqlite event store (WAL mode);
 * docker-compose.yml runs the same services in containers on EventStoreDB.
 *
 * Authenticated by default: without NATS_URL it starts nats-server itself on
 * deploy/nats/nats.conf (one user per service, least privilege), with development passwords
 * generated into the data dir on the first run, as the development KEK ring is.
 *
 * Settings, from the environment:
 *   NATS_URL             unset: start nats-server (from PATH) on deploy/nats/nats.conf at
 *                        127.0.0.1:NATS_PORT (4222; monitoring on NATS_MONITOR_PORT, 8222),
 *                        its store in <ROTOR_DATA_DIR>/nats. Set: a server already running
 *                        deploy/nats/nats.conf with the same passwords; each service connects
 *                        to it as its own user
 *   NATS_URL_<SERVICE>   one service's own URL (credentials included), instead of the above
 *   ROTOR_NATS_<SERVICE>_PASSWORD  a service's NATS password; by default the one in
 *                        <ROTOR_DATA_DIR>/nats-passwords.json, generated on the first run
 *   ROTOR_DATA_DIR       ./data/distributed by default: the sqlite file, the KEK ring, the
 *                        NATS passwords and store
 *   SQLITE_PATH          <ROTOR_DATA_DIR>/rotor.sqlite by default
 *   ROTOR_KEK_RING_FILE  <ROTOR_DATA_DIR>/kek-ring.json by default, generated on the first
 *                        run: for development only, whoever reads it can decrypt every secret
 *   PORT                 the gateway's port, 3000 by default
 *   ROTOR_AUDIT_*        the audit settings (README: Audit), passed to the services that
 *                        open the store; ROTOR_AUDIT_PUBLIC_KEY defaults to the public half
 *                        of the ring's audit key, so the projector and the query service
 *                        verify what they read without holding the ring
 * Each service gets only the configuration it needs (RUNTIME_NEEDS): its own NATS URL; the
 * store and audit settings if it opens the store; the KEK ring only command and signer. Other Rotor
 * variables of this shell are not passed on; LOG_LEVEL, NATS_REQUEST_TIMEOUT_MS and the
 * gateway's limits are.
 *
 * Each output line is prefixed with its service's name; no line carries a password (every
 * URL printed goes through redactUrl). SIGINT and SIGTERM are passed on to every service,
 * once (they run in their own process groups, so a Ctrl-C in the terminal does not reach
 * them twice). When a service dies, the others are stopped and the exit code is 1; after a
 * requested stop it is 0 when every service stopped cleanly. A bad setting is one line and
 * exit 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { delimiter, extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { API_KEYS_BUCKET } from '@rotor/access';
import { CONFIG_VARIABLES, redactUrl } from '@rotor/config';
import { BUCKETS } from '@rotor/contracts';
import { generateKekRingText, loadKekRing } from '@rotor/crypto';
import { createEventStore } from '@rotor/event-store';
import { connectNats, drainNats, JetStreamKvFactory } from '@rotor/messaging';
import { HEALTH_RECORD_TTL_SECONDS, RUNTIME_NEEDS } from '@rotor/runtime';
import { PROJECTOR_STATE_BUCKET } from '../services/projector/src/projector.constants';

const DISTRIBUTED_SERVICES = [
  'command',
  'projector',
  'expiry',
  'signer',
  'query',
  'gateway',
] as const;
type Service = (typeof DISTRIBUTED_SERVICES)[number];

/** The repository (run from sources) or dist/ (compiled): both hold services/<s>/src/main. */
const ROOT = resolve(__dirname, '..');
const NATS_CONF = join(ROOT, 'deploy', 'nats', 'nats.conf');
/** After a stop was asked for, how long the services get before they are killed. */
const FORCE_STOP_AFTER_MS = 15_000;
const NATS_STARTUP_TIMEOUT_MS = 15_000;
const COLORS = [36, 33, 35, 32, 34, 31];
/** The buckets the projector owns: created once, as its user, before anyone opens them. */
const OWNED_BUCKETS = [BUCKETS.endpoints, BUCKETS.keyRing, PROJECTOR_STATE_BUCKET, API_KEYS_BUCKET];
/** Settings every service may read: none of them is a secret. */
const SHARED_VARIABLES = [
  'LOG_LEVEL',
  'NATS_REQUEST_TIMEOUT_MS',
  'RATE_LIMIT_PER_MINUTE',
  'RATE_LIMIT_BURST',
  'MAX_BODY_BYTES',
] as const;

interface Running {
  readonly service: Service | 'nats';
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

const env = process.env;
const dataDir = resolve(env.ROTOR_DATA_DIR || join('data', 'distributed'));
const sqlitePath = resolve(env.SQLITE_PATH || join(dataDir, 'rotor.sqlite'));
const eventStore = env.EVENT_STORE || 'sqlite';
const port = env.PORT || '3000';
const managedNats = !env.NATS_URL;
const natsPort = env.NATS_PORT || '4222';
const natsUrl = env.NATS_URL || `nats://127.0.0.1:${natsPort}`;

const prefixOf = (name: string): string => {
  const label = `${name.padEnd(9)}|`;
  const index = (DISTRIBUTED_SERVICES as readonly string[]).indexOf(name);
  return process.stdout.isTTY && index >= 0
    ? `\x1b[${COLORS[index]}m${label}\x1b[0m `
    : `${label} `;
};
const say = (line: string): void =>
  void process.stdout.write(`${prefixOf('rotor')}${redactUrl(line)}\n`);
const complain = (line: string): void =>
  void process.stderr.write(`${prefixOf('rotor')}${redactUrl(line)}\n`);
const fail = (line: string): never => {
  complain(line);
  process.exit(2);
};

/** The shared KEK ring: the one configured, or one generated in the data dir on first run. */
function kekRingSettings(): Record<string, string> {
  if (env.ROTOR_KEK_RING) return { ROTOR_KEK_RING: env.ROTOR_KEK_RING };
  if (env.ROTOR_KEK_RING_FILE) {
    const file = resolve(env.ROTOR_KEK_RING_FILE);
    if (!existsSync(file)) fail(`ROTOR_KEK_RING_FILE ${file} does not exist`);
    return { ROTOR_KEK_RING_FILE: file };
  }
  const file = join(dataDir, 'kek-ring.json');
  if (!existsSync(file)) {
    writeFileSync(file, generateKekRingText(), { mode: 0o600 });
    complain(
      `generated a development KEK ring at ${file}: whoever reads it can decrypt every secret`,
    );
  }
  return { ROTOR_KEK_RING_FILE: file };
}

/** The audit settings of every store-opening service; the public key is not a secret. */
function auditSettings(kekRing: Record<string, string>): Record<string, string> {
  const publicKey = env.ROTOR_AUDIT_PUBLIC_KEY || loadKekRing(kekRing)?.audit?.publicKey;
  return Object.fromEntries([
    ...(publicKey ? [['ROTOR_AUDIT_PUBLIC_KEY', publicKey]] : []),
    ...[
      'ROTOR_AUDIT_ANCHOR_FILE',
      'ROTOR_AUDIT_ANCHOR_INTERVAL_S',
      'ROTOR_AUDIT_LEGACY_UNTIL',
    ].flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
  ]) as Record<string, string>;
}

const passwordVariableOf = (service: Service): string =>
  `ROTOR_NATS_${service.toUpperCase()}_PASSWORD`;

/**
 * Each service's NATS password: from ROTOR_NATS_<SERVICE>_PASSWORD, else the development
 * file in the data dir (0600), generated on the first run. nats.conf reads a password as a
 * bare token: letters and digits, starting with a letter.
 */
function natsPasswords(): Record<Service, string> {
  const file = join(dataDir, 'nats-passwords.json');
  let stored: Partial<Record<Service, string>> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<Service, string>>;
    } catch {
      fail(`${file} is not valid JSON: delete it to generate new development passwords`);
    }
  }
  const passwords = Object.fromEntries(
    DISTRIBUTED_SERVICES.map((service) => [
      service,
      env[passwordVariableOf(service)] || stored[service] || `p${randomBytes(24).toString('hex')}`,
    ]),
  ) as Record<Service, string>;
  for (const service of DISTRIBUTED_SERVICES)
    if (!/^[A-Za-z][\w-]*$/.test(passwords[service]))
      fail(
        `${passwordVariableOf(service)} must be letters, digits, - and _, starting with a letter`,
      );
  const generated = DISTRIBUTED_SERVICES.filter(
    (service) => !env[passwordVariableOf(service)] && !stored[service],
  );
  if (generated.length > 0) {
    const kept = { ...stored };
    for (const service of generated) kept[service] = passwords[service];
    writeFileSync(file, JSON.stringify(kept, null, 2), { mode: 0o600 });
    complain(`generated development NATS passwords in ${file}: keep it private, as the KEK ring`);
  }
  return passwords;
}

/** `nats://<service>:<password>@host:port`: the service's own user. */
function natsUrlOf(service: Service, passwords: Record<Service, string>): string {
  const own = env[`NATS_URL_${service.toUpperCase()}`];
  if (own) return own;
  const url = new URL(natsUrl);
  url.username = service;
  url.password = passwords[service];
  return url.toString().replace(/\/$/, '');
}

/** What one service may read: its NATS URL, the store only if it opens it, the KEK ring only if it holds it. */
function serviceEnvironment(
  service: Service,
  passwords: Record<Service, string>,
  kekRing: Record<string, string>,
  audit: Record<string, string>,
): NodeJS.ProcessEnv {
  const rotorVariable = (name: string): boolean =>
    (CONFIG_VARIABLES as readonly string[]).includes(name) || /^(ROTOR_|NATS_|ESDB_)/.test(name);
  // The shell's own variables (PATH, HOME, ...), without anything of Rotor's.
  const inherited = Object.fromEntries(
    Object.entries(env).filter(([name]) => !rotorVariable(name)),
  );
  const shared = Object.fromEntries(
    SHARED_VARIABLES.flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
  );
  const needs = RUNTIME_NEEDS[service];
  return {
    ...inherited,
    ...shared,
    NATS_URL: natsUrlOf(service, passwords),
    ...(service === 'gateway' ? { PORT: port } : {}),
    ...(needs.eventStore
      ? {
          EVENT_STORE: eventStore,
          SQLITE_PATH: sqlitePath,
          ROTOR_DATA_DIR: dataDir,
          ...(env.ESDB_CONNECTION_STRING
            ? { ESDB_CONNECTION_STRING: env.ESDB_CONNECTION_STRING }
            : {}),
          ...audit,
        }
      : {}),
    ...(needs.kekRing ? kekRing : {}),
  };
}

/** Whether something accepts TCP connections at NATS_URL. */
function natsReachable(url: string): Promise<boolean> {
  let host = '127.0.0.1';
  let tcpPort = 4222;
  try {
    const parsed = new URL(url);
    host = parsed.hostname || host;
    tcpPort = Number(parsed.port || 4222);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((done) => {
    const socket = createConnection({ host, port: tcpPort });
    const finish = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(3_000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

function findNatsServer(): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function pipeLines(
  from: NodeJS.ReadableStream | null,
  to: NodeJS.WriteStream,
  prefix: string,
): void {
  if (!from) return;
  // Redacted here too: a child's line quoting a URL with credentials never reaches the terminal.
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) =>
    to.write(`${prefix}${redactUrl(line)}\n`),
  );
}

function track(service: Service | 'nats', child: ChildProcess): Running {
  pipeLines(child.stdout, process.stdout, prefixOf(service));
  pipeLines(child.stderr, process.stderr, prefixOf(service));
  say(`started ${service} (pid ${child.pid})`);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return { service, child, exited };
}

/** nats-server on deploy/nats/nats.conf, the passwords in its environment only. */
async function startNats(passwords: Record<Service, string>): Promise<Running> {
  const binary = findNatsServer();
  if (!binary)
    fail(
      'nats-server is not on PATH: install it (https://docs.nats.io), or set NATS_URL to a ' +
        'server running deploy/nats/nats.conf',
    );
  if (await natsReachable(natsUrl))
    fail(`something already listens at ${natsUrl}: set NATS_PORT, or NATS_URL to use that server`);
  const storeDir = join(dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const child = spawn(
    binary!,
    [
      '-c',
      NATS_CONF,
      '-a',
      '127.0.0.1',
      '-p',
      natsPort,
      '-m',
      env.NATS_MONITOR_PORT || '8222',
      '--store_dir',
      storeDir,
    ],
    {
      env: {
        PATH: env.PATH,
        ...Object.fromEntries(
          DISTRIBUTED_SERVICES.map((service) => [passwordVariableOf(service), passwords[service]]),
        ),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const running = track('nats', child);
  const deadline = Date.now() + NATS_STARTUP_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) fail(`nats-server exited (code ${child.exitCode})`);
    if (await natsReachable(natsUrl)) return running;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      fail(`nats-server did not listen at ${natsUrl} within ${NATS_STARTUP_TIMEOUT_MS} ms`);
    }
    await new Promise((next) => setTimeout(next, 100));
  }
}

/**
 * The explicit set-up step of nats.conf: the projector's buckets are created by their one
 * owner before any reader opens them (readers may not create a bucket).
 */
async function createOwnedBuckets(passwords: Record<Service, string>): Promise<void> {
  const connection = await connectNats({
    url: natsUrlOf('projector', passwords),
    name: 'rotor-start-distributed',
  });
  try {
    const buckets = new JetStreamKvFactory(connection);
    for (const bucket of OWNED_BUCKETS) await buckets.bucket(bucket);
    // Written by every service, with the TTL they open it with (nobody else may change it).
    await buckets.bucket(BUCKETS.health, { ttlSeconds: HEALTH_RECORD_TTL_SECONDS });
  } finally {
    await drainNats(connection);
  }
}

function startService(service: Service, environment: NodeJS.ProcessEnv): Running {
  const child = spawn(
    process.execPath,
    // Each service runs as this script does: compiled, `node dist/services/<s>/src/main.js`
    // (npm run start:distributed), or from the sources under the same -r hooks (the e2e test).
    [...process.execArgv, join(ROOT, 'services', service, 'src', `main${extname(__filename)}`)],
    { cwd: ROOT, env: environment, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  return track(service, child);
}

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const passwords = natsPasswords();
  const running: Running[] = [];
  // The services are in their own process groups: never leave one behind.
  process.on('exit', () =>
    running
      .filter(({ child }) => child.exitCode === null && child.signalCode === null)
      .forEach(({ child }) => child.kill('SIGKILL')),
  );
  const nats = managedNats ? await startNats(passwords) : undefined;
  if (!nats && !(await natsReachable(natsUrl)))
    fail(
      `nothing listens at ${natsUrl}: start nats-server on deploy/nats/nats.conf, or unset NATS_URL`,
    );
  if (nats) running.push(nats);
  const kekRing = kekRingSettings();
  const audit = auditSettings(kekRing);
  await createOwnedBuckets(passwords);
  // Six processes opening a new file at once would race to create its schema.
  if (eventStore === 'sqlite') await createEventStore({ kind: 'sqlite', sqlitePath }).close();

  const services: Running[] = [];
  let stopping = false;
  let exitCode = 0;
  const alive = (): Running[] =>
    services.filter(({ child }) => child.exitCode === null && child.signalCode === null);

  const stopNats = async (): Promise<void> => {
    if (!nats || nats.child.exitCode !== null || nats.child.signalCode !== null) return;
    nats.child.kill('SIGTERM');
    await nats.exited;
  };

  const stopAll = (signal: NodeJS.Signals, code: number): void => {
    if (stopping) {
      // A second Ctrl-C: no more waiting.
      for (const { child } of [...alive(), ...(nats ? [nats] : [])]) child.kill('SIGKILL');
      return;
    }
    stopping = true;
    exitCode = Math.max(exitCode, code);
    say(
      `stopping ${
        alive()
          .map(({ service }) => service)
          .join(', ') || 'nothing'
      } (${signal})`,
    );
    for (const { child } of alive()) child.kill(signal);
    const force = setTimeout(() => {
      for (const { service, child } of alive()) {
        complain(`${service} did not stop within ${FORCE_STOP_AFTER_MS} ms: killing it`);
        exitCode = 1;
        child.kill('SIGKILL');
      }
    }, FORCE_STOP_AFTER_MS);
    void Promise.all(services.map(({ exited }) => exited))
      .then(stopNats)
      .then(() => {
        clearTimeout(force);
        say(`stopped (exit code ${exitCode})`);
        process.exit(exitCode);
      });
  };

  process.on('SIGINT', () => stopAll('SIGINT', 0));
  process.on('SIGTERM', () => stopAll('SIGTERM', 0));
  nats?.child.once('exit', (code, signal) => {
    if (stopping) return;
    complain(`nats-server exited (${signal ? `signal ${signal}` : `code ${code}`}); stopping`);
    stopAll('SIGTERM', 1);
  });

  for (const service of DISTRIBUTED_SERVICES) {
    const started = startService(service, serviceEnvironment(service, passwords, kekRing, audit));
    services.push(started);
    running.push(started);
    started.child.once('exit', (code, signal) => {
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!stopping) {
        complain(`${service} exited (${how}); stopping the others`);
        stopAll('SIGTERM', 1);
      } else if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') {
        complain(`${service} stopped badly (${how})`);
        exitCode = 1;
      } else say(`${service} stopped (${how})`);
    });
  }
  say(
    `gateway on http://localhost:${port}, NATS ${natsUrl}${managedNats ? ' (deploy/nats/nats.conf)' : ''}, data in ${dataDir}`,
  );
}

void main().catch((error: unknown) => {
  complain(`start-distributed failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

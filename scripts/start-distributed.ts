/**
 * `npm run start:distributed`: Rotor's distributed mode without Docker. Each service runs
 * as its own process over a real NATS server, all sharing one sqlite event store (WAL mode)
 * and one KEK ring; docker-compose.yml runs the same services in containers on EventStoreDB.
 *
 * Settings, from the environment:
 *   NATS_URL             nats://127.0.0.1:4222 by default; the server needs JetStream
 *                        (`nats-server -js`)
 *   NATS_URL_<SERVICE>   one service's own URL, e.g. NATS_URL_GATEWAY with the gateway's user
 *                        on a server running deploy/nats/nats.conf; NATS_URL otherwise
 *   ROTOR_DATA_DIR       ./data/distributed by default: the sqlite file and the KEK ring
 *   SQLITE_PATH          <ROTOR_DATA_DIR>/rotor.sqlite by default
 *   ROTOR_KEK_RING_FILE  <ROTOR_DATA_DIR>/kek-ring.json by default, generated on the first
 *                        run: for development only, whoever reads it can decrypt every secret
 *   PORT                 the gateway's port, 3000 by default
 * Everything else (LOG_LEVEL, EVENT_STORE=esdb with ESDB_CONNECTION_STRING, ...) is passed on
 * to every service.
 *
 * Each output line is prefixed with its service's name. SIGINT and SIGTERM are passed on to
 * every service, once (they run in their own process groups, so a Ctrl-C in the terminal
 * does not reach them twice). When a service dies, the others are stopped and the exit code
 * is 1; after a requested stop it is 0 when every service stopped cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { generateKekRingText } from '@rotor/crypto';
import { createEventStore } from '@rotor/event-store';

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
/** After a stop was asked for, how long the services get before they are killed. */
const FORCE_STOP_AFTER_MS = 15_000;
const COLORS = [36, 33, 35, 32, 34, 31];

interface Running {
  readonly service: Service;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

const env = process.env;
const natsUrl = env.NATS_URL || 'nats://127.0.0.1:4222';
const dataDir = resolve(env.ROTOR_DATA_DIR || join('data', 'distributed'));
const sqlitePath = resolve(env.SQLITE_PATH || join(dataDir, 'rotor.sqlite'));
const eventStore = env.EVENT_STORE || 'sqlite';
const port = env.PORT || '3000';

const prefixOf = (name: string): string => {
  const label = `${name.padEnd(9)}|`;
  const index = (DISTRIBUTED_SERVICES as readonly string[]).indexOf(name);
  return process.stdout.isTTY && index >= 0
    ? `\x1b[${COLORS[index]}m${label}\x1b[0m `
    : `${label} `;
};
const say = (line: string): void => void process.stdout.write(`${prefixOf('rotor')}${line}\n`);
const complain = (line: string): void => void process.stderr.write(`${prefixOf('rotor')}${line}\n`);

/** The shared KEK ring: the one configured, or one generated in the data dir on first run. */
function kekRingSettings(): Record<string, string> {
  if (env.ROTOR_KEK_RING) return {};
  if (env.ROTOR_KEK_RING_FILE) {
    const file = resolve(env.ROTOR_KEK_RING_FILE);
    if (!existsSync(file)) {
      complain(`ROTOR_KEK_RING_FILE ${file} does not exist`);
      process.exit(2);
    }
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

/** Fails early, with one clear line, when nothing listens at NATS_URL. */
function natsReachable(url: string): Promise<boolean> {
  let host = '127.0.0.1';
  let natsPort = 4222;
  try {
    const parsed = new URL(url);
    host = parsed.hostname || host;
    natsPort = Number(parsed.port || 4222);
  } catch {
    return Promise.resolve(true); // malformed: the services' configuration check says why
  }
  return new Promise((done) => {
    const socket = createConnection({ host, port: natsPort });
    const finish = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(3_000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

function pipeLines(
  from: NodeJS.ReadableStream | null,
  to: NodeJS.WriteStream,
  prefix: string,
): void {
  if (!from) return;
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) =>
    to.write(`${prefix}${line}\n`),
  );
}

function startService(service: Service, settings: Record<string, string>): Running {
  // Each service runs as this script does: compiled, `node dist/services/<s>/src/main.js`
  // (npm run start:distributed), or from the sources under the same -r hooks (the e2e test).
  const child = spawn(
    process.execPath,
    [...process.execArgv, join(ROOT, 'services', service, 'src', `main${extname(__filename)}`)],
    {
      cwd: process.cwd(),
      env: { ...env, ...settings, NATS_URL: env[`NATS_URL_${service.toUpperCase()}`] || natsUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  pipeLines(child.stdout, process.stdout, prefixOf(service));
  pipeLines(child.stderr, process.stderr, prefixOf(service));
  say(`started ${service} (pid ${child.pid})`);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return { service, child, exited };
}

async function main(): Promise<void> {
  if (!(await natsReachable(natsUrl))) {
    complain(
      `nothing listens at ${natsUrl.replace(/\/\/[^@/]*@/, '//***@')}: start nats-server -js, or set NATS_URL`,
    );
    process.exit(1);
  }
  mkdirSync(dataDir, { recursive: true });
  const settings: Record<string, string> = {
    EVENT_STORE: eventStore,
    ROTOR_DATA_DIR: dataDir,
    SQLITE_PATH: sqlitePath,
    PORT: port,
    ...kekRingSettings(),
  };
  // Six processes opening a new file at once would race to create its schema.
  if (eventStore === 'sqlite') await createEventStore({ kind: 'sqlite', sqlitePath }).close();

  const running: Running[] = [];
  let stopping = false;
  let exitCode = 0;
  const alive = (): Running[] =>
    running.filter(({ child }) => child.exitCode === null && child.signalCode === null);

  const stopAll = (signal: NodeJS.Signals, code: number): void => {
    if (stopping) {
      // A second Ctrl-C: no more waiting.
      for (const { child } of alive()) child.kill('SIGKILL');
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
    void Promise.all(running.map(({ exited }) => exited)).then(() => {
      clearTimeout(force);
      say(`stopped (exit code ${exitCode})`);
      process.exit(exitCode);
    });
  };

  process.on('SIGINT', () => stopAll('SIGINT', 0));
  process.on('SIGTERM', () => stopAll('SIGTERM', 0));
  // The services are in their own process groups: never leave one behind.
  process.on('exit', () => alive().forEach(({ child }) => child.kill('SIGKILL')));

  for (const service of DISTRIBUTED_SERVICES) {
    const started = startService(service, settings);
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
    `gateway on http://localhost:${port}, NATS ${natsUrl.replace(/\/\/[^@/]*@/, '//***@')}, data in ${dataDir}`,
  );
}

void main().catch((error: unknown) => {
  complain(`start-distributed failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

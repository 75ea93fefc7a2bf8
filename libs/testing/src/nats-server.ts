import { spawn, type ChildProcess } from 'child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'fs';
import { createConnection, createServer } from 'net';
import { tmpdir } from 'os';
import { delimiter, join } from 'path';

/**
 * A NATS server with JetStream for integration tests, in order of preference:
 * 1. `NATS_URL`, when set (CI, docker-compose): used as is, never stopped;
 * 2. a private `nats-server` from PATH on a free port with a throw-away store dir;
 * 3. none: the suite is skipped, with one `SKIPPED:` line the summary reporter repeats;
 *    unless `REQUIRE_NATS=1`, where a missing server is a failure.
 */
export interface NatsForTests {
  readonly url: string;
  /** The JetStream store dir of a private server (what a test may scan); absent for NATS_URL. */
  readonly storeDir?: string;
  stop(): Promise<void>;
}

/** A private server a test may also crash and bring back (same port, same store dir). */
export interface RestartableNats extends NatsForTests {
  /** SIGKILL, as a crash: no flush, no goodbye to clients. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same JetStream store (a no-op while it runs). */
  restart(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 15_000;

export async function natsForTests(): Promise<NatsForTests | undefined> {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, stop: async () => {} };
  const binary = findNatsServer();
  if (!binary) {
    refuseOrSkip('nats');
    return undefined;
  }
  return startNatsServer(binary);
}

/**
 * `describe` for suites that need NATS: starts it in `beforeAll`, stops it in `afterAll`;
 * tests read the URL through `getUrl()`. Without NATS the suite is declared with
 * `describe.skip`, so jest counts its tests as skipped, not passed.
 */
export function describeWithNats(name: string, fn: (getUrl: () => string) => void): void {
  if (!process.env.NATS_URL && !findNatsServer()) {
    refuseOrSkip(name);
    describe.skip(name, () =>
      fn(() => {
        throw new Error('NATS is not available');
      }),
    );
    return;
  }
  describe(name, () => {
    let nats: NatsForTests | undefined;
    beforeAll(async () => {
      nats = await natsForTests();
    });
    fn(() => {
      if (!nats) throw new Error('NATS is not started yet: call getUrl() inside a test or hook');
      return nats.url;
    });
    // Registered after the suite's own hooks: jest runs afterAll hooks in declaration
    // order, and the suite's services must close before their server goes away.
    afterAll(async () => {
      await nats?.stop();
    });
  });
}

function refuseOrSkip(what: string): void {
  const reason = 'no NATS_URL and no nats-server on PATH';
  if (process.env.REQUIRE_NATS === '1') throw new Error(`REQUIRE_NATS=1 but ${reason} (${what})`);
  console.log(`SKIPPED: ${what}: ${reason} (set NATS_URL or install nats-server)`);
}

export function findNatsServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * A private nats-server on a free loopback port with a throw-away store dir. `args` are
 * what it runs with besides those (default `-js`; e.g. `-c nats.conf` for a config file),
 * `env` its environment (a config file may read passwords from it).
 */
export async function startNatsServer(
  binary: string,
  options: {
    readonly args?: readonly string[];
    readonly env?: NodeJS.ProcessEnv;
    /** A fixed port, e.g. to bring a server back where its clients will reconnect. */
    readonly port?: number;
  } = {},
): Promise<RestartableNats> {
  const storeDir = mkdtempSync(join(tmpdir(), 'rotor-nats-'));
  const port = options.port ?? (await freePort());
  const args = [
    ...(options.args ?? ['-js']),
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-sd',
    storeDir,
  ];
  let child: ChildProcess | undefined;
  let exited: Promise<unknown>;
  const running = (): boolean =>
    child !== undefined && child.exitCode === null && child.signalCode === null;
  const launch = async (): Promise<void> => {
    // Restarting a server that still runs would start a second one on the same port: that
    // one fails to bind, becomes `child`, and the first outlives stop() (and the test run).
    if (running()) return;
    child = spawn(binary, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
    });
    let output = '';
    child.stderr?.on(
      'data',
      (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)),
    );
    const launched = child;
    exited = new Promise((resolve) => launched.once('exit', resolve));
    await waitUntilAccepting(port, launched, () => output);
  };
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (running()) {
      child!.kill(name);
      await exited;
    }
  };
  const stop = async (): Promise<void> => {
    await signal('SIGTERM');
    rmSync(storeDir, { recursive: true, force: true });
  };
  try {
    await launch();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    stop,
    kill: () => signal('SIGKILL'),
    restart: launch,
  };
}

/** Polls with real connections until the server greets with an INFO that has JetStream on. */
async function waitUntilAccepting(
  port: number,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`nats-server exited (${child.exitCode ?? child.signalCode}): ${output()}`);
    if (await greetsWithJetStream(port)) return;
    if (Date.now() > deadline)
      throw new Error(
        `nats-server on port ${port} not ready after ${STARTUP_TIMEOUT_MS} ms: ${output()}`,
      );
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function greetsWithJetStream(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let received = '';
    const finish = (ready: boolean): void => {
      socket.destroy();
      resolve(ready);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('data', (chunk) => {
      received += chunk.toString();
      const line = received.split('\r\n')[0];
      if (received.includes('\r\n'))
        finish(line.startsWith('INFO ') && /"jetstream":true/.test(line));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

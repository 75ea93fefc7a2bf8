import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { waitFor } from '@rotor/testing';
import { passwordVariableOf, ROTOR_SERVICES, type RotorService } from './service-needs';

/**
 * A private nats-server with JetStream on a free port and a throw-away store; with
 * `rotorUsers`, it runs deploy/nats/nats.conf itself (one user per service, random
 * passwords): what docker-compose runs, minus Docker. Private on purpose, even when NATS_URL
 * is set: the KV bucket names are fixed, and the services' queue groups would take requests
 * meant for the processes of other suites.
 */
export interface RotorNatsServer {
  /** Without credentials. */
  readonly url: string;
  /**
   * `nats://<service>:<password>@127.0.0.1:<port>`, as docker-compose gives each service;
   * the plain `url` without `rotorUsers`.
   */
  urlOf(service: RotorService): string;
  credentialsOf(service: RotorService): { readonly user: string; readonly pass: string };
  stop(): Promise<void>;
}

const CONF = join(__dirname, '..', '..', 'deploy', 'nats', 'nats.conf');
const STARTUP_TIMEOUT_MS = 15_000;

export function findNatsServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'nats-server'), constants.X_OK);
      return join(dir, 'nats-server');
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * `describe` for suites that need the private server; without nats-server on PATH the suite
 * is skipped with one `SKIPPED:` line (the summary reporter repeats it), or fails when
 * REQUIRE_NATS=1 (CI).
 */
export function describeWithNatsServer(name: string, fn: () => void): void {
  if (findNatsServer()) return describe(name, fn);
  const reason = `${name}: no nats-server on PATH`;
  if (process.env.REQUIRE_NATS === '1') throw new Error(`REQUIRE_NATS=1 but ${reason}`);
  console.warn(`SKIPPED: ${reason} (install nats-server)`);
  describe.skip(name, fn);
}

export async function startRotorNatsServer(
  { rotorUsers }: { readonly rotorUsers: boolean } = { rotorUsers: true },
): Promise<RotorNatsServer> {
  const binary = findNatsServer();
  if (!binary) throw new Error('nats-server is not on PATH');
  const passwords = Object.fromEntries(
    // nats-server parses a variable's value as a config token: it must start with a letter.
    ROTOR_SERVICES.map((service) => [service, `p${randomBytes(12).toString('hex')}`]),
  ) as Record<RotorService, string>;
  const storeDir = mkdtempSync(join(tmpdir(), 'rotor-nats-conf-'));
  const [port, monitorPort] = await freePorts(2);
  const child = spawn(
    binary,
    [
      ...(rotorUsers ? ['-c', CONF, '-m', String(monitorPort)] : ['-js']),
      ...['-a', '127.0.0.1', '-p', String(port), '--store_dir', storeDir],
    ],
    {
      env: {
        ...process.env,
        ...Object.fromEntries(ROTOR_SERVICES.map((s) => [passwordVariableOf(s), passwords[s]])),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(storeDir, { recursive: true, force: true });
  };
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  try {
    await waitFor(
      async () => hasExited() || (await greetsWithJetStream(port)),
      `nats-server${rotorUsers ? ` with ${CONF}` : ''} on port ${port}`,
      STARTUP_TIMEOUT_MS,
    );
    if (hasExited()) throw new Error(`nats-server exited (${child.exitCode ?? child.signalCode})`);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  const url = `nats://127.0.0.1:${port}`;
  return {
    url,
    urlOf: (service) =>
      rotorUsers ? `nats://${service}:${passwords[service]}@127.0.0.1:${port}` : url,
    credentialsOf: (service) => ({ user: service, pass: passwords[service] }),
    stop,
  };
}

/** The server's first line is an INFO; with JetStream up it says so. */
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
      if (received.includes('\r\n'))
        finish(received.startsWith('INFO ') && /"jetstream":true/.test(received.split('\r\n')[0]));
    });
  });
}

/** `count` distinct free ports: all are held open together, then released. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

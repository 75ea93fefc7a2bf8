import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { findNatsServer, startNatsServer } from '@rotor/testing';
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

export { findNatsServer };

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
  const [monitorPort] = await freePorts(1);
  const server = await startNatsServer(binary, {
    args: rotorUsers ? ['-c', CONF, '-m', String(monitorPort)] : ['-js'],
    env: {
      ...process.env,
      ...Object.fromEntries(ROTOR_SERVICES.map((s) => [passwordVariableOf(s), passwords[s]])),
    },
  });
  const { url } = server;
  const hostAndPort = url.replace('nats://', '');
  return {
    url,
    urlOf: (service) =>
      rotorUsers ? `nats://${service}:${passwords[service]}@${hostAndPort}` : url,
    credentialsOf: (service) => ({ user: service, pass: passwords[service] }),
    stop: () => server.stop(),
  };
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

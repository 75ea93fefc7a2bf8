import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ALL_SCOPES, createApiKey } from '@rotor/access';
import { generateKekRingText, parseKekRing } from '@rotor/crypto';
import { createEventStore } from '@rotor/event-store';
import { findNatsServer, waitFor } from '@rotor/testing';
import { freePorts } from '../deployment/rotor-nats-server';
import { passwordVariableOf, ROTOR_SERVICES, type RotorService } from '../deployment/service-needs';
import { StartedProcess } from './child-process';

/**
 * HOW the fault tests start Rotor, in one place: the processes, their environment, the NATS
 * server and its users, and how each one says it is ready. The tests drive the system only
 * through HTTP, these entry points and the store file, so a change of wire format or of
 * the services' internals needs no change here; a change of how they are configured
 * (variables, NATS users and passwords) is made here only.
 */
export const ROOT = resolve(__dirname, '..', '..');

/** The gateway's NATS deadline: a paused command service is "past the deadline" after it. */
export const GATEWAY_DEADLINE_MS = 3_000;

/**
 * Run nats-server on deploy/nats/nats.conf, each service connecting as its own user (what
 * docker-compose runs), or on a plain `-js` server. The CLI connects as the projector,
 * which may read every view bucket.
 */
export const NATS_USERS = false;

const TS_NODE = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];
const NATS_CONF = join(ROOT, 'deploy', 'nats', 'nats.conf');

/** The files of one run: a temp dir removed by `remove()`. */
export interface RunFiles {
  readonly dir: string;
  readonly sqlitePath: string;
  readonly kekRingFile: string;
  readonly natsStoreDir: string;
  remove(): void;
}

export function createRunFiles(prefix: string): RunFiles {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const natsStoreDir = join(dir, 'nats');
  mkdirSync(natsStoreDir);
  const kekRingFile = join(dir, 'kek-ring.json');
  writeFileSync(kekRingFile, generateKekRingText(), { mode: 0o600 });
  return {
    dir,
    sqlitePath: join(dir, 'rotor.sqlite'),
    kekRingFile,
    natsStoreDir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      // The default place of the command service's audit anchors, next to the store's dir.
      rmSync(`${dir}-anchors`, { recursive: true, force: true });
    },
  };
}

/**
 * Creates the store (one process creates the schema, not six at once) and an API key with
 * every scope, written into the store the services will read, signed with the run's audit
 * key as the CLI signs it (the services refuse unsigned events): the plaintext key.
 */
export async function prepareStore(files: RunFiles, tenantId: string): Promise<string> {
  const store = createEventStore({ kind: 'sqlite', sqlitePath: files.sqlitePath });
  try {
    const { plaintextKey } = await createApiKey(
      store,
      {
        tenantId,
        scopes: [...ALL_SCOPES],
        name: 'fault tests',
        actor: 'test:faults',
      },
      { signer: parseKekRing(readFileSync(files.kekRingFile, 'utf8')).audit },
    );
    return plaintextKey;
  } finally {
    await store.close();
  }
}

/** Settings every Rotor process of a run gets. */
const commonEnv = (files: RunFiles): NodeJS.ProcessEnv => ({
  ...process.env,
  EVENT_STORE: 'sqlite',
  ROTOR_DATA_DIR: files.dir,
  SQLITE_PATH: files.sqlitePath,
  ROTOR_KEK_RING_FILE: files.kekRingFile,
  // As start:distributed does: the services without the ring verify with its public half.
  ROTOR_AUDIT_PUBLIC_KEY: parseKekRing(readFileSync(files.kekRingFile, 'utf8')).audit!.publicKey,
  NATS_REQUEST_TIMEOUT_MS: String(GATEWAY_DEADLINE_MS),
  // The load is a handful of clients on one key: no rate limit may shape it.
  RATE_LIMIT_PER_MINUTE: '1000000',
  RATE_LIMIT_BURST: '100000',
  // `info` for the start-up line each service prints once ready; the gateway, which would
  // log every request, says it is ready on /health.
  LOG_LEVEL: 'info',
});

// ---------------------------------------------------------------------------------------
// NATS

export class NatsServerProcess {
  private process?: StartedProcess;
  private readonly passwords = Object.fromEntries(
    // nats-server parses a variable's value as a config token: it must start with a letter.
    ROTOR_SERVICES.map((service) => [service, `p${randomBytes(12).toString('hex')}`]),
  ) as Record<RotorService, string>;

  private constructor(
    private readonly binary: string,
    readonly port: number,
    private readonly monitorPort: number,
    private readonly storeDir: string,
  ) {}

  static async create(storeDir: string): Promise<NatsServerProcess> {
    const binary = findNatsServer();
    if (!binary) throw new Error('nats-server is not on PATH');
    const [port, monitorPort] = await freePorts(2);
    return new NatsServerProcess(binary, port, monitorPort, storeDir);
  }

  /** The URL a service connects with: its own user when NATS_USERS. */
  urlOf(service: RotorService | 'cli'): string {
    const user = service === 'cli' ? 'projector' : service;
    return NATS_USERS
      ? `nats://${user}:${this.passwords[user]}@127.0.0.1:${this.port}`
      : `nats://127.0.0.1:${this.port}`;
  }

  get current(): StartedProcess | undefined {
    return this.process;
  }

  /** Starts (or restarts) it on the same port and store dir; resolves once it is healthy. */
  async start(): Promise<StartedProcess> {
    const args = [
      ...(NATS_USERS ? ['-c', NATS_CONF] : ['-js']),
      '-a',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-m',
      String(this.monitorPort),
      '-sd',
      this.storeDir,
    ];
    const env = {
      ...process.env,
      ...Object.fromEntries(ROTOR_SERVICES.map((s) => [passwordVariableOf(s), this.passwords[s]])),
    };
    const started = new StartedProcess('nats-server', this.binary, args, { cwd: ROOT, env });
    this.process = started;
    await waitFor(
      async () => {
        if (!started.running) throw new Error(`nats-server exited: ${started.tail()}`);
        // Healthy only once JetStream is up: the KV buckets live there.
        const response = await fetch(`http://127.0.0.1:${this.monitorPort}/healthz`).catch(
          () => undefined,
        );
        return response?.ok;
      },
      'nats-server to report healthy',
      20_000,
      50,
    );
    return started;
  }
}

// ---------------------------------------------------------------------------------------
// The distributed services

export type DistributedService = RotorService;
export const DISTRIBUTED_SERVICES: readonly DistributedService[] = ROTOR_SERVICES;

export interface ServiceContext {
  readonly files: RunFiles;
  readonly nats: NatsServerProcess;
  readonly gatewayPort: number;
}

/** Starts one service's entry point (services/<name>/src/main.ts) as its own process. */
export function startService(service: DistributedService, context: ServiceContext): StartedProcess {
  const env: NodeJS.ProcessEnv = {
    ...commonEnv(context.files),
    NATS_URL: context.nats.urlOf(service),
    ...(service === 'gateway' ? { PORT: String(context.gatewayPort), LOG_LEVEL: 'warn' } : {}),
  };
  return new StartedProcess(
    service,
    process.execPath,
    [...TS_NODE, join('services', service, 'src', 'main.ts')],
    { cwd: ROOT, env },
  );
}

/**
 * Ready: the gateway answers /health with 200; the others have printed their start-up line
 * (libs/runtime bootstrap: "<service> started", after the Nest app is initialised and, for
 * the servers, listening on NATS).
 */
export async function isServiceReady(
  service: DistributedService,
  process: StartedProcess,
  gatewayPort: number,
): Promise<boolean> {
  if (!process.running) throw new Error(`${service} exited: ${process.tail()}`);
  if (service === 'gateway') {
    const response = await fetch(`http://127.0.0.1:${gatewayPort}/health`).catch(() => undefined);
    return response?.ok === true;
  }
  return new RegExp(`"${service} started`).test(process.output);
}

// ---------------------------------------------------------------------------------------
// All-in-one

/** `npm start`'s entry point on a data dir (the store and the KEK ring in it). */
export function startAllInOne(files: RunFiles, port: number): StartedProcess {
  return new StartedProcess(
    'all-in-one',
    process.execPath,
    [...TS_NODE, join('services', 'all-in-one', 'src', 'main.ts')],
    {
      cwd: ROOT,
      env: { ...commonEnv(files), PORT: String(port), LOG_LEVEL: 'warn' },
    },
  );
}

/** Ready: its gateway answers /health with 200. */
export async function isAllInOneReady(process: StartedProcess, port: number): Promise<boolean> {
  if (!process.running) throw new Error(`all-in-one exited: ${process.tail()}`);
  const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
  return response?.ok === true;
}

// ---------------------------------------------------------------------------------------
// The operator CLI

/** `npm run cli -- <args>` against the run's store (and NATS, for the views). */
export async function runCli(
  args: readonly string[],
  files: RunFiles,
  natsUrl?: string,
): Promise<{ code: number | null; stdout: string; output: string }> {
  const cli = new StartedProcess(
    `cli ${args.join(' ')}`,
    process.execPath,
    [...TS_NODE, join('services', 'cli', 'src', 'main.ts'), ...args],
    {
      cwd: ROOT,
      env: {
        ...commonEnv(files),
        LOG_LEVEL: 'warn',
        ...(natsUrl ? { NATS_URL: natsUrl } : {}),
      },
    },
  );
  const timer = setTimeout(() => void cli.kill(), 60_000);
  try {
    const { code } = await cli.exited;
    return { code, stdout: cli.stdout, output: cli.tail(4_000) };
  } finally {
    clearTimeout(timer);
  }
}

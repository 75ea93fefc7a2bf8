import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_CALLER, newApiKeyId } from '@rotor/access';
import { SUBJECTS, type RegisterEndpointReply, type RotateSecretReply } from '@rotor/contracts';
import { generateKekRingText } from '@rotor/crypto';
import { createEventStore } from '@rotor/event-store';
import { connectNats, drainNats, type NatsConnection } from '@rotor/messaging';
import { findNatsServer } from '@rotor/testing';
import {
  freePort,
  removeDir,
  startProcess,
  startTsProcess,
  tempDir,
  type Child,
} from './processes';

export type Service = 'command' | 'projector' | 'signer';

export const ECHO_SUBJECT = 'bench.echo';
const START_TIMEOUT_MS = 60_000;

/**
 * Rotor's distributed mode as `npm run start:distributed` runs it, minus what a benchmark
 * does not use: a private nats-server (JetStream on, throw-away store), each service in its
 * own Node process (`services/<name>/src/main.ts`, ts-node as in package.json) on one sqlite
 * file (WAL, synchronous=FULL) and one KEK ring, plus the baseline: a plain nats.js
 * subscriber in a process of its own that replies with the request's bytes.
 *
 * Services in their own processes matter: the sqlite store wakes subscribers in the same
 * process at once, but a projector in another process only finds new events by polling,
 * as in production; and a client in the benchmark's process never shares an event loop
 * with the service it measures.
 */
export class Distributed {
  private constructor(
    private readonly dir: string,
    private readonly processes: Child[],
    readonly natsUrl: string,
    /** The services' store file: a benchmark may read it (read-only) to size its baseline. */
    readonly sqlitePath: string,
    readonly client: RotorNatsClient,
  ) {}

  static async start(services: readonly Service[]): Promise<Distributed> {
    const binary = findNatsServer();
    if (!binary) throw new Error('nats-server is not on PATH');
    const dir = tempDir('distributed');
    const processes: Child[] = [];
    try {
      const port = await freePort();
      const nats = startProcess('nats-server', binary, [
        '-js',
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
        '-sd',
        join(dir, 'nats'),
      ]);
      processes.push(nats);
      await nats.waitForLine(/Server is ready/, START_TIMEOUT_MS);
      const natsUrl = `nats://127.0.0.1:${port}`;

      const sqlitePath = join(dir, 'rotor.sqlite');
      const kekRingFile = join(dir, 'kek-ring.json');
      writeFileSync(kekRingFile, generateKekRingText(), { mode: 0o600 });
      // As start-distributed does: several processes opening a new file would race to migrate.
      await createEventStore({ kind: 'sqlite', sqlitePath }).close();
      const env = {
        NATS_URL: natsUrl,
        EVENT_STORE: 'sqlite',
        ROTOR_DATA_DIR: dir,
        SQLITE_PATH: sqlitePath,
        ROTOR_KEK_RING_FILE: kekRingFile,
        LOG_LEVEL: 'info',
      };
      const started = services.map((service) => {
        const child = startTsProcess(service, `services/${service}/src/main.ts`, env);
        processes.push(child);
        return child.waitForLine(new RegExp(`${service} started`), START_TIMEOUT_MS);
      });
      const echo = startTsProcess('echo responder', 'bench/lib/echo-responder.ts', {
        NATS_URL: natsUrl,
      });
      processes.push(echo);
      await Promise.all([...started, echo.waitForLine(/echo ready/, START_TIMEOUT_MS)]);
      const connection = await connectNats({ url: natsUrl, name: 'rotor-bench', caller: CALLER });
      return new Distributed(dir, processes, natsUrl, sqlitePath, new RotorNatsClient(connection));
    } catch (error) {
      for (const child of processes.reverse()) await child.stop();
      removeDir(dir);
      throw error;
    }
  }

  register(): Promise<RegisterEndpointReply> {
    return this.client.request(SUBJECTS.command.registerEndpoint, {
      meta: meta(),
      tenantId: 'bench',
    });
  }

  /** With `force`, so the next rotation is never refused; 0 s ends the overlap at once. */
  rotate(endpointId: string, expireCurrentIn = 0): Promise<RotateSecretReply> {
    return this.client.request(SUBJECTS.command.rotateSecret, {
      meta: meta(),
      tenantId: 'bench',
      endpointId,
      expireCurrentIn,
      force: true,
    });
  }

  async stop(): Promise<void> {
    await this.client.close();
    // Services first (they drain their NATS connections), the server last.
    for (const child of [...this.processes].reverse()) await child.stop();
    removeDir(this.dir);
  }
}

let requests = 0;
/** The API key the gateway would forward: the one actor it may claim (@rotor/access). */
const ACTOR = newApiKeyId();
export const meta = () => ({ actor: ACTOR, requestId: `bench-${process.pid}-${++requests}` });

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The benchmark calls as the gateway, the caller every REST request reaches Rotor through
 * (and one the command service lets register and rotate): Rotor requests go to
 * `<subject>.gateway`, on behalf of an API key, naming their tenant.
 */
const CALLER = GATEWAY_CALLER;

/**
 * One nats.js connection for Rotor and for the baseline alike, so the client's own cost is
 * the same on both sides: a Rotor request is the bare JSON of the request message (README:
 * "The NATS API"), the reply the reply message or `{"error": ...}`; the echo sends those very
 * bytes to the echo responder and parses what comes back.
 */
export class RotorNatsClient {
  constructor(readonly connection: NatsConnection) {}

  /** The bytes of a Rotor request, made once when a benchmark repeats the same one. */
  body(data: unknown): Uint8Array {
    return encoder.encode(JSON.stringify(data));
  }

  async request<T>(subject: string, data: unknown, timeoutMs = 10_000): Promise<T> {
    return this.send<T>(subject, this.body(data), timeoutMs);
  }

  async send<T>(subject: string, bytes: Uint8Array, timeoutMs = 10_000): Promise<T> {
    const reply = await this.connection.request(`${subject}.${CALLER}`, bytes, {
      timeout: timeoutMs,
    });
    const value = JSON.parse(decoder.decode(reply.data)) as T | { error?: unknown };
    const error = (value as { error?: unknown }).error;
    if (error !== undefined) throw new Error(`${subject} failed: ${JSON.stringify(error)}`);
    return value as T;
  }

  /** The baseline: the same bytes through a plain nats.js responder, parsed the same way. */
  async echo(bytes: Uint8Array, timeoutMs = 10_000): Promise<unknown> {
    const reply = await this.connection.request(ECHO_SUBJECT, bytes, { timeout: timeoutMs });
    return JSON.parse(decoder.decode(reply.data));
  }

  close(): Promise<void> {
    return drainNats(this.connection);
  }
}

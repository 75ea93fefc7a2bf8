import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  API_KEYS_BUCKET,
  applyApiKeyEvent,
  createApiKey,
  revokeApiKey,
  type ApiKeyView,
  type Scope,
} from '@rotor/access';
import { loadConfig } from '@rotor/config';
import { parseKekRing } from '@rotor/crypto';
import { createEventStore, START, type EventStore, type RecordedEvent } from '@rotor/event-store';
import { InMemoryKvFactory, InProcessBus, inProcessServerOptions } from '@rotor/messaging';
import { RuntimeModule } from '@rotor/runtime';
import { waitFor } from '@rotor/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandModule } from '../../command/src/command.module';
import { ExpiryModule } from '../../expiry/src/expiry.module';
import { ProjectorModule } from '../../projector/src/projector.module';
import { QueryModule } from '../../query/src/query.module';
import { SignerModule } from '../../signer/src/signer.module';
import { ApiKeyIndex } from '../src/auth/api-key-index';
import { configureGateway } from '../src/configure-gateway';
import { GatewayModule } from '../src/gateway.module';

/**
 * The whole of Rotor in one process, as the all-in-one mode runs it: every service module,
 * the in-process bus and KV, the sqlite store on a temporary file, and the gateway on an
 * ephemeral port. Black-box tests talk to `server` over HTTP only; the store, the bus and
 * the buckets are there to set up keys and to check what was (not) written.
 */
export interface RotorTestApp {
  readonly app: INestApplication;
  /** The data dir: the sqlite file and everything else the app writes. */
  readonly dir: string;
  readonly server: Server;
  readonly store: EventStore;
  readonly kv: InMemoryKvFactory;
  /** Every response the gateway sent: method, path and status. */
  readonly responses: RecordedResponse[];
  issueKey(tenantId: string, scopes?: readonly Scope[]): Promise<IssuedKey>;
  revokeKey(key: IssuedKey): Promise<void>;
  /** Every event in the store, in global order. */
  allEvents(): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

export interface IssuedKey {
  readonly id: string;
  readonly key: string;
  readonly auth: string;
}

export interface RecordedResponse {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export const ALL: readonly Scope[] = [
  'endpoints:read',
  'endpoints:write',
  'secrets:rotate',
  'signatures:create',
  'audit:read',
];

/** Collects every log line (as JSON text), to check what logs never contain. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private capture(level: string, message: unknown, params: unknown[]) {
    this.lines.push(JSON.stringify({ level, message, params }));
  }
  log(message: unknown, ...params: unknown[]) {
    this.capture('log', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.capture('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.capture('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.capture('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.capture('verbose', message, params);
  }
}

export async function startRotorApp(
  env: Record<string, string> = {},
  options: { logger?: LoggerService; kv?: InMemoryKvFactory; kekRingText?: string } = {},
): Promise<RotorTestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'rotor-gateway-'));
  const config = loadConfig({
    EVENT_STORE: 'sqlite',
    ROTOR_DATA_DIR: dir,
    SQLITE_PATH: join(dir, 'rotor.sqlite'),
    LOG_LEVEL: 'error',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_BURST: '1000000',
    MAX_BODY_BYTES: String(64 * 1024),
    NATS_REQUEST_TIMEOUT_MS: '5000',
    ...env,
  });
  const kekRing = parseKekRing(
    options.kekRingText ??
      JSON.stringify({
        primary: 'test-kek',
        keys: { 'test-kek': randomBytes(32).toString('base64') },
      }),
  );
  const store = createEventStore({ kind: 'sqlite', sqlitePath: config.sqlitePath });
  const bus = new InProcessBus();
  const kv = options.kv ?? new InMemoryKvFactory();

  const moduleRef = await Test.createTestingModule({
    imports: [
      // Every service in one module, as the all-in-one process hosts them.
      RuntimeModule.forRoot({
        service: 'all-in-one',
        config,
        kekRing,
        transport: { kind: 'in-process', bus, kv },
        eventStore: store,
      }),
      CommandModule,
      ProjectorModule,
      ExpiryModule,
      SignerModule,
      QueryModule,
      GatewayModule,
    ],
  }).compile();
  const app = moduleRef.createNestApplication({
    bodyParser: false,
    logger: options.logger ?? (process.env.ROTOR_TEST_LOGS ? ['error', 'warn', 'log'] : false),
  });

  const responses: RecordedResponse[] = [];
  app.use(
    (
      req: { method: string; path: string },
      res: { statusCode: number; on: (e: string, f: () => void) => void },
      next: () => void,
    ) => {
      const { method, path } = req;
      res.on('finish', () => responses.push({ method, path, status: res.statusCode }));
      next();
    },
  );
  configureGateway(app);
  // As the all-in-one mode does: the RPC controllers bring their own exception filter.
  app.connectMicroservice(inProcessServerOptions(bus), { inheritAppConfig: false });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  const keys = app.get(ApiKeyIndex);
  const apiKeys = await kv.bucket<ApiKeyView>(API_KEYS_BUCKET);

  return {
    app,
    dir,
    server,
    store,
    kv,
    responses,
    // The projector of API keys is not part of this suite: the harness writes the view the
    // projector would write, from the very event the store recorded.
    async issueKey(tenantId, scopes = ALL) {
      const { record, plaintextKey } = await createApiKey(store, {
        tenantId,
        scopes: [...scopes],
        name: `test key for ${tenantId}`,
        actor: 'test',
      });
      const [created] = await store.read(`rotorApiKey-${record.id}`);
      await apiKeys.put(record.hashedKey, applyApiKeyEvent(undefined, created));
      await waitFor(() => keys.lookup(plaintextKey), `api key ${record.id} in the gateway`);
      return { id: record.id, key: plaintextKey, auth: `Bearer ${plaintextKey}` };
    },
    async revokeKey({ id, key }) {
      const record = await revokeApiKey(store, id, 'test');
      const events = await store.read(`rotorApiKey-${id}`);
      const view = events.reduce<ApiKeyView | undefined>(
        (v, e) => applyApiKeyEvent(v, e),
        undefined,
      );
      await apiKeys.put(record.hashedKey, view!);
      await waitFor(() => !keys.lookup(key), `revocation of ${id} in the gateway`);
    },
    async allEvents() {
      const events: RecordedEvent[] = [];
      for await (const event of store.readAll(START)) events.push(event);
      return events;
    },
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
      // The default place of the audit anchors (outside the store's directory).
      rmSync(`${dir}-anchors`, { recursive: true, force: true });
    },
  };
}

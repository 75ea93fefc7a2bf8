import { OPERATOR_CALLER } from '@rotor/access';
import { Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@rotor/config';
import { queueGroupOf, type ServiceName } from '@rotor/contracts';
import { generateKekRingText, parseKekRing } from '@rotor/crypto';
import { createEventStore, type EventStore } from '@rotor/event-store';
import {
  connectNats,
  drainNats,
  natsServerOptions,
  NatsRpcClient,
  type NatsConnection,
  type RpcClient,
} from '@rotor/messaging';
import { RUNTIME_NEEDS, RuntimeModule } from '@rotor/runtime';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandModule } from '../../services/command/src/command.module';
import { ExpiryModule } from '../../services/expiry/src/expiry.module';
import { ProjectorModule } from '../../services/projector/src/projector.module';
import { QueryModule } from '../../services/query/src/query.module';
import { SignerModule } from '../../services/signer/src/signer.module';

type Service = Extract<ServiceName, 'command' | 'projector' | 'expiry' | 'signer' | 'query'>;

const MODULES: Record<Service, { module: Type<unknown>; servesSubjects: boolean }> = {
  command: { module: CommandModule, servesSubjects: true },
  projector: { module: ProjectorModule, servesSubjects: false },
  expiry: { module: ExpiryModule, servesSubjects: false },
  signer: { module: SignerModule, servesSubjects: true },
  query: { module: QueryModule, servesSubjects: true },
};

/**
 * Rotor's services as the distributed mode runs them (each its own Nest app, its own
 * NATS connection and store handle) against a real nats-server and one sqlite file, in
 * this test process so a test can stop and restart any one of them.
 */
export class RotorServices {
  readonly dir = mkdtempSync(join(tmpdir(), 'rotor-services-'));
  readonly sqlitePath = join(this.dir, 'rotor.sqlite');
  readonly kekRingText = generateKekRingText();
  private readonly running = new Map<string, INestApplicationContext>();
  private clientConnection?: NatsConnection;
  /** Calls as `test`, on a connection of the test's own. */
  client!: RpcClient;
  /** A store handle of the test's own, for reading what the services wrote. */
  store!: EventStore;

  constructor(private readonly natsUrl: string) {}

  async start(...services: Service[]): Promise<void> {
    this.store ??= createEventStore({ kind: 'sqlite', sqlitePath: this.sqlitePath });
    if (!this.clientConnection) {
      this.clientConnection = await connectNats({
        url: this.natsUrl,
        name: 'rotor-test-client',
        // The operator's identity: it may send every command (acting-identity.ts).
        caller: OPERATOR_CALLER,
      });
      this.client = new NatsRpcClient(this.clientConnection, OPERATOR_CALLER);
    }
    for (const service of services) await this.startOne(service, service);
  }

  /** Starts another instance of a service under its own name (e.g. 'expiry-2'). */
  async startOne(service: Service, instance: string): Promise<INestApplicationContext> {
    const config = loadConfig({
      NATS_URL: this.natsUrl,
      SQLITE_PATH: this.sqlitePath,
      LOG_LEVEL: 'warn',
      // As start:distributed does: the services without the ring verify with its public half.
      ROTOR_AUDIT_PUBLIC_KEY: parseKekRing(this.kekRingText).audit!.publicKey,
    });
    const { module, servesSubjects } = MODULES[service];
    @Module({
      imports: [
        // Each service with only what it may hold: the KEK ring for command and signer alone.
        RuntimeModule.forRoot({
          service,
          config,
          ...(RUNTIME_NEEDS[service].kekRing ? { kekRing: parseKekRing(this.kekRingText) } : {}),
          transport: { kind: 'nats' },
        }),
        module,
      ],
    })
    class ServiceUnderTest {}
    let app: INestApplicationContext;
    if (servesSubjects) {
      const microservice = await NestFactory.createMicroservice(ServiceUnderTest, {
        ...natsServerOptions({ url: this.natsUrl, queue: queueGroupOf(service) }),
        logger: ['error'],
      });
      await microservice.listen();
      app = microservice;
    } else {
      app = await NestFactory.createApplicationContext(ServiceUnderTest, { logger: ['error'] });
      await app.init();
    }
    this.running.set(instance, app);
    return app;
  }

  get<T>(instance: string, type: Type<T>): T {
    const app = this.running.get(instance);
    if (!app) throw new Error(`${instance} is not running`);
    return app.get(type);
  }

  async stop(instance: string): Promise<void> {
    const app = this.running.get(instance);
    this.running.delete(instance);
    await app?.close();
  }

  async close(): Promise<void> {
    for (const instance of [...this.running.keys()].reverse()) await this.stop(instance);
    if (this.clientConnection) await drainNats(this.clientConnection);
    await this.store?.close();
    rmSync(this.dir, { recursive: true, force: true });
    // The default place of the command service's audit anchors (outside the store's dir).
    rmSync(`${this.dir}-anchors`, { recursive: true, force: true });
  }
}

import { randomUUID } from 'node:crypto';
import {
  SUBJECTS,
  type RegisterEndpointReply,
  type RotateSecretReply,
  type SignReply,
} from '@rotor/contracts';
import { connectNats, drainNats, type NatsConnection } from '@rotor/messaging';
import { findNatsServer, startNatsServer, type NatsForTests } from '@rotor/testing';
import { RotorServices } from '../../test/services/rotor-services';

type Service = Parameters<RotorServices['start']>[0];

/**
 * A private nats-server, Rotor's services as separate Nest apps on it (the distributed
 * mode's wiring, sqlite store with durable commits), and a raw nats.js echo responder on
 * the same server: the baseline every NATS benchmark is compared with.
 */
export class NatsRig {
  private constructor(
    readonly server: NatsForTests,
    readonly rotor: RotorServices,
    readonly raw: NatsConnection,
  ) {}

  static async start(...services: Service[]): Promise<NatsRig> {
    const binary = findNatsServer();
    if (!binary) throw new Error('nats-server is not on PATH');
    const server = await startNatsServer(binary);
    const rotor = new RotorServices(server.url);
    await rotor.start(...services);
    const raw = await connectNats({ url: server.url, name: 'bench-echo' });
    raw.subscribe('bench.echo', { callback: (_error, msg) => msg.respond(msg.data) });
    return new NatsRig(server, rotor, raw);
  }

  private readonly encoder = new TextEncoder();

  /** The baseline: one raw request-reply round trip carrying `payload` as JSON. */
  async echo(payload: unknown): Promise<void> {
    await this.raw.request('bench.echo', this.encoder.encode(JSON.stringify(payload)), {
      timeout: 5000,
    });
  }

  register(): Promise<RegisterEndpointReply> {
    return this.rotor.client.request(SUBJECTS.command.registerEndpoint, {
      meta: meta(),
      tenantId: 'bench',
    });
  }

  rotate(endpointId: string, expireCurrentIn = 0): Promise<RotateSecretReply> {
    return this.rotor.client.request(SUBJECTS.command.rotateSecret, {
      meta: meta(),
      endpointId,
      expireCurrentIn,
      force: true,
    });
  }

  sign(request: {
    endpointId: string;
    msgId: string;
    timestamp: number;
    payload: string;
  }): Promise<SignReply> {
    return this.rotor.client.request(SUBJECTS.signer.sign, request);
  }

  async close(): Promise<void> {
    await drainNats(this.raw);
    await this.rotor.close();
    await this.server.stop();
  }
}

export const meta = () => ({ actor: 'bench', requestId: randomUUID() });

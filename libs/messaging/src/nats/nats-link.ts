import { Logger } from '@nestjs/common';
import type { Subscription } from 'nats';
import type { MessageLink, Respond } from '../rpc-server';
import {
  connectNats,
  drainNats,
  type NatsConnectOptions,
  type NatsConnection,
} from './nats-connection';

const encoder = new TextEncoder();

/** The server side of Rotor's wire format on a NATS connection of its own. */
export class NatsLink implements MessageLink {
  private readonly log = new Logger('NatsLink');
  private connection?: NatsConnection;
  private subscriptions: Subscription[] = [];

  constructor(private readonly options: NatsConnectOptions) {}

  async open(): Promise<void> {
    this.connection ??= await connectNats(this.options);
  }

  serve(
    subject: string,
    queue: string | undefined,
    onMessage: (subject: string, data: Uint8Array, respond: Respond | undefined) => void,
  ): void {
    if (!this.connection) throw new Error('NatsLink.serve before open');
    const subscription = this.connection.subscribe(subject, {
      ...(queue === undefined ? {} : { queue }),
      callback: (error, msg) => {
        // Only a permissions violation on the subscription itself gets here.
        if (error) return this.log.error(`subscription ${subject}: ${error.message}`);
        const respond = msg.reply
          ? (text: string) => void msg.respond(encoder.encode(text))
          : undefined;
        onMessage(msg.subject, msg.data, respond);
      },
    });
    this.subscriptions.push(subscription);
  }

  async flush(): Promise<void> {
    await this.connection?.flush();
  }

  async stopServing(): Promise<void> {
    const subscriptions = this.subscriptions.splice(0);
    if (!this.connection || this.connection.isClosed()) return;
    await Promise.all(subscriptions.map((s) => s.drain().catch(() => s.unsubscribe())));
  }

  async close(): Promise<void> {
    if (this.connection) await drainNats(this.connection);
  }

  /** The connection, once open (tests flush it). */
  unwrap(): NatsConnection | undefined {
    return this.connection;
  }
}

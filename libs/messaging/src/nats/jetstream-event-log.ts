import {
  JSONCodec,
  RetentionPolicy,
  StorageType,
  headers,
  nanos,
  type JetStreamManager,
  type NatsConnection,
} from 'nats';
import type { EventLog, EventLogMessage } from '../event-log.port';
import { KV_OPERATION_TIMEOUT_MS } from './jetstream-kv';

/** The header carrying a message's source position: where the writer resumes after. */
export const POSITION_HEADER = 'Rotor-Position';
/**
 * JetStream drops a second message with the same Nats-Msg-Id within this window: it covers a
 * publish retried after its acknowledgement was lost, or two writers racing over the same
 * events. Beyond it, `lastPosition` is what keeps a writer from appending twice.
 */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

/**
 * An event log on a JetStream stream of its own (file storage, no age limit: a consumer may
 * replay from the first message). Its single writer creates it on first use; readers only
 * consume it. The stream's subjects are `<subjectPrefix>.>`.
 */
export class JetStreamEventLog implements EventLog {
  private readonly codec = JSONCodec();
  private manager?: JetStreamManager;

  constructor(
    private readonly connection: NatsConnection,
    private readonly stream: string,
    private readonly subjectPrefix: string,
  ) {}

  async lastPosition(): Promise<string | undefined> {
    const jsm = await this.ensureStream();
    const { state } = await jsm.streams.info(this.stream);
    if (state.messages === 0) return undefined;
    const last = await jsm.streams.getMessage(this.stream, { seq: state.last_seq });
    return last.header.get(POSITION_HEADER) || undefined;
  }

  async append(message: EventLogMessage): Promise<void> {
    const h = headers();
    h.set(POSITION_HEADER, message.position);
    await this.connection
      .jetstream({ timeout: KV_OPERATION_TIMEOUT_MS })
      .publish(message.subject, this.codec.encode(message.body), { msgID: message.id, headers: h });
  }

  private async ensureStream(): Promise<JetStreamManager> {
    this.manager ??= await this.connection.jetstreamManager({ timeout: KV_OPERATION_TIMEOUT_MS });
    try {
      await this.manager.streams.info(this.stream);
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
      await this.manager.streams.add({
        name: this.stream,
        subjects: [`${this.subjectPrefix}.>`],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      });
    }
    return this.manager;
  }
}

/** JetStream API error 10059, "stream not found". */
const isStreamNotFound = (error: unknown): boolean => {
  const { code, api_error: apiError } = error as {
    code?: unknown;
    api_error?: { err_code?: number };
  };
  return apiError?.err_code === 10059 || code === '404';
};

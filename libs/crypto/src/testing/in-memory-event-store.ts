import {
  StreamDeletedError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type GlobalPosition,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamFilter,
  type SubscribeOptions,
  type Subscription,
} from '@rotor/event-store';

/**
 * Just enough of an event store for the vault's tests, with the port's semantics: revision
 * checks, reads, and deletion that tombstones the stream name. Subscriptions are out of
 * scope here.
 */
export class InMemoryEventStore implements EventStore {
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly deleted = new Set<string>();
  private position = 0;

  async append(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    if (this.deleted.has(stream)) throw new StreamDeletedError(stream);
    if (events.length === 0) throw new RangeError('nothing to append');
    const existing = this.streams.get(stream) ?? [];
    const actual: ExpectedRevision = existing.length === 0 ? 'no_stream' : existing.length - 1;
    if (actual !== expected) throw new WrongExpectedRevisionError(stream, expected, actual);
    for (const event of events) {
      existing.push({
        stream,
        revision: existing.length,
        position: String(++this.position),
        type: event.type,
        version: event.version,
        data: structuredClone(event.data),
        metadata: structuredClone(event.metadata),
        recordedAt: new Date().toISOString(),
      });
    }
    this.streams.set(stream, existing);
    return {
      nextExpectedRevision: existing.length - 1,
      position: existing[existing.length - 1].position,
    };
  }

  async read(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    const from = options?.fromRevision ?? 0;
    return (this.streams.get(stream) ?? []).filter((event) => event.revision >= from);
  }

  async *readAll(from: GlobalPosition, filter?: StreamFilter): AsyncIterable<RecordedEvent> {
    const after = from === 'start' ? 0 : Number(from);
    const all = [...this.streams.values()]
      .flat()
      .filter((event) => Number(event.position) > after)
      .filter(
        (event) =>
          !filter || filter.streamPrefixes.some((prefix) => event.stream.startsWith(prefix)),
      )
      .sort((a, b) => Number(a.position) - Number(b.position));
    yield* all;
  }

  subscribeAll(_from: GlobalPosition, _options: SubscribeOptions): Subscription {
    throw new Error('subscribeAll is not part of this fake');
  }

  async deleteStream(stream: string): Promise<void> {
    this.streams.delete(stream);
    this.deleted.add(stream);
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}

  /** Everything stored, serialised: lets a test prove a value is gone from the store. */
  dump(): string {
    return JSON.stringify([...this.streams.entries()]);
  }
}

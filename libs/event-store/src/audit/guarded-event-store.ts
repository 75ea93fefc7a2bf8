import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  GlobalPosition,
  RecordedEvent,
  StreamFilter,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { FeedGuard, trustedPrefix, type AuditPolicy, type Refusal } from './trusted-history';

/** A stream holds an event the audit guard refused: nothing of it is acted on. */
export class TamperedStreamError extends Error {
  override readonly name = 'TamperedStreamError';
  readonly code = 'stream_tampered';
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

/**
 * The event store as the services see it when an audit public key is configured: every
 * stream read and every feed event is checked (trusted-history.ts) before anyone acts on
 * it. A refused event is reported (`onRefused`: one log line and a counter) and never
 * honoured, and the guard fails CLOSED: dropping one forged event and folding the rest
 * could itself be the attack (a revocation edited, then skipped, revives a key). So `read`
 * of a stream with a refused event throws `TamperedStreamError`, and a feed, from the
 * first refused event of a stream on, hands every event of that stream to the
 * subscriber's `onRefused` instead of `onEvent`.
 */
export class GuardedEventStore implements EventStore {
  private refusedCount = 0;

  constructor(
    private readonly inner: EventStore,
    private readonly policy: AuditPolicy,
    private readonly onRefused: (refusal: Refusal) => void,
  ) {}

  /** Events refused since start (the `rotor_audit_refused_events_total` counter). */
  get refused(): number {
    return this.refusedCount;
  }

  append(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    return this.inner.append(stream, events, expected);
  }

  async read(stream: string): Promise<RecordedEvent[]> {
    const events = await this.inner.read(stream);
    const { refused } = trustedPrefix(events, this.policy);
    if (!refused) return events;
    this.report(refused);
    throw new TamperedStreamError(refused);
  }

  async *readAll(from: GlobalPosition, filter?: StreamFilter): AsyncIterable<RecordedEvent> {
    const guard = new QuarantiningGuard(this.policy);
    for await (const event of this.inner.readAll(from, filter)) {
      const refused = guard.check(event);
      if (refused) this.report(refused);
      else yield event;
    }
  }

  subscribeAll(from: GlobalPosition, options: SubscribeOptions): Subscription {
    const guard = new QuarantiningGuard(this.policy);
    return this.inner.subscribeAll(from, {
      ...options,
      onEvent: async (event) => {
        const refused = guard.check(event);
        if (!refused) return options.onEvent(event);
        this.report(refused);
        await options.onRefused?.(refused);
      },
    });
  }

  deleteStream(stream: string): Promise<void> {
    return this.inner.deleteStream(stream);
  }

  ping(): Promise<boolean> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private report(refused: Refusal): void {
    this.refusedCount += 1;
    this.onRefused(refused);
  }
}

/** `FeedGuard`, and every later event of a stream once one of its events was refused. */
class QuarantiningGuard {
  private readonly guard: FeedGuard;
  private readonly quarantined = new Set<string>();

  constructor(policy: AuditPolicy) {
    this.guard = new FeedGuard(policy);
  }

  check(event: RecordedEvent): Refusal | undefined {
    if (this.quarantined.has(event.stream))
      return {
        stream: event.stream,
        revision: event.revision,
        position: event.position,
        reason: 'quarantined',
        message:
          `refused ${event.stream}@${event.revision} (position ${event.position}): ` +
          'an earlier event of this stream was refused',
      };
    const refused = this.guard.check(event);
    if (refused) this.quarantined.add(event.stream);
    return refused;
  }
}

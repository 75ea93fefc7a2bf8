import {
  fromRevisionOf,
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
} from '../event-store.port';
import type { StreamHead } from './anchor';
import { rememberingVerifier, type RememberingVerifier } from './audit-key';
import { SIGNED_CHAIN_VERSION, signedMessage } from './hash-chain';
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
 *
 * Signatures cannot see events cut off a stream's end (what is left is still signed), so
 * with `anchoredHeads` (the heads of the last anchor, anchor.ts) a stream that ends before
 * its anchored head, or differs from it there, is refused too ('truncated'): a deleted
 * `ApiKeyRevoked` or `PreviousSecretExpired` does not revive a key. A feed checks this when
 * it has caught up, for the streams it delivered. A stream that is entirely gone is not
 * refused: there is nothing of it to act on (and crypto-shredding deletes streams).
 */
export class GuardedEventStore implements EventStore {
  private refusedCount = 0;
  private lastRefusal?: Refusal;
  private readonly reported = new Set<string>();
  /** Present only when the inner store has it: health falls back to `ping` otherwise. */
  readonly checkWritable?: () => Promise<void>;

  private readonly policy: AuditPolicy;
  private readonly verifier: RememberingVerifier;

  constructor(
    private readonly inner: EventStore,
    policy: AuditPolicy,
    private readonly onRefused: (refusal: Refusal) => void,
    private readonly anchoredHeads: ReadonlyMap<string, StreamHead> = new Map(),
  ) {
    this.verifier = rememberingVerifier(policy.verifier);
    this.policy = { ...policy, verifier: this.verifier };
    if (inner.checkWritable) this.checkWritable = () => inner.checkWritable!();
  }

  /** Distinct events refused since start (reported by the `audit` readiness check). */
  get refused(): number {
    return this.refusedCount;
  }

  /** The last refusal, for the readiness check's detail. */
  get latestRefusal(): Refusal | undefined {
    return this.lastRefusal;
  }

  async append(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    const result = await this.inner.append(stream, events, expected);
    // This process signed them (command-handling.ts): reading them back, in a feed or a
    // stream, need not check those signatures again, only recompute the hashes they cover.
    for (const { metadata } of events) {
      const { chain, hash, auditKey, sig } = metadata;
      if (
        chain === SIGNED_CHAIN_VERSION &&
        typeof hash === 'string' &&
        typeof auditKey === 'string' &&
        typeof sig === 'string'
      )
        this.verifier.remember(auditKey, signedMessage(hash), sig);
    }
    return result;
  }

  async read(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    const from = fromRevisionOf(options);
    const events = await this.inner.read(stream, options);
    const refused =
      trustedPrefix(events, this.policy, from).refused ?? this.cutShort(stream, events, from);
    if (!refused) return events;
    this.report(refused);
    throw new TamperedStreamError(refused);
  }

  /** A read that stops before the stream's anchored head, or differs from it there. */
  private cutShort(
    stream: string,
    events: readonly RecordedEvent[],
    from: number,
  ): Refusal | undefined {
    const head = this.anchoredHeads.get(stream);
    if (!head || from > head.revision || (from === 0 && events.length === 0)) return undefined;
    const at = events.find((event) => event.revision === head.revision);
    if (at?.metadata.hash === head.hash) return undefined;
    const last = events[events.length - 1];
    return truncation(
      { stream, revision: head.revision, position: at?.position ?? last?.position ?? '' },
      at
        ? `revision ${head.revision} is not the one the last anchor recorded`
        : `the stream ends before revision ${head.revision}, which the last anchor recorded`,
    );
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
    const guard = new QuarantiningGuard(this.policy, this.anchoredHeads);
    const refuse = async (refused: Refusal): Promise<void> => {
      this.report(refused);
      await options.onRefused?.(refused);
    };
    let caughtUp = false;
    return this.inner.subscribeAll(from, {
      ...options,
      onEvent: async (event) => {
        const refused = guard.check(event);
        if (!refused) return options.onEvent(event);
        await refuse(refused);
      },
      onCaughtUp: () => {
        if (caughtUp) return options.onCaughtUp?.();
        caughtUp = true;
        // Only now is a stream's end known: the streams delivered that stop short of their
        // anchored head are refused before the subscriber hears it has caught up.
        const cut = guard.cutShort();
        if (cut.length === 0) return options.onCaughtUp?.();
        void cut
          .reduce((done, refused) => done.then(() => refuse(refused)), Promise.resolve())
          .then(
            () => options.onCaughtUp?.(),
            (error: unknown) =>
              options.onError?.(error instanceof Error ? error : new Error(String(error))),
          );
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

  /**
   * Once per refused event and reason: a stream read again (a retried command, the lag
   * count of every health tick) is refused again, but reported only the first time.
   */
  private report(refused: Refusal): void {
    const key = `${refused.stream}@${refused.revision}:${refused.reason}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.refusedCount += 1;
    this.lastRefusal = refused;
    this.onRefused(refused);
  }
}

const truncation = (
  at: Pick<Refusal, 'stream' | 'revision' | 'position'>,
  detail: string,
): Refusal => ({
  ...at,
  reason: 'truncated',
  message: `refused ${at.stream}@${at.revision}: truncated, ${detail}`,
});

/** `FeedGuard`, and every later event of a stream once one of its events was refused. */
class QuarantiningGuard {
  private readonly guard: FeedGuard;
  private readonly quarantined = new Set<string>();
  /** The last event accepted of each stream delivered. */
  private readonly last = new Map<string, Pick<RecordedEvent, 'revision' | 'position'>>();
  /** The hash each delivered stream had at its anchored head's revision. */
  private readonly atAnchor = new Map<string, string>();

  constructor(
    policy: AuditPolicy,
    private readonly anchoredHeads: ReadonlyMap<string, StreamHead> = new Map(),
  ) {
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
    else {
      this.last.set(event.stream, { revision: event.revision, position: event.position });
      if (this.anchoredHeads.get(event.stream)?.revision === event.revision)
        this.atAnchor.set(event.stream, event.metadata.hash);
    }
    return refused;
  }

  /**
   * The delivered streams that end before their anchored head or differ from it there;
   * each is quarantined from now on. A stream resumed past its anchored head was checked
   * when it was read up to it.
   */
  cutShort(): Refusal[] {
    const cut: Refusal[] = [];
    for (const [stream, last] of this.last) {
      const head = this.anchoredHeads.get(stream);
      if (!head || this.quarantined.has(stream)) continue;
      const hash = this.atAnchor.get(stream);
      if (last.revision >= head.revision && (hash === undefined || hash === head.hash)) continue;
      this.quarantined.add(stream);
      cut.push(
        truncation(
          { stream, revision: head.revision, position: last.position },
          hash === undefined
            ? `the stream ends at revision ${last.revision}, before revision ${head.revision}, which the last anchor recorded`
            : `revision ${head.revision} is not the one the last anchor recorded`,
        ),
      );
    }
    return cut;
  }
}

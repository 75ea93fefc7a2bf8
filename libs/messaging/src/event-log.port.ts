/**
 * An append-only log of messages for other services to consume (the integration events,
 * DESIGN §4): JetStream (`nats/jetstream-event-log.ts`) in the distributed mode, in memory
 * (`in-process/in-memory-event-log.ts`) in the all-in-one mode.
 *
 * Exactly once: the one writer appends in the order of its source and asks the log where
 * it stands (`lastPosition`) before it resumes, so a restart appends nothing twice; an
 * append with an id the log already holds (a retry whose first attempt did land) is
 * dropped by the log itself.
 */
export interface EventLogMessage {
  /** `rotor.events.<tenant>.<type>`. */
  readonly subject: string;
  /** Deduplication id, stable across retries and restarts. */
  readonly id: string;
  /** The source position this message was made from: what `lastPosition` answers. */
  readonly position: string;
  /** JSON-serialisable. */
  readonly body: unknown;
}

export interface EventLog {
  /** The `position` of the last message the log holds; undefined while it is empty. */
  lastPosition(): Promise<string | undefined>;
  /** Resolves once the log holds the message (or already held one with its id). */
  append(message: EventLogMessage): Promise<void>;
}

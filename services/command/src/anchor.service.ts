import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import type { RotorConfig } from '@rotor/config';
import { dataKeyStreamName, type KekRing } from '@rotor/crypto';
import { endpointIdOfStream } from '@rotor/domain';
import {
  appendAnchor,
  comparePositions,
  HeadTracker,
  readAnchors,
  START,
  verifierOf,
  type AnchorRecord,
  type EventStore,
  type RecordedEvent,
  type StreamHead,
  type Subscription,
} from '@rotor/event-store';
import {
  CLOCK,
  EVENT_STORE,
  KEK_RING,
  ROTOR_CONFIG,
  ServiceReadiness,
  failed,
  passed,
  type Clock,
} from '@rotor/runtime';

/** How late the anchor writer may see an event: far below any anchor interval (>= 1 s). */
const ANCHOR_FEED_LAG_MS = 250;

/**
 * Writes the audit anchors (libs/event-store/src/audit/anchor.ts): the process that holds
 * the audit key follows the whole feed, keeps every stream's head, and appends a signed
 * checkpoint to ROTOR_AUDIT_ANCHOR_FILE every ROTOR_AUDIT_ANCHOR_INTERVAL_S when the log
 * moved, once caught up at start, and at shutdown. One anchor writer per store: run it in
 * one command instance (or give each its own file).
 *
 * It never anchors a store that does not extend the last anchor (a stream cut short or
 * removed, a store rolled back): that would seal the tampering as the new truth. It says
 * so once, loudly, and writes nothing until the store is restored (`audit verify` names
 * what differs).
 */
@Injectable()
export class AnchorService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuditAnchor');
  private readonly tracker = new HeadTracker();
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private anchoredAt: string = START;
  /** The last anchor found at start, and what the feed has shown of its heads so far. */
  private last?: { record: AnchorRecord; heads?: ReadonlyMap<string, StreamHead> };
  private readonly matched = new Set<string>();
  private readonly shredded = new Set<string>();
  /** Set once the feed has reached the store's end and the store was checked against the last anchor. */
  private caughtUp = false;
  /** Why no anchor may be written, once the feed showed the store differs from the last. */
  private refusal?: string;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KEK_RING) private readonly kekRing: Pick<KekRing, 'audit'>,
    @Inject(ROTOR_CONFIG) private readonly config: RotorConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() readiness?: ServiceReadiness,
  ) {
    readiness?.register('audit_anchor', () =>
      Promise.resolve(
        this.refusal === undefined
          ? passed('audit_anchor')
          : failed('audit_anchor', `not anchoring: ${this.refusal}`),
      ),
    );
  }

  onApplicationBootstrap(): void {
    if (!this.kekRing.audit) {
      this.logger.warn('no audit key in the KEK ring: no anchors are written (README: Audit)');
      return;
    }
    const found = readAnchors(this.config.audit.anchorFile, verifierOf(this.kekRing.audit));
    if (found.kind === 'broken') {
      this.refusal = `the anchor file is broken at line ${found.line} (${found.message})`;
      this.logger.error(`not anchoring: ${this.refusal}`);
    } else if (found.kind === 'ok') this.last = { record: found.last, heads: found.heads };
    this.subscription = this.store.subscribeAll(START, {
      onEvent: (event) => this.track(event),
      onCaughtUp: () => {
        if (!this.caughtUp) {
          this.caughtUp = true;
          this.checkExtendsLastAnchor();
        }
        this.anchor();
      },
      onError: (error) => this.logger.error(`anchor feed stopped: ${error.message}`),
      // Anchors are written every interval: the feed may lag, so it costs the command path
      // nothing per append (it reads what gathered, a page at a time, in the background).
      background: { maxLagMs: ANCHOR_FEED_LAG_MS },
    });
    this.timer = setInterval(() => this.anchor(), this.config.audit.anchorIntervalSeconds * 1000);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    if (!this.subscription) return;
    await this.subscription.close();
    // A store not yet followed to its end (nor checked against the last anchor) is not
    // anchored: stopping during the first catch-up must not seal what was never checked.
    if (!this.caughtUp) return;
    // The background feed may be behind: the last anchor covers everything written.
    try {
      for await (const event of this.store.readAll(this.tracker.position)) this.track(event);
    } catch (error) {
      this.logger.error(
        `cannot read the feed's tail for the last anchor: ${(error as Error).message}`,
      );
    }
    this.anchor();
  }

  /** The last position the feed delivered: anchored at the next `anchor()`. */
  get position(): string {
    return this.tracker.position;
  }

  /** Set when the store does not extend the last anchor: no anchor is written then. */
  get refused(): string | undefined {
    return this.refusal;
  }

  /** Writes an anchor now if the log moved since the last one. Public for tests and tools. */
  anchor(): void {
    const signer = this.kekRing.audit;
    const position = this.tracker.position;
    if (!signer || !this.caughtUp || this.refusal !== undefined || position === this.anchoredAt)
      return;
    try {
      const record = appendAnchor(
        this.config.audit.anchorFile,
        position,
        this.tracker.snapshot(),
        signer,
        this.clock(),
      );
      this.anchoredAt = position;
      this.logger.log(
        `anchored position ${record.position}: ${record.streams} streams, ${record.events} events`,
      );
    } catch (error) {
      this.logger.error(`cannot write the audit anchor: ${(error as Error).message}`);
    }
  }

  /** Whether the store, as fed up to now, is the last anchor's store grown: else refuse. */
  private checkExtendsLastAnchor(): void {
    if (!this.last) return;
    const { record, heads } = this.last;
    const problems: string[] = [];
    const compared = comparePositions(this.tracker.position, record.position);
    if (compared !== undefined && compared < 0)
      problems.push(
        `the store ends at position ${this.tracker.position}, before the anchored ${record.position}`,
      );
    for (const stream of heads?.keys() ?? [])
      if (!this.matched.has(stream) && !this.shredded.has(stream))
        problems.push(`${stream} is not as anchored`);
    if (problems.length === 0) return;
    this.refusal = problems.slice(0, 5).join('; ') + (problems.length > 5 ? '; …' : '');
    this.logger.error(
      `not anchoring: the store does not extend the last anchor (${this.refusal}); ` +
        'run audit verify and restore the store',
    );
  }

  private track(event: RecordedEvent): void {
    const head = this.last?.heads?.get(event.stream);
    if (head && head.revision === event.revision && head.hash === event.metadata.hash)
      this.matched.add(event.stream);
    this.tracker.apply(event);
    // Crypto-shredding deletes the data-key stream on purpose: it leaves the anchor with the
    // deletion, so `audit verify` does not take the shredding for a removed stream.
    const endpointId = endpointIdOfStream(event.stream);
    if (endpointId !== undefined && event.type === 'EndpointDeleted') {
      this.tracker.drop(dataKeyStreamName(endpointId));
      this.shredded.add(dataKeyStreamName(endpointId));
    }
  }
}

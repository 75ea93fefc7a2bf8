import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import type { RotorConfig } from '@rotor/config';
import { dataKeyStreamName, type KekRing } from '@rotor/crypto';
import { endpointIdOfStream } from '@rotor/domain';
import {
  appendAnchor,
  HeadTracker,
  START,
  type EventStore,
  type RecordedEvent,
  type Subscription,
} from '@rotor/event-store';
import { CLOCK, EVENT_STORE, KEK_RING, ROTOR_CONFIG, type Clock } from '@rotor/runtime';

/**
 * Writes the audit anchors (libs/event-store/src/audit/anchor.ts): the process that holds
 * the audit key follows the whole feed, keeps every stream's head, and appends a signed
 * checkpoint to ROTOR_AUDIT_ANCHOR_FILE every ROTOR_AUDIT_ANCHOR_INTERVAL_S when the log
 * moved, once caught up at start, and at shutdown. One anchor writer per store: run it in
 * one command instance (or give each its own file).
 */
@Injectable()
export class AnchorService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuditAnchor');
  private readonly tracker = new HeadTracker();
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private anchoredAt: string = START;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KEK_RING) private readonly kekRing: Pick<KekRing, 'audit'>,
    @Inject(ROTOR_CONFIG) private readonly config: RotorConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.kekRing.audit) {
      this.logger.warn('no audit key in the KEK ring: no anchors are written (README: Audit)');
      return;
    }
    this.subscription = this.store.subscribeAll(START, {
      onEvent: (event) => this.track(event),
      onCaughtUp: () => this.anchor(),
      onError: (error) => this.logger.error(`anchor feed stopped: ${error.message}`),
    });
    this.timer = setInterval(() => this.anchor(), this.config.audit.anchorIntervalSeconds * 1000);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.subscription?.close();
    if (this.subscription) this.anchor();
  }

  /** Writes an anchor now if the log moved since the last one. Public for tests and tools. */
  anchor(): void {
    const signer = this.kekRing.audit;
    const position = this.tracker.position;
    if (!signer || position === this.anchoredAt) return;
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

  private track(event: RecordedEvent): void {
    this.tracker.apply(event);
    // Crypto-shredding deletes the data-key stream on purpose: it leaves the anchor with the
    // deletion, so `audit verify` does not take the shredding for a removed stream.
    const endpointId = endpointIdOfStream(event.stream);
    if (endpointId !== undefined && event.type === 'EndpointDeleted')
      this.tracker.drop(dataKeyStreamName(endpointId));
  }
}

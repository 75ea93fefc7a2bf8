import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { integrationEventSubject } from '@rotor/contracts';
import { ENDPOINT_STREAM_CATEGORY, upcast, type EndpointEvent } from '@rotor/domain';
import { START, type EventStore, type RecordedEvent } from '@rotor/event-store';
import { describeError, pause, type EventLog, type LoopStatus } from '@rotor/messaging';
import { toIntegrationEvent } from '@rotor/projections';
import { EVENT_LOG, EVENT_STORE, ServiceReadiness } from '@rotor/runtime';
import { ProjectorService } from './projector.service';
import { ResilientSubscription } from './resilient-subscription';

const ENDPOINT_STREAMS = [`${ENDPOINT_STREAM_CATEGORY}-`];
/** How often a publisher held back by a catching-up projector looks again. */
const YIELD_POLL_MS = 50;
const NOT_STARTED: LoopStatus = { running: false, restarts: 0 };

/**
 * Publishes one integration event per endpoint event of the store (DESIGN §4), from the
 * store's feed and never from the command path, so what the platform hears is exactly what
 * was committed. It keeps no checkpoint of its own: the log's last message says where it
 * stands, so after a crash, a restart or a rebuild of the views it resumes right after the
 * last event it published, and nothing is published twice (a publish retried after a lost
 * acknowledgement is dropped by the log's id check).
 *
 * It yields to the projector: while the views are catching up (after a restart, an outage,
 * a burst), it waits, so the signer's freshness never competes with the platform's news;
 * it goes on once the projector has caught up, in the order of the store.
 *
 * Like the projector, it never stops for good: a failed publish or store read backs off and
 * resumes from what the log holds.
 */
@Injectable()
export class IntegrationEventsPublisher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(IntegrationEventsPublisher.name);
  /** Only the registration names the tenant; the other events of an endpoint look it up. */
  private readonly tenants = new Map<string, string>();
  private feed?: ResilientSubscription;
  /** Events published by this process (tests and metrics). */
  published = 0;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(EVENT_LOG) private readonly log: EventLog,
    private readonly projector: ProjectorService,
    @Optional() private readonly readiness?: ServiceReadiness,
  ) {
    this.readiness?.registerLoop('integration_events', () => this.loopStatus);
  }

  get loopStatus(): LoopStatus {
    return this.feed?.state ?? NOT_STARTED;
  }

  onApplicationBootstrap(): void {
    this.feed = new ResilientSubscription(this.store, {
      from: async () => (await this.log.lastPosition()) ?? START,
      filter: { streamPrefixes: ENDPOINT_STREAMS },
      onEvent: (event) => this.publish(event, this.feed!.signal),
      onFailure: (error, delay) =>
        this.logger.warn(
          `integration events stopped: ${describeError(error)}; resuming in ${delay} ms`,
        ),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.feed?.stop();
  }

  private async publish(recorded: RecordedEvent, stopping: AbortSignal): Promise<void> {
    while (!this.projector.isCaughtUp && !stopping.aborted) await pause(YIELD_POLL_MS, stopping);
    if (stopping.aborted) return;
    const event = upcast(recorded);
    const tenantId = await this.tenantOf(event, recorded.stream);
    const body = toIntegrationEvent(
      event,
      {
        stream: recorded.stream,
        revision: recorded.revision,
        occurredAt: recorded.metadata.occurredAt,
        actor: recorded.metadata.actor,
      },
      tenantId,
    );
    await this.log.append({
      subject: integrationEventSubject(tenantId, body.type),
      id: body.id,
      position: recorded.position,
      body,
    });
    this.published += 1;
  }

  private async tenantOf(event: EndpointEvent, stream: string): Promise<string> {
    if (event.type === 'EndpointRegistered') {
      this.tenants.set(event.data.endpointId, event.data.tenantId);
      return event.data.tenantId;
    }
    const known = this.tenants.get(event.data.endpointId);
    if (known !== undefined) return known;
    const [first] = await this.store.read(stream);
    const registered = first && upcast(first);
    if (registered?.type !== 'EndpointRegistered')
      throw new Error(`${stream} does not start with its registration`);
    this.tenants.set(event.data.endpointId, registered.data.tenantId);
    return registered.data.tenantId;
  }
}

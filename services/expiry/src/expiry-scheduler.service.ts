import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  BUCKETS,
  SUBJECTS,
  type ExpirePreviousSecretReply,
  type ExpirePreviousSecretRequest,
  type MarkRotationDueReply,
  type MarkRotationDueRequest,
  type RotateOnScheduleReply,
  type RotateOnScheduleRequest,
} from '@rotor/contracts';
import { SCHEDULER_ACTOR, scheduledRotationKey } from '@rotor/domain';
import {
  ResilientWatch,
  warnWatchFailure,
  type KvBucketFactory,
  type RpcClient,
} from '@rotor/messaging';
import type { EndpointView } from '@rotor/projections';
import { CLOCK, KV_BUCKETS, RPC_CLIENT, ServiceReadiness, type Clock } from '@rotor/runtime';
import { dueCommands, type DueExpiry } from './expiry-schedule';

/** How long to wait before trying a failed expiry again (command service down, clock skew). */
export const RETRY_DELAY_MS = 1000;
/** Node timers cannot wait longer than ~24.8 days; grace periods are at most one. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The process manager of DESIGN §4: watches the endpoint views, keeps a timer per open
 * grace period, and sends `ExpirePreviousSecret` when one ends; and, for an Ed25519
 * endpoint with a rotation policy, `RotateOnSchedule` when its current key's period ends
 * (with an idempotency key derived from the endpoint and that key: once per period across
 * restarts and instances; the decider refuses it early or for a key rotated since). It holds no state of its
 * own: on start the schedule is rebuilt from the views. Sending twice (a restart, two
 * instances) is harmless: the decider answers a second expiry with no event, and the
 * store's expected-revision check stops two concurrent ones from both writing.
 */
@Injectable()
export class ExpirySchedulerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ExpirySchedulerService.name);
  private readonly timers = new Map<string, { due: DueExpiry; timer: NodeJS.Timeout }>();
  private readonly byEndpoint = new Map<string, Set<string>>();
  private watch?: ResilientWatch<EndpointView>;
  private stopped = false;
  /** Expiries sent and acknowledged: for tests and metrics. */
  sent = 0;

  constructor(
    @Inject(KV_BUCKETS) private readonly buckets: KvBucketFactory,
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() private readonly readiness?: ServiceReadiness,
  ) {
    this.readiness?.registerLoop('endpoint_watch', () => this.watch?.state);
  }

  async onApplicationBootstrap(): Promise<void> {
    // Self-healing: a watch restarted after an outage rebuilds the same schedule.
    this.watch = new ResilientWatch<EndpointView>({
      open: () => this.buckets.bucket<EndpointView>(BUCKETS.endpoints),
      onEntry: (entry) => this.reschedule(entry.key, entry.value),
      onFailure: warnWatchFailure(this.logger, 'endpoint view watch'),
    });
    await this.watch.loaded;
    this.logger.log(`schedule rebuilt: ${this.timers.size} pending expiries`);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await this.watch?.stop();
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  get pending(): DueExpiry[] {
    return [...this.timers.values()].map((t) => t.due);
  }

  private reschedule(endpointId: string, view: EndpointView | undefined): void {
    const wanted = new Map(dueCommands(view).map((d) => [d.keyId, d]));
    for (const keyId of this.byEndpoint.get(endpointId) ?? []) {
      if (!wanted.has(keyId)) this.cancel(keyId);
    }
    this.byEndpoint.set(endpointId, new Set(wanted.keys()));
    for (const due of wanted.values()) {
      const existing = this.timers.get(due.keyId);
      if (existing?.due.dueAt !== due.dueAt || existing.due.kind !== due.kind)
        this.schedule(due, due.dueAt - this.clock().getTime());
    }
  }

  private schedule(due: DueExpiry, delayMs: number): void {
    if (this.stopped) return;
    this.cancel(due.keyId);
    const timer = setTimeout(
      () => void this.fire(due),
      Math.min(Math.max(delayMs, 0), MAX_TIMER_MS),
    );
    this.timers.set(due.keyId, { due, timer });
  }

  private cancel(keyId: string): void {
    const existing = this.timers.get(keyId);
    if (existing) clearTimeout(existing.timer);
    this.timers.delete(keyId);
  }

  private async fire(due: DueExpiry): Promise<void> {
    const remaining = due.dueAt - this.clock().getTime();
    // Timers may fire a little early; the decider would refuse (expiry_not_due).
    if (remaining > 0) return this.schedule(due, remaining);
    try {
      await this.send(due);
      this.sent += 1;
      // The projector's next view drops the key; until then nothing is scheduled for it.
      if (this.timers.get(due.keyId)?.due === due) this.timers.delete(due.keyId);
    } catch (error) {
      const code = (error as { code?: string }).code;
      // Rotated since (by a person or another instance): the next view brings the new period.
      if (code === 'endpoint_not_found' || (due.kind !== 'expire' && code === 'rotation_not_due')) {
        this.timers.delete(due.keyId);
        return;
      }
      this.logger.warn(
        `${due.kind} of ${due.keyId} failed (${code ?? (error as Error).message}); retrying`,
      );
      if (this.timers.get(due.keyId)?.due === due) this.schedule(due, RETRY_DELAY_MS);
    }
  }

  private send(due: DueExpiry): Promise<unknown> {
    const { endpointId, keyId } = due;
    switch (due.kind) {
      case 'expire':
        return this.rpc.request<ExpirePreviousSecretRequest, ExpirePreviousSecretReply>(
          SUBJECTS.command.expirePreviousSecret,
          { meta: { actor: 'service:expiry', requestId: randomUUID() }, endpointId, keyId },
        );
      case 'rotate':
        return this.rpc.request<RotateOnScheduleRequest, RotateOnScheduleReply>(
          SUBJECTS.command.rotateOnSchedule,
          scheduledCommand(endpointId, keyId),
        );
      case 'mark-due':
        return this.rpc.request<MarkRotationDueRequest, MarkRotationDueReply>(
          SUBJECTS.command.markRotationDue,
          scheduledCommand(endpointId, keyId),
        );
      default:
        return due.kind satisfies never;
    }
  }
}

/**
 * A command the scheduler sends about one key's period (rotate it, or mark it due): the
 * period names its idempotency key, so a resend, or another instance's, is recorded once.
 */
const scheduledCommand = (endpointId: string, keyId: string) => ({
  meta: {
    actor: SCHEDULER_ACTOR,
    requestId: randomUUID(),
    idempotencyKey: scheduledRotationKey(endpointId, keyId),
  },
  endpointId,
  keyId,
});

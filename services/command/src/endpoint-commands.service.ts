import { Inject, Injectable } from '@nestjs/common';
import type {
  DeleteEndpointReply,
  DeleteEndpointRequest,
  ExpirePreviousSecretReply,
  ExpirePreviousSecretRequest,
  RegisterEndpointReply,
  RegisterEndpointRequest,
  RequestMeta,
  RevokePreviousSecretReply,
  RevokePreviousSecretRequest,
  RotateSecretReply,
  RotateSecretRequest,
} from '@rotor/contracts';
import { DataKeyVault, generateSecret, newEndpointId, newKeyId, sealSecret } from '@rotor/crypto';
import {
  DomainError,
  EVENT_VERSIONS,
  decide,
  endpointStreamName,
  evolve,
  initialState,
  isDomainError,
  isEndpointId,
  upcast,
  type EndpointCommand,
  type EndpointEvent,
  type EndpointState,
  type SealedKey,
} from '@rotor/domain';
import { handleCommand, type EventStore } from '@rotor/event-store';
import { applyToEndpointView, type EndpointView } from '@rotor/projections';
import { CLOCK, DATA_KEY_VAULT, EVENT_STORE, rejectWith, type Clock } from '@rotor/runtime';

/**
 * The write side: load -> decide -> append expecting the revision read -> reply. It never
 * publishes: the projector picks the events up from the store's feed (STYLE.md).
 * Plaintext secrets exist only in this process's memory and in the one reply that hands
 * them to the caller.
 */
@Injectable()
export class EndpointCommandsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATA_KEY_VAULT) private readonly vault: DataKeyVault,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async register(request: RegisterEndpointRequest): Promise<RegisterEndpointReply> {
    const endpointId = request.endpointId ?? newEndpointId();
    if (!isEndpointId(endpointId))
      rejectWith(new DomainError('invalid_command', 'malformed endpoint id', 'endpointId'));
    const now = this.clock();
    const { secret, key } = await this.newKey(endpointId, now);
    await this.run(request.meta, endpointId, undefined, {
      type: 'RegisterEndpoint',
      data: {
        endpointId,
        tenantId: request.tenantId,
        ...(request.url === undefined ? {} : { url: request.url }),
        ...(request.description === undefined ? {} : { description: request.description }),
        key,
      },
      now,
    });
    return { endpoint: await this.view(endpointId), keyId: key.keyId, secret };
  }

  async rotate(request: RotateSecretRequest): Promise<RotateSecretReply> {
    const { endpointId } = request;
    const now = this.clock();
    const { secret, key } = await this.newKey(endpointId, now, { mustExist: true });
    const { events } = await this.run(request.meta, endpointId, request.tenantId, {
      type: 'RotateSecret',
      data: {
        endpointId,
        key,
        ...(request.expireCurrentIn === undefined
          ? {}
          : { expireCurrentIn: request.expireCurrentIn }),
        ...(request.force === undefined ? {} : { force: request.force }),
      },
      now,
    });
    const rotated = events.find((e) => e.type === 'SecretRotated');
    if (rotated?.type !== 'SecretRotated') throw new Error('rotation produced no SecretRotated');
    return {
      endpointId,
      keyId: key.keyId,
      secret,
      previousKeyId: rotated.data.previousKeyId,
      previousSecretExpiresAt: rotated.data.previousKeyExpiresAt,
    };
  }

  async revokePrevious(request: RevokePreviousSecretRequest): Promise<RevokePreviousSecretReply> {
    const { endpointId } = request;
    await this.run(request.meta, endpointId, request.tenantId, {
      type: 'RevokePreviousSecret',
      data: { endpointId },
      now: this.clock(),
    });
    return { endpoint: await this.view(endpointId) };
  }

  async expirePrevious(request: ExpirePreviousSecretRequest): Promise<ExpirePreviousSecretReply> {
    const { endpointId, keyId } = request;
    const { events } = await this.run(request.meta, endpointId, undefined, {
      type: 'ExpirePreviousSecret',
      data: { endpointId, keyId },
      now: this.clock(),
    });
    return { endpointId, expired: events.length > 0 };
  }

  async delete(request: DeleteEndpointRequest): Promise<DeleteEndpointReply> {
    const { endpointId } = request;
    await this.run(request.meta, endpointId, request.tenantId, {
      type: 'DeleteEndpoint',
      data: { endpointId },
      now: this.clock(),
    });
    // Crypto-shredding: once the deletion is recorded, the data key goes, and with it every
    // secret the history holds. (The projector shreds too, should this process die here.)
    await this.vault.shred(endpointId);
    return { endpointId };
  }

  /** A fresh secret, sealed under the endpoint's data key before anything else sees it. */
  private async newKey(
    endpointId: string,
    now: Date,
    options: { mustExist?: boolean } = {},
  ): Promise<{ secret: string; key: SealedKey }> {
    if (!isEndpointId(endpointId))
      rejectWith(new DomainError('endpoint_not_found', `endpoint ${endpointId} not found`));
    const wrapped = options.mustExist
      ? await this.vault.get(endpointId)
      : await this.vault.ensure(endpointId).catch((error: unknown) => {
          // A deleted endpoint's data-key stream is tombstoned: its id can never be reused.
          if ((error as { code?: unknown }).code === 'stream_deleted')
            rejectWith(
              new DomainError('endpoint_already_exists', `endpoint ${endpointId} already exists`),
            );
          throw error;
        });
    // No data key: the endpoint never existed or was deleted (its key shredded).
    if (!wrapped)
      rejectWith(new DomainError('endpoint_not_found', `endpoint ${endpointId} not found`));
    const secret = generateSecret();
    const key = sealSecret({
      endpointId,
      keyId: newKeyId(now.getTime()),
      secret,
      dataKey: this.vault.unwrap(wrapped!),
      kekId: wrapped!.kekId,
      createdAt: now,
    });
    return { secret, key };
  }

  private async run(
    meta: RequestMeta,
    endpointId: string,
    tenantId: string | undefined,
    command: EndpointCommand,
  ): Promise<{ events: EndpointEvent[] }> {
    const result = await handleCommand({
      store: this.store,
      stream: endpointStreamName(endpointId),
      initialState,
      evolve,
      upcast,
      decide: (state: EndpointState) => decideForTenant(tenantId, command, state),
      toStored: (event: EndpointEvent) => ({
        type: event.type,
        version: EVENT_VERSIONS[event.type],
        data: event.data,
      }),
      metadata: {
        actor: meta.actor,
        requestId: meta.requestId,
        ...(meta.idempotencyKey ? { idempotencyKey: meta.idempotencyKey } : {}),
      },
      now: this.clock,
    });
    if (isDomainError(result)) return rejectWith(result);
    return { events: result.events };
  }

  /** The endpoint as the query side will show it, folded from the stream just written. */
  private async view(endpointId: string): Promise<EndpointView> {
    const recorded = await this.store.read(endpointStreamName(endpointId));
    const view = recorded.reduce<EndpointView | undefined>(
      (current, e) =>
        applyToEndpointView(current, upcast(e), {
          revision: e.revision,
          occurredAt: e.metadata.occurredAt,
        }),
      undefined,
    );
    if (!view) throw new Error(`endpoint ${endpointId} has no events after a successful append`);
    return view;
  }
}

/**
 * Tenants are isolated here, not only at the gateway: a command naming another tenant's
 * endpoint is refused exactly as if the endpoint did not exist.
 */
export const decideForTenant = (
  tenantId: string | undefined,
  command: EndpointCommand,
  state: EndpointState,
) =>
  tenantId !== undefined && state.status !== 'unregistered' && state.tenantId !== tenantId
    ? new DomainError('endpoint_not_found', `endpoint ${command.data.endpointId} not found`)
    : decide(command, state);

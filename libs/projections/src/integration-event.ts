import type { IntegrationEvent, IntegrationKey } from '@rotor/contracts';
import { assertNever, type EndpointEvent, type SealedKey } from '@rotor/domain';

/** Version of the IntegrationEvent schema the mapping below writes. */
export const INTEGRATION_EVENT_VERSION = 1;

/** Where a store event sits and who caused it: what the mapping needs besides its data. */
export interface StoreEventOrigin {
  readonly stream: string;
  readonly revision: number;
  readonly occurredAt: string;
  readonly actor: string;
}

/** Stable over replays, restarts and rebuilds: the store event's own coordinates. */
export const integrationEventId = (origin: Pick<StoreEventOrigin, 'stream' | 'revision'>) =>
  `${origin.stream}@${origin.revision}`;

const publicKey = (key: SealedKey): IntegrationKey => ({
  keyId: key.keyId,
  hint: key.hint,
  fingerprint: key.fingerprint,
  createdAt: key.createdAt,
  ...(key.origin === undefined ? {} : { origin: key.origin }),
});

/**
 * The integration event for one endpoint event (DESIGN §4): ids, times, key ids, hints and
 * fingerprints, never key material. Pure; the publisher supplies the tenant, which only the
 * registration carries.
 */
export const toIntegrationEvent = (
  event: EndpointEvent,
  origin: StoreEventOrigin,
  tenantId: string,
): IntegrationEvent => {
  const common = {
    id: integrationEventId(origin),
    version: INTEGRATION_EVENT_VERSION,
    endpointId: event.data.endpointId,
    tenantId,
    occurredAt: origin.occurredAt,
    actor: origin.actor,
  };
  switch (event.type) {
    case 'EndpointRegistered':
      return { ...common, type: 'endpoint.registered', key: publicKey(event.data.key) };
    case 'SecretRotated':
      return {
        ...common,
        type: 'secret.rotated',
        key: publicKey(event.data.key),
        previousKeyId: event.data.previousKeyId,
        previousKeyExpiresAt: event.data.previousKeyExpiresAt,
      };
    case 'PreviousSecretExpired':
      return {
        ...common,
        type: 'previous_secret.expired',
        expiredKeyId: event.data.keyId,
        expiredAt: event.data.expiredAt,
        reason: event.data.reason,
      };
    case 'EndpointDeleted':
      return { ...common, type: 'endpoint.deleted' };
    case 'SecretRotationDue':
      return {
        ...common,
        type: 'secret.rotation_due',
        dueKeyId: event.data.keyId,
        dueAt: event.data.dueAt,
      };
    default:
      // A new event type must decide what the platform is told of it, or it does not compile.
      return assertNever(event);
  }
};

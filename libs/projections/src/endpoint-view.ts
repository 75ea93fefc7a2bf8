import {
  assertNever,
  isStillValid,
  rotationDueAt,
  type EndpointEvent,
  type RotationPolicy,
  type SealedKey,
} from '@rotor/domain';
import type { EndpointView, KeyView } from './views';

/** A key as the view shows it: how it signs and how to recognise it, never its material. */
/** When the current key is due under the policy: on the view and on the key itself. */
const dueUnder = (key: SealedKey, policy: RotationPolicy | undefined) =>
  policy === undefined ? {} : { rotationDueAt: rotationDueAt(key.createdAt, policy) };

const currentKeyView = (key: SealedKey, policy: RotationPolicy | undefined): KeyView => ({
  ...dueUnder(key, policy),
  keyId: key.keyId,
  status: 'current',
  createdAt: key.createdAt,
  hint: key.hint,
  fingerprint: key.fingerprint,
  signing: key.algorithm,
  ...(key.publicKey === undefined ? {} : { publicKey: key.publicKey }),
  ...(key.origin === undefined ? {} : { origin: key.origin }),
});

/** Where an event sits in its stream: the projection's idempotency guard. */
export interface EventPosition {
  readonly revision: number;
  /** RFC 3339: from the event's metadata. */
  readonly occurredAt: string;
}

/**
 * Applies one endpoint event to its view. Pure and idempotent: an event at or below the
 * view's version is ignored, so replaying a feed twice leaves the same view.
 */
export const applyToEndpointView = (
  view: EndpointView | undefined,
  event: EndpointEvent,
  at: EventPosition,
): EndpointView | undefined => {
  if (view && at.revision <= view.version) return view;
  switch (event.type) {
    case 'EndpointRegistered': {
      const { endpointId, tenantId, url, description, key, rotationPolicy, externalId } =
        event.data;
      return {
        ...(rotationPolicy === undefined ? {} : { rotationPolicy }),
        ...dueUnder(key, rotationPolicy),
        id: endpointId,
        tenantId,
        ...(url === undefined ? {} : { url }),
        ...(description === undefined ? {} : { description }),
        ...(externalId === undefined ? {} : { externalId }),
        status: 'active',
        createdAt: at.occurredAt,
        updatedAt: at.occurredAt,
        keys: [currentKeyView(key, rotationPolicy)],
        version: at.revision,
      };
    }
    case 'SecretRotated': {
      if (!view) return view;
      const { key, previousKeyId, previousKeyExpiresAt } = event.data;
      const demoted = view.keys.map((k): KeyView => {
        if (k.keyId !== previousKeyId) return k;
        const { rotationDueAt: _rotated, ...rest } = k;
        return { ...rest, status: 'previous', expiresAt: previousKeyExpiresAt };
      });
      const fresh = currentKeyView(key, view.rotationPolicy);
      return {
        ...view,
        ...dueUnder(key, view.rotationPolicy),
        keys: [fresh, ...demoted],
        updatedAt: at.occurredAt,
        version: at.revision,
      };
    }
    case 'PreviousSecretExpired': {
      if (!view) return view;
      const { keyId, expiredAt, reason } = event.data;
      const keys = view.keys.map((k): KeyView =>
        k.keyId === keyId ? { ...k, status: 'expired', expiredAt, expiryReason: reason } : k,
      );
      return { ...view, keys, updatedAt: at.occurredAt, version: at.revision };
    }
    case 'SecretRotationDue': {
      if (!view) return view;
      const keys = view.keys.map((k): KeyView =>
        k.keyId === event.data.keyId ? { ...k, rotationDue: true } : k,
      );
      return { ...view, keys, updatedAt: at.occurredAt, version: at.revision };
    }
    case 'EndpointDeleted': {
      if (!view) return view;
      // The keys were crypto-shredded: they are all expired, for good.
      const keys = view.keys.map(({ rotationDueAt: _never, ...k }): KeyView =>
        k.status === 'expired' ? k : { ...k, status: 'expired', expiredAt: at.occurredAt },
      );
      // Nothing is due on a deleted endpoint: the scheduler must not rotate it.
      const { rotationDueAt: _cancelled, ...rest } = view;
      return { ...rest, status: 'deleted', keys, updatedAt: at.occurredAt, version: at.revision };
    }
    default:
      // A new event type is a compile error here, not a view that silently turns undefined.
      return assertNever(event);
  }
};

/**
 * The status a reader should show at `now`: a previous key whose grace period has ended
 * is expired even before the scheduler's `PreviousSecretExpired` arrives.
 */
export const effectiveKeyStatus = (key: KeyView, now: Date): KeyView['status'] =>
  key.status === 'previous' && key.expiresAt !== undefined && !isStillValid(key.expiresAt, now)
    ? 'expired'
    : key.status;

import { assertNever, type EndpointEvent, type SealedKey } from '@rotor/domain';
import type { KeyRingKey, KeyRingView } from './views';

const ringKey = ({ keyId, ciphertext, createdAt, algorithm }: SealedKey): KeyRingKey => ({
  keyId,
  ciphertext,
  createdAt,
  algorithm,
});

/*
 * The signer's view of an endpoint (KeyRingView, the key-ring bucket's value): its sealed
 * keys, built from the endpoint's events. The wrapped data key that opens them is
 * deliberately NOT here: a KV bucket keeps superseded and deleted values in its files, so a
 * data key in a view would survive crypto-shredding. The signer reads it from the store
 * through `DataKeyVault` and forgets it on deletion.
 */

/** Before the registration: no tenant (proto3's empty string) and no key. */
export const emptyKeyRing = (endpointId: string): KeyRingView => ({
  endpointId,
  tenantId: '',
  keys: [],
  revision: -1,
  deleted: false,
});

/** Applies an endpoint event; idempotent by revision. */
export const applyToKeyRing = (
  draft: KeyRingView,
  event: EndpointEvent,
  revision: number,
): KeyRingView => {
  if (revision <= draft.revision) return draft;
  const next = { ...draft, revision };
  switch (event.type) {
    case 'EndpointRegistered': {
      const { tenantId, key } = event.data;
      return {
        ...next,
        tenantId,
        keys: [ringKey(key)],
      };
    }
    case 'SecretRotated': {
      const { key, previousKeyId, previousKeyExpiresAt } = event.data;
      const keys = draft.keys.map((k) =>
        k.keyId === previousKeyId ? { ...k, expiresAt: previousKeyExpiresAt } : k,
      );
      return {
        ...next,
        keys: [ringKey(key), ...keys],
      };
    }
    case 'PreviousSecretExpired':
      return { ...next, keys: draft.keys.filter((k) => k.keyId !== event.data.keyId) };
    // A mark for people: the signer's keys do not change.
    case 'SecretRotationDue':
      return next;
    case 'EndpointDeleted':
      return { ...next, keys: [], deleted: true };
    default:
      return assertNever(event);
  }
};

import { assertNever, type EndpointEvent, type SealedKey } from '@rotor/domain';
import type { KeyRingKey, KeyRingView } from './views';

const ringKey = ({ keyId, ciphertext, createdAt, algorithm }: SealedKey): KeyRingKey => ({
  keyId,
  ciphertext,
  createdAt,
  algorithm,
});

/**
 * The signer's view of an endpoint: sealed keys plus the wrapped data key that opens them.
 * It is built from two streams: the endpoint's events and its data-key stream (see
 * `@rotor/crypto` DataKeyVault), so it is kept as a draft until both halves are known.
 */
export interface KeyRingDraft {
  endpointId: string;
  tenantId?: string;
  dataKey?: { kekId: string; wrappedKey: string; revision: number };
  keys: KeyRingKey[];
  revision: number;
  deleted: boolean;
}

export const emptyKeyRing = (endpointId: string): KeyRingDraft => ({
  endpointId,
  keys: [],
  revision: -1,
  deleted: false,
});

/** Applies an endpoint event; idempotent by revision. */
export const applyToKeyRing = (
  draft: KeyRingDraft,
  event: EndpointEvent,
  revision: number,
): KeyRingDraft => {
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
    case 'EndpointDeleted': {
      // Crypto-shredding: the wrapped data key must not outlive its stream in a view.
      const { dataKey: _shredded, ...rest } = next;
      return { ...rest, keys: [], deleted: true };
    }
    default:
      return assertNever(event);
  }
};

/** Applies a data-key event (created or re-wrapped); idempotent by revision. */
export const applyDataKeyToKeyRing = (
  draft: KeyRingDraft,
  dataKey: { kekId: string; wrappedKey: string },
  revision: number,
): KeyRingDraft =>
  draft.deleted || (draft.dataKey && revision <= draft.dataKey.revision)
    ? draft
    : { ...draft, dataKey: { ...dataKey, revision } };

/** The published view, or undefined when the endpoint cannot sign (incomplete or deleted). */
export const publishableKeyRing = (draft: KeyRingDraft): KeyRingView | undefined =>
  draft.deleted || !draft.tenantId || !draft.dataKey || draft.keys.length === 0
    ? undefined
    : {
        endpointId: draft.endpointId,
        tenantId: draft.tenantId,
        dataKey: { kekId: draft.dataKey.kekId, wrappedKey: draft.dataKey.wrappedKey },
        keys: draft.keys,
        revision: draft.revision,
      };

/** Keys that may sign at `now`, newest first (DESIGN §1: valid while now < expiresAt). */
export const signingKeysAt = (view: Pick<KeyRingView, 'keys'>, now: number): KeyRingKey[] =>
  view.keys.filter((k) => k.expiresAt === undefined || now < Date.parse(k.expiresAt));

import { assertNever, upcast, type EndpointEvent, type SealedKey } from '@rotor/domain';
import type { RecordedEvent } from '@rotor/event-store';

export interface HistoryEntry {
  type: EndpointEvent['type'];
  version: number;
  occurredAt: string;
  actor: string;
  requestId: string;
  data: Record<string, unknown>;
  revision: number;
  position: string;
}

/**
 * An event as an auditor may see it: who, what, when, and never key material. A sealed
 * key is reduced to what identifies it (id, hint, fingerprint); the ciphertext is dropped
 * even though it is encrypted, because the history is for people, not for signing.
 */
export const redact = (recorded: RecordedEvent): HistoryEntry => {
  const event = upcast(recorded);
  return {
    type: event.type,
    version: recorded.version,
    occurredAt: recorded.metadata.occurredAt,
    actor: recorded.metadata.actor,
    requestId: recorded.metadata.requestId,
    data: redactedData(event),
    revision: recorded.revision,
    position: recorded.position,
  };
};

const publicKey = (key: SealedKey) => ({
  keyId: key.keyId,
  algorithm: key.algorithm,
  hint: key.hint,
  fingerprint: key.fingerprint,
  createdAt: key.createdAt,
  // An Ed25519 key's public half is public: auditors may match it against receivers'.
  ...(key.publicKey === undefined ? {} : { publicKey: key.publicKey }),
});

const redactedData = (event: EndpointEvent): Record<string, unknown> => {
  switch (event.type) {
    case 'EndpointRegistered':
    case 'SecretRotated':
      return { ...event.data, key: publicKey(event.data.key) };
    case 'PreviousSecretExpired':
    case 'EndpointDeleted':
    case 'SecretRotationDue':
      return { ...event.data };
    default:
      // A new event type must say here what an auditor may see of it, or it does not compile.
      return assertNever(event);
  }
};

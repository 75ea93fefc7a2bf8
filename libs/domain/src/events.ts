import type { SealedKey } from './key';
import type { RotationPolicy } from './rotation-policy';

/**
 * The events of a webhook endpoint (DESIGN §1). Each has a literal `type`; the schema
 * version of each lives in `EVENT_VERSIONS` and older shapes are upcast on read
 * (`upcasting.ts`), so the rest of the code only ever sees the current shape.
 */
export type ExpiryReason = 'grace_period_elapsed' | 'revoked' | 'superseded';

export interface EndpointRegistered {
  readonly type: 'EndpointRegistered';
  readonly data: {
    readonly endpointId: string;
    readonly tenantId: string;
    readonly url?: string;
    readonly description?: string;
    readonly key: SealedKey;
    /** v2: absent when the endpoint rotates only on demand. */
    readonly rotationPolicy?: RotationPolicy;
    /** v3: the platform's own id for the endpoint, when it gave one. */
    readonly externalId?: string;
  };
}

export interface SecretRotated {
  readonly type: 'SecretRotated';
  readonly data: {
    readonly endpointId: string;
    readonly key: SealedKey;
    readonly previousKeyId: string;
    /** RFC 3339: the previous key signs while `now < previousKeyExpiresAt`. */
    readonly previousKeyExpiresAt: string;
    readonly gracePeriodSeconds: number;
  };
}

export interface PreviousSecretExpired {
  readonly type: 'PreviousSecretExpired';
  readonly data: {
    readonly endpointId: string;
    readonly keyId: string;
    /** RFC 3339: when the key stopped being valid (not when this event was written). */
    readonly expiredAt: string;
    readonly reason: ExpiryReason;
  };
}

export interface EndpointDeleted {
  readonly type: 'EndpointDeleted';
  readonly data: { readonly endpointId: string };
}

/**
 * An HMAC key's period under the rotation policy ended: a person should rotate it (nothing
 * rotates an HMAC endpoint by itself). Recorded once per key.
 */
export interface SecretRotationDue {
  readonly type: 'SecretRotationDue';
  readonly data: {
    readonly endpointId: string;
    readonly keyId: string;
    /** RFC 3339: when the period ended (not when this event was written). */
    readonly dueAt: string;
  };
}

export type EndpointEvent =
  EndpointRegistered | SecretRotated | PreviousSecretExpired | EndpointDeleted | SecretRotationDue;
export type EndpointEventType = EndpointEvent['type'];

/** The current schema version of each event type: what `decide` writes. */
export const EVENT_VERSIONS: { readonly [T in EndpointEventType]: number } = {
  // v2: the key may be Ed25519 (`algorithm`, `publicKey`); a registration may carry a
  // rotation policy.
  // v3: the key says where it came from (`key.origin`: generated or imported); a
  // registration may carry the platform's `externalId`.
  EndpointRegistered: 3,
  SecretRotated: 3,
  PreviousSecretExpired: 1,
  EndpointDeleted: 1,
  SecretRotationDue: 1,
};

export const ENDPOINT_EVENT_TYPES = Object.keys(EVENT_VERSIONS) as EndpointEventType[];

export const isEndpointEventType = (type: string): type is EndpointEventType =>
  Object.prototype.hasOwnProperty.call(EVENT_VERSIONS, type);

/** Who did it and why: written by the edge into every event's metadata (DESIGN §1). */
export interface CommandMetadata {
  /** API key id, or the name of the internal service that sent the command. */
  readonly actor: string;
  readonly requestId: string;
  readonly idempotencyKey?: string;
}

import type { SealedKey } from './key';
import type { RotationPolicy } from './rotation-policy';

/**
 * Commands carry everything `decide` needs from the outside world: the time (`now`) and
 * freshly generated (already sealed) key material. `decide` never reads a clock or a
 * random source, so the same command on the same state always gives the same events.
 */
export interface RegisterEndpoint {
  readonly type: 'RegisterEndpoint';
  readonly data: {
    readonly endpointId: string;
    readonly tenantId: string;
    readonly url?: string;
    readonly description?: string;
    readonly key: SealedKey;
    readonly rotationPolicy?: RotationPolicy;
    readonly externalId?: string;
  };
  readonly now: Date;
}

export interface RotateSecret {
  readonly type: 'RotateSecret';
  readonly data: {
    readonly endpointId: string;
    readonly key: SealedKey;
    /** Grace period of the current key, in seconds: integer 0..86400 (default 3600). */
    readonly expireCurrentIn?: number;
    /** Rotate even while an overlap is open: the older previous key is superseded. */
    readonly force?: boolean;
    /**
     * Set by the scheduler: the rotation of the period of this (current) key, due under the
     * endpoint's policy; never early, never for a key rotated since, grace from the policy.
     */
    readonly scheduledKeyId?: string;
  };
  readonly now: Date;
}

export interface RevokePreviousSecret {
  readonly type: 'RevokePreviousSecret';
  readonly data: { readonly endpointId: string };
  readonly now: Date;
}

export interface ExpirePreviousSecret {
  readonly type: 'ExpirePreviousSecret';
  readonly data: { readonly endpointId: string; readonly keyId: string };
  readonly now: Date;
}

export interface DeleteEndpoint {
  readonly type: 'DeleteEndpoint';
  readonly data: { readonly endpointId: string };
  readonly now: Date;
}

/** Sent by the scheduler when an HMAC key's period under the policy ends: marks it due. */
export interface MarkRotationDue {
  readonly type: 'MarkRotationDue';
  readonly data: { readonly endpointId: string; readonly keyId: string };
  readonly now: Date;
}

export type EndpointCommand =
  | RegisterEndpoint
  | RotateSecret
  | RevokePreviousSecret
  | ExpirePreviousSecret
  | DeleteEndpoint
  | MarkRotationDue;

export const DEFAULT_GRACE_PERIOD_SECONDS = 3600;
export const MAX_GRACE_PERIOD_SECONDS = 86400;

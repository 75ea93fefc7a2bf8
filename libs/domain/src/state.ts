import type { EndpointEvent } from './events';
import { KeyIdSet } from './key-id-set';
import { DEFAULT_SIGNING_SCHEME, type SealedKey, type SigningScheme } from './key';
import type { RotationPolicy } from './rotation-policy';

/** What `decide` needs to know about an endpoint, folded from its events. */
export interface KeyInUse {
  readonly keyId: string;
  readonly algorithm: SigningScheme;
  readonly createdAt: string;
}

const inUse = ({ keyId, algorithm, createdAt }: SealedKey): KeyInUse => ({
  keyId,
  algorithm,
  createdAt,
});

export interface PreviousKey extends KeyInUse {
  /** RFC 3339: valid for signing while `now < expiresAt`. */
  readonly expiresAt: string;
}

export type EndpointState =
  | { readonly status: 'unregistered' }
  | {
      readonly status: 'active';
      readonly endpointId: string;
      readonly tenantId: string;
      readonly current: KeyInUse;
      /** Present while an overlap is open (no `PreviousSecretExpired` yet). */
      readonly previous?: PreviousKey;
      /** Every key id the endpoint ever had: a new key must not reuse one. */
      readonly keyIds: KeyIdSet;
      readonly rotationPolicy?: RotationPolicy;
      /** The key a SecretRotationDue was recorded for: it is recorded once. */
      readonly rotationDueFor?: string;
    }
  | { readonly status: 'deleted'; readonly endpointId: string; readonly tenantId: string };

export type ActiveEndpoint = Extract<EndpointState, { status: 'active' }>;

export const initialState = (): EndpointState => ({ status: 'unregistered' });

/**
 * Folds one event into the state. Total: an event that does not apply to the state it
 * meets (which a valid stream never contains) leaves the state as it is.
 */
export const evolve = (state: EndpointState, event: EndpointEvent): EndpointState => {
  switch (event.type) {
    case 'EndpointRegistered': {
      if (state.status !== 'unregistered') return state;
      const { endpointId, tenantId, key, rotationPolicy } = event.data;
      return {
        status: 'active',
        endpointId,
        tenantId,
        current: inUse(key),
        keyIds: KeyIdSet.of(key.keyId),
        ...(rotationPolicy === undefined ? {} : { rotationPolicy }),
      };
    }
    case 'SecretRotated': {
      if (state.status !== 'active') return state;
      const { key, previousKeyExpiresAt } = event.data;
      return {
        ...state,
        current: inUse(key),
        previous: { ...state.current, expiresAt: previousKeyExpiresAt },
        keyIds: state.keyIds.add(key.keyId),
      };
    }
    case 'PreviousSecretExpired': {
      if (state.status !== 'active' || state.previous?.keyId !== event.data.keyId) return state;
      const { previous: _expired, ...rest } = state;
      return rest;
    }
    case 'SecretRotationDue': {
      if (state.status !== 'active') return state;
      return { ...state, rotationDueFor: event.data.keyId };
    }
    case 'EndpointDeleted': {
      if (state.status !== 'active') return state;
      return { status: 'deleted', endpointId: state.endpointId, tenantId: state.tenantId };
    }
    default:
      return assertNever(event);
  }
};

/**
 * The scheme a new key is made with: the one asked for, else the endpoint's current one (a
 * rotation keeps the scheme unless it is told to switch), else the default.
 */
export const signingSchemeFor = (
  state: EndpointState,
  requested: SigningScheme | undefined,
): SigningScheme =>
  requested ?? (state.status === 'active' ? state.current.algorithm : DEFAULT_SIGNING_SCHEME);

export const fold = (events: readonly EndpointEvent[], from = initialState()): EndpointState =>
  events.reduce(evolve, from);

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

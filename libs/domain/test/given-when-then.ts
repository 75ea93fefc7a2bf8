import {
  decide,
  fold,
  isDomainError,
  type DomainErrorCode,
  type EndpointCommand,
  type EndpointEvent,
  type SealedKey,
} from '../src';

/**
 * given(events).when(command).then(events) / .thenFails(code): the decider's tests read
 * as the rules they check.
 */
export const given = (...history: EndpointEvent[]) => ({
  when: (command: EndpointCommand) => {
    const result = decide(command, fold(history));
    return {
      then: (...expected: EndpointEvent[]) => {
        if (isDomainError(result)) throw new Error(`expected events, got ${result.code}`);
        expect(result).toEqual(expected);
      },
      thenFails: (code: DomainErrorCode, param?: string) => {
        expect(isDomainError(result) ? { code: result.code, param: result.param } : result).toEqual(
          { code, param },
        );
      },
    };
  },
});

export const ENDPOINT = 'we_550e8400e29b41d4a716446655440000';
export const TENANT = 'acme';
export const T0 = new Date('2026-01-01T00:00:00.000Z');
export const at = (secondsAfterT0: number) => new Date(T0.getTime() + secondsAfterT0 * 1000);

/** A sealed key with a valid id; `n` makes it unique and sortable. */
export const key = (n: number, createdAt = T0): SealedKey => ({
  keyId: `key_01J${String(n).padStart(23, '0')}`,
  algorithm: 'hmac-sha256',
  ciphertext: `sealed-${n}`,
  kekId: 'kek-test',
  hint: `whsec_…000${n % 10}`,
  fingerprint: String(n).padStart(16, '0'),
  createdAt: createdAt.toISOString(),
});

/** An Ed25519 key: sealed like a secret, named by its `whpk_` public key. */
export const edKey = (n: number, createdAt = T0): SealedKey => ({
  ...key(n, createdAt),
  algorithm: 'ed25519',
  hint: `whpk_…00${n % 10}=`,
  publicKey: `whpk_${Buffer.alloc(32, n).toString('base64')}`,
});

export const registered = (k = key(1)): EndpointEvent => ({
  type: 'EndpointRegistered',
  data: { endpointId: ENDPOINT, tenantId: TENANT, url: 'https://example.com/hook', key: k },
});

export const rotated = (
  k: SealedKey,
  previousKeyId: string,
  expiresAt: Date,
  grace: number,
): EndpointEvent => ({
  type: 'SecretRotated',
  data: {
    endpointId: ENDPOINT,
    key: k,
    previousKeyId,
    previousKeyExpiresAt: expiresAt.toISOString(),
    gracePeriodSeconds: grace,
  },
});

export const expired = (
  keyId: string,
  expiredAt: Date,
  reason: 'grace_period_elapsed' | 'revoked' | 'superseded',
): EndpointEvent => ({
  type: 'PreviousSecretExpired',
  data: { endpointId: ENDPOINT, keyId, expiredAt: expiredAt.toISOString(), reason },
});

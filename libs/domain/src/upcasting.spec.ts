import { ENDPOINT, key } from '../test/given-when-then';
import { EVENT_VERSIONS } from './events';
import { UnknownEventError, upcast } from './upcasting';

describe('upcasting stored events', () => {
  it('given a SecretRotated v0 (expiresAt, no grace), when read, then it is the current shape', () => {
    const k = key(2, new Date('2026-01-01T00:00:00.000Z'));
    const stored = {
      type: 'SecretRotated',
      version: 0,
      data: {
        endpointId: ENDPOINT,
        key: k,
        previousKeyId: key(1).keyId,
        expiresAt: '2026-01-01T01:00:00.000Z',
      },
    };

    expect(upcast(stored)).toEqual({
      type: 'SecretRotated',
      data: {
        endpointId: ENDPOINT,
        previousKeyId: key(1).keyId,
        previousKeyExpiresAt: '2026-01-01T01:00:00.000Z',
        gracePeriodSeconds: 3600,
        key: { ...k, origin: 'generated' },
      },
    });
  });

  it.each(['EndpointRegistered', 'SecretRotated'])(
    'given a %s v1 (before Ed25519), when read, then its key is an HMAC key without a public key',
    (type) => {
      const k = key(2);
      const data = {
        endpointId: ENDPOINT,
        key: { ...k, algorithm: 'ed25519', publicKey: 'whpk_forged' },
        ...(type === 'EndpointRegistered'
          ? { tenantId: 'acme' }
          : {
              previousKeyId: key(1).keyId,
              previousKeyExpiresAt: '2026-01-01T01:00:00.000Z',
              gracePeriodSeconds: 3600,
            }),
      };

      const event = upcast({ type, version: 1, data });

      expect(event.data).toEqual({ ...data, key: { ...k, origin: 'generated' } });
      expect(EVENT_VERSIONS[type as 'SecretRotated']).toBe(3);
    },
  );

  it.each(['EndpointRegistered', 'SecretRotated'])(
    'given a %s v2 (before import), even one claiming an imported key, when read, then its key was generated',
    (type) => {
      const k = key(2);
      const data = {
        endpointId: ENDPOINT,
        key: { ...k, origin: 'imported' },
        ...(type === 'EndpointRegistered'
          ? { tenantId: 'acme' }
          : {
              previousKeyId: key(1).keyId,
              previousKeyExpiresAt: '2026-01-01T01:00:00.000Z',
              gracePeriodSeconds: 3600,
            }),
      };

      const event = upcast({ type, version: 2, data });

      expect(event.data).toEqual({ ...data, key: { ...k, origin: 'generated' } });
    },
  );

  it('given a v3 key that was imported, when read, then it stays imported', () => {
    const data = { endpointId: ENDPOINT, tenantId: 'acme', key: { ...key(1), origin: 'imported' } };

    const event = upcast({ type: 'EndpointRegistered', version: 3, data });

    expect(event.data).toEqual(data);
  });

  it('reads a current-version event as it is', () => {
    const data = { endpointId: ENDPOINT };
    expect(
      upcast({ type: 'EndpointDeleted', version: EVENT_VERSIONS.EndpointDeleted, data }),
    ).toEqual({
      type: 'EndpointDeleted',
      data,
    });
  });

  it('refuses an unknown type, a version from the future, and a version with no upcaster', () => {
    expect(() => upcast({ type: 'Nope', version: 1, data: {} })).toThrow(UnknownEventError);
    expect(() => upcast({ type: 'EndpointDeleted', version: 2, data: {} })).toThrow(
      UnknownEventError,
    );
    expect(() => upcast({ type: 'EndpointDeleted', version: 0, data: {} })).toThrow(
      UnknownEventError,
    );
  });
});

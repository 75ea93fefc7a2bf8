import type { EndpointEvent, SealedKey } from '@rotor/domain';
import { integrationEventId, toIntegrationEvent } from './integration-event';

const ENDPOINT = 'we_00000000000000000000000000000001';
const key = (keyId: string): SealedKey => ({
  keyId,
  algorithm: 'hmac-sha256',
  ciphertext: 'c2VhbGVkIHNlY3JldA==',
  kekId: 'kek-1',
  hint: 'whsec_…abcd',
  fingerprint: '0123456789abcdef',
  createdAt: '2026-01-01T00:00:00.000Z',
});
const origin = (revision: number) => ({
  stream: `webhookEndpoint-${ENDPOINT}`,
  revision,
  occurredAt: '2026-01-01T00:00:01.000Z',
  actor: 'rk_key_1',
});

describe('toIntegrationEvent', () => {
  it('given a rotation, tells the new key and when the previous one stops, never key material', () => {
    const rotated: EndpointEvent = {
      type: 'SecretRotated',
      data: {
        endpointId: ENDPOINT,
        key: key('key_2'),
        previousKeyId: 'key_1',
        previousKeyExpiresAt: '2026-01-01T01:00:01.000Z',
        gracePeriodSeconds: 3600,
      },
    } as EndpointEvent;
    const event = toIntegrationEvent(rotated, origin(1), 'acme');
    expect(event).toEqual({
      id: `webhookEndpoint-${ENDPOINT}@1`,
      type: 'secret.rotated',
      version: 1,
      endpointId: ENDPOINT,
      tenantId: 'acme',
      occurredAt: '2026-01-01T00:00:01.000Z',
      actor: 'rk_key_1',
      key: {
        keyId: 'key_2',
        hint: 'whsec_…abcd',
        fingerprint: '0123456789abcdef',
        createdAt: '2026-01-01T00:00:00.000Z',
      },
      previousKeyId: 'key_1',
      previousKeyExpiresAt: '2026-01-01T01:00:01.000Z',
    });
    expect(JSON.stringify(event)).not.toContain('c2VhbGVkIHNlY3JldA==');
  });

  it('given an imported registration, tells the platform the key was imported', () => {
    const registered: EndpointEvent = {
      type: 'EndpointRegistered',
      data: {
        endpointId: ENDPOINT,
        tenantId: 'acme',
        externalId: 'cust_1',
        key: { ...key('key_1'), origin: 'imported' },
      },
    };

    const event = toIntegrationEvent(registered, origin(0), 'acme');

    expect(event.key).toEqual({
      keyId: 'key_1',
      hint: 'whsec_…abcd',
      fingerprint: '0123456789abcdef',
      createdAt: '2026-01-01T00:00:00.000Z',
      origin: 'imported',
    });
  });

  it.each([
    [
      {
        type: 'EndpointRegistered',
        data: { endpointId: ENDPOINT, tenantId: 'acme', key: key('key_1') },
      },
      { type: 'endpoint.registered', key: expect.objectContaining({ keyId: 'key_1' }) },
    ],
    [
      {
        type: 'PreviousSecretExpired',
        data: {
          endpointId: ENDPOINT,
          keyId: 'key_1',
          expiredAt: '2026-01-01T01:00:01.000Z',
          reason: 'revoked',
        },
      },
      { type: 'previous_secret.expired', expiredKeyId: 'key_1', reason: 'revoked' },
    ],
    [{ type: 'EndpointDeleted', data: { endpointId: ENDPOINT } }, { type: 'endpoint.deleted' }],
    [
      {
        type: 'SecretRotationDue',
        data: { endpointId: ENDPOINT, keyId: 'key_1', dueAt: '2026-02-01T00:00:00.000Z' },
      },
      { type: 'secret.rotation_due', dueKeyId: 'key_1', dueAt: '2026-02-01T00:00:00.000Z' },
    ],
  ])('maps %o', (event, expected) => {
    expect(toIntegrationEvent(event as EndpointEvent, origin(0), 'acme')).toMatchObject({
      ...expected,
      endpointId: ENDPOINT,
      tenantId: 'acme',
    });
  });

  it('names the store event by its stream and revision, so replays and rebuilds keep the id', () => {
    expect(integrationEventId(origin(3))).toBe(`webhookEndpoint-${ENDPOINT}@3`);
  });
});

import { routeLabel, routesAt } from '../gateway.constants';
import type { RequestContext } from '../auth/scopes';
import {
  endpointResource,
  historyResource,
  registerEndpointRequest,
  restParam,
  rotateSecretRequest,
  rotationResource,
  signRequest,
  snakeCase,
  snakeKeys,
} from './endpoint.mapper';

describe('REST bodies to requests', () => {
  const ctx: RequestContext = {
    apiKeyId: 'ak_1',
    tenantId: 'acme',
    scopes: [],
    requestId: 'req_1',
    idempotencyKey: 'idem_1',
  };
  const meta = { actor: 'ak_1', requestId: 'req_1', idempotencyKey: 'idem_1' };

  it("send the caller's tenant and identity, and only the fields the client gave", () => {
    expect(
      registerEndpointRequest(ctx, {
        url: 'https://x.test/h',
        rotation_policy: { every_seconds: 86_400, grace_seconds: 60 },
        external_id: 'cust 42',
      }),
    ).toEqual({
      meta,
      tenantId: 'acme',
      url: 'https://x.test/h',
      rotationPolicy: { everySeconds: 86_400, graceSeconds: 60 },
      externalId: 'cust 42',
    });
    expect(rotateSecretRequest(ctx, 'we_1', { expire_current_in: 0 })).toEqual({
      meta,
      tenantId: 'acme',
      endpointId: 'we_1',
      expireCurrentIn: 0,
    });
  });

  it("sign for the caller's tenant, with a fresh message id and the time of the request unless given", () => {
    const now = new Date('2026-01-01T00:00:01.500Z');
    expect(signRequest(ctx, 'we_1', { payload: '{}' }, now)).toEqual({
      tenantId: 'acme',
      endpointId: 'we_1',
      msgId: expect.stringMatching(/^msg_[0-9a-f]{32}$/),
      timestamp: 1767225601,
      payload: '{}',
    });
    expect(
      signRequest(ctx, 'we_1', { payload: '{}', msg_id: 'm', timestamp: 7 }, now),
    ).toMatchObject({
      msgId: 'm',
      timestamp: 7,
    });
  });
});

describe('REST shapes', () => {
  it('name the end of the overlap as DESIGN fixes it over REST', () => {
    expect(
      rotationResource({
        endpointId: 'we_1',
        keyId: 'key_2',
        previousKeyId: 'key_1',
        previousKeyExpiresAt: '2026-01-01T01:00:00.000Z',
      }),
    ).toEqual({
      id: 'we_1',
      key_id: 'key_2',
      previous_key_id: 'key_1',
      previous_secret_expires_at: '2026-01-01T01:00:00.000Z',
    });
  });

  it('snake_cases wire names', () => {
    expect(
      ['endpointId', 'previousKeyExpiresAt', 'kekId', 'url', 'webhookID'].map(snakeCase),
    ).toEqual(['endpoint_id', 'previous_key_expires_at', 'kek_id', 'url', 'webhook_id']);
    expect(
      snakeKeys({ key: { keyId: 'k', createdAt: 't' }, list: [{ gracePeriodSeconds: 1 }] }),
    ).toEqual({
      key: { key_id: 'k', created_at: 't' },
      list: [{ grace_period_seconds: 1 }],
    });
  });

  it('names fields the services blame as the REST client knows them', () => {
    expect(restParam('endpointId')).toBe('id');
    expect(restParam('expireCurrentIn')).toBe('expire_current_in');
    expect(restParam('meta.requestId')).toBe('meta.request_id');
  });

  it('maps an endpoint view, absent text as null, absent times left out, a view from before Ed25519 as HMAC and before import as generated', () => {
    expect(
      endpointResource({
        id: 'we_1',
        tenantId: 'acme',
        status: 'active',
        createdAt: 'c',
        updatedAt: 'u',
        version: 3,
        externalId: 'cust 42',
        keys: [
          {
            keyId: 'key_2',
            status: 'current',
            createdAt: 'c2',
            hint: 'h2',
            fingerprint: 'f2',
            signing: 'ed25519',
            publicKey: 'whpk_2',
            origin: 'imported',
          },
          {
            keyId: 'key_1',
            status: 'expired',
            createdAt: 'c1',
            expiresAt: 'e1',
            expiredAt: 'x1',
            expiryReason: 'revoked',
            hint: 'h1',
            fingerprint: 'f1',
          },
        ],
      }),
    ).toEqual({
      id: 'we_1',
      url: null,
      description: null,
      status: 'active',
      created_at: 'c',
      updated_at: 'u',
      external_id: 'cust 42',
      keys: [
        {
          key_id: 'key_2',
          status: 'current',
          created_at: 'c2',
          hint: 'h2',
          fingerprint: 'f2',
          signing: 'ed25519',
          public_key: 'whpk_2',
          origin: 'imported',
        },
        {
          key_id: 'key_1',
          status: 'expired',
          created_at: 'c1',
          expires_at: 'e1',
          expired_at: 'x1',
          expiry_reason: 'revoked',
          hint: 'h1',
          fingerprint: 'f1',
          signing: 'hmac-sha256',
          origin: 'generated',
        },
      ],
    });
  });

  it('maps the history without its positions', () => {
    expect(
      historyResource({
        data: [
          {
            type: 'EndpointDeleted',
            version: 1,
            occurredAt: 't',
            actor: 'ak_1',
            requestId: 'r',
            data: { endpointId: 'we_1' },
            position: '7',
            revision: 3,
          },
        ],
      }),
    ).toEqual({
      data: [
        {
          type: 'EndpointDeleted',
          version: 1,
          occurred_at: 't',
          actor: 'ak_1',
          request_id: 'r',
          data: { endpoint_id: 'we_1' },
        },
      ],
      next_cursor: null,
    });
  });
});

describe('route table', () => {
  it('labels requests by route template, unknown paths as unmatched', () => {
    expect(routeLabel('GET', '/v1/webhooks/endpoints/we_abc/events')).toBe(
      '/v1/webhooks/endpoints/{id}/events',
    );
    expect(routeLabel('HEAD', '/health')).toBe('/health');
    expect(routeLabel('GET', '/v1/webhooks/endpoints/a/b/c')).toBe('unmatched');
    expect(routesAt('/v1/webhooks/endpoints/x').map((r) => r.method)).toEqual(['GET', 'DELETE']);
  });
});

import type {
  EndpointView,
  KeyRingView,
  ReplyOf,
  RequestOf,
  RpcSubject,
} from '../generated/rotor.v1';

/** One valid request and reply per subject: fixtures for contract tests. */
export const ENDPOINT_ID = 'we_550e8400e29b41d4a716446655440000';
export const KEY_ID = 'key_01JD5ZQ8W6T3V9N4K2M7P1R0XY';
export const OLD_KEY_ID = 'key_01JD5ZP000000000000000000A';
export const TENANT_ID = 'acme-prod';
const META = { actor: 'ak_123', requestId: 'req_1' };

export const ENDPOINT_VIEW: EndpointView = {
  id: ENDPOINT_ID,
  tenantId: TENANT_ID,
  url: 'https://example.com/webhooks',
  status: 'active',
  createdAt: '2025-01-31T12:00:00.000Z',
  updatedAt: '2025-01-31T13:00:00.000Z',
  keys: [
    {
      keyId: KEY_ID,
      status: 'current',
      createdAt: '2025-01-31T13:00:00.000Z',
      hint: 'whsec_…AbCd',
      fingerprint: '0123456789abcdef',
    },
    {
      keyId: OLD_KEY_ID,
      status: 'expired',
      createdAt: '2025-01-31T12:00:00.000Z',
      expiresAt: '2025-01-31T14:00:00.000Z',
      expiredAt: '2025-01-31T13:30:00.000Z',
      expiryReason: 'revoked',
      hint: 'whsec_…WxYz',
      fingerprint: 'fedcba9876543210',
    },
  ],
  version: 2,
};

export const KEY_RING_VIEW: KeyRingView = {
  endpointId: ENDPOINT_ID,
  tenantId: TENANT_ID,
  keys: [
    { keyId: KEY_ID, ciphertext: 'Y2lwaGVy', createdAt: '2025-01-31T13:00:00Z' },
    {
      keyId: OLD_KEY_ID,
      ciphertext: 'b2xk',
      createdAt: '2025-01-31T12:00:00Z',
      expiresAt: '2025-01-31T14:00:00+01:00',
    },
  ],
  revision: 1,
  deleted: false,
};

const SIGN = {
  endpointId: ENDPOINT_ID,
  msgId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
  timestamp: 1738324800,
  payload: '{"type":"invoice.paid"}',
};
const HEADERS = {
  'webhook-id': SIGN.msgId,
  'webhook-timestamp': '1738324800',
  'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1,ZXhhbXBsZQ==',
};

export const REQUESTS: { readonly [S in RpcSubject]: RequestOf<S> } = {
  'rotor.command.register-endpoint': {
    meta: { ...META, idempotencyKey: 'idem-1' },
    tenantId: TENANT_ID,
    url: 'https://example.com/webhooks',
    description: 'billing events',
  },
  'rotor.command.rotate-secret': {
    meta: META,
    tenantId: TENANT_ID,
    endpointId: ENDPOINT_ID,
    expireCurrentIn: 3600,
    force: false,
  },
  'rotor.command.revoke-previous-secret': { meta: META, endpointId: ENDPOINT_ID },
  'rotor.command.expire-previous-secret': {
    meta: { actor: 'expiry', requestId: 'req_2' },
    endpointId: ENDPOINT_ID,
    keyId: OLD_KEY_ID,
  },
  'rotor.command.delete-endpoint': { meta: META, tenantId: TENANT_ID, endpointId: ENDPOINT_ID },
  'rotor.command.mark-rotation-due': {
    meta: { actor: 'rotor-scheduler', requestId: 'req_4', idempotencyKey: 'scheduled-rotation:2' },
    endpointId: ENDPOINT_ID,
    keyId: KEY_ID,
  },
  'rotor.command.rotate-on-schedule': {
    meta: { actor: 'rotor-scheduler', requestId: 'req_3', idempotencyKey: 'scheduled-rotation:1' },
    endpointId: ENDPOINT_ID,
    keyId: OLD_KEY_ID,
  },
  'rotor.query.get-endpoint': { tenantId: TENANT_ID, endpointId: ENDPOINT_ID },
  'rotor.query.list-endpoints': { tenantId: TENANT_ID, limit: 50, cursor: 'opaque' },
  'rotor.query.list-keys': { tenantId: TENANT_ID, endpointId: ENDPOINT_ID },
  'rotor.query.get-history': { tenantId: TENANT_ID, endpointId: ENDPOINT_ID },
  'rotor.query.get-public-keys': { endpointId: ENDPOINT_ID },
  'rotor.signer.sign': SIGN,
  'rotor.signer.sign-batch': { items: [SIGN, { ...SIGN, msgId: 'msg_2', payload: '' }] },
};

export const REPLIES: { readonly [S in RpcSubject]: ReplyOf<S> } = {
  'rotor.command.register-endpoint': {
    endpoint: ENDPOINT_VIEW,
    keyId: KEY_ID,
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  },
  'rotor.command.rotate-secret': {
    endpointId: ENDPOINT_ID,
    keyId: KEY_ID,
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    previousKeyId: OLD_KEY_ID,
    previousKeyExpiresAt: '2025-01-31T14:00:00.000Z',
  },
  'rotor.command.revoke-previous-secret': { endpoint: ENDPOINT_VIEW },
  'rotor.command.expire-previous-secret': { endpointId: ENDPOINT_ID, expired: false },
  'rotor.command.delete-endpoint': { endpointId: ENDPOINT_ID },
  'rotor.command.mark-rotation-due': { endpointId: ENDPOINT_ID, marked: true },
  'rotor.command.rotate-on-schedule': {
    endpointId: ENDPOINT_ID,
    keyId: KEY_ID,
    publicKey: 'whpk_GB2CUW7UbHCT2tTHRTcEb3N5DygvZ2hxJzjYJCnUk5c=',
    previousKeyId: OLD_KEY_ID,
    previousKeyExpiresAt: '2025-01-31T14:00:00.000Z',
  },
  'rotor.query.get-endpoint': ENDPOINT_VIEW,
  'rotor.query.list-endpoints': { data: [ENDPOINT_VIEW], nextCursor: 'opaque-2' },
  'rotor.query.list-keys': { data: ENDPOINT_VIEW.keys },
  'rotor.query.get-public-keys': {
    data: [
      {
        keyId: KEY_ID,
        publicKey: 'whpk_GB2CUW7UbHCT2tTHRTcEb3N5DygvZ2hxJzjYJCnUk5c=',
        status: 'current',
        createdAt: '2025-01-31T13:00:00.000Z',
      },
    ],
    maxAgeSeconds: 60,
  },
  'rotor.query.get-history': {
    data: [
      {
        type: 'EndpointRegistered',
        version: 1,
        occurredAt: '2025-01-31T12:00:00.000Z',
        actor: 'ak_123',
        requestId: 'req_1',
        data: { endpointId: ENDPOINT_ID, key: { keyId: OLD_KEY_ID, hint: 'whsec_…WxYz' } },
        position: '42',
        revision: 0,
      },
    ],
  },
  'rotor.signer.sign': { headers: HEADERS },
  'rotor.signer.sign-batch': {
    results: [
      { headers: HEADERS },
      {
        error: {
          code: 'endpoint_not_found',
          message: 'endpoint not found',
          status: 404,
          errors: [],
        },
      },
    ],
  },
};

import type { ApiKeyRecord } from '@rotor/access';
import {
  checkApiKeyId,
  checkTenant,
  formatApiKeyTable,
  parseScopes,
  toListedApiKey,
} from './api-key-table';

const record: ApiKeyRecord = {
  id: 'ak_0123456789abcdef',
  tenantId: 'acme',
  scopes: ['endpoints:read', 'audit:read'],
  name: 'ci',
  hashedKey: 'a'.repeat(64),
  createdAt: '2025-01-31T12:00:00.000Z',
};

describe('api key input', () => {
  it('reads comma-separated scopes, trimmed and deduplicated', () => {
    expect(parseScopes(' endpoints:read,audit:read,,endpoints:read ')).toEqual([
      'endpoints:read',
      'audit:read',
    ]);
  });

  it.each([
    ['', /at least one/],
    ['endpoints:admin,audit:read', /unknown scope\(s\) endpoints:admin; known: endpoints:read/],
  ])('refuses scopes %j with exit 2', (text, message) => {
    expect(() => parseScopes(text)).toThrow(message);
    expect(() => parseScopes(text)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it('refuses a malformed tenant or key id with exit 2', () => {
    expect(checkTenant('acme-prod')).toBe('acme-prod');
    expect(() => checkTenant('Acme Prod')).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => checkApiKeyId('ak_xyz')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe('api key listing', () => {
  it('shows what a key is, never its hash', () => {
    const listed = toListedApiKey({ ...record, revokedAt: '2025-02-01T00:00:00.000Z' });
    expect(listed).toEqual({
      id: 'ak_0123456789abcdef',
      tenant_id: 'acme',
      scopes: ['endpoints:read', 'audit:read'],
      name: 'ci',
      created_at: '2025-01-31T12:00:00.000Z',
      revoked_at: '2025-02-01T00:00:00.000Z',
    });
    expect(JSON.stringify(listed)).not.toContain(record.hashedKey);
  });

  it('aligns the table', () => {
    expect(
      formatApiKeyTable([
        toListedApiKey(record),
        toListedApiKey({
          ...record,
          id: 'ak_ffffffffffffffff',
          tenantId: 'globex-prod',
          scopes: ['secrets:rotate'],
          name: 'deploy bot',
        }),
      ]),
    ).toEqual([
      'ID                   TENANT       SCOPES                     NAME        CREATED                   REVOKED',
      'ak_0123456789abcdef  acme         endpoints:read,audit:read  ci          2025-01-31T12:00:00.000Z  -',
      'ak_ffffffffffffffff  globex-prod  secrets:rotate             deploy bot  2025-01-31T12:00:00.000Z  -',
    ]);
    expect(formatApiKeyTable([])).toEqual(['no API keys']);
  });
});

import { SqliteEventStore, verifyStream, type EventStore } from '@rotor/event-store';
import { API_KEY_PATTERN, hashApiKey, verifyPresentedKey } from './api-key';
import { apiKeyStreamName, applyApiKeyEvent, type ApiKeyEvent } from './api-key-events';
import { ApiKeyError, createApiKey, listApiKeys, revokeApiKey } from './api-key-store';

const at = (iso: string) => () => new Date(iso);

describe('API key store', () => {
  let store: EventStore;
  beforeEach(() => {
    store = new SqliteEventStore(':memory:');
  });
  afterEach(() => store.close());

  it('creates a key: one ApiKeyCreated holding the hash, never the key', async () => {
    const { record, plaintextKey } = await createApiKey(
      store,
      {
        tenantId: 'acme',
        scopes: ['endpoints:read', 'endpoints:read', 'audit:read'],
        name: 'ci',
        actor: 'cli:alice',
      },
      { now: at('2025-01-31T12:00:00Z'), requestId: 'req-1' },
    );
    expect(plaintextKey).toMatch(API_KEY_PATTERN);
    expect(record).toEqual({
      id: expect.stringMatching(/^ak_[0-9a-f]{16}$/),
      tenantId: 'acme',
      scopes: ['endpoints:read', 'audit:read'],
      name: 'ci',
      hashedKey: hashApiKey(plaintextKey),
      createdAt: '2025-01-31T12:00:00.000Z',
    });
    const events = await store.read(apiKeyStreamName(record.id));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'ApiKeyCreated',
      version: 1,
      data: { id: record.id, hashedKey: record.hashedKey },
      metadata: { actor: 'cli:alice', requestId: 'req-1', occurredAt: '2025-01-31T12:00:00.000Z' },
    });
    expect(JSON.stringify(events)).not.toContain(plaintextKey);
    expect(verifyStream(events)).toMatchObject({ ok: true, count: 1 });
  });

  it('refuses bad input before writing anything', async () => {
    const base = { tenantId: 'acme', scopes: ['endpoints:read'], name: 'ci', actor: 'cli' };
    for (const bad of [
      { ...base, tenantId: 'Not A Tenant' },
      { ...base, scopes: [] },
      { ...base, scopes: ['endpoints:admin'] },
      { ...base, name: ' ' },
      { ...base, actor: '' },
    ])
      await expect(createApiKey(store, bad)).rejects.toBeInstanceOf(ApiKeyError);
    expect(await listApiKeys(store)).toEqual([]);
  });

  it('revokes once, expecting the revision it read, and keeps the chain intact', async () => {
    const { record } = await createApiKey(store, {
      tenantId: 'acme',
      scopes: ['secrets:rotate'],
      name: 'deploy',
      actor: 'cli',
    });
    const revoked = await revokeApiKey(store, record.id, 'cli:bob', {
      now: at('2025-02-01T00:00:00Z'),
    });
    expect(revoked.revokedAt).toBe('2025-02-01T00:00:00.000Z');
    const again = await revokeApiKey(store, record.id, 'cli:bob');
    expect(again).toEqual(revoked);
    const events = await store.read(apiKeyStreamName(record.id));
    expect(events.map((e) => e.type)).toEqual(['ApiKeyCreated', 'ApiKeyRevoked']);
    expect(verifyStream(events)).toMatchObject({ ok: true, count: 2 });
  });

  it('refuses to revoke an unknown or malformed id', async () => {
    await expect(revokeApiKey(store, 'ak_0000000000000000', 'cli')).rejects.toMatchObject({
      code: 'api_key_not_found',
    });
    await expect(revokeApiKey(store, '../etc', 'cli')).rejects.toMatchObject({
      code: 'api_key_not_found',
    });
  });

  it('lists every key from the global feed, revoked ones with their revocation time', async () => {
    const a = await createApiKey(store, {
      tenantId: 'acme',
      scopes: ['audit:read'],
      name: 'a',
      actor: 'cli',
    });
    const b = await createApiKey(store, {
      tenantId: 'globex',
      scopes: ['audit:read'],
      name: 'b',
      actor: 'cli',
    });
    await revokeApiKey(store, a.record.id, 'cli');
    const listed = await listApiKeys(store);
    expect(listed.map((r) => [r.id, r.revokedAt !== undefined])).toEqual([
      [a.record.id, true],
      [b.record.id, false],
    ]);
  });

  it('uses the chaining function it is given', async () => {
    const chain = jest.fn(
      (
        _stream: string,
        _last: unknown,
        events: readonly { type: string; version: number; data: unknown; metadata: object }[],
      ) =>
        events.map((e) => ({
          ...e,
          metadata: {
            ...(e.metadata as { actor: string; requestId: string; occurredAt: string }),
            prevHash: 'p',
            hash: 'h',
          },
        })),
    );
    const { record } = await createApiKey(
      store,
      { tenantId: 'acme', scopes: ['audit:read'], name: 'a', actor: 'cli' },
      { chain },
    );
    expect(chain).toHaveBeenCalledWith(apiKeyStreamName(record.id), undefined, expect.any(Array));
    expect((await store.read(apiKeyStreamName(record.id)))[0].metadata.hash).toBe('h');
  });
});

describe('applyApiKeyEvent (the rotor_api_keys projection)', () => {
  const created: ApiKeyEvent = {
    type: 'ApiKeyCreated',
    data: {
      id: 'ak_0123456789abcdef',
      tenantId: 'acme',
      scopes: ['endpoints:read'],
      name: 'ci',
      hashedKey: hashApiKey('rk_x'),
      createdAt: '2025-01-31T12:00:00.000Z',
    },
  };
  const revoked: ApiKeyEvent = {
    type: 'ApiKeyRevoked',
    data: { id: 'ak_0123456789abcdef', revokedAt: '2025-02-01T00:00:00.000Z' },
  };

  it('given nothing, when created, then an active view', () => {
    expect(applyApiKeyEvent(undefined, created)).toEqual({
      id: 'ak_0123456789abcdef',
      tenantId: 'acme',
      scopes: ['endpoints:read'],
      name: 'ci',
      hashedKey: hashApiKey('rk_x'),
      revoked: false,
    });
  });

  it('given a key, when revoked, then revoked for good, whatever is replayed', () => {
    const view = [created, revoked, created, revoked].reduce<
      ReturnType<typeof applyApiKeyEvent> | undefined
    >((v, e) => applyApiKeyEvent(v, e), undefined);
    expect(view?.revoked).toBe(true);
    expect(verifyPresentedKey('rk_x', view)).toBe(false);
  });

  it('is idempotent: applying the same event twice leaves the same view', () => {
    const once = applyApiKeyEvent(undefined, created);
    expect(applyApiKeyEvent(once, created)).toBe(once);
    const revokedOnce = applyApiKeyEvent(once, revoked);
    expect(applyApiKeyEvent(revokedOnce, revoked)).toBe(revokedOnce);
  });

  it('refuses a revocation of a key it never saw created', () => {
    expect(() => applyApiKeyEvent(undefined, revoked)).toThrow(TypeError);
  });

  it('leaves a view unchanged for unknown event types', () => {
    const view = applyApiKeyEvent(undefined, created);
    expect(applyApiKeyEvent(view, { type: 'ApiKeyRenamed', data: {} })).toBe(view);
  });
});

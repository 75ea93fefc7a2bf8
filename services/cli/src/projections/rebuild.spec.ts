import { API_KEYS_BUCKET, hashApiKey } from '@rotor/access';
import { chainEvents, GENESIS_HASH, type RecordedEvent } from '@rotor/event-store';
import { endpointIdOf, project } from '../../../projector/src/projection';
import {
  compareBucket,
  formatDifference,
  rebuildViews,
  rebuildViewsByStream,
  type RebuiltView,
} from './rebuild';

const A = 'we_0123456789abcdef0123456789abcdef';
const key = (n: number) => ({
  keyId: `key_01J${String(n).padStart(23, '0')}`,
  algorithm: 'hmac-sha256' as const,
  ciphertext: `c${n}`,
  kekId: 'kek-1',
  hint: `whsec_…000${n}`,
  fingerprint: `f${n}`,
  createdAt: `2025-01-01T00:0${n}:00.000Z`,
});

let position = 0;
const streamOf = (stream: string, events: { type: string; data: unknown }[]): RecordedEvent[] =>
  chainEvents(
    stream,
    0,
    GENESIS_HASH,
    events.map((event, n) => ({
      ...event,
      version: 1,
      metadata: { actor: 'a', requestId: 'r', occurredAt: `2025-01-01T00:0${n}:00.000Z` },
    })),
  ).map((event, revision) => ({
    ...event,
    stream,
    revision,
    position: String(++position),
    recordedAt: '2025-01-01T00:00:00.000Z',
  }));

const dataKey = streamOf(`rotorDataKey-${A}`, [
  { type: 'DataKeyCreated', data: { endpointId: A, kekId: 'kek-1', wrappedKey: 'w1' } },
  {
    type: 'DataKeyRewrapped',
    data: { endpointId: A, kekId: 'kek-2', previousKekId: 'kek-1', wrappedKey: 'w2' },
  },
]);
const endpoint = streamOf(`webhookEndpoint-${A}`, [
  {
    type: 'EndpointRegistered',
    data: { endpointId: A, tenantId: 'acme', url: 'https://a.example', key: key(1) },
  },
  {
    type: 'SecretRotated',
    data: {
      endpointId: A,
      key: key(2),
      previousKeyId: key(1).keyId,
      previousKeyExpiresAt: '2025-01-01T01:00:00.000Z',
      gracePeriodSeconds: 3600,
    },
  },
  {
    type: 'PreviousSecretExpired',
    data: {
      endpointId: A,
      keyId: key(1).keyId,
      expiredAt: '2025-01-01T00:30:00.000Z',
      reason: 'revoked',
    },
  },
]);
const apiKey = streamOf('rotorApiKey-ak_0123456789abcdef', [
  {
    type: 'ApiKeyCreated',
    data: {
      id: 'ak_0123456789abcdef',
      tenantId: 'acme',
      scopes: ['audit:read'],
      name: 'ci',
      hashedKey: hashApiKey('rk_x'),
      createdAt: '2025-01-01T00:00:00.000Z',
    },
  },
  {
    type: 'ApiKeyRevoked',
    data: { id: 'ak_0123456789abcdef', revokedAt: '2025-01-02T00:00:00.000Z' },
  },
]);
const feed = [dataKey[0], endpoint[0], endpoint[1], apiKey[0], dataKey[1], endpoint[2], apiKey[1]];

/**
 * The projector's way, event by event: read the current views from a store that keeps
 * only JSON (as a KV bucket does), project, write back what changed.
 */
const projectOneAtATime = (events: RecordedEvent[]) => {
  const endpoints = new Map<string, string>();
  const keyRings = new Map<string, string>();
  for (const event of events) {
    const id = endpointIdOf(event);
    if (id === undefined) continue;
    const read = (map: Map<string, string>) => (map.has(id) ? JSON.parse(map.get(id)!) : undefined);
    const change = project(event, { endpointView: read(endpoints), keyRing: read(keyRings) });
    if (change?.endpointView) endpoints.set(id, JSON.stringify(change.endpointView));
    if (change?.keyRing) keyRings.set(id, JSON.stringify(change.keyRing));
  }
  const parsed = (map: Map<string, string>) =>
    new Map([...map].map(([k, v]) => [k, JSON.parse(v)]));
  return { endpoints: parsed(endpoints), keyRings: parsed(keyRings) };
};

describe('rebuildViews', () => {
  it('given the feed in one pass, then the same views as projected one event at a time through JSON', async () => {
    const rebuilt = await rebuildViews(feed);
    const incremental = projectOneAtATime(feed);
    expect(compareBucket('rotor_endpoints', rebuilt.endpoints, incremental.endpoints)).toEqual([]);
    expect(compareBucket('rotor_key_ring', rebuilt.keyRings, incremental.keyRings)).toEqual([]);
    expect(rebuilt.keyRings.get(A)).toMatchObject({
      keys: [{ ciphertext: 'c2' }],
    });
    expect(rebuilt.endpoints.get(A)?.keys.map((k) => k.status)).toEqual(['current', 'expired']);
    expect(rebuilt.apiKeys.get(hashApiKey('rk_x'))).toMatchObject({
      id: 'ak_0123456789abcdef',
      revoked: true,
    });
    expect(rebuilt).toMatchObject({ events: 7, lastPosition: apiKey[1].position });
  });

  it('given the feed replayed twice, then the same views (the projection is idempotent)', async () => {
    const once = await rebuildViews(feed);
    const twice = await rebuildViews([...feed, ...feed]);
    expect(compareBucket('rotor_endpoints', once.endpoints, twice.endpoints)).toEqual([]);
    expect(compareBucket('rotor_key_ring', once.keyRings, twice.keyRings)).toEqual([]);
    expect(compareBucket(API_KEYS_BUCKET, once.apiKeys, twice.apiKeys)).toEqual([]);
  });
});

describe('rebuildViewsByStream', () => {
  it('given the same events stream by stream, then the same views, each handed out once and complete', async () => {
    const byStream = [...feed].sort((x, y) =>
      x.stream !== y.stream ? (x.stream < y.stream ? -1 : 1) : x.revision - y.revision,
    );
    const emitted: RebuiltView[] = [];
    const summary = await rebuildViewsByStream(byStream, (view) => emitted.push(view));
    const inMemory = await rebuildViews(feed);
    const bucket = (name: string) =>
      new Map(emitted.filter((view) => view.bucket === name).map((v) => [v.key, v.value]));
    expect(emitted).toHaveLength(3);
    expect(compareBucket('rotor_endpoints', bucket('rotor_endpoints'), inMemory.endpoints)).toEqual(
      [],
    );
    expect(compareBucket('rotor_key_ring', bucket('rotor_key_ring'), inMemory.keyRings)).toEqual(
      [],
    );
    expect(compareBucket(API_KEYS_BUCKET, bucket(API_KEYS_BUCKET), inMemory.apiKeys)).toEqual([]);
    expect(summary).toEqual({
      endpoints: 1,
      keyRings: 1,
      apiKeys: 1,
      events: inMemory.events,
      lastPosition: inMemory.lastPosition,
    });
  });
});

describe('compareBucket', () => {
  it('names what is missing, extra or different, whatever the order of fields', () => {
    const rebuilt = new Map<string, unknown>([
      ['a', { x: 1, y: [1, 2] }],
      ['b', { x: 2 }],
      ['c', { x: 3 }],
    ]);
    const live = new Map<string, unknown>([
      ['a', { y: [1, 2], x: 1 }],
      ['c', { x: 4 }],
      ['d', { x: 5 }],
    ]);
    const differences = compareBucket('rotor_endpoints', rebuilt, live);
    expect(differences.map(formatDifference)).toEqual([
      'DIFF rotor_endpoints b: missing',
      'DIFF rotor_endpoints c: different',
      'DIFF rotor_endpoints d: extra',
    ]);
  });
});

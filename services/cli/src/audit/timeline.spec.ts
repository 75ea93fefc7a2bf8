import type { SealedKey } from '@rotor/domain';
import type { RecordedEvent } from '@rotor/event-store';
import { CliError } from '../cli-error';
import {
  formatTimelineEntry,
  parseReplayFilter,
  ReplaySelector,
  toTimelineEntry,
  type TimelineEntry,
} from './timeline';

const A = 'we_0123456789abcdef0123456789abcdef';
const B = 'we_fedcba9876543210fedcba9876543210';
const KEY_1 = 'key_01JAAAAAAAAAAAAAAAAAAAAAAA';
const KEY_2 = 'key_01JBBBBBBBBBBBBBBBBBBBBBBB';
const sealed = (keyId: string, last4: string): SealedKey => ({
  keyId,
  algorithm: 'hmac-sha256',
  ciphertext: `CIPHERTEXT-${keyId}`,
  kekId: 'kek-1',
  hint: `whsec_…${last4}`,
  fingerprint: '0123456789abcdef',
  createdAt: '2025-01-01T00:00:00.000Z',
});

let position = 0;
const recorded = (
  endpointId: string,
  revision: number,
  type: string,
  data: unknown,
  occurredAt: string,
  version = 1,
): RecordedEvent => ({
  stream: `webhookEndpoint-${endpointId}`,
  revision,
  position: String(++position),
  type,
  version,
  data,
  metadata: {
    actor: 'ak_0123456789abcdef',
    requestId: 'req-1',
    occurredAt,
    prevHash: 'p',
    hash: 'h',
  },
  recordedAt: occurredAt,
});

const registered = (endpointId: string, tenantId: string, at = '2025-01-01T00:00:00.000Z') =>
  recorded(
    endpointId,
    0,
    'EndpointRegistered',
    { endpointId, tenantId, url: 'https://x.example', key: sealed(KEY_1, 'AAAA') },
    at,
  );
const rotated = recorded(
  A,
  1,
  'SecretRotated',
  {
    endpointId: A,
    key: sealed(KEY_2, 'BBBB'),
    previousKeyId: KEY_1,
    previousKeyExpiresAt: '2025-01-01T01:01:00.000Z',
    gracePeriodSeconds: 3600,
  },
  '2025-01-01T00:01:00.000Z',
);
const expired = recorded(
  A,
  2,
  'PreviousSecretExpired',
  {
    endpointId: A,
    keyId: KEY_1,
    expiredAt: '2025-01-01T00:02:00.000Z',
    reason: 'superseded',
  },
  '2025-01-01T00:02:00.000Z',
);
const deleted = recorded(A, 3, 'EndpointDeleted', { endpointId: A }, '2025-01-01T00:03:00.000Z');

describe('timeline entries', () => {
  it('given each event type, then who, what and when, in words, without key material', () => {
    const lines = [registered(A, 'acme'), rotated, expired, deleted].map((event) =>
      formatTimelineEntry(toTimelineEntry(event)),
    );
    expect(lines).toEqual([
      `2025-01-01T00:00:00.000Z  ${A} #0  ak_0123456789abcdef  registered for tenant acme, url https://x.example; key ${KEY_1} (whsec_…AAAA, fingerprint 0123456789abcdef)`,
      `2025-01-01T00:01:00.000Z  ${A} #1  ak_0123456789abcdef  rotated to key ${KEY_2} (whsec_…BBBB, fingerprint 0123456789abcdef); previous key ${KEY_1} valid until 2025-01-01T01:01:00.000Z (grace 3600 s)`,
      `2025-01-01T00:02:00.000Z  ${A} #2  ak_0123456789abcdef  previous key ${KEY_1} expired at 2025-01-01T00:02:00.000Z: superseded by a forced rotation`,
      `2025-01-01T00:03:00.000Z  ${A} #3  ak_0123456789abcdef  deleted; its keys were crypto-shredded`,
    ]);
  });

  it('given a switch to Ed25519 (v2), then the new key is named ed25519 by its public hint', () => {
    const PUBLIC_KEY = `whpk_${Buffer.alloc(32, 7).toString('base64')}`;
    const switched = recorded(
      A,
      1,
      'SecretRotated',
      {
        endpointId: A,
        key: {
          ...sealed(KEY_2, 'x'),
          algorithm: 'ed25519',
          hint: 'whpk_…cHA=',
          publicKey: PUBLIC_KEY,
        },
        previousKeyId: KEY_1,
        previousKeyExpiresAt: '2025-01-01T01:01:00.000Z',
        gracePeriodSeconds: 3600,
      },
      '2025-01-01T00:01:00.000Z',
      2,
    );
    const entry = toTimelineEntry(switched);
    expect(entry.key).toEqual({
      key_id: KEY_2,
      signing: 'ed25519',
      hint: 'whpk_…cHA=',
      fingerprint: '0123456789abcdef',
      origin: 'generated',
    });
    expect(formatTimelineEntry(entry)).toContain(
      `rotated to key ${KEY_2} (ed25519, whpk_…cHA=, fingerprint 0123456789abcdef)`,
    );
  });

  it('given an imported registration and an imported rotation (v3), then both keys read as imported, generated ones as before', () => {
    const imported = recorded(
      A,
      0,
      'EndpointRegistered',
      {
        endpointId: A,
        tenantId: 'acme',
        externalId: 'cust_42',
        key: { ...sealed(KEY_1, 'AAAA'), origin: 'imported' },
      },
      '2025-01-01T00:00:00.000Z',
      3,
    );
    const rotated = recorded(
      A,
      1,
      'SecretRotated',
      {
        endpointId: A,
        key: { ...sealed(KEY_2, 'BBBB'), origin: 'imported' },
        previousKeyId: KEY_1,
        previousKeyExpiresAt: '2025-01-01T01:01:00.000Z',
        gracePeriodSeconds: 3600,
      },
      '2025-01-01T00:01:00.000Z',
      3,
    );

    const [first, second] = [imported, rotated].map(toTimelineEntry);

    expect(first).toMatchObject({ external_id: 'cust_42', key: { origin: 'imported' } });
    expect(second.key?.origin).toBe('imported');
    expect(formatTimelineEntry(first)).toMatch(
      new RegExp(`external id "cust_42"; key ${KEY_1} \\(imported, whsec_…`),
    );
    expect(formatTimelineEntry(second)).toContain(`rotated to key ${KEY_2} (imported, whsec_…`);
  });

  it('given a registration under a rotation policy, then the policy is in the timeline; a scheduled rotation shows its actor', () => {
    const withPolicy = recorded(
      A,
      0,
      'EndpointRegistered',
      {
        endpointId: A,
        tenantId: 'acme',
        key: sealed(KEY_1, 'AAAA'),
        rotationPolicy: { everySeconds: 3600, graceSeconds: 600 },
      },
      '2025-01-01T00:00:00.000Z',
      2,
    );
    expect(formatTimelineEntry(toTimelineEntry(withPolicy))).toContain(
      '; rotated every 3600 s (grace 600 s)',
    );
    const scheduled = {
      ...rotated,
      metadata: { ...rotated.metadata, actor: 'rotor-scheduler' },
    };
    expect(formatTimelineEntry(toTimelineEntry(scheduled))).toMatch(
      /#1 {2}rotor-scheduler {2}rotated to key /,
    );
  });

  it('given an HMAC key marked due by the scheduler, then the timeline says so with its actor', () => {
    const markedDue = {
      ...recorded(
        A,
        1,
        'SecretRotationDue',
        { endpointId: A, keyId: KEY_1, dueAt: '2025-01-01T01:00:00.000Z' },
        '2025-01-01T01:00:01.000Z',
      ),
    };
    markedDue.metadata = { ...markedDue.metadata, actor: 'rotor-scheduler' };
    expect(formatTimelineEntry(toTimelineEntry(markedDue))).toBe(
      `2025-01-01T01:00:01.000Z  ${A} #1  rotor-scheduler  key ${KEY_1} due for rotation since 2025-01-01T01:00:00.000Z (HMAC: rotate it by hand)`,
    );
  });

  it('never carries a ciphertext or a KEK id, in text or JSON', () => {
    for (const event of [registered(A, 'acme'), rotated]) {
      const entry = toTimelineEntry(event);
      expect(JSON.stringify(entry) + formatTimelineEntry(entry)).not.toMatch(/CIPHERTEXT|kek-1/);
    }
  });

  it('reads old versions through the upcaster (SecretRotated v0)', () => {
    const old = recorded(
      A,
      1,
      'SecretRotated',
      {
        endpointId: A,
        key: { ...sealed(KEY_2, 'BBBB'), createdAt: '2025-01-01T00:00:00.000Z' },
        previousKeyId: KEY_1,
        expiresAt: '2025-01-01T00:10:00.000Z',
      },
      '2025-01-01T00:00:00.000Z',
      0,
    );
    expect(toTimelineEntry(old)).toMatchObject<Partial<TimelineEntry>>({
      what: 'rotated',
      version: 0,
      previous_key_expires_at: '2025-01-01T00:10:00.000Z',
      grace_period_seconds: 600,
    });
  });

  it('shows an event this version cannot read without its data', () => {
    const future = recorded(
      A,
      4,
      'EndpointRenamed',
      { secretish: 'CIPHERTEXT-x' },
      '2025-01-02T00:00:00.000Z',
    );
    const entry = toTimelineEntry(future);
    expect(entry.what).toBe('unreadable');
    expect(formatTimelineEntry(entry)).toMatch(
      /EndpointRenamed v1, which this version cannot read \(data not shown\)$/,
    );
    expect(JSON.stringify(entry)).not.toContain('CIPHERTEXT');
  });
});

describe('ReplaySelector', () => {
  const feed = [
    registered(A, 'acme'),
    registered(B, 'globex', '2025-01-01T00:00:30.000Z'),
    rotated,
    recorded(B, 1, 'EndpointDeleted', { endpointId: B }, '2025-01-01T00:01:30.000Z'),
    expired,
    { ...registered(A, 'x'), stream: 'rotorDataKey-we_x' },
  ];
  const select = (filter: Parameters<typeof parseReplayFilter>[0]) => {
    const selector = new ReplaySelector(parseReplayFilter(filter));
    return feed.flatMap((event) => {
      const entry = selector.select(event);
      return entry ? [`${entry.endpoint_id === A ? 'A' : 'B'}${entry.revision}`] : [];
    });
  };

  it('keeps endpoint events only, in feed order', () => {
    expect(select({})).toEqual(['A0', 'B0', 'A1', 'B1', 'A2']);
  });

  it('filters by tenant (learnt from the registrations as they stream), endpoint and time', () => {
    expect(select({ tenant: 'globex' })).toEqual(['B0', 'B1']);
    expect(select({ endpoint: A })).toEqual(['A0', 'A1', 'A2']);
    expect(select({ since: '2025-01-01T00:01:00Z' })).toEqual(['A1', 'B1', 'A2']);
    expect(select({ tenant: 'acme', since: '2025-01-01T00:01:00+00:00' })).toEqual(['A1', 'A2']);
    expect(select({ since: '2025-01-02' })).toEqual([]);
  });

  it.each([
    [{ since: 'yesterday' }, /--since/],
    [{ since: '2025-01-01T00:00:00' }, /--since/],
    [{ endpoint: 'we_nope' }, /--endpoint/],
    [{ tenant: 'Not A Tenant' }, /--tenant/],
  ])('refuses %j as a usage error (exit 2)', (options, message) => {
    expect(() => parseReplayFilter(options)).toThrow(message);
    expect(() => parseReplayFilter(options)).toThrow(CliError);
    try {
      parseReplayFilter(options);
    } catch (error) {
      expect((error as CliError).exitCode).toBe(2);
    }
  });
});

import { fingerprintOf } from '@rotor/crypto';
import type { RecordedEvent } from '@rotor/event-store';
import type { Operation } from './rest-load';
import { checkStore, newestKeyIdOf, overdueGracePeriods } from './store-invariants';

/** The fault tier's checker must itself be right: what it finds in hand-made stores. */
const ENDPOINT = 'we_00000000000000000000000000000001';
const STREAM = `webhookEndpoint-${ENDPOINT}`;
const KEY_A = '11111111-1111-4111-8111-111111111111';
const KEY_B = '22222222-2222-4222-8222-222222222222';
const SECRET_0 = 'whsec_c2VjcmV0LXplcm8tc2VjcmV0LXplcm8tc2VjcmV0LXplcm8h';
const SECRET_1 = 'whsec_c2VjcmV0LW9uZS1zZWNyZXQtb25lLXNlY3JldC1vbmUtc2VjcmV0';

let position = 0;
const event = (
  type: string,
  revision: number,
  data: Record<string, unknown>,
  idempotencyKey?: string,
  stream = STREAM,
): RecordedEvent => ({
  stream,
  revision,
  position: String(++position),
  type,
  version: 1,
  data,
  metadata: {
    actor: 'ak_1',
    requestId: 'r',
    occurredAt: '2026-01-01T00:00:00Z',
    prevHash: '',
    hash: '',
    ...(idempotencyKey ? { idempotencyKey } : {}),
  },
  recordedAt: '2026-01-01T00:00:00Z',
});
const key = (keyId: string, secret: string) => ({ keyId, fingerprint: fingerprintOf(secret) });
const registered = (revision = 0, idempotencyKey = KEY_A) =>
  event('EndpointRegistered', revision, { key: key('key_0', SECRET_0) }, idempotencyKey);
const rotated = (revision: number, keyId = 'key_1', idempotencyKey = KEY_B, secret = SECRET_1) =>
  event(
    'SecretRotated',
    revision,
    {
      key: key(keyId, secret),
      previousKeyId: 'key_0',
      previousKeyExpiresAt: '2026-01-01T00:00:02Z',
    },
    idempotencyKey,
  );

const operation = (
  kind: 'register' | 'rotate',
  idempotencyKey: string,
  body: Record<string, unknown> | undefined,
  status = 200,
): Operation => ({
  client: 0,
  kind,
  idempotencyKey,
  path: '/',
  body: {},
  endpointId: ENDPOINT,
  attempts: [{ outcome: status, at: 1 }],
  final: body === undefined ? undefined : { status, body, replayed: false, at: 1 },
  startedAt: 0,
});
const registration = operation('register', KEY_A, {
  id: ENDPOINT,
  key_id: 'key_0',
  secret: SECRET_0,
});
const rotation = operation('rotate', KEY_B, { key_id: 'key_1', secret: SECRET_1 });

describe('checkStore', () => {
  it('finds nothing when every answer is stored once, with its key and fingerprint', () => {
    const report = checkStore([registered(), rotated(1)], [registration, rotation]);
    expect(report).toMatchObject({
      operations: 2,
      acknowledged: 2,
      unanswered: 0,
      lost: [],
      duplicated: [],
      untraceable: [],
      fingerprintMismatches: [],
      revisionGaps: [],
      executedUnacknowledged: 0,
    });
  });

  it('counts a key executed twice, whichever execution was answered', () => {
    const report = checkStore(
      [registered(), rotated(1, 'key_1'), rotated(2, 'key_2', KEY_B, SECRET_0)],
      [registration, rotation],
    );
    expect(report.duplicated).toEqual([
      { kind: 'rotate', idempotencyKey: KEY_B, executions: 2, acknowledged: true },
    ]);
    expect(report.lost).toEqual([]);
  });

  it('finds an acknowledged write whose key is not stored', () => {
    expect(checkStore([registered()], [registration, rotation]).lost).toEqual([
      `rotate ${KEY_B} (${ENDPOINT}, key_1)`,
    ]);
  });

  it('finds an answer whose secret is not the stored one', () => {
    const report = checkStore(
      [registered(), rotated(1, 'key_1', KEY_B, SECRET_0)],
      [registration, rotation],
    );
    expect(report.fingerprintMismatches).toEqual([`rotate ${KEY_B} (${ENDPOINT}, key_1)`]);
  });

  it('finds a stored write that does not carry its Idempotency-Key', () => {
    const report = checkStore(
      [registered(), rotated(1, 'key_1', 'other')],
      [registration, rotation],
    );
    expect(report.untraceable).toEqual([`rotate ${KEY_B} (${ENDPOINT}, key_1)`]);
  });

  it('finds a gap in a stream, and an execution nobody was answered', () => {
    const report = checkStore(
      [registered(), rotated(2)],
      [registration, operation('rotate', KEY_B, undefined)],
    );
    expect(report.revisionGaps).toEqual([`${STREAM}: revision 2 at index 1`]);
    expect(report).toMatchObject({ unanswered: 1, executedUnacknowledged: 1, acknowledged: 1 });
  });
});

describe('overdueGracePeriods', () => {
  const due = Date.parse('2026-01-01T00:00:02Z');

  it('lists a grace period still open past its end plus the slack, only then', () => {
    const events = [registered(), rotated(1)];
    expect(overdueGracePeriods(events, due + 1_000, 5_000)).toEqual([]);
    expect(overdueGracePeriods(events, due + 6_000, 5_000)).toEqual([`${STREAM} key_0`]);
  });

  it('closes it with the expiry of that key', () => {
    const events = [
      registered(),
      rotated(1),
      event('PreviousSecretExpired', 2, { keyId: 'key_0', reason: 'grace_period_elapsed' }),
    ];
    expect(overdueGracePeriods(events, due + 60_000, 5_000)).toEqual([]);
  });
});

describe('newestKeyIdOf', () => {
  it('is the key of the last registration or rotation', () => {
    expect(newestKeyIdOf([registered(), rotated(1, 'key_7')])).toBe('key_7');
    expect(newestKeyIdOf([])).toBeUndefined();
  });
});

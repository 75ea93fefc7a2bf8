import type { EndpointEvent } from '@rotor/domain';
import { applyToEndpointView, effectiveKeyStatus } from './endpoint-view';
import { applyToKeyRing, emptyKeyRing } from './key-ring-view';
import type { EndpointView } from './views';

const ID = 'we_550e8400e29b41d4a716446655440000';
const sealed = (n: number, createdAt: string) => ({
  keyId: `key_01J${String(n).padStart(23, '0')}`,
  algorithm: 'hmac-sha256' as const,
  ciphertext: `c${n}`,
  kekId: 'kek',
  hint: `whsec_…000${n}`,
  fingerprint: `f${n}`,
  createdAt,
});
const history: EndpointEvent[] = [
  {
    type: 'EndpointRegistered',
    data: {
      endpointId: ID,
      tenantId: 'acme',
      url: 'https://x.test',
      key: sealed(1, '2026-01-01T00:00:00.000Z'),
    },
  },
  {
    type: 'SecretRotated',
    data: {
      endpointId: ID,
      key: sealed(2, '2026-01-01T00:01:00.000Z'),
      previousKeyId: sealed(1, '').keyId,
      previousKeyExpiresAt: '2026-01-01T01:01:00.000Z',
      gracePeriodSeconds: 3600,
    },
  },
  {
    type: 'PreviousSecretExpired',
    data: {
      endpointId: ID,
      keyId: sealed(1, '').keyId,
      expiredAt: '2026-01-01T00:02:00.000Z',
      reason: 'revoked',
    },
  },
];
const at = (revision: number) => ({ revision, occurredAt: `2026-01-01T00:0${revision}:00.000Z` });

const project = (events: EndpointEvent[], revisions: number[]) =>
  events.reduce<EndpointView | undefined>(
    (view, e, i) => applyToEndpointView(view, e, at(revisions[i])),
    undefined,
  );

describe('endpoint view', () => {
  it('given a rotation and a revoke, then it lists both keys newest first with their statuses', () => {
    const view = project(history, [0, 1, 2])!;
    expect(view.keys.map((k) => [k.keyId.slice(-1), k.status, k.expiryReason])).toEqual([
      ['2', 'current', undefined],
      ['1', 'expired', 'revoked'],
    ]);
    expect(view).toMatchObject({
      id: ID,
      tenantId: 'acme',
      status: 'active',
      version: 2,
      createdAt: at(0).occurredAt,
    });
  });

  it('given the same events replayed twice, then the view is the same', () => {
    const once = project(history, [0, 1, 2]);
    const twice = project([...history, ...history], [0, 1, 2, 0, 1, 2]);
    expect(twice).toEqual(once);
  });

  it('shows a previous key past its grace period as expired before the scheduler says so', () => {
    const view = project(history.slice(0, 2), [0, 1])!;
    const previous = view.keys[1];
    expect(effectiveKeyStatus(previous, new Date('2026-01-01T01:00:59.999Z'))).toBe('previous');
    expect(effectiveKeyStatus(previous, new Date('2026-01-01T01:01:00.000Z'))).toBe('expired');
  });

  it('given a deletion, then every key is expired and the endpoint is deleted', () => {
    const view = project(
      [...history.slice(0, 2), { type: 'EndpointDeleted', data: { endpointId: ID } }],
      [0, 1, 2],
    )!;
    expect(view.status).toBe('deleted');
    expect(view.keys.every((k) => k.status === 'expired')).toBe(true);
  });
});

describe('key ring view', () => {
  const build = (events: EndpointEvent[]) =>
    events.reduce((d, e, i) => applyToKeyRing(d, e, i), emptyKeyRing(ID));

  it('holds no key until the registration, then its tenant and first key', () => {
    expect(emptyKeyRing(ID).keys).toEqual([]);
    expect(build(history.slice(0, 1))).toMatchObject({
      tenantId: 'acme',
      keys: [{ ciphertext: 'c1' }],
    });
  });

  // Which of these keys may sign at a given instant is the signer's rule (key-ring.spec.ts).
  it('keeps the previous key with its expiry during an overlap', () => {
    const draft = build(history.slice(0, 2));
    expect(draft.keys.map((k) => k.ciphertext)).toEqual(['c2', 'c1']);
    expect(draft.keys[1].expiresAt).toBe('2026-01-01T01:01:00.000Z');
  });

  it('drops an expired key, ignores replays, and empties a deleted endpoint', () => {
    const draft = build(history);
    expect(draft.keys.map((k) => k.ciphertext)).toEqual(['c2']);
    expect(applyToKeyRing(draft, history[0], 0)).toBe(draft);
    expect(
      applyToKeyRing(draft, { type: 'EndpointDeleted', data: { endpointId: ID } }, 3),
    ).toMatchObject({ deleted: true, keys: [] });
  });
});

describe('key ring view after a deletion (crypto-shredding)', () => {
  it('never holds a wrapped data key, not even before the deletion', () => {
    const id = 'we_550e8400e29b41d4a716446655440000';
    const registeredDraft = applyToKeyRing(
      emptyKeyRing(id),
      {
        type: 'EndpointRegistered',
        data: {
          endpointId: id,
          tenantId: 'acme',
          key: {
            keyId: 'key_01J00000000000000000000001',
            algorithm: 'hmac-sha256',
            ciphertext: 'c',
            kekId: 'k',
            hint: 'h',
            fingerprint: 'f',
            createdAt: '2026-01-01T00:00:00.000Z',
          },
        },
      },
      0,
    );
    const deleted = applyToKeyRing(
      registeredDraft,
      { type: 'EndpointDeleted', data: { endpointId: id } },
      1,
    );
    for (const draft of [registeredDraft, deleted])
      expect(JSON.stringify(draft)).not.toMatch(/wrappedKey|dataKey/);
    expect(deleted).toMatchObject({ deleted: true, keys: [] });
  });
});

describe('Ed25519 keys in the views', () => {
  const edKey = {
    ...sealed(3, '2026-01-01T00:02:00.000Z'),
    algorithm: 'ed25519' as const,
    hint: 'whpk_…AAA=',
    publicKey: `whpk_${Buffer.alloc(32).toString('base64')}`,
  };
  const switched: EndpointEvent = {
    type: 'SecretRotated',
    data: {
      endpointId: ID,
      key: edKey,
      previousKeyId: sealed(2, '').keyId,
      previousKeyExpiresAt: '2026-01-01T01:02:00.000Z',
      gracePeriodSeconds: 3600,
    },
  };

  it("given a switch to Ed25519, then the endpoint view shows each key's scheme and the public key", () => {
    const view = [history[0], history[1], switched].reduce<EndpointView | undefined>(
      (v, e, revision) => applyToEndpointView(v, e, { revision, occurredAt: 't' }),
      undefined,
    )!;
    expect(view.keys.map((k) => [k.signing, k.publicKey])).toEqual([
      ['ed25519', edKey.publicKey],
      ['hmac-sha256', undefined],
      ['hmac-sha256', undefined],
    ]);
  });

  it('given a switch to Ed25519, then the key ring tells the signer how each key signs', () => {
    const ring = [history[0], history[1], switched].reduce(
      (d, e, revision) => applyToKeyRing(d, e, revision),
      emptyKeyRing(ID),
    );
    expect(ring.keys.map((k) => k.algorithm)).toEqual(['ed25519', 'hmac-sha256', 'hmac-sha256']);
    expect(JSON.stringify(ring)).not.toContain('whpk_');
  });
});

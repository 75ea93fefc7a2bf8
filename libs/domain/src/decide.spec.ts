import {
  ENDPOINT,
  T0,
  TENANT,
  at,
  edKey,
  expired,
  given,
  key,
  registered,
  rotated,
} from '../test/given-when-then';
import type { EndpointCommand } from './commands';
import type { EndpointEvent } from './events';
import { DEFAULT_SIGNING_SCHEME, type SealedKey } from './key';
import { fold, signingSchemeFor } from './state';

const rotate = (
  n: number,
  now: Date,
  options: { expireCurrentIn?: number; force?: boolean } = {},
): EndpointCommand => ({
  type: 'RotateSecret',
  data: { endpointId: ENDPOINT, key: key(n, now), ...options },
  now,
});
const revoke = (now: Date): EndpointCommand => ({
  type: 'RevokePreviousSecret',
  data: { endpointId: ENDPOINT },
  now,
});
const expire = (keyId: string, now: Date): EndpointCommand => ({
  type: 'ExpirePreviousSecret',
  data: { endpointId: ENDPOINT, keyId },
  now,
});
const remove = (now: Date): EndpointCommand => ({
  type: 'DeleteEndpoint',
  data: { endpointId: ENDPOINT },
  now,
});

describe('RegisterEndpoint', () => {
  const register = (overrides: Partial<{ endpointId: string; tenantId: string }> = {}) =>
    ({
      type: 'RegisterEndpoint',
      data: {
        endpointId: ENDPOINT,
        tenantId: TENANT,
        url: 'https://example.com/hook',
        key: key(1),
        ...overrides,
      },
      now: T0,
    }) as EndpointCommand;

  it('given nothing, when registering, then the endpoint is registered with its first key', () => {
    given().when(register()).then(registered());
  });

  it('given a registered endpoint, when registering it again, then endpoint_already_exists', () => {
    given(registered()).when(register()).thenFails('endpoint_already_exists');
  });

  it('given a deleted endpoint, when registering the same id, then endpoint_already_exists', () => {
    given(registered(), { type: 'EndpointDeleted', data: { endpointId: ENDPOINT } })
      .when(register())
      .thenFails('endpoint_already_exists');
  });

  it('rejects a malformed endpoint id', () => {
    given()
      .when(register({ endpointId: 'we_NOT-HEX' }))
      .thenFails('invalid_command', 'endpointId');
  });

  it('rejects a malformed tenant id', () => {
    given()
      .when(register({ tenantId: 'Not A Tenant' }))
      .thenFails('invalid_command', 'tenantId');
  });

  it('rejects a key with a malformed id', () => {
    const command = register();
    const bad = { ...command, data: { ...command.data, key: { ...key(1), keyId: 'k1' } } };
    given()
      .when(bad as EndpointCommand)
      .thenFails('invalid_command', 'key');
  });
});

describe('RotateSecret', () => {
  const k1 = key(1).keyId;
  const k2 = key(2).keyId;

  it('given an endpoint, when rotating with no grace period given, then the old key stays valid for 3600 s', () => {
    given(registered())
      .when(rotate(2, at(10)))
      .then(rotated(key(2, at(10)), k1, at(10 + 3600), 3600));
  });

  it('given an endpoint, when rotating with a 2 s grace, then the old key expires 2 s later', () => {
    given(registered())
      .when(rotate(2, at(10), { expireCurrentIn: 2 }))
      .then(rotated(key(2, at(10)), k1, at(12), 2));
  });

  it('given an endpoint, when rotating with grace 0, then the old key expires in the same append', () => {
    given(registered())
      .when(rotate(2, at(10), { expireCurrentIn: 0 }))
      .then(rotated(key(2, at(10)), k1, at(10), 0), expired(k1, at(10), 'grace_period_elapsed'));
  });

  it.each([-1, 86401, 1.5, Number.NaN])('rejects a grace period of %p', (grace) => {
    given(registered())
      .when(rotate(2, at(10), { expireCurrentIn: grace }))
      .thenFails('invalid_grace_period', 'expireCurrentIn');
  });

  it('accepts the upper bound of 86400 s', () => {
    given(registered())
      .when(rotate(2, at(10), { expireCurrentIn: 86400 }))
      .then(rotated(key(2, at(10)), k1, at(10 + 86400), 86400));
  });

  it('given an open overlap, when rotating, then rotation_in_progress', () => {
    given(registered(), rotated(key(2, at(10)), k1, at(100), 90))
      .when(rotate(3, at(50)))
      .thenFails('rotation_in_progress');
  });

  it('given an open overlap, when rotating with force, then the older key is superseded first', () => {
    given(registered(), rotated(key(2, at(10)), k1, at(100), 90))
      .when(rotate(3, at(50), { force: true, expireCurrentIn: 60 }))
      .then(expired(k1, at(50), 'superseded'), rotated(key(3, at(50)), k2, at(110), 60));
  });

  it('given an overlap whose grace ended but was not recorded, when rotating, then its expiry is recorded first', () => {
    given(registered(), rotated(key(2, at(10)), k1, at(100), 90))
      .when(rotate(3, at(100), { expireCurrentIn: 60 }))
      .then(
        expired(k1, at(100), 'grace_period_elapsed'),
        rotated(key(3, at(100)), k2, at(160), 60),
      );
  });

  it('given a closed overlap, when rotating, then it rotates', () => {
    given(registered(), rotated(key(2, at(10)), k1, at(100), 90), expired(k1, at(20), 'revoked'))
      .when(rotate(3, at(30), { expireCurrentIn: 5 }))
      .then(rotated(key(3, at(30)), k2, at(35), 5));
  });

  it('refuses to reuse a key id the endpoint already had', () => {
    given(
      registered(),
      rotated(key(2, at(10)), k1, at(10), 0),
      expired(k1, at(10), 'grace_period_elapsed'),
    )
      .when(rotate(1, at(20)))
      .thenFails('duplicate_key_id');
  });

  it('given no endpoint, when rotating, then endpoint_not_found', () => {
    given()
      .when(rotate(2, at(10)))
      .thenFails('endpoint_not_found');
  });
});

describe('RevokePreviousSecret', () => {
  const k1 = key(1).keyId;

  it('given an open overlap, when revoking, then the previous key expires now', () => {
    given(registered(), rotated(key(2, at(10)), k1, at(100), 90))
      .when(revoke(at(20)))
      .then(expired(k1, at(20), 'revoked'));
  });

  it('given no overlap, when revoking, then nothing happens (a retried revoke is harmless)', () => {
    given(registered())
      .when(revoke(at(20)))
      .then();
  });

  it('given an overlap past its end, when revoking, then the elapsed grace is recorded', () => {
    given(registered(), rotated(key(2, at(10)), k1, at(100), 90))
      .when(revoke(at(200)))
      .then(expired(k1, at(100), 'grace_period_elapsed'));
  });

  it('given a deleted endpoint, when revoking, then endpoint_not_found', () => {
    given(registered(), { type: 'EndpointDeleted', data: { endpointId: ENDPOINT } })
      .when(revoke(at(20)))
      .thenFails('endpoint_not_found');
  });
});

describe('ExpirePreviousSecret', () => {
  const k1 = key(1).keyId;

  it('given an open overlap that is due, when expiring, then the key expires at its scheduled time', () => {
    given(registered(), rotated(key(2, at(10)), k1, at(100), 90))
      .when(expire(k1, at(100.4)))
      .then(expired(k1, at(100), 'grace_period_elapsed'));
  });

  it('given an overlap that is not yet due, when expiring, then expiry_not_due', () => {
    given(registered(), rotated(key(2, at(10)), k1, at(100), 90))
      .when(expire(k1, at(99)))
      .thenFails('expiry_not_due');
  });

  it('given a key already expired, when expiring it again, then nothing happens', () => {
    given(
      registered(),
      rotated(key(2, at(10)), k1, at(100), 90),
      expired(k1, at(100), 'grace_period_elapsed'),
    )
      .when(expire(k1, at(101)))
      .then();
  });

  it('given a revoked key, when the scheduler expires it late, then nothing happens', () => {
    given(registered(), rotated(key(2, at(10)), k1, at(100), 90), expired(k1, at(20), 'revoked'))
      .when(expire(k1, at(100)))
      .then();
  });
});

describe('DeleteEndpoint', () => {
  it('given an endpoint, when deleting, then it is deleted', () => {
    given(registered())
      .when(remove(at(5)))
      .then({ type: 'EndpointDeleted', data: { endpointId: ENDPOINT } });
  });

  it('given a deleted endpoint, when sending any command, then endpoint_not_found', () => {
    const deleted = [
      registered(),
      { type: 'EndpointDeleted', data: { endpointId: ENDPOINT } },
    ] as const;
    given(...deleted)
      .when(remove(at(6)))
      .thenFails('endpoint_not_found');
    given(...deleted)
      .when(rotate(2, at(6)))
      .thenFails('endpoint_not_found');
    given(...deleted)
      .when(expire(key(1).keyId, at(6)))
      .thenFails('endpoint_not_found');
  });
});

describe('signing schemes (Ed25519 beside HMAC)', () => {
  const register = (k: SealedKey): EndpointCommand => ({
    type: 'RegisterEndpoint',
    data: { endpointId: ENDPOINT, tenantId: TENANT, url: 'https://example.com/hook', key: k },
    now: T0,
  });
  const rotateTo = (k: SealedKey, now: Date, options: { expireCurrentIn?: number } = {}) =>
    ({
      type: 'RotateSecret',
      data: { endpointId: ENDPOINT, key: k, ...options },
      now,
    }) as EndpointCommand;

  it('given nothing, when registering with an Ed25519 key, then the endpoint signs with it', () => {
    given()
      .when(register(edKey(1)))
      .then(registered(edKey(1)));
  });

  it('given an Ed25519 key without its public key, when registering, then invalid_command on key', () => {
    const { publicKey: _missing, ...noPublicKey } = edKey(1);
    given().when(register(noPublicKey)).thenFails('invalid_command', 'key');
  });

  it('given an HMAC key carrying a public key, when registering, then invalid_command on key', () => {
    given()
      .when(register({ ...key(1), publicKey: edKey(1).publicKey! }))
      .thenFails('invalid_command', 'key');
  });

  it('given an unknown scheme, when registering, then invalid_command on key', () => {
    given()
      .when(register({ ...key(1), algorithm: 'rsa' as never }))
      .thenFails('invalid_command', 'key');
  });

  it.each([
    ['Ed25519 to Ed25519', edKey(1), edKey(2, at(60))],
    ['HMAC to Ed25519', key(1), edKey(2, at(60))],
    ['Ed25519 to HMAC', edKey(1), key(2, at(60))],
  ])('given an endpoint, when rotating %s, then the same overlap rules apply', (_, from, to) => {
    given(registered(from))
      .when(rotateTo(to, at(60), { expireCurrentIn: 600 }))
      .then(rotated(to, from.keyId, at(660), 600));
    given(registered(from), rotated(to, from.keyId, at(660), 600))
      .when(rotateTo({ ...to, keyId: key(3).keyId }, at(120)))
      .thenFails('rotation_in_progress');
  });

  it('given a registered endpoint, then a rotation keeps its scheme unless another is asked for', () => {
    expect(signingSchemeFor(fold([registered(edKey(1))]), undefined)).toBe('ed25519');
    expect(signingSchemeFor(fold([registered(edKey(1))]), 'hmac-sha256')).toBe('hmac-sha256');
    expect(
      signingSchemeFor(
        fold([registered(key(1)), rotated(edKey(2, at(1)), key(1).keyId, at(61), 60)]),
        undefined,
      ),
    ).toBe('ed25519');
    expect(signingSchemeFor(fold([]), undefined)).toBe(DEFAULT_SIGNING_SCHEME);
  });
});

describe('rotation policy and scheduled rotation', () => {
  const POLICY = { everySeconds: 3600, graceSeconds: 600 };
  const registeredWith = (k: SealedKey, rotationPolicy = POLICY): EndpointEvent => ({
    type: 'EndpointRegistered',
    data: {
      endpointId: ENDPOINT,
      tenantId: TENANT,
      url: 'https://example.com/hook',
      key: k,
      rotationPolicy,
    },
  });
  const registerWith = (rotationPolicy: { everySeconds: number; graceSeconds: number }) =>
    ({
      type: 'RegisterEndpoint',
      data: {
        endpointId: ENDPOINT,
        tenantId: TENANT,
        url: 'https://example.com/hook',
        key: edKey(1),
        rotationPolicy,
      },
      now: T0,
    }) as EndpointCommand;
  const scheduled = (k: SealedKey, scheduledKeyId: string, now: Date) =>
    ({
      type: 'RotateSecret',
      data: { endpointId: ENDPOINT, key: k, scheduledKeyId, expireCurrentIn: 5, force: true },
      now,
    }) as EndpointCommand;

  it('given nothing, when registering with a policy, then the policy is recorded', () => {
    given()
      .when(registerWith(POLICY))
      .then(registeredWith(edKey(1)));
  });

  it.each([
    ['every under 60 s', { everySeconds: 59, graceSeconds: 0 }, 'rotationPolicy.everySeconds'],
    [
      'every not an integer',
      { everySeconds: 60.5, graceSeconds: 0 },
      'rotationPolicy.everySeconds',
    ],
    [
      'grace over 86400 s',
      { everySeconds: 200_000, graceSeconds: 86_401 },
      'rotationPolicy.graceSeconds',
    ],
    [
      'grace not shorter than every',
      { everySeconds: 600, graceSeconds: 600 },
      'rotationPolicy.graceSeconds',
    ],
  ])(
    'given a policy with %s, when registering, then invalid_rotation_policy',
    (_, policy, param) => {
      given().when(registerWith(policy)).thenFails('invalid_rotation_policy', param);
    },
  );

  it('given an Ed25519 endpoint with a policy, when the scheduler rotates at the due time, then it rotates with the policy grace (never forced)', () => {
    given(registeredWith(edKey(1)))
      .when(scheduled(edKey(2, at(3600)), edKey(1).keyId, at(3600)))
      .then(rotated(edKey(2, at(3600)), edKey(1).keyId, at(4200), 600));
  });

  it('given an Ed25519 endpoint with a policy, when the scheduler rotates a second early, then rotation_not_due', () => {
    given(registeredWith(edKey(1)))
      .when(scheduled(edKey(2, at(3599)), edKey(1).keyId, at(3599)))
      .thenFails('rotation_not_due');
  });

  it('given the period already rotated, when the scheduler sends it again, then rotation_not_due (once per period)', () => {
    given(
      registeredWith(edKey(1)),
      rotated(edKey(2, at(3600)), edKey(1).keyId, at(4200), 600),
      expired(edKey(1).keyId, at(4200), 'grace_period_elapsed'),
    )
      .when(scheduled(edKey(3, at(5000)), edKey(1).keyId, at(5000)))
      .thenFails('rotation_not_due');
  });

  it('given a manual rotation since, then the next period counts from the new key', () => {
    const history = [
      registeredWith(edKey(1)),
      rotated(edKey(2, at(1000)), edKey(1).keyId, at(1060), 60),
      expired(edKey(1).keyId, at(1060), 'grace_period_elapsed'),
    ];
    given(...history)
      .when(scheduled(edKey(3, at(3600)), edKey(2).keyId, at(3600)))
      .thenFails('rotation_not_due');
    given(...history)
      .when(scheduled(edKey(3, at(4600)), edKey(2).keyId, at(4600)))
      .then(rotated(edKey(3, at(4600)), edKey(2).keyId, at(5200), 600));
  });

  it('given an HMAC endpoint with a policy, when the scheduler rotates, then refused: HMAC is only marked due', () => {
    given(registeredWith(key(1)))
      .when(scheduled(key(2, at(3600)), key(1).keyId, at(3600)))
      .thenFails('invalid_command', 'scheduledKeyId');
  });

  const markDue = (keyId: string, now: Date) =>
    ({ type: 'MarkRotationDue', data: { endpointId: ENDPOINT, keyId }, now }) as EndpointCommand;
  const due = (keyId: string, dueAt: Date): EndpointEvent => ({
    type: 'SecretRotationDue',
    data: { endpointId: ENDPOINT, keyId, dueAt: dueAt.toISOString() },
  });

  it('given an HMAC endpoint with a policy, when its period ends, then the scheduler marks it due, once', () => {
    given(registeredWith(key(1)))
      .when(markDue(key(1).keyId, at(3700)))
      .then(due(key(1).keyId, at(3600)));
    given(registeredWith(key(1)), due(key(1).keyId, at(3600)))
      .when(markDue(key(1).keyId, at(3800)))
      .then();
  });

  it('given an HMAC endpoint with a policy, when marked early, then rotation_not_due; for a key rotated since, nothing', () => {
    given(registeredWith(key(1)))
      .when(markDue(key(1).keyId, at(3599)))
      .thenFails('rotation_not_due');
    given(registeredWith(key(1)), rotated(key(2, at(100)), key(1).keyId, at(200), 100))
      .when(markDue(key(1).keyId, at(3700)))
      .then();
  });

  it('given an Ed25519 endpoint, when marked due, then refused: it is rotated instead', () => {
    given(registeredWith(edKey(1)))
      .when(markDue(edKey(1).keyId, at(3700)))
      .thenFails('invalid_command', 'keyId');
  });

  it('given an endpoint without a policy, when the scheduler rotates, then refused', () => {
    given(registered(edKey(1)))
      .when(scheduled(edKey(2, at(3600)), edKey(1).keyId, at(3600)))
      .thenFails('invalid_command', 'scheduledKeyId');
  });
});

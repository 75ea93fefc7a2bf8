import { randomBytes } from 'node:crypto';
import { DecryptionError } from './envelope';
import { openSecret, sealSecret } from './key-sealing';
import { InvalidSecretError, fingerprintOf, generateSecret, hintOf } from './secrets';

const ENDPOINT = 'we_550e8400e29b41d4a716446655440000';
const KEY_ID = 'key_01JAAAAAAAAAAAAAAAAAAAAAAA';
const CREATED = new Date('2026-01-01T00:00:00.000Z');
const dataKey = randomBytes(32);

const sealed = (secret: string) =>
  sealSecret({
    endpointId: ENDPOINT,
    keyId: KEY_ID,
    secret,
    dataKey,
    kekId: 'kek-1',
    createdAt: CREATED,
  });

describe('sealSecret', () => {
  it('given a secret, when sealed, then the key describes it without containing it', () => {
    const secret = generateSecret();

    const key = sealed(secret);

    expect(key).toEqual({
      keyId: KEY_ID,
      algorithm: 'hmac-sha256',
      ciphertext: expect.any(String),
      kekId: 'kek-1',
      hint: hintOf(secret),
      fingerprint: fingerprintOf(secret),
      createdAt: '2026-01-01T00:00:00.000Z',
      origin: 'generated',
    });
    expect(JSON.stringify(key)).not.toContain(secret.slice(6, 30));
  });

  it('given a malformed secret, when sealed, then refuses it', () => {
    expect(() => sealed('whsec_short')).toThrow(InvalidSecretError);
  });
});

describe('openSecret', () => {
  it('given a sealed key, when opened with its endpoint and data key, then gives the secret', () => {
    const secret = generateSecret();
    expect(openSecret(ENDPOINT, sealed(secret), dataKey)).toBe(secret);
  });

  it.each([
    [
      'another endpoint',
      () => openSecret('we_00000000000000000000000000000000', sealed(generateSecret()), dataKey),
    ],
    [
      'another key id',
      () =>
        openSecret(
          ENDPOINT,
          { ...sealed(generateSecret()), keyId: 'key_01JBBBBBBBBBBBBBBBBBBBBBBB' },
          dataKey,
        ),
    ],
    ['another data key', () => openSecret(ENDPOINT, sealed(generateSecret()), randomBytes(32))],
  ])('given %s, when opened, then throws DecryptionError', (_, attempt) => {
    expect(attempt).toThrow(DecryptionError);
  });
});

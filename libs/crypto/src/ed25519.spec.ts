import { randomBytes, verify } from 'node:crypto';
import { isPublicKey } from '@rotor/domain';
import { v1aVerifies } from '@rotor/testing';
import { Webhook } from 'standardwebhooks';
import {
  ed25519PrivateKey,
  ed25519PublicKey,
  ed25519PublicKeyOf,
  generateEd25519Key,
} from './ed25519';
import { openSecret, sealSecret, signingKeyOf } from './key-sealing';
import { InvalidSecretError, fingerprintOf, generateSecret, secretBytes } from './secrets';
import { signatureHeaders, type SignatureHeaders } from './signing';

const NOW = 1_767_225_600;
const MSG_ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
const payload = JSON.stringify({ type: 'invoice.paid', note: 'héllo' });

/** A receiver verifying with node:crypto from the public key alone. */
const accepts = (publicKey: string, headers: SignatureHeaders, body = payload) =>
  v1aVerifies(publicKey, headers, body);

const sign = (keys: Parameters<typeof signatureHeaders>[0]['secrets']) =>
  signatureHeaders({ msgId: MSG_ID, timestamp: NOW, payload, secrets: keys });

describe('Ed25519 keys', () => {
  it('when generated, then whsk_ is 64 bytes (seed, public key) and whpk_ its 32-byte public half', () => {
    const { privateKey, publicKey } = generateEd25519Key();

    expect(privateKey).toMatch(/^whsk_[A-Za-z0-9+/]{86}==$/);
    expect(isPublicKey(publicKey)).toBe(true);
    expect(Buffer.from(privateKey.slice(5), 'base64').subarray(32).toString('base64')).toBe(
      publicKey.slice(5),
    );
    expect(ed25519PublicKeyOf(privateKey)).toBe(publicKey);
    expect(generateEd25519Key().privateKey).not.toBe(privateKey);
  });

  it('given a private key whose public half is not its own, when loaded, then refuses it', () => {
    const { privateKey } = generateEd25519Key();
    const other = generateEd25519Key().publicKey;
    const spliced = `whsk_${Buffer.concat([
      Buffer.from(privateKey.slice(5), 'base64').subarray(0, 32),
      Buffer.from(other.slice(5), 'base64'),
    ]).toString('base64')}`;

    expect(() => ed25519PrivateKey(spliced)).toThrow(InvalidSecretError);
  });

  it.each([
    ['a whsec_ secret', generateSecret()],
    ['32 bytes only', `whsk_${randomBytes(32).toString('base64')}`],
    ['not base64', `whsk_${'*'.repeat(88)}`],
  ])('given %s, when loaded as a private key, then refuses without echoing it', (_, value) => {
    expect(() => ed25519PrivateKey(value)).toThrow(InvalidSecretError);
    try {
      ed25519PrivateKey(value);
    } catch (error) {
      expect((error as Error).message).not.toContain(value.slice(5, 20));
    }
  });

  it('given a public key, when loaded, then it verifies what its private key signed', () => {
    const { privateKey, publicKey } = generateEd25519Key();
    const signature = sign([ed25519PrivateKey(privateKey)])['webhook-signature'].slice(4);

    expect(
      verify(
        null,
        Buffer.from(`${MSG_ID}.${NOW}.${payload}`),
        ed25519PublicKey(publicKey),
        Buffer.from(signature, 'base64'),
      ),
    ).toBe(true);
  });
});

describe('signatureHeaders with Ed25519 keys (v1a)', () => {
  const newer = generateEd25519Key();
  const older = generateEd25519Key();

  it('given one key, when signed, then one v1a entry a receiver verifies from the public key alone', () => {
    const headers = sign([ed25519PrivateKey(newer.privateKey)]);

    expect(headers['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(accepts(newer.publicKey, headers)).toBe(true);
    expect(accepts(older.publicKey, headers)).toBe(false);
    expect(accepts(newer.publicKey, headers, `${payload} `)).toBe(false);
  });

  it('given two Ed25519 keys, when signed, then one v1a per key, newest first, each verifying', () => {
    const headers = sign([
      ed25519PrivateKey(newer.privateKey),
      ed25519PrivateKey(older.privateKey),
    ]);
    const [first, second] = headers['webhook-signature'].split(' ');

    expect(first).toBe(sign([ed25519PrivateKey(newer.privateKey)])['webhook-signature']);
    expect(second).toBe(sign([ed25519PrivateKey(older.privateKey)])['webhook-signature']);
    expect(accepts(newer.publicKey, headers)).toBe(true);
    expect(accepts(older.publicKey, headers)).toBe(true);
  });

  it.each([
    ['HMAC to Ed25519', 'ed25519-first'],
    ['Ed25519 to HMAC', 'hmac-first'],
  ])(
    'given a switch %s, when signed, then a v1 and a v1a entry, newest first, each verifying',
    (_, order) => {
      const secret = generateSecret();
      const ed = ed25519PrivateKey(newer.privateKey);
      const keys =
        order === 'ed25519-first' ? [ed, secretBytes(secret)] : [secretBytes(secret), ed];

      const headers = sign(keys);
      const entries = headers['webhook-signature'].split(' ');

      expect(entries.map((e) => e.slice(0, e.indexOf(',')))).toEqual(
        order === 'ed25519-first' ? ['v1a', 'v1'] : ['v1', 'v1a'],
      );
      expect(accepts(newer.publicKey, headers)).toBe(true);
      const clock = jest.spyOn(Date, 'now').mockReturnValue(NOW * 1000);
      try {
        expect(new Webhook(secret).verify(payload, { ...headers })).toBeDefined();
      } finally {
        clock.mockRestore();
      }
    },
  );
});

describe('sealing an Ed25519 key', () => {
  const dataKey = randomBytes(32);
  const endpointId = 'we_550e8400e29b41d4a716446655440000';
  const keyId = 'key_01JAAAAAAAAAAAAAAAAAAAAAAA';

  it('given a private key, when sealed, then the key is named by its public half and opens to a signing key', () => {
    const { privateKey, publicKey } = generateEd25519Key();

    const key = sealSecret({
      endpointId,
      keyId,
      secret: privateKey,
      algorithm: 'ed25519',
      dataKey,
      kekId: 'kek-1',
      createdAt: new Date(NOW * 1000),
    });

    expect(key).toEqual({
      keyId,
      algorithm: 'ed25519',
      ciphertext: expect.any(String),
      kekId: 'kek-1',
      hint: `whpk_…${publicKey.slice(-4)}`,
      fingerprint: fingerprintOf(publicKey),
      createdAt: new Date(NOW * 1000).toISOString(),
      publicKey,
      origin: 'generated',
    });
    expect(JSON.stringify(key)).not.toContain(privateKey.slice(5, 40));
    const opened = signingKeyOf('ed25519', openSecret(endpointId, key, dataKey));
    expect(accepts(publicKey, sign([opened]))).toBe(true);
  });

  it('given a whsec_ secret declared Ed25519, when sealed, then refuses it', () => {
    expect(() =>
      sealSecret({
        endpointId,
        keyId,
        secret: generateSecret(),
        algorithm: 'ed25519',
        dataKey,
        kekId: 'kek-1',
        createdAt: new Date(),
      }),
    ).toThrow(InvalidSecretError);
  });
});

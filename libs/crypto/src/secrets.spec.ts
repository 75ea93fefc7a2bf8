import { createHash } from 'node:crypto';
import { InvalidSecretError, fingerprintOf, generateSecret, hintOf, secretBytes } from './secrets';

describe('generateSecret', () => {
  it('when called, then gives whsec_ + base64 of 32 fresh random bytes', () => {
    const secret = generateSecret();

    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretBytes(secret)).toHaveLength(32);
    expect(generateSecret()).not.toBe(secret);
  });
});

describe('secretBytes', () => {
  const bytesOf = (n: number) => Buffer.alloc(n, 7);

  it.each([24, 32, 64])('given a %i-byte secret, when decoded, then gives its bytes', (n) => {
    expect(secretBytes(`whsec_${bytesOf(n).toString('base64')}`)).toEqual(bytesOf(n));
  });

  it('given a secret without the whsec_ prefix, when decoded, then still gives its bytes', () => {
    expect(secretBytes(bytesOf(32).toString('base64'))).toEqual(bytesOf(32));
  });

  it.each([
    ['too short (23 bytes)', `whsec_${Buffer.alloc(23, 1).toString('base64')}`],
    ['too long (65 bytes)', `whsec_${Buffer.alloc(65, 1).toString('base64')}`],
    ['not base64', 'whsec_not*base64!not*base64!not*base64!not*base64!'],
    ['empty', 'whsec_'],
  ])('given a secret that is %s, when decoded, then throws InvalidSecretError', (_, secret) => {
    expect(() => secretBytes(secret)).toThrow(InvalidSecretError);
  });

  it('given a malformed secret, when decoded, then the error does not repeat the secret', () => {
    const secret = `whsec_${Buffer.alloc(20, 9).toString('base64')}`;
    expect(() => secretBytes(secret)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(secret.slice(6, 20)) }),
    );
  });
});

describe('hintOf and fingerprintOf', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

  it('given a secret, when hinted, then shows whsec_… and its last 4 characters', () => {
    expect(hintOf(secret)).toBe('whsec_…LaSw');
  });

  it('given a secret, when fingerprinted, then gives the first 16 hex of SHA-256 of the string', () => {
    const expected = createHash('sha256').update(secret).digest('hex').slice(0, 16);

    expect(fingerprintOf(secret)).toBe(expected);
    expect(fingerprintOf(secret)).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintOf(`${secret}x`)).not.toBe(expected);
  });
});

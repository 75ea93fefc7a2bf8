import { randomBytes } from 'node:crypto';
import { DecryptionError, open, seal } from './envelope';

describe('seal and open', () => {
  const key = randomBytes(32);
  const plaintext = Buffer.from('whsec_the-secret-material');
  const aad = 'we_1:key_1';

  it('given a sealed value, when opened with the same key and AAD, then gives the plaintext', () => {
    const sealed = seal(key, plaintext, aad);

    expect(open(key, sealed, aad)).toEqual(plaintext);
    expect(Buffer.from(sealed, 'base64')).toHaveLength(12 + plaintext.length + 16);
    expect(sealed).not.toContain(plaintext.toString('base64'));
  });

  it('given the same plaintext twice, when sealed, then the ciphertexts differ (fresh IV)', () => {
    expect(seal(key, plaintext, aad)).not.toBe(seal(key, plaintext, aad));
  });

  const failures: [string, () => Buffer][] = [
    ['a wrong AAD', () => open(key, seal(key, plaintext, aad), 'we_1:key_2')],
    ['a wrong key', () => open(randomBytes(32), seal(key, plaintext, aad), aad)],
    [
      'one flipped ciphertext bit',
      () => {
        const bytes = Buffer.from(seal(key, plaintext, aad), 'base64');
        bytes[12] ^= 0x01;
        return open(key, bytes.toString('base64'), aad);
      },
    ],
    [
      'one flipped tag bit',
      () => {
        const bytes = Buffer.from(seal(key, plaintext, aad), 'base64');
        bytes[bytes.length - 1] ^= 0x80;
        return open(key, bytes.toString('base64'), aad);
      },
    ],
    ['a truncated value', () => open(key, seal(key, plaintext, aad).slice(0, 20), aad)],
  ];

  it.each(failures)('given %s, when opened, then throws DecryptionError', (_, attempt) => {
    expect(attempt).toThrow(DecryptionError);
    expect(attempt).toThrow(
      'cannot decrypt: wrong key, wrong context (AAD) or tampered ciphertext',
    );
  });

  it('given a key that is not 32 bytes, when sealing, then refuses without showing the key', () => {
    const short = Buffer.from('0123456789abcdef');

    expect(() => seal(short, plaintext, aad)).toThrow(RangeError);
    expect(() => seal(short, plaintext, aad)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('0123456789abcdef') }),
    );
  });
});

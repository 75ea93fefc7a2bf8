import type { KeyRingView } from '@rotor/projections';
import {
  maxRecordBytes,
  recordIdEquals,
  recordKeys,
  recordRevision,
  recordSize,
  recordTenant,
  writeRecord,
} from './ring-record';
import { StringTable } from './string-table';

const pack = (endpointId: string, view: KeyRingView) => {
  const tables = { tenants: new StringTable(), schemes: new StringTable() };
  const buffer = Buffer.alloc(maxRecordBytes(endpointId, view) + 8, 0xee);
  // At an offset, as records sit in the arena.
  const size = writeRecord(buffer.subarray(8), endpointId, view, tables, 'hmac-sha256');
  return { buffer, at: 8, size, tables };
};

const view = (keys: KeyRingView['keys'], more: Partial<KeyRingView> = {}): KeyRingView => ({
  endpointId: 'we_1',
  tenantId: 'acme',
  keys,
  revision: 3,
  deleted: false,
  ...more,
});

describe('a packed key-ring record', () => {
  it('reads back what the signer needs, texts exactly as the view spelled them', () => {
    const endpointId = 'we_ünïcode_端点';
    const { buffer, at, size, tables } = pack(
      endpointId,
      view(
        [
          { keyId: 'key_new', ciphertext: 'AAECAwQF', createdAt: 'x', algorithm: 'ed25519' },
          {
            keyId: 'key_odd',
            ciphertext: 'BgcI',
            createdAt: 'x',
            algorithm: 'rot13',
            expiresAt: '',
          },
          {
            keyId: 'key_old',
            ciphertext: '',
            createdAt: 'x',
            expiresAt: '2026-01-01T00:00:10+02:00',
          },
        ],
        { tenantId: 'tenant ü', revision: 2 ** 40 },
      ),
    );
    expect(recordSize(buffer, at)).toBe(size);
    expect(recordRevision(buffer, at)).toBe(2 ** 40);
    expect(recordTenant(buffer, at, tables)).toBe('tenant ü');
    const id = Buffer.from(endpointId, 'utf8');
    expect(recordIdEquals(buffer, at, id, id.length)).toBe(true);
    expect(recordIdEquals(buffer, at, id, id.length - 1)).toBe(false);
    expect(recordKeys(buffer, at, tables)).toEqual([
      { keyId: 'key_new', scheme: 'ed25519', expiresAt: undefined, ciphertext: 'AAECAwQF' },
      // An empty expiresAt is not a missing one: the rule, not the ring, decides about it.
      { keyId: 'key_odd', scheme: 'rot13', expiresAt: '', ciphertext: 'BgcI' },
      {
        keyId: 'key_old',
        scheme: 'hmac-sha256',
        expiresAt: '2026-01-01T00:00:10+02:00',
        ciphertext: '',
      },
    ]);
    expect(buffer[at + size]).toBe(0xee); // nothing written past its size
  });

  it('keeps a ciphertext as the bytes its base64 decodes to, however the view spelled it', () => {
    // Unpadded, URL-safe, with a stray space and non-zero padding bits: one set of bytes each.
    for (const spelling of ['+/+/AB', '-_-_AB', '+/+/ AB==', '+/+/AB=', '+/+/AF']) {
      const { buffer, at, tables } = pack(
        'we_1',
        view([{ keyId: 'k', ciphertext: spelling, createdAt: 'x' }]),
      );
      const [key] = recordKeys(buffer, at, tables);
      expect(Buffer.from(key.ciphertext, 'base64')).toEqual(Buffer.from(spelling, 'base64'));
    }
  });

  it('holds long texts and many keys (lengths past one varint byte)', () => {
    const long = 'k'.repeat(20_000);
    const ciphertext = Buffer.alloc(30_000, 7).toString('base64');
    const keys = Array.from({ length: 200 }, (_, i) => ({
      keyId: `${long}${i}`,
      ciphertext,
      createdAt: 'x',
    }));
    const { buffer, at, tables } = pack(long, view(keys, { revision: -1 }));
    expect(recordRevision(buffer, at)).toBe(-1);
    const read = recordKeys(buffer, at, tables);
    expect(read).toHaveLength(200);
    expect(read[199]).toEqual({
      keyId: `${long}199`,
      scheme: 'hmac-sha256',
      expiresAt: undefined,
      ciphertext,
    });
  });
});

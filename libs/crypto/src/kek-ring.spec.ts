import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  KekRingError,
  UnknownKekError,
  generateKekRingText,
  loadKekRing,
  parseKekRing,
} from './kek-ring';

const k2025 = randomBytes(32).toString('base64');
const k2024 = randomBytes(32).toString('base64');
const ringText = (ring: unknown) => JSON.stringify(ring);
const valid = ringText({ primary: 'kek-2025', keys: { 'kek-2025': k2025, 'kek-2024': k2024 } });

/** The error thrown by `parse`, checked to be a KekRingError that leaks none of `secrets`. */
const errorOf = (parse: () => unknown, ...secrets: string[]): KekRingError => {
  let caught: unknown;
  try {
    parse();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(KekRingError);
  const error = caught as KekRingError;
  for (const secret of secrets) {
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain(secret.slice(0, 12));
    expect(inspect(error)).not.toContain(secret.slice(0, 12));
  }
  return error;
};

describe('parseKekRing', () => {
  it('given a valid ring, when parsed, then exposes the primary and every key', () => {
    const ring = parseKekRing(valid);

    expect(ring.primaryId).toBe('kek-2025');
    expect(ring.ids).toEqual(['kek-2025', 'kek-2024']);
    expect(ring.has('kek-2024')).toBe(true);
    expect(ring.has('kek-2023')).toBe(false);
    expect(ring.get('kek-2024')).toEqual(Buffer.from(k2024, 'base64'));
  });

  it('given a ring, when asked for an unknown KEK, then throws UnknownKekError', () => {
    expect(() => parseKekRing(valid).get('kek-2023')).toThrow(UnknownKekError);
  });

  it('given a ring, when a returned key is overwritten, then the ring keeps its own copy', () => {
    const ring = parseKekRing(valid);
    ring.get('kek-2025').fill(0);

    expect(ring.get('kek-2025')).toEqual(Buffer.from(k2025, 'base64'));
  });

  it('given a ring, when logged or serialised, then no key material shows', () => {
    const ring = parseKekRing(valid);
    const hex = Buffer.from(k2025, 'base64').toString('hex');

    for (const shown of [inspect(ring, { depth: 10 }), JSON.stringify(ring)]) {
      expect(shown).not.toContain(k2025.slice(0, 12));
      expect(shown).not.toContain(hex.slice(0, 12));
      expect(shown).not.toMatch(/<Buffer/);
    }
  });

  it('given no primary, when parsed, then says so', () => {
    const error = errorOf(() => parseKekRing(ringText({ keys: { 'kek-2025': k2025 } })), k2025);
    expect(error.message).toMatch(/no "primary"/);
  });

  it('given a primary that is not among the keys, when parsed, then names the known ids', () => {
    const error = errorOf(
      () => parseKekRing(ringText({ primary: 'kek-2026', keys: { 'kek-2025': k2025 } })),
      k2025,
    );
    expect(error.message).toMatch(/primary is not one of its keys \(kek-2025\)/);
  });

  it.each([16, 31, 33, 64])('given a %i-byte key, when parsed, then reports its length', (n) => {
    const key = randomBytes(n).toString('base64');
    const error = errorOf(
      () => parseKekRing(ringText({ primary: 'kek-2025', keys: { 'kek-2025': key } })),
      key,
    );
    expect(error.message).toBe(`KEK "kek-2025" is ${n} bytes, expected 32`);
  });

  it('given a key that is not base64, when parsed, then refuses it without quoting it', () => {
    const key = `${k2025.slice(0, 40)}!!!!`;
    errorOf(() => parseKekRing(ringText({ primary: 'a', keys: { a: key } })), key);
  });

  it('given an id with forbidden characters, when parsed, then refuses it without quoting it', () => {
    const id = k2025; // key material pasted as the id: must not be echoed
    errorOf(() => parseKekRing(ringText({ primary: id, keys: { [id]: k2024 } })), k2025, k2024);
  });

  it.each([
    ['truncated JSON', valid.slice(0, -3)],
    ['JSON with a stray character', valid.replace('"keys"', 'x"keys"')],
    ['an array', `[${JSON.stringify(k2025)}]`],
    ['no keys object', ringText({ primary: 'kek-2025', keys: k2025 })],
    ['empty keys', ringText({ primary: 'kek-2025', keys: {} })],
  ])('given %s, when parsed, then the error leaks no key material', (_, text) => {
    errorOf(() => parseKekRing(text), k2025, k2024);
  });
});

describe('loadKekRing', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rotor-kek-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('given the ring in ROTOR_KEK_RING, when loaded, then parses it', () => {
    expect(loadKekRing({ ROTOR_KEK_RING: valid })?.primaryId).toBe('kek-2025');
  });

  it('given the ring in a file, when loaded, then reads and parses it', () => {
    const file = join(dir, 'kek-ring.json');
    writeFileSync(file, valid);

    expect(loadKekRing({ ROTOR_KEK_RING_FILE: file })?.get('kek-2024')).toEqual(
      Buffer.from(k2024, 'base64'),
    );
  });

  it('given a missing file, when loaded, then names the file and the cause', () => {
    const file = join(dir, 'missing.json');
    expect(() => loadKekRing({ ROTOR_KEK_RING_FILE: file })).toThrow(`${file}: ENOENT`);
  });

  it('given both settings, when loaded, then refuses to guess', () => {
    const file = join(dir, 'kek-ring.json');
    expect(() => loadKekRing({ ROTOR_KEK_RING: valid, ROTOR_KEK_RING_FILE: file })).toThrow(
      KekRingError,
    );
  });

  it('given neither setting, when loaded, then gives undefined for the caller to decide', () => {
    expect(loadKekRing({})).toBeUndefined();
  });
});

describe('generateKekRingText', () => {
  it('given a date, when a dev ring is generated, then it has one valid primary named dev-<date>', () => {
    const ring = parseKekRing(generateKekRingText(new Date('2026-03-04T05:06:07Z')));

    expect(ring.primaryId).toBe('dev-2026-03-04');
    expect(ring.ids).toEqual(['dev-2026-03-04']);
    expect(ring.get('dev-2026-03-04')).toHaveLength(32);
  });

  it('when generated twice, then the keys differ', () => {
    const a = parseKekRing(generateKekRingText());
    const b = parseKekRing(generateKekRingText());

    expect(a.get(a.primaryId)).not.toEqual(b.get(b.primaryId));
  });
});

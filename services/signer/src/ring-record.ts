import type { KeyRingView } from '@rotor/projections';
import type { StringTable } from './string-table';

/*
 * One endpoint of the key ring packed into bytes: what the signer needs of a KeyRingView
 * and nothing else (no createdAt, no JSON field names), so a million endpoints fit in a few
 * hundred MiB. Layout, little-endian; `varint` is unsigned LEB128 (one byte below 128):
 *
 *   u32 size of the record in bytes | f64 revision
 *   varint endpoint id length | endpoint id (UTF-8)      <- at a fixed offset: the index compares it
 *   varint tenant (index into the tenant table) | varint key count
 *   per key, newest first:
 *     varint scheme (index into the scheme table; the view's string, as given)
 *     varint key id length | key id (UTF-8)
 *     varint expiresAt length + 1 (0: no expiresAt) | expiresAt (UTF-8, the view's text as is)
 *     varint ciphertext length | ciphertext (the bytes its base64 decodes to)
 *
 * expiresAt stays text because the validity rule (`isStillValid`) reads text, and it is
 * the rule's one home. The ciphertext is kept as the bytes `open` would decode it to: base64
 * of those bytes opens to the same plaintext, whatever the view's spelling of them.
 */

const SIZE_AT = 0;
const REVISION_AT = 4;
export const ENDPOINT_ID_AT = 12;
const MAX_VARINT_BYTES = 5;

/** A key as read back, ready to open (`ciphertext` is base64 again). */
export interface RecordKey {
  readonly keyId: string;
  readonly scheme: string;
  readonly expiresAt: string | undefined;
  readonly ciphertext: string;
}

export interface RecordTables {
  readonly tenants: StringTable;
  readonly schemes: StringTable;
}

const writeVarint = (buffer: Buffer, at: number, value: number): number => {
  while (value >= 0x80) {
    buffer[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buffer[at++] = value;
  return at;
};

/** Writes `value` in exactly `width` bytes (LEB128 allows padding with continuation bytes). */
const writeVarintPadded = (buffer: Buffer, at: number, value: number, width: number): number => {
  for (let i = 0; i < width - 1; i++) {
    buffer[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buffer[at++] = value;
  return at;
};

const varintBytes = (value: number): number => {
  let bytes = 1;
  while (value >= 0x80) {
    value >>>= 7;
    bytes++;
  }
  return bytes;
};

/** A varint's value and the offset after it, through a reused cursor (no allocation). */
class Cursor {
  constructor(
    readonly buffer: Buffer,
    public at: number,
  ) {}

  varint(): number {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = this.buffer[this.at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  }

  text(length: number): string {
    const text = this.buffer.toString('utf8', this.at, this.at + length);
    this.at += length;
    return text;
  }
}

/** An upper bound of the record's size, to size the scratch buffer it is written into. */
export const maxRecordBytes = (endpointId: string, view: KeyRingView): number => {
  // UTF-8 needs at most 3 bytes per UTF-16 unit; base64 decodes to at most 3/4 of its length.
  let bytes = ENDPOINT_ID_AT + 3 * MAX_VARINT_BYTES + 3 * endpointId.length;
  for (const key of view.keys)
    bytes +=
      4 * MAX_VARINT_BYTES +
      3 * (key.keyId.length + (key.expiresAt?.length ?? 0) + (key.algorithm?.length ?? 0)) +
      Math.ceil((key.ciphertext.length * 3) / 4) +
      3;
  return bytes;
};

/**
 * Writes `text` as UTF-8 from `at`; returns its byte length. Ids and timestamps are ASCII:
 * a loop writes them faster than a call into Buffer#write (argument checks, a native call),
 * which the signer would otherwise pay several times per endpoint at start-up.
 */
export const writeUtf8 = (buffer: Buffer, at: number, text: string): number => {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return buffer.write(text, at, 'utf8');
    buffer[at + i] = code;
  }
  return text.length;
};

/** A text's UTF-8 length, without a native call when it is ASCII. */
const utf8Length = (text: string): number => {
  for (let i = 0; i < text.length; i++)
    if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text, 'utf8');
  return text.length;
};

/** A length-prefixed text: the varint of its length, then its UTF-8. */
const writeText = (buffer: Buffer, at: number, text: string): number => {
  const length = utf8Length(text);
  at = writeVarint(buffer, at, length);
  return at + writeUtf8(buffer, at, text);
};

const writeBase64 = (buffer: Buffer, at: number, base64: string): number => {
  // The decoded length is known only after decoding (base64 may hold characters it skips):
  // room for the varint of the upper bound, then the varint padded to that width.
  const bound = Math.ceil((base64.length * 3) / 4);
  const width = varintBytes(bound);
  const written = buffer.write(base64, at + width, bound, 'base64');
  writeVarintPadded(buffer, at, written, width);
  return at + width + written;
};

/**
 * Packs the endpoint's view into `buffer` from offset 0 (room for `maxRecordBytes`), with
 * the key's scheme defaulting to `defaultScheme`. Returns the record's size.
 */
export const writeRecord = (
  buffer: Buffer,
  endpointId: string,
  view: KeyRingView,
  tables: RecordTables,
  defaultScheme: string,
): number => {
  buffer.writeDoubleLE(view.revision, REVISION_AT);
  let at = writeText(buffer, ENDPOINT_ID_AT, endpointId);
  at = writeVarint(buffer, at, tables.tenants.intern(view.tenantId));
  at = writeVarint(buffer, at, view.keys.length);
  for (const key of view.keys) {
    at = writeVarint(buffer, at, tables.schemes.intern(key.algorithm ?? defaultScheme));
    at = writeText(buffer, at, key.keyId);
    if (key.expiresAt === undefined) at = writeVarint(buffer, at, 0);
    else {
      at = writeVarint(buffer, at, utf8Length(key.expiresAt) + 1);
      at += writeUtf8(buffer, at, key.expiresAt);
    }
    at = writeBase64(buffer, at, key.ciphertext);
  }
  buffer.writeUInt32LE(at, SIZE_AT);
  return at;
};

export const recordSize = (buffer: Buffer, at: number): number => buffer.readUInt32LE(at + SIZE_AT);

export const recordRevision = (buffer: Buffer, at: number): number =>
  buffer.readDoubleLE(at + REVISION_AT);

/** Whether the record's endpoint id is `length` bytes of `id` from its start. */
export const recordIdEquals = (buffer: Buffer, at: number, id: Buffer, length: number): boolean => {
  const cursor = new Cursor(buffer, at + ENDPOINT_ID_AT);
  if (cursor.varint() !== length) return false;
  const start = cursor.at;
  for (let i = 0; i < length; i++) if (buffer[start + i] !== id[i]) return false;
  return true;
};

/** The cursor just after the endpoint id: at the tenant. */
const afterId = (buffer: Buffer, at: number): Cursor => {
  const cursor = new Cursor(buffer, at + ENDPOINT_ID_AT);
  const idLength = cursor.varint(); // read first: `cursor.at += cursor.varint()` would add to the old offset
  cursor.at += idLength;
  return cursor;
};

export const recordTenant = (buffer: Buffer, at: number, tables: RecordTables): string =>
  tables.tenants.at(afterId(buffer, at).varint());

/** The record's keys, newest first, as the view had them (ciphertext in base64). */
export const recordKeys = (buffer: Buffer, at: number, tables: RecordTables): RecordKey[] => {
  const cursor = afterId(buffer, at);
  cursor.varint(); // tenant
  const count = cursor.varint();
  const keys: RecordKey[] = [];
  for (let i = 0; i < count; i++) {
    const scheme = tables.schemes.at(cursor.varint());
    const keyId = cursor.text(cursor.varint());
    const expiresAtLength = cursor.varint();
    const expiresAt = expiresAtLength === 0 ? undefined : cursor.text(expiresAtLength - 1);
    const ciphertextLength = cursor.varint();
    const ciphertext = buffer.toString('base64', cursor.at, cursor.at + ciphertextLength);
    cursor.at += ciphertextLength;
    keys.push({ keyId, scheme, expiresAt, ciphertext });
  }
  return keys;
};
